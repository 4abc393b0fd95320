//! The SQLite database of `provisiond`: serials/devices, certificates, users, refresh tokens.
//! WAL mode with `synchronous=NORMAL`: a committed provisioning survives any crash or restart
//! of the process (including SIGKILL); only a power loss or kernel crash can roll back the last
//! commits. FULL would fsync on every commit and cap provisioning at a few hundred per second.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

use crate::backend::BackendError;

/// One connection behind a mutex: every statement is short, and a single writer is what
/// SQLite wants anyway. The admin CLI opens its own connection to the same file.
pub struct Db {
    conn: Mutex<Connection>,
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
    /// Opens (creating if needed) `DIR/provisiond.db`, file mode 0600.
    pub fn open(dir: &Path) -> Result<Self, BackendError> {
        let path = dir.join("provisiond.db");
        let conn = Connection::open(&path).map_err(db_err)?;
        super::files::restrict(&path).map_err(|e| BackendError::Internal(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(db_err)?;
        conn.execute_batch(SCHEMA).map_err(db_err)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
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

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
