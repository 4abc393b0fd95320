//! The SQLite database of `provisiond`: serials/devices, certificates, users, refresh tokens,
//! and the audit log ([`super::audit`]).
//! WAL mode with `synchronous=FULL`: a write is on disk (fsynced) before its caller is
//! answered, so a power loss right after a 200 never loses a certificate a device holds.
//! To keep the speed, writes go through one writer thread that batches the requests waiting
//! at that moment (up to [`MAX_BATCH`]) into one transaction and one fsync (group commit),
//! and answers each only after its batch is durable. Each request runs in its own savepoint,
//! so one failing request rolls back alone.
//!
//! `PROVISIOND_SQLITE_SYNCHRONOUS=normal` drops the fsync per commit: a test-only switch, for
//! a power-loss test to show that NORMAL loses acknowledged certificates.

use std::path::Path;
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

use crate::backend::BackendError;

/// Most write requests committed by one transaction.
pub const MAX_BATCH: usize = 512;

type Finish = Box<dyn FnOnce(Result<(), BackendError>) + Send>;
/// A write request: runs on the writer's connection inside the batch's transaction, returns
/// whether it succeeded (false rolls back its savepoint) and how to answer once committed.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Finish) + Send>;

/// A read connection behind a mutex, plus the group-commit writer. The admin CLI opens its
/// own `Db` on the same file; SQLite's locking serialises the two writers.
pub struct Db {
    conn: Mutex<Connection>,
    writer: mpsc::Sender<Job>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS devices (
    sn TEXT PRIMARY KEY,
    owner TEXT,
    certificate_id TEXT,
    lease TEXT,
    lease_until INTEGER,
    last_seen INTEGER,
    added_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS certificates (
    id TEXT PRIMARY KEY,
    sn TEXT NOT NULL,
    serial_hex TEXT NOT NULL,
    pem TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    issued_at INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS certificates_sn ON certificates (sn);
CREATE TABLE IF NOT EXISTS users (
    email TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 0,
    code TEXT,
    code_expires INTEGER,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
    key TEXT PRIMARY KEY,
    n INTEGER NOT NULL,
    since INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sign_outs (
    email TEXT PRIMARY KEY,
    at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
";

/// Maps a SQLite error into the back-end error (no SQL text with user data in it).
pub fn db_err(e: rusqlite::Error) -> BackendError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            BackendError::Unavailable("database busy".into())
        }
        other => BackendError::Internal(format!("database: {other}")),
    }
}

impl Db {
    /// Opens (creating if needed) `DIR/provisiond.db`, file mode 0600, and starts its writer.
    pub fn open(dir: &Path) -> Result<Self, BackendError> {
        let path = dir.join("provisiond.db");
        let conn = open_conn(&path)?;
        super::files::restrict(&path).map_err(|e| BackendError::Internal(e.to_string()))?;
        conn.execute_batch(SCHEMA).map_err(db_err)?;
        conn.execute_batch(super::audit::SCHEMA).map_err(db_err)?;
        let wconn = open_conn(&path)?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(wconn, rx))
            .map_err(|e| BackendError::Internal(format!("starting the database writer: {e}")))?;
        Ok(Self {
            conn: Mutex::new(conn),
            writer: tx,
        })
    }

    /// Runs `f` in the next group commit and returns its result once the batch holding it is
    /// durable. An `Err` from `f` rolls back only `f`'s own changes.
    pub async fn write<T, F>(&self, f: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, BackendError> + Send + 'static,
    {
        let (done, answer) = tokio::sync::oneshot::channel::<Result<T, BackendError>>();
        let job: Job = Box::new(move |conn| {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)))
                .unwrap_or_else(|_| {
                    Err(BackendError::Internal("a database write panicked".into()))
                });
            let ok = result.is_ok();
            let finish: Finish = Box::new(move |committed| {
                let _ = done.send(committed.and(result));
            });
            (ok, finish)
        });
        self.writer
            .send(job)
            .map_err(|_| BackendError::Internal("the database writer stopped".into()))?;
        answer
            .await
            .map_err(|_| BackendError::Internal("the database writer stopped".into()))?
    }

    /// Ends every provisioning lease (only at server start, when none can be in flight).
    /// Returns how many there were.
    pub fn clear_leases(&self) -> Result<usize, BackendError> {
        self.conn()
            .execute(
                "UPDATE devices SET lease = NULL, lease_until = NULL WHERE lease IS NOT NULL",
                [],
            )
            .map_err(db_err)
    }

    /// The connection (a poisoned lock only means another thread panicked mid-statement;
    /// SQLite's own transaction rolled back, so the connection is still consistent).
    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Increments and returns a named counter (CRL numbers).
    pub fn next_counter(&self, key: &str) -> Result<i64, BackendError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, 1)
             ON CONFLICT(key) DO UPDATE SET value = value + 1",
            params![key],
        )
        .map_err(db_err)?;
        conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()
        .map_err(db_err)?
        .ok_or_else(|| BackendError::Internal("counter vanished".into()))
    }
}

fn open_conn(path: &Path) -> Result<Connection, BackendError> {
    let conn = Connection::open(path).map_err(db_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(db_err)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(db_err)?;
    let sync = match std::env::var("PROVISIOND_SQLITE_SYNCHRONOUS").as_deref() {
        Ok("normal") => "NORMAL",
        _ => "FULL",
    };
    conn.pragma_update(None, "synchronous", sync)
        .map_err(db_err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(db_err)?;
    Ok(conn)
}

/// The writer thread: waits for one request, takes every other one already waiting (up to
/// [`MAX_BATCH`]), runs them in one IMMEDIATE transaction, commits (one fsync), then answers.
/// Ends when every `Db` handle is dropped.
fn writer_loop(conn: Connection, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // The jobs are dropped unrun: each caller gets an error, nothing was written.
            tracing::error!(error = %db_err(e), "could not begin a database write");
            continue;
        }
        let mut finishes = Vec::with_capacity(batch.len());
        for job in batch {
            let step = conn.execute_batch("SAVEPOINT job");
            let (ok, finish) = job(&conn);
            if step.is_ok() {
                if !ok {
                    let _ = conn.execute_batch("ROLLBACK TO job");
                }
                let _ = conn.execute_batch("RELEASE job");
            }
            finishes.push(finish);
        }
        let committed = conn.execute_batch("COMMIT").map_err(db_err);
        if committed.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for finish in finishes {
            finish(committed.clone());
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
