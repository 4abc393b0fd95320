//! Self-hosted accounts: argon2id password hashes (in a bounded pool), a one-time code of 8
//! digits valid 15 minutes and good for 5 tries, shown by the admin command `provisiond user
//! code EMAIL` (never logged), ES256 ID tokens, hashed refresh tokens, and a per-account limit
//! on sign-in attempts counted atomically in the database.

use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use super::audit;
use super::ca::hex;
use super::db::{Db, db_err, now_secs};
use super::hash_pool::{Admitted, HashPool, HashPoolSize};
use super::jwt::{ID_TOKEN_SECS, JwtKeys};
use super::random;
use super::sign_outs::SignOuts;
use crate::accounts::Accounts;
use crate::audit::{Event, SignInFailure};
use crate::dto::Tokens;
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;

/// Sign-in attempts allowed per account within [`WINDOW`] (a success starts the count again).
pub const MAX_FAILURES: u32 = 5;
/// The rate-limit window.
pub const WINDOW: Duration = Duration::from_secs(300);
/// Digits of a confirmation or reset code.
pub const CODE_DIGITS: u32 = 8;
/// Lifetime of a code.
pub const CODE_SECS: i64 = 15 * 60;
/// Wrong entries a code survives; the next one erases it.
pub const CODE_TRIES: u32 = 5;
const REFRESH_SECS: i64 = 30 * 24 * 3600;

/// The account service.
pub struct LocalAccounts {
    db: Arc<Db>,
    keys: Arc<JwtKeys>,
    pool: HashPool,
    sign_outs: Option<Arc<SignOuts>>,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::Internal, e.to_string())
}

/// Normalizes and checks an e-mail address (lower case; one '@'; no spaces; <= 254 chars).
pub fn normalize_email(email: &str) -> Result<String, ApiError> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split('@').count() == 2
        && e.split('@').all(|p| !p.is_empty())
        && e.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(e)
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidEmail,
            "this is not an e-mail address",
        ))
    }
}

fn check_password(p: &str) -> Result<(), ApiError> {
    let n = p.chars().count();
    if (8..=256).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::WeakPassword,
            "a password has 8 to 256 characters",
        ))
    }
}

fn sha256_hex(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

/// Argon2id with the crate's default (OWASP) cost, in the bounded pool.
async fn hash_password(
    pool: &HashPool,
    place: Admitted,
    password: String,
) -> Result<String, ApiError> {
    pool.run(place, move || {
        let mut salt = [0u8; 16];
        random::fill(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(internal)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(internal)
    })
    .await?
}

async fn verify_password(
    pool: &HashPool,
    place: Admitted,
    password: String,
    hash: String,
) -> Result<bool, ApiError> {
    pool.run(place, move || {
        // An unreadable stored hash is a failed sign-in, not a server error.
        Ok(PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        }))
    })
    .await?
}

/// A hash verified when the account does not exist, so timing does not reveal whether it does.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        SaltString::encode_b64(b"no-such-account!")
            .ok()
            .and_then(|salt| {
                Argon2::default()
                    .hash_password(b"no such account", &salt)
                    .ok()
                    .map(|h| h.to_string())
            })
            .unwrap_or_default()
    })
}

impl LocalAccounts {
    /// Builds the service with a password-hashing pool sized for this machine.
    pub fn new(db: Arc<Db>, keys: Arc<JwtKeys>) -> Self {
        Self::with_pool(db, keys, HashPoolSize::default())
    }

    /// Builds the service with a password-hashing pool of `size`.
    pub fn with_pool(db: Arc<Db>, keys: Arc<JwtKeys>, size: HashPoolSize) -> Self {
        Self {
            db,
            keys,
            pool: HashPool::new(size),
            sign_outs: None,
        }
    }

    /// Also voids every ID token of an account when it signs out or resets its password.
    pub fn voiding_tokens_in(mut self, sign_outs: Arc<SignOuts>) -> Self {
        self.sign_outs = Some(sign_outs);
        self
    }

    fn void_tokens(&self, email: &str) -> Result<(), ApiError> {
        if let Some(s) = &self.sign_outs {
            s.record(email)?;
        }
        Ok(())
    }

    /// Runs `change` and appends `event` in one IMMEDIATE transaction: both commit, or
    /// neither.
    fn write_audited(
        &self,
        event: &Event,
        change: impl FnOnce(&rusqlite::Connection) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let mut conn = self.db.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| ApiError::from(db_err(e)))?;
        change(&tx)?;
        audit::append(&tx, event)?;
        tx.commit().map_err(|e| ApiError::from(db_err(e)))
    }

    /// Whether an account with this (normalized) address exists.
    fn user_exists(&self, email: &str) -> Result<bool, ApiError> {
        Ok(self
            .db
            .conn()
            .query_row(
                "SELECT 1 FROM users WHERE email = ?1",
                params![email],
                |_| Ok(()),
            )
            .optional()
            .map_err(|e| ApiError::from(db_err(e)))?
            .is_some())
    }

    /// Records a refused sign-in; the address only if it names an account.
    fn audit_sign_in_failure(
        &self,
        email: &str,
        account_exists: bool,
        why: SignInFailure,
    ) -> Result<(), ApiError> {
        audit::record(
            &self.db,
            &Event::sign_in_failed(account_exists.then_some(email), why),
        )?;
        Ok(())
    }

    /// Counts one attempt under `key` before it is checked, in one SQL statement, so parallel
    /// attempts each get their own number and no more than [`MAX_FAILURES`] per window are
    /// ever checked. Over the limit: 429 with `Retry-After` until the window ends.
    fn reserve_attempt(&self, key: &str) -> Result<(), ApiError> {
        let now = now_secs();
        let window = WINDOW.as_secs() as i64;
        let (n, since): (i64, i64) = self
            .db
            .conn()
            .query_row(
                "INSERT INTO attempts (key, n, since) VALUES (?1, 1, ?2)
                 ON CONFLICT(key) DO UPDATE SET
                   n = CASE WHEN since <= ?2 - ?3 THEN 1 ELSE n + 1 END,
                   since = CASE WHEN since <= ?2 - ?3 THEN ?2 ELSE since END
                 RETURNING n, since",
                params![key, now, window],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| ApiError::from(db_err(e)))?;
        if n > i64::from(MAX_FAILURES) {
            let wait = (since + window - now).max(1) as u64;
            return Err(ApiError::new(
                ErrorCode::TooManyAttempts,
                "too many failed attempts for this account; wait a few minutes",
            )
            .with_retry_after(wait));
        }
        Ok(())
    }

    /// Clears the attempts counted under `key` (a success).
    fn clear_attempts(&self, key: &str) -> Result<(), ApiError> {
        self.db
            .conn()
            .execute("DELETE FROM attempts WHERE key = ?1", params![key])
            .map_err(|e| ApiError::from(db_err(e)))?;
        Ok(())
    }

    fn tokens(&self, email: &str, refresh: Option<String>) -> Result<Tokens, ApiError> {
        let now = now_secs();
        let id_token = self.keys.sign(email, now)?;
        let refresh_token = match refresh {
            Some(r) => r,
            None => {
                let r = random::token(32);
                self.db
                    .conn()
                    .execute(
                        "INSERT INTO refresh_tokens (hash, email, expires) VALUES (?1, ?2, ?3)",
                        params![sha256_hex(&r), email, now + REFRESH_SECS],
                    )
                    .map_err(|e| ApiError::from(db_err(e)))?;
                r
            }
        };
        Ok(Tokens {
            id_token,
            refresh_token,
            expires_in: ID_TOKEN_SECS,
        })
    }

    /// The pending confirmation or password-reset code of an account (admin command), if any.
    pub fn pending_code(&self, email: &str) -> Result<Option<String>, ApiError> {
        let email = normalize_email(email)?;
        let row: Option<(Option<String>, Option<i64>, bool)> = self
            .db
            .conn()
            .query_row(
                "SELECT code, code_expires, confirmed FROM users WHERE email = ?1",
                params![email],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| ApiError::from(db_err(e)))?;
        Ok(match row {
            Some((Some(code), Some(exp), _)) if exp > now_secs() => Some(code),
            _ => None,
        })
    }

    /// Checks `code` against the account's pending code (constant-time comparison). Every
    /// wrong entry is counted in the database; the [`CODE_TRIES`]th wrong one erases the code,
    /// so a new one must be asked for (and that is rate-limited).
    fn check_code(&self, email: &str, code: &str) -> Result<(), ApiError> {
        use subtle::ConstantTimeEq;
        let key = format!("code:{email}");
        let pending = self.pending_code(email)?;
        let matches = pending
            .as_deref()
            .is_some_and(|p| bool::from(p.as_bytes().ct_eq(code.as_bytes())));
        if matches {
            return self.clear_attempts(&key);
        }
        if pending.is_some() {
            let tries: i64 = self
                .db
                .conn()
                .query_row(
                    "INSERT INTO attempts (key, n, since) VALUES (?1, 1, ?2)
                     ON CONFLICT(key) DO UPDATE SET n = n + 1 RETURNING n",
                    params![key, now_secs()],
                    |r| r.get(0),
                )
                .map_err(|e| ApiError::from(db_err(e)))?;
            if tries >= i64::from(CODE_TRIES) {
                self.db
                    .conn()
                    .execute(
                        "UPDATE users SET code = NULL, code_expires = NULL WHERE email = ?1",
                        params![email],
                    )
                    .map_err(|e| ApiError::from(db_err(e)))?;
                self.clear_attempts(&key)?;
            }
        }
        Err(ApiError::new(
            ErrorCode::InvalidCode,
            "wrong or expired code; after 5 wrong entries a new code must be requested",
        ))
    }

    /// Stores a fresh code for an existing account (`only_unconfirmed`: confirmation codes).
    fn new_code(&self, email: &str, only_unconfirmed: bool) -> Result<(), ApiError> {
        let email = normalize_email(email)?;
        let sql = if only_unconfirmed {
            "UPDATE users SET code = ?2, code_expires = ?3 WHERE email = ?1 AND confirmed = 0"
        } else {
            "UPDATE users SET code = ?2, code_expires = ?3 WHERE email = ?1"
        };
        let n = self
            .db
            .conn()
            .execute(
                sql,
                params![email, random::digits(CODE_DIGITS), now_secs() + CODE_SECS],
            )
            .map_err(|e| ApiError::from(db_err(e)))?;
        if n == 1 {
            self.clear_attempts(&format!("code:{email}"))?;
            tracing::info!(%email, "new code; `provisiond user code EMAIL` shows it");
        }
        Ok(())
    }

    /// Every account: (email, confirmed).
    pub fn list(&self) -> Result<Vec<(String, bool)>, ApiError> {
        let conn = self.db.conn();
        let mut stmt = conn
            .prepare("SELECT email, confirmed FROM users ORDER BY email")
            .map_err(|e| ApiError::from(db_err(e)))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| ApiError::from(db_err(e)))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| ApiError::from(db_err(e)))
    }
}

#[async_trait]
impl Accounts for LocalAccounts {
    async fn sign_up(&self, email: &str, password: &str) -> Result<(), ApiError> {
        let email = normalize_email(email)?;
        check_password(password)?;
        let exists: bool = self.user_exists(&email)?;
        if exists {
            return Err(ApiError::new(
                ErrorCode::AccountExists,
                "this e-mail address already has an account",
            ));
        }
        let place = self.pool.admit()?;
        let hash = hash_password(&self.pool, place, password.to_owned()).await?;
        let code = random::digits(CODE_DIGITS);
        self.write_audited(&Event::sign_up(&email), |tx| {
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO users (email, password_hash, confirmed, code, code_expires, created_at)
                     VALUES (?1, ?2, 0, ?3, ?4, ?5)",
                    params![email, hash, code, now_secs() + CODE_SECS, now_secs()],
                )
                .map_err(|e| ApiError::from(db_err(e)))?;
            if n == 0 {
                return Err(ApiError::new(
                    ErrorCode::AccountExists,
                    "this e-mail address already has an account",
                ));
            }
            Ok(())
        })?;
        tracing::info!(%email, "account created; `provisiond user code EMAIL` shows its confirmation code");
        Ok(())
    }

    async fn confirm(&self, email: &str, code: &str) -> Result<(), ApiError> {
        let email = normalize_email(email)?;
        self.check_code(&email, code)?;
        self.write_audited(&Event::confirm(&email), |tx| {
            tx.execute(
                "UPDATE users SET confirmed = 1, code = NULL, code_expires = NULL WHERE email = ?1",
                params![email],
            )
            .map_err(|e| ApiError::from(db_err(e)))?;
            Ok(())
        })
    }

    async fn sign_in(&self, email: &str, password: &str) -> Result<Tokens, ApiError> {
        let email = normalize_email(email).map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidCredentials,
                "wrong e-mail address or password",
            )
        })?;
        let key = format!("signin:{email}");
        // A place in the hashing pool first: a shed request counts no attempt.
        let place = self.pool.admit()?;
        if let Err(e) = self.reserve_attempt(&key) {
            if e.code == ErrorCode::TooManyAttempts {
                let exists = self.user_exists(&email)?;
                self.audit_sign_in_failure(&email, exists, SignInFailure::LockedOut)?;
            }
            return Err(e);
        }
        let row: Option<(String, bool)> = self
            .db
            .conn()
            .query_row(
                "SELECT password_hash, confirmed FROM users WHERE email = ?1",
                params![email],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| ApiError::from(db_err(e)))?;
        let (hash, confirmed) = row.clone().unwrap_or((dummy_hash().to_owned(), false));
        let ok =
            verify_password(&self.pool, place, password.to_owned(), hash).await? && row.is_some();
        if !ok {
            let why = match row {
                Some(_) => SignInFailure::WrongPassword,
                None => SignInFailure::UnknownAccount,
            };
            self.audit_sign_in_failure(&email, row.is_some(), why)?;
            return Err(ApiError::new(
                ErrorCode::InvalidCredentials,
                "wrong e-mail address or password",
            ));
        }
        self.clear_attempts(&key)?;
        if !confirmed {
            return Err(ApiError::new(
                ErrorCode::AccountNotConfirmed,
                "the account is not confirmed yet; its code is shown by `provisiond user code EMAIL`",
            ));
        }
        self.tokens(&email, None)
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, ApiError> {
        let row: Option<(String, i64)> = self
            .db
            .conn()
            .query_row(
                "SELECT email, expires FROM refresh_tokens WHERE hash = ?1",
                params![sha256_hex(refresh_token)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| ApiError::from(db_err(e)))?;
        match row {
            Some((email, exp)) if exp > now_secs() => {
                self.tokens(&email, Some(refresh_token.to_owned()))
            }
            _ => Err(ApiError::new(
                ErrorCode::InvalidToken,
                "unknown or expired refresh token; sign in again",
            )),
        }
    }

    async fn resend_code(&self, email: &str) -> Result<(), ApiError> {
        self.new_code(email, true)
    }

    async fn forgot_password(&self, email: &str) -> Result<(), ApiError> {
        self.new_code(email, false)
    }

    async fn confirm_forgot_password(
        &self,
        email: &str,
        code: &str,
        password: &str,
    ) -> Result<(), ApiError> {
        let email = normalize_email(email)?;
        check_password(password)?;
        let place = self.pool.admit()?;
        self.check_code(&email, code)?;
        let hash = hash_password(&self.pool, place, password.to_owned()).await?;
        // The code came to the account's owner, so it also confirms the address.
        self.write_audited(&Event::password_reset(&email), |tx| {
            tx.execute(
                "UPDATE users SET password_hash = ?2, confirmed = 1, code = NULL, code_expires = NULL
                 WHERE email = ?1",
                params![email, hash],
            )
            .map_err(|e| ApiError::from(db_err(e)))?;
            tx.execute(
                "DELETE FROM refresh_tokens WHERE email = ?1",
                params![email],
            )
            .map_err(|e| ApiError::from(db_err(e)))?;
            Ok(())
        })?;
        self.clear_attempts(&format!("signin:{email}"))?;
        self.void_tokens(&email)?;
        Ok(())
    }

    async fn sign_out(&self, caller: &Caller) -> Result<(), ApiError> {
        self.db
            .conn()
            .execute(
                "DELETE FROM refresh_tokens WHERE email = ?1",
                params![caller.user_id.0],
            )
            .map_err(|e| ApiError::from(db_err(e)))?;
        self.void_tokens(&caller.user_id.0)?;
        Ok(())
    }
}
