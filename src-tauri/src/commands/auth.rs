//! Accounts: sign up, confirm, sign in, reset the password, sign out.

use tauri::State;

use super::Core;
use crate::dto::SignUpNext;
use crate::error::CmdResult;

/// The signed-in e-mail, if any (tokens stay in the core and the keyring).
#[tauri::command]
#[specta::specta]
pub async fn whoami(core: State<'_, Core>) -> CmdResult<Option<String>> {
    Ok(core.0.current_account().await)
}

/// Notices to show once: no keyring (session-only sign-in), network restored after a crash.
#[tauri::command]
#[specta::specta]
pub async fn notices(core: State<'_, Core>) -> CmdResult<Vec<String>> {
    let mut out: Vec<String> = core
        .0
        .keyring_notice()
        .map(str::to_owned)
        .into_iter()
        .collect();
    if core.0.recovered_link() {
        out.push(
            "The last run was interrupted; this computer was put back on its own network.".into(),
        );
    }
    Ok(out)
}

#[tauri::command]
#[specta::specta]
pub async fn sign_up(
    core: State<'_, Core>,
    email: String,
    password: String,
) -> CmdResult<SignUpNext> {
    Ok(core.0.sign_up(&email, &password).await?.into())
}

#[tauri::command]
#[specta::specta]
pub async fn confirm_sign_up(core: State<'_, Core>, email: String, code: String) -> CmdResult<()> {
    Ok(core.0.confirm_sign_up(&email, &code).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn sign_in(core: State<'_, Core>, email: String, password: String) -> CmdResult<String> {
    Ok(core.0.sign_in(&email, &password).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn forgot_password(core: State<'_, Core>, email: String) -> CmdResult<()> {
    Ok(core.0.forgot_password(&email).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn reset_password(
    core: State<'_, Core>,
    email: String,
    code: String,
    new_password: String,
) -> CmdResult<()> {
    Ok(core
        .0
        .confirm_forgot_password(&email, &code, &new_password)
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn sign_out(core: State<'_, Core>) -> CmdResult<()> {
    Ok(core.0.sign_out().await?)
}

impl From<provisioner::auth::SignUpNext> for SignUpNext {
    fn from(n: provisioner::auth::SignUpNext) -> Self {
        match n {
            provisioner::auth::SignUpNext::ConfirmWithCode => SignUpNext::ConfirmCode,
            provisioner::auth::SignUpNext::Done => SignUpNext::Done,
        }
    }
}
