//! The list of commands the UI may call, and the TypeScript bindings generated from it.

use std::path::Path;

use tauri_specta::{Builder, collect_commands};

use crate::commands::{auth, backend, device, settings};

/// The command registry shared by the running app and the bindings exporter.
pub fn specta_builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new().commands(collect_commands![
        settings::load_settings,
        settings::save_settings,
        backend::get_backend,
        backend::set_backend,
        backend::parse_stack_outputs,
        auth::whoami,
        auth::notices,
        auth::sign_up,
        auth::confirm_sign_up,
        auth::sign_in,
        auth::forgot_password,
        auth::reset_password,
        auth::sign_out,
        device::check_serial,
        device::scan_networks,
        device::window_left,
        device::provision,
        device::provision_wifi,
        device::interrupted_run,
        device::resume_run,
    ])
}

/// Writes `ui/src/bindings.ts` (or another path): the typed `commands` object the UI imports.
pub fn export_bindings(path: &Path) -> Result<(), String> {
    specta_builder()
        .export(
            specta_typescript::Typescript::default()
                .header("// Generated from src-tauri by `UPDATE_BINDINGS=1 cargo test -p iot-provisioner-app --test bindings`. Do not edit.\n"),
            path,
        )
        .map_err(|e| e.to_string())
}
