//! `provisiond serve`: open the data directory, start mosquitto and the HTTPS API, print the
//! JSON ready line, then run until SIGINT/SIGTERM. SIGHUP (sent by `device revoke`) rewrites
//! the CRL and makes the broker apply it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

use super::accounts::LocalAccounts;
use super::authority::{BrokerAddr, LocalAuthority, publish_crl};
use super::broker::{Broker, free_port};
use super::ca::{LocalCa, SERVICE_CLIENT_CN};
use super::conn_limits::ConnLimits;
use super::crl::{self, Apply, CrlPublisher, CrlSource};
use super::db::Db;
use super::files;
use super::hash_pool::HashPoolSize;
use super::jwt::{JwtAuthenticator, JwtKeys};
use super::rate_limit::{FORGET_EVERY, Limiter, RateLimits, rate_limit};
use super::sign_outs::SignOuts;
use super::store::SqliteStore;
use super::{mqtt_watch, pid_file, tls};
use crate::backend::{BackendError, BrokerInfo};
use crate::router::{AppState, router};

/// Options of `provisiond serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Data directory (database, CA, keys, broker files).
    pub data_dir: PathBuf,
    /// HTTPS address; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Address mosquitto binds.
    pub mqtt_bind: String,
    /// MQTT port; 0 picks a free port.
    pub mqtt_port: u16,
    /// Host name or IP devices and apps use to reach this machine (in certificates and in
    /// `mqttHost`).
    pub public_host: String,
    /// Connection caps and timers of the HTTPS API.
    pub limits: ConnLimits,
    /// Request rates per IP address and per account.
    pub rates: RateLimits,
    /// Size of the password-hashing pool.
    pub hash_pool: HashPoolSize,
}

/// The JSON ready line printed on stdout once everything listens.
#[derive(Debug, Serialize)]
pub struct Ready {
    /// Base URL of the API.
    pub api: String,
    /// Path of the CA certificate the app and devices trust.
    pub ca: String,
    /// host:port of the MQTT broker.
    pub mqtt: String,
}

/// Everything opened from the data directory, shared by `serve` and the admin commands.
pub struct DataDir {
    /// The directory.
    pub dir: PathBuf,
    /// The database.
    pub db: Arc<Db>,
    /// The CA.
    pub ca: Arc<LocalCa>,
}

impl DataDir {
    /// Opens (creating on first use) the data directory, mode 0700; an empty directory made
    /// by someone else's `mkdir` is restricted to 0700 as if we had made it. A directory with
    /// content, or a secret file, that other users can reach, or that another user owns, is
    /// refused.
    pub fn open(dir: &Path) -> Result<Self, BackendError> {
        use std::os::unix::fs::DirBuilderExt;
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| BackendError::Internal(format!("creating {}: {e}", dir.display())))?;
        }
        files::tighten_if_empty(dir)
            .map_err(|e| BackendError::Internal(format!("{}: {e}", dir.display())))?;
        files::check_private(dir).map_err(BackendError::Internal)?;
        let db = Arc::new(Db::open(dir)?);
        let ca = Arc::new(LocalCa::load_or_create(dir)?);
        Ok(Self {
            dir: dir.to_owned(),
            db,
            ca,
        })
    }
}

/// Runs the server until a termination signal.
pub async fn serve(opts: ServeOptions) -> anyhow::Result<()> {
    let data = DataDir::open(&opts.data_dir)?;
    let dir = data.dir.clone();
    // One server per data directory; held (by the open file) until the process ends.
    let _lock = lock_data_dir(&dir)?;
    // No provisioning is in flight when the server starts: leases left by a crash would only
    // refuse the device's next re-key until they expire.
    let cleared = data.db.clear_leases()?;
    if cleared > 0 {
        tracing::warn!(
            cleared,
            "cleared provisioning leases left by an earlier run"
        );
    }
    let keys = Arc::new(JwtKeys::load_or_create(&dir)?);

    // A fresh server key on every start: nothing to rotate, nothing stale.
    let server_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut hosts = vec![
        opts.public_host.clone(),
        "127.0.0.1".into(),
        "localhost".into(),
    ];
    hosts.dedup();
    let server_cert = data.ca.sign_server(&hosts, &server_key)?;
    files::write_public(&dir.join("server.pem"), server_cert.pem.as_bytes())?;
    files::write_secret(
        &dir.join("server.key"),
        server_key.serialize_pem().as_bytes(),
    )?;
    let crl_validity = crl::validity_from_env();
    publish_crl(&data.db, &data.ca, &dir, crl_validity)?;

    let broker = Arc::new(start_broker(&dir, &opts).await?);
    let crl = CrlPublisher::spawn(
        CrlSource {
            db: data.db.clone(),
            ca: data.ca.clone(),
            dir: dir.clone(),
            validity: crl_validity,
        },
        broker.clone(),
    );
    let mqtt_port = broker.port();

    let store = SqliteStore::new(data.db.clone());
    let service_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let service_cert = data.ca.sign_device(SERVICE_CLIENT_CN, &service_key)?;
    let mqtt_tls = tls::client_config(
        tls::pem_der(&data.ca.ca_pem)?,
        service_cert.der.clone(),
        service_key.serialize_der(),
    )?;
    let (watcher, subscribed) =
        mqtt_watch::spawn(store.clone(), "127.0.0.1".into(), mqtt_port, mqtt_tls);
    if tokio::time::timeout(std::time::Duration::from_secs(15), subscribed)
        .await
        .is_err()
    {
        tracing::warn!("the hello subscription is not confirmed yet; last_seen may lag");
    }

    let info = BrokerInfo {
        host: opts.public_host.clone(),
        port: mqtt_port,
        ca_pem: data.ca.ca_pem.clone(),
    };
    let authority = LocalAuthority::new(
        data.ca.clone(),
        data.db.clone(),
        crl.clone(),
        info,
        BrokerAddr {
            host: "127.0.0.1".into(),
            port: mqtt_port,
        },
    );
    let sign_outs = Arc::new(SignOuts::load(data.db.clone())?);
    let authenticator = Arc::new(JwtAuthenticator::with_sign_outs(
        keys.clone(),
        sign_outs.clone(),
    ));
    let mut state = AppState::new(
        Arc::new(store),
        Arc::new(authority),
        authenticator.clone(),
        Some(Arc::new(
            LocalAccounts::with_pool(data.db.clone(), keys, opts.hash_pool)
                .voiding_tokens_in(sign_outs),
        )),
    );
    if let Some(secs) = lease_secs_from_env() {
        state.service = state.service.with_lease_secs(secs);
    }
    let limiter = Limiter::new(opts.rates, authenticator);
    let forget = {
        let limiter = limiter.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(FORGET_EVERY);
            loop {
                every.tick().await;
                limiter.forget_idle();
            }
        })
    };
    let app = router(state).layer(axum::middleware::from_fn_with_state(limiter, rate_limit));
    let app = with_deadlines(app, opts.limits);
    let listener = TcpListener::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    let https = tls::server_config(server_cert.der.clone(), server_key.serialize_der())?;
    let server = tokio::spawn(tls::serve(listener, https, app, opts.limits));

    pid_file::write(&dir)?;
    let api_host = if addr.ip().is_unspecified() {
        opts.public_host.clone()
    } else {
        addr.ip().to_string()
    };
    let ready = Ready {
        api: format!("https://{api_host}:{}", addr.port()),
        ca: dir.join("ca.pem").display().to_string(),
        mqtt: format!("{}:{mqtt_port}", opts.public_host),
    };
    println!("{}", serde_json::to_string(&ready)?);
    use std::io::Write;
    std::io::stdout().flush()?;
    tracing::info!(api = %ready.api, mqtt = %ready.mqtt, "provisiond ready");

    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                // An admin revocation: cut off a revoked device that is still connected.
                if let Err(e) = crl.publish(Apply::Restart).await {
                    tracing::error!(error = %e, "applying the CRL failed");
                }
            }
        }
    }
    server.abort();
    forget.abort();
    watcher.abort();
    broker.stop().await;
    pid_file::remove(&dir);
    tracing::info!("provisiond stopped");
    Ok(())
}

/// Bounds how long one request may take: the body must keep arriving (no gap longer than the
/// head timeout, tower-http's body timeout) and the whole request must be answered within
/// `request_timeout`, else 503 `unavailable` with `Retry-After`, so a client trickling its body
/// holds its connection for a bounded time only.
fn with_deadlines(app: axum::Router, limits: ConnLimits) -> axum::Router {
    let total = limits.request_timeout;
    app.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| async move {
            use axum::response::IntoResponse;
            match tokio::time::timeout(total, next.run(req)).await {
                Ok(response) => response,
                Err(_) => crate::error::ApiError::new(
                    crate::error::ErrorCode::Unavailable,
                    "the request took too long",
                )
                .with_retry_after(1)
                .into_response(),
            }
        },
    ))
    .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        limits.header_timeout,
    ))
}

/// `PROVISIOND_LEASE_SECS`: a shorter provisioning lease than the default 60 s, so a test can
/// make a request outlive its lease (tests/rekey_order.rs). Not an option of `serve`.
fn lease_secs_from_env() -> Option<u64> {
    std::env::var("PROVISIOND_LEASE_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s >= 1)
}

/// Takes `DIR/provisiond.lock` (flock, exclusive, non-blocking); the lock lasts as long as
/// the returned file is open, so a killed server never leaves it behind.
fn lock_data_dir(dir: &Path) -> anyhow::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("provisiond.lock"))?;
    // SAFETY: flock(2) on a descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        anyhow::bail!(
            "another provisiond serve is running on {} (it holds provisiond.lock)",
            dir.display()
        );
    }
    Ok(file)
}

/// Starts mosquitto; with port 0, on a free port, trying again on another one if the port was
/// taken between our probe and mosquitto's bind (parallel servers in tests do that).
async fn start_broker(dir: &Path, opts: &ServeOptions) -> Result<Broker, BackendError> {
    if opts.mqtt_port != 0 {
        return Broker::start(dir, &opts.mqtt_bind, opts.mqtt_port).await;
    }
    let mut last = None;
    for _ in 0..5 {
        match Broker::start(dir, &opts.mqtt_bind, free_port()?).await {
            Ok(b) => return Ok(b),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| BackendError::Unavailable("mosquitto did not start".into())))
}

/// Tells a running `provisiond serve` on `dir` to re-read revocations (SIGHUP).
/// Returns false when none is running, or the pid file names a process that is not it.
pub fn signal_running_server(dir: &Path) -> bool {
    let Some(pid) = pid_file::running_server(dir) else {
        return false;
    };
    // SAFETY: kill(2) on a pid just checked to be a live provisiond (start time + executable).
    unsafe { libc::kill(pid, libc::SIGHUP) == 0 }
}
