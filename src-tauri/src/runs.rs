//! Device runs in flight, so that closing the app (its window, or SIGTERM) stops them and puts
//! the host back on its own network before the process ends. Without this, the process would
//! end with the host still on the device's access point until the next start repaired it.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tauri::{AppHandle, ExitRequestApi, Manager};
use tokio::sync::watch;

use crate::commands::Core;
use crate::error::{AppError, CmdResult, ErrorCode};

/// The longest closing waits for the network to come back; after it the restore marker stays
/// and the next start finishes the job.
const RESTORE_LIMIT: Duration = Duration::from_secs(30);

/// Counts device runs and carries the request to stop them.
pub struct Runs {
    active: AtomicUsize,
    closing: watch::Sender<bool>,
}

impl Default for Runs {
    fn default() -> Self {
        Self {
            active: AtomicUsize::new(0),
            closing: watch::channel(false).0,
        }
    }
}

/// Decrements the count however the run ends (finished, failed or dropped).
struct Active<'a>(&'a AtomicUsize);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Runs {
    /// Runs a command's device work, unless the app is closing: then the work is dropped at
    /// its next await point (the closing handler restores the network) and this fails with
    /// `cancelled`.
    pub async fn run<T>(&self, work: impl Future<Output = CmdResult<T>>) -> CmdResult<T> {
        let mut closing = self.closing.subscribe();
        self.active.fetch_add(1, Ordering::SeqCst);
        let _active = Active(&self.active);
        if *closing.borrow_and_update() {
            return Err(cancelled());
        }
        tokio::select! {
            r = work => r,
            _ = closing.wait_for(|c| *c) => Err(cancelled()),
        }
    }

    fn busy(&self) -> bool {
        self.active.load(Ordering::SeqCst) > 0
    }

    fn closing(&self) -> bool {
        *self.closing.borrow()
    }
}

fn cancelled() -> AppError {
    AppError::new(
        ErrorCode::Cancelled,
        "The app is closing: the run was stopped and this computer put back on its network.",
    )
}

/// Treats SIGTERM (a session logging out, `kill`) as a request to exit, so it takes the same
/// path as closing the window instead of ending the process mid-run.
#[cfg(unix)]
pub fn exit_on_sigterm(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
                app.exit(0);
            }
            Err(e) => eprintln!("iot-provisioner: SIGTERM not handled: {e}"),
        }
    });
}

/// On the app's exit request: with a device run in flight, keep the process alive, stop the
/// runs, restore the host's network, then exit. Otherwise let it exit.
pub fn on_exit_requested(app: &AppHandle, api: &ExitRequestApi) {
    let runs = app.state::<Runs>();
    if !runs.busy() || runs.closing() {
        return;
    }
    api.prevent_exit();
    runs.closing.send_replace(true);
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let runs = app.state::<Runs>();
        while runs.busy() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if let Some(core) = app.try_state::<Core>() {
            match tokio::time::timeout(RESTORE_LIMIT, core.0.recover_network()).await {
                Ok(true) => eprintln!("iot-provisioner: closed mid-run; network restored"),
                Ok(false) => {}
                Err(_) => eprintln!(
                    "iot-provisioner: the network did not come back within {RESTORE_LIMIT:?}; the next start restores it"
                ),
            }
        }
        app.exit(0);
    });
}
