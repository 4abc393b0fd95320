//! The one writer of `DIR/crl.pem` while `provisiond serve` runs: a task that rebuilds the
//! CRL from the database and makes the broker apply it. Revocations are coalesced: a request
//! that arrives while the task is idle is published at once; requests that arrive while it is
//! busy (or within [`MIN_INTERVAL`] of the last publication) share the next one. The CRL is
//! also renewed every quarter of its validity, so it never expires while the server runs. A
//! failed publication is logged, reported to whoever waits for it, and retried.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::authority::publish_crl;
use super::broker::Broker;
use super::ca::LocalCa;
use super::db::Db;
use crate::backend::BackendError;

/// The CRL's validity unless `PROVISIOND_CRL_VALIDITY_SECS` says otherwise.
pub const DEFAULT_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);

/// Least time between two publications under load (each one signs every revoked serial).
pub const MIN_INTERVAL: Duration = Duration::from_millis(200);

/// How long a revoking request waits for the CRL that lists it before answering anyway.
pub const WAIT: Duration = Duration::from_secs(5);

/// How soon a failed publication is tried again.
const RETRY: Duration = Duration::from_secs(1);

/// How the broker applies a new CRL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    /// SIGHUP: connections stay (a re-keyed device moves to its new certificate itself).
    Reload,
    /// Restart: every connection drops, so a revoked device still connected is cut off.
    Restart,
}

struct Request {
    apply: Apply,
    done: Option<oneshot::Sender<Result<(), BackendError>>>,
}

/// Handle to the publisher task.
#[derive(Clone)]
pub struct CrlPublisher {
    tx: mpsc::UnboundedSender<Request>,
}

/// What the task needs.
pub struct CrlSource {
    /// The database holding the revocations.
    pub db: Arc<Db>,
    /// The CA that signs the CRL.
    pub ca: Arc<LocalCa>,
    /// The data directory (`crl.pem`).
    pub dir: PathBuf,
    /// The CRL's validity.
    pub validity: Duration,
}

/// The validity from `PROVISIOND_CRL_VALIDITY_SECS` (tests shorten it), else the default.
pub fn validity_from_env() -> Duration {
    std::env::var("PROVISIOND_CRL_VALIDITY_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s >= 4)
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_VALIDITY)
}

impl CrlPublisher {
    /// Starts the task; it ends when every handle is dropped.
    pub fn spawn(source: CrlSource, broker: Arc<Broker>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(source, broker, rx));
        Self { tx }
    }

    /// Asks for a new CRL and waits (at most [`WAIT`]) until the broker applies it.
    pub async fn publish(&self, apply: Apply) -> Result<(), BackendError> {
        let (done, answer) = oneshot::channel();
        self.tx
            .send(Request {
                apply,
                done: Some(done),
            })
            .map_err(|_| BackendError::Unavailable("the CRL publisher stopped".into()))?;
        match tokio::time::timeout(WAIT, answer).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(BackendError::Unavailable(
                "the CRL publisher stopped".into(),
            )),
            Err(_) => Err(BackendError::Unavailable(
                "the CRL is not applied yet; it will be".into(),
            )),
        }
    }
}

async fn run(source: CrlSource, broker: Arc<Broker>, mut rx: mpsc::UnboundedReceiver<Request>) {
    let renew = source.validity / 4;
    let mut last = Instant::now();
    // A publication that failed and must be tried again, and how.
    let mut failed: Option<Apply> = None;
    loop {
        let wait = if failed.is_some() { RETRY } else { renew };
        let first = tokio::select! {
            r = rx.recv() => match r {
                Some(r) => Some(r),
                None => return,
            },
            _ = tokio::time::sleep(wait) => None,
        };
        // Under load, let revocations gather for one publication.
        let since = last.elapsed();
        if first.is_some() && since < MIN_INTERVAL {
            tokio::time::sleep(MIN_INTERVAL - since).await;
        }
        let mut waiters = Vec::new();
        let mut apply = failed.take().unwrap_or(Apply::Reload);
        for r in first
            .into_iter()
            .chain(std::iter::from_fn(|| rx.try_recv().ok()))
        {
            if r.apply == Apply::Restart {
                apply = Apply::Restart;
            }
            waiters.extend(r.done);
        }
        last = Instant::now();
        let result = publish_once(&source, &broker, apply).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, "publishing the CRL failed; trying again");
            failed = Some(apply);
        }
        for w in waiters {
            let _ = w.send(result.clone());
        }
    }
}

async fn publish_once(
    source: &CrlSource,
    broker: &Broker,
    apply: Apply,
) -> Result<(), BackendError> {
    let (db, ca, dir, validity) = (
        source.db.clone(),
        source.ca.clone(),
        source.dir.clone(),
        source.validity,
    );
    // Signing a long CRL and fsyncing it is blocking work.
    tokio::task::spawn_blocking(move || publish_crl(&db, &ca, &dir, validity))
        .await
        .map_err(|e| BackendError::Internal(format!("CRL task: {e}")))??;
    match apply {
        Apply::Reload => broker.reload().await,
        Apply::Restart => broker.restart().await,
    }
}
