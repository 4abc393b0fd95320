//! mosquitto, configured and supervised by `provisiond`: mutual TLS against the local CA,
//! the certificate CN as user name, ACL `devices/%u/#`, and the CRL.
//!
//! Two ways to apply a new CRL: `reload` (SIGHUP: mosquitto re-reads its certificates and CRL
//! and keeps every connection; used when a device is re-keyed, since the device itself moves
//! to its new certificate) and `restart` (used by the admin's `device revoke`: a revoked
//! device that is still connected must be cut off, and mosquitto has no way to drop one
//! client, so every client reconnects).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use super::ca::SERVICE_CLIENT_CN;
use super::files;
use crate::backend::BackendError;

/// The mosquitto binary used unless `IOTP_MOSQUITTO` names another.
pub const DEFAULT_MOSQUITTO: &str = "/usr/sbin/mosquitto";

/// A running mosquitto.
pub struct Broker {
    dir: PathBuf,
    port: u16,
    child: Mutex<Option<Child>>,
}

fn internal(what: &str, e: impl std::fmt::Display) -> BackendError {
    BackendError::Internal(format!("{what}: {e}"))
}

impl Broker {
    /// Writes the configuration and starts mosquitto on `bind:port`. The CA, server
    /// certificate/key and CRL must already be in `dir`.
    pub async fn start(dir: &Path, bind: &str, port: u16) -> Result<Self, BackendError> {
        write_config(dir, bind, port)?;
        stop_stale(dir).await;
        let broker = Self {
            dir: dir.to_owned(),
            port,
            child: Mutex::new(None),
        };
        broker.spawn().await?;
        Ok(broker)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    async fn spawn(&self) -> Result<(), BackendError> {
        let mut slot = self.child.lock().await;
        if let Some(mut old) = slot.take() {
            let _ = old.kill().await;
        }
        let bin = std::env::var("IOTP_MOSQUITTO").unwrap_or_else(|_| DEFAULT_MOSQUITTO.into());
        if !Path::new(&bin).exists() {
            return Err(BackendError::Internal(format!(
                "mosquitto not found at {bin}: install the 'mosquitto' package"
            )));
        }
        let log_path = self.dir.join("mosquitto.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| internal("opening mosquitto.log", e))?;
        let offset = log.metadata().map(|m| m.len()).unwrap_or(0);
        let log2 = log.try_clone().map_err(|e| internal("mosquitto.log", e))?;
        let child = Command::new(&bin)
            .arg("-c")
            .arg(self.dir.join("mosquitto.conf"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| internal("starting mosquitto", e))?;
        if let Some(pid) = child.id() {
            files::write_public(&self.dir.join(PID_FILE), pid.to_string().as_bytes())
                .map_err(|e| internal("writing mosquitto.pid", e))?;
        }
        *slot = Some(child);
        drop(slot);
        self.wait_ready(offset).await
    }

    /// Waits for mosquitto's "running" line (written once its listener is bound), so a port
    /// held by another process is reported instead of mistaken for ours.
    async fn wait_ready(&self, offset: u64) -> Result<(), BackendError> {
        let log = self.dir.join("mosquitto.log");
        for _ in 0..500 {
            if logged_since(&log, offset, " running") {
                return Ok(());
            }
            let mut slot = self.child.lock().await;
            if let Some(child) = slot.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(BackendError::Unavailable(format!(
                    "mosquitto exited ({status}); see {}",
                    log.display()
                )));
            }
            drop(slot);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(BackendError::Unavailable(
            "mosquitto did not start listening".into(),
        ))
    }

    /// SIGHUP, then wait until mosquitto has logged the reload: it reloads in its single
    /// event loop, so every handshake it processes after that line sees the new CRL.
    pub async fn reload(&self) -> Result<(), BackendError> {
        let log = self.dir.join("mosquitto.log");
        let before = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        {
            let slot = self.child.lock().await;
            let Some(pid) = slot.as_ref().and_then(|c| c.id()) else {
                return Err(BackendError::Unavailable("mosquitto is not running".into()));
            };
            // SAFETY: kill(2) on the pid of our own child, which we still hold.
            if unsafe { libc::kill(pid as i32, libc::SIGHUP) } != 0 {
                return Err(BackendError::Unavailable("mosquitto is not running".into()));
            }
        }
        for _ in 0..500 {
            if logged_since(&log, before, "Reloading config") {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err(BackendError::Unavailable(
            "mosquitto did not confirm the reload".into(),
        ))
    }

    /// Restarts mosquitto (drops every connection; see the module comment).
    pub async fn restart(&self) -> Result<(), BackendError> {
        self.spawn().await
    }

    /// Stops mosquitto.
    pub async fn stop(&self) {
        if let Some(mut c) = self.child.lock().await.take() {
            let _ = c.kill().await;
        }
    }
}

/// Where provisiond notes the pid of the mosquitto it started.
const PID_FILE: &str = "mosquitto.pid";

/// A provisiond that was killed (SIGKILL, OOM, power button of a VM) cannot stop its
/// mosquitto, which then keeps the MQTT port and would make the next start fail. Stop such a
/// leftover first. Only a live process whose command line is mosquitto with this data dir's
/// configuration is touched (pids are reused); elsewhere than Linux (no /proc) nothing is.
async fn stop_stale(dir: &Path) {
    let pid_file = dir.join(PID_FILE);
    let Some(pid) = std::fs::read_to_string(&pid_file)
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok())
    else {
        return;
    };
    let conf = dir.join("mosquitto.conf");
    let ours = || {
        std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
            let args: Vec<&[u8]> = c.split(|b| *b == 0).collect();
            args.first().is_some_and(|a| a.ends_with(b"mosquitto"))
                && args
                    .iter()
                    .any(|a| *a == conf.as_os_str().as_encoded_bytes())
        })
    };
    if ours() {
        tracing::warn!(
            pid,
            "stopping the mosquitto an earlier provisiond left running"
        );
        for signal in [libc::SIGTERM, libc::SIGKILL] {
            // SAFETY: kill(2) with a pid just checked to be our broker and a valid signal.
            unsafe { libc::kill(pid, signal) };
            for _ in 0..50 {
                if !ours() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if !ours() {
                break;
            }
        }
    }
    let _ = std::fs::remove_file(&pid_file);
}

/// Whether mosquitto logged `needle` after byte `offset` of its log.
fn logged_since(log: &Path, offset: u64, needle: &str) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(log) else {
        return false;
    };
    let mut tail = String::new();
    f.seek(SeekFrom::Start(offset)).is_ok()
        && f.read_to_string(&mut tail).is_ok()
        && tail.contains(needle)
}

/// The largest MQTT packet the broker accepts from anyone; a client sending a larger one is
/// disconnected and its message dropped, so no oversize message (retained or not) reaches
/// the service's watcher, which accepts up to [`super::mqtt_watch::MAX_INCOMING`].
pub const MAX_PACKET: usize = 16 * 1024;

fn write_config(dir: &Path, bind: &str, port: u16) -> Result<(), BackendError> {
    let d = dir.display();
    // The user name is the certificate's CN (use_identity_as_username) and becomes the client
    // id (use_username_as_clientid), so a device cannot take over another's session by
    // naming its client id; the service reads every hello; a device reads and writes only
    // under its own prefix.
    let acl = format!(
        "user {SERVICE_CLIENT_CN}\ntopic read devices/+/hello\n\npattern readwrite devices/%u/#\n"
    );
    let user = current_user();
    let conf = format!(
        "# Written by provisiond on every start; edits are lost.
per_listener_settings false
allow_anonymous false
persistence false
max_packet_size {MAX_PACKET}
user {user}
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
listener {port} {bind}
cafile {d}/ca.pem
certfile {d}/server.pem
keyfile {d}/server.key
crlfile {d}/crl.pem
require_certificate true
use_identity_as_username true
use_username_as_clientid true
tls_version tlsv1.2
acl_file {d}/mosquitto.acl
"
    );
    files::write_public(&dir.join("mosquitto.acl"), acl.as_bytes())
        .map_err(|e| internal("writing mosquitto.acl", e))?;
    files::write_public(&dir.join("mosquitto.conf"), conf.as_bytes())
        .map_err(|e| internal("writing mosquitto.conf", e))
}

/// mosquitto drops root to user `mosquitto` unless told otherwise, and then could not read
/// the server key (0600, ours): keep it as whoever runs provisiond.
fn current_user() -> String {
    // SAFETY: getpwuid returns a pointer to static storage or null; we copy out at once.
    unsafe {
        let pw = libc::getpwuid(libc::geteuid());
        if pw.is_null() {
            return "root".into();
        }
        std::ffi::CStr::from_ptr((*pw).pw_name)
            .to_string_lossy()
            .into_owned()
    }
}

/// A free TCP port on 127.0.0.1 (mosquitto cannot report the port it picked for 0).
pub fn free_port() -> Result<u16, BackendError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| internal("free port", e))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| internal("free port", e))
}
