//! The desktop shell: Tauri wiring only. Every command is a few lines over the
//! `provisioner` crate; nothing here knows the device protocol or the cloud API.

mod bindings;
mod cert;
mod commands;
mod dto;
mod error;
mod runs;
mod settings;
mod webview;

pub use bindings::{export_bindings, specta_builder};

use tauri::Manager;

/// Builds and runs the app until its last window closes.
pub fn run() {
    let builder = specta_builder();
    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::new().build())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            webview::tune(app.handle());
            #[cfg(unix)]
            runs::exit_on_sigterm(app.handle());
            let core =
                tauri::async_runtime::block_on(provisioner::app::Provisioner::open_default())
                    .map_err(|e| e.message)?;
            tauri::async_runtime::block_on(settings::apply_preset(app.handle(), &core))?;
            app.manage(commands::Core(core));
            Ok(())
        })
        .manage(runs::Runs::default())
        .build(tauri::generate_context!())
        .expect("the app failed to start")
        .run(|app, event| {
            if let tauri::RunEvent::ExitRequested { api, .. } = &event {
                runs::on_exit_requested(app, api);
            }
        });
}
