//! How the main window's webview renders. The wizard is a few static forms, so on Linux it
//! paints in software with WebKit's document-viewer cache model: no GPU compositing, no page
//! cache. That takes about 70 MiB off idle memory (docs/perf.md) and keeps the window clear of
//! the GPU-driver faults behind blank WebKitGTK windows. `IOTP_WEBVIEW_GPU=1` restores
//! WebKit's defaults.

/// The environment variable that keeps WebKit's default (GPU) rendering.
pub const GPU_ENV: &str = "IOTP_WEBVIEW_GPU";

/// Applies the rendering settings to the main window's webview, before its page loads.
pub fn tune(app: &tauri::AppHandle) {
    if std::env::var_os(GPU_ENV).is_some_and(|v| v == "1") {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        use tauri::Manager;
        let Some(window) = app.get_webview_window("main") else {
            return;
        };
        let applied = window.with_webview(|view| {
            use webkit2gtk::{
                CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
            };
            let view = view.inner();
            if let Some(settings) = view.settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
                settings.set_enable_page_cache(false);
            }
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
        if let Err(e) = applied {
            eprintln!("iot-provisioner: webview settings not applied: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}
