//! Backend choice, device link and wizard progress.

use tauri::AppHandle;

use crate::error::CmdResult;
use crate::settings::{self, Settings};

/// The saved settings, or the defaults on first start.
#[tauri::command]
#[specta::specta]
pub fn load_settings(app: AppHandle) -> CmdResult<Settings> {
    settings::load(&app)
}

/// Saves the settings.
#[tauri::command]
#[specta::specta]
pub fn save_settings(app: AppHandle, settings: Settings) -> CmdResult<()> {
    settings::save(&app, &settings)
}
