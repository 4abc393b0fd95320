//! Settings and wizard state, kept with tauri-plugin-store in the app's data dir.
//! Never holds a secret: no password, token, PoP or Wi-Fi passphrase.

use std::path::Path;

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;

use crate::error::{AppError, CmdResult, ShellCode};

const STORE_FILE: &str = "settings.json";
const KEY: &str = "settings";
/// A JSON file of `Settings` applied at start-up (the demo and the GUI tests use it).
const PRESET_ENV: &str = "IOTP_APP_PRESET";

/// How the app reaches the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeviceLinkSetting {
    /// Join the device's SoftAP, then talk to 192.168.4.1:80 (real devices).
    SoftAp,
    /// Talk HTTP straight to an address (the simulator, or a device already on the LAN).
    Direct { address: String },
}

/// Everything the app remembers between runs (the backend profile is the core's, shared with
/// the `provision` CLI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Settings {
    pub device_link: DeviceLinkSetting,
    /// Wizard progress so a closed app resumes where it was (no secrets).
    pub wizard: WizardState,
}

/// The non-secret answers given so far in the wizard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type)]
pub struct WizardState {
    pub serial: Option<String>,
    pub cert_mode: Option<String>,
    pub ssid: Option<String>,
    pub softap_name: Option<String>,
    pub page: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            device_link: DeviceLinkSetting::SoftAp,
            wizard: WizardState::default(),
        }
    }
}

fn store_err(e: impl std::fmt::Display) -> AppError {
    AppError::new(
        ShellCode::Settings,
        format!("Could not read or save the settings: {e}"),
    )
}

/// Reads the saved settings, or the defaults on first start.
pub fn load<R: Runtime>(app: &AppHandle<R>) -> CmdResult<Settings> {
    let store = app.store(STORE_FILE).map_err(store_err)?;
    match store.get(KEY) {
        None => Ok(Settings::default()),
        Some(v) => serde_json::from_value(v).map_err(store_err),
    }
}

/// Saves the settings (after the caller validated them).
pub fn save<R: Runtime>(app: &AppHandle<R>, settings: &Settings) -> CmdResult<()> {
    let store = app.store(STORE_FILE).map_err(store_err)?;
    store.set(KEY, serde_json::to_value(settings).map_err(store_err)?);
    store.save().map_err(store_err)
}

/// A start-up preset: the demo script and the GUI tests point a fresh app at their
/// `provisiond` and simulator with it (`IOTP_APP_PRESET=FILE`).
#[derive(Debug, Deserialize)]
struct Preset {
    backend: provisioner::profile::Backend,
    device_link: DeviceLinkSetting,
}

/// Applies the preset named by `IOTP_APP_PRESET`, if set.
pub async fn apply_preset<R: Runtime>(
    app: &AppHandle<R>,
    core: &provisioner::app::Provisioner,
) -> Result<(), String> {
    let Some(path) = std::env::var_os(PRESET_ENV) else {
        return Ok(());
    };
    let path = Path::new(&path);
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{PRESET_ENV}={}: {e}", path.display()))?;
    let preset: Preset =
        serde_json::from_str(&text).map_err(|e| format!("{PRESET_ENV}={}: {e}", path.display()))?;
    let profile = provisioner::profile::Profile {
        name: "default".into(),
        backend: preset.backend,
    };
    core.set_profile(profile, None)
        .await
        .map_err(|e| e.message)?;
    let mut settings = load(app).map_err(|e| e.message)?;
    settings.device_link = preset.device_link;
    save(app, &settings).map_err(|e| e.message)
}
