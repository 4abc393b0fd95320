//! Server-side sign-out: when an account signs out (or resets its password), every ID token
//! issued to it until then stops working, not only its refresh tokens. The time of the last
//! sign-out per account (milliseconds) is kept in the database and in memory; the
//! authenticator refuses a token whose `auth_ms` is not after it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::params;

use super::db::{Db, db_err};
use crate::backend::BackendError;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The accounts' last sign-out times.
pub struct SignOuts {
    db: Arc<Db>,
    last: Mutex<HashMap<String, i64>>,
}

impl SignOuts {
    /// Loads the recorded sign-outs.
    pub fn load(db: Arc<Db>) -> Result<Self, BackendError> {
        let last = {
            let conn = db.conn();
            let mut stmt = conn
                .prepare("SELECT email, at_ms FROM sign_outs")
                .map_err(db_err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(db_err)?;
            rows.collect::<Result<HashMap<_, _>, _>>().map_err(db_err)?
        };
        Ok(Self {
            db,
            last: Mutex::new(last),
        })
    }

    /// Records that `email` signed out now: its tokens issued so far are void.
    pub fn record(&self, email: &str) -> Result<(), BackendError> {
        let at = now_ms();
        self.db
            .conn()
            .execute(
                "INSERT INTO sign_outs (email, at_ms) VALUES (?1, ?2)
                 ON CONFLICT(email) DO UPDATE SET at_ms = MAX(at_ms, ?2)",
                params![email, at],
            )
            .map_err(db_err)?;
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let entry = last.entry(email.to_owned()).or_insert(at);
        *entry = (*entry).max(at);
        Ok(())
    }

    /// Whether a token of `email` issued at `auth_ms` is void.
    pub fn voids(&self, email: &str, auth_ms: i64) -> bool {
        self.last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(email)
            .is_some_and(|at| auth_ms <= *at)
    }
}
