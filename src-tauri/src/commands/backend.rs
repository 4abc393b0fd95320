//! The provisioning service: self-hosted or AWS. The profile is the core's (shared with the CLI).

use tauri::{AppHandle, Manager, State};

use super::Core;
use crate::dto::{BackendInput, BackendView};
use crate::error::{AppError, CmdResult, ErrorCode};
use provisioner::profile::{Backend, Profile};

const PROFILE: &str = "default";

/// The configured service, or `unset`.
#[tauri::command]
#[specta::specta]
pub async fn get_backend(core: State<'_, Core>) -> CmdResult<BackendView> {
    Ok(core
        .0
        .profile()
        .await
        .map_or(BackendView::Unset, |p| p.backend.into()))
}

/// Reads a CloudFormation stack outputs JSON into AWS fields for the person to check.
#[tauri::command]
#[specta::specta]
pub fn parse_stack_outputs(json: String) -> CmdResult<BackendView> {
    Ok(Backend::from_stack_outputs(&json)?.into())
}

/// Validates and saves the service; a picked CA certificate is copied into the app's config dir.
#[tauri::command]
#[specta::specta]
pub async fn set_backend(
    app: AppHandle,
    core: State<'_, Core>,
    input: BackendInput,
) -> CmdResult<BackendView> {
    let (backend, secret) = match input {
        BackendInput::SelfHosted {
            url,
            ca_pem,
            keep_ca,
        } => {
            let ca_path = match ca_pem {
                Some(pem) => Some(save_ca(&app, &pem)?),
                None if keep_ca => saved_ca(&core).await,
                None => None,
            };
            (Backend::SelfHosted { url, ca_path }, None)
        }
        BackendInput::Aws {
            region,
            user_pool_id,
            client_id,
            api_url,
            client_secret,
        } => (
            Backend::Aws {
                region,
                user_pool_id,
                client_id,
                api_url,
                has_client_secret: false,
                cognito_endpoint: None,
            },
            client_secret.filter(|s| !s.is_empty()),
        ),
    };
    let profile = Profile {
        name: PROFILE.into(),
        backend,
    };
    core.0.set_profile(profile, secret).await?;
    get_backend(core).await
}

/// The CA the current self-hosted profile trusts, if any.
async fn saved_ca(core: &Core) -> Option<std::path::PathBuf> {
    match core.0.profile().await?.backend {
        Backend::SelfHosted { ca_path, .. } => ca_path,
        Backend::Aws { .. } => None,
    }
}

/// Keeps the CA next to the app's settings so the profile can point at a stable path.
fn save_ca(app: &AppHandle, pem: &str) -> CmdResult<std::path::PathBuf> {
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(AppError::new(
            ErrorCode::InvalidInput,
            "The CA file is not a PEM certificate (it should contain BEGIN CERTIFICATE).",
        ));
    }
    let dir = app
        .path()
        .app_config_dir()
        .map_err(|e| AppError::new(ErrorCode::Storage, format!("No config directory: {e}")))?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| AppError::new(ErrorCode::Storage, format!("{}: {e}", dir.display())))?;
    let path = dir.join("service-ca.pem");
    std::fs::write(&path, pem)
        .map_err(|e| AppError::new(ErrorCode::Storage, format!("{}: {e}", path.display())))?;
    Ok(path)
}

impl From<Backend> for BackendView {
    fn from(b: Backend) -> Self {
        match b {
            Backend::SelfHosted { url, ca_path } => BackendView::SelfHosted {
                url,
                ca_path: ca_path.map(|p| p.display().to_string()),
            },
            Backend::Aws {
                region,
                user_pool_id,
                client_id,
                api_url,
                has_client_secret,
                ..
            } => BackendView::Aws {
                region,
                user_pool_id,
                client_id,
                api_url,
                has_client_secret,
            },
        }
    }
}
