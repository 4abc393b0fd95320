//! Self-hosted accounts: argon2id password hashes, a one-time confirmation code shown by the
//! admin command `provisiond user code EMAIL` (never logged), ES256 ID tokens, hashed
//! refresh tokens, and a per-account limit on failed sign-ins.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::ca::hex;
use super::db::{Db, db_err, now_secs};
use super::jwt::{ID_TOKEN_SECS, JwtKeys};
use super::random;
use crate::accounts::Accounts;
use crate::dto::Tokens;
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;

/// Failed attempts allowed per account within [`WINDOW`].
pub const MAX_FAILURES: u32 = 5;
/// The rate-limit window.
pub const WINDOW: Duration = Duration::from_secs(300);
const CODE_SECS: i64 = 24 * 3600;
const REFRESH_SECS: i64 = 30 * 24 * 3600;

/// The account service.
pub struct LocalAccounts {
    db: Arc<Db>,
    keys: Arc<JwtKeys>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
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

/// Argon2id with the crate's default (OWASP) cost, off the async threads.
async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        random::fill(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(internal)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(internal)
    })
    .await
    .map_err(internal)?
}

async fn verify_password(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        // An unreadable stored hash is a failed sign-in, not a server error.
        Ok(PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        }))
    })
    .await
    .map_err(internal)?
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
    /// Builds the service.
    pub fn new(db: Arc<Db>, keys: Arc<JwtKeys>) -> Self {
        Self {
            db,
            keys,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn throttled(&self, key: &str) -> Result<(), ApiError> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((n, since)) = map.get(key)
            && since.elapsed() < WINDOW
            && *n >= MAX_FAILURES
        {
            return Err(ApiError::new(
                ErrorCode::TooManyAttempts,
                "too many failed attempts for this account; wait a few minutes",
            ));
        }
        Ok(())
    }

    fn failed(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(key.to_owned()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    fn succeeded(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
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

    /// Whether `code` is the account's pending code (constant-time comparison).
    fn code_matches(&self, email: &str, code: &str) -> Result<bool, ApiError> {
        let pending = self.pending_code(email)?;
        Ok(pending.as_deref().is_some_and(|p| {
            p.len() == code.len()
                && p.bytes()
                    .zip(code.bytes())
                    .fold(0u8, |a, (x, y)| a | (x ^ y))
                    == 0
        }))
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
                params![email, random::digits(6), now_secs() + CODE_SECS],
            )
            .map_err(|e| ApiError::from(db_err(e)))?;
        if n == 1 {
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
        let exists: bool = self
            .db
            .conn()
            .query_row(
                "SELECT 1 FROM users WHERE email = ?1",
                params![email],
                |_| Ok(()),
            )
            .optional()
            .map_err(|e| ApiError::from(db_err(e)))?
            .is_some();
        if exists {
            return Err(ApiError::new(
                ErrorCode::AccountExists,
                "this e-mail address already has an account",
            ));
        }
        let hash = hash_password(password.to_owned()).await?;
        let code = random::digits(6);
        let n = self
            .db
            .conn()
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
        tracing::info!(%email, "account created; `provisiond user code EMAIL` shows its confirmation code");
        Ok(())
    }

    async fn confirm(&self, email: &str, code: &str) -> Result<(), ApiError> {
        let email = normalize_email(email)?;
        let key = format!("confirm:{email}");
        self.throttled(&key)?;
        let pending = self.pending_code(&email)?;
        let matches = pending.as_deref().is_some_and(|p| {
            p.len() == code.len()
                && p.bytes()
                    .zip(code.bytes())
                    .fold(0u8, |a, (x, y)| a | (x ^ y))
                    == 0
        });
        if !matches {
            self.failed(&key);
            return Err(ApiError::new(
                ErrorCode::InvalidCode,
                "wrong or expired confirmation code",
            ));
        }
        self.db
            .conn()
            .execute(
                "UPDATE users SET confirmed = 1, code = NULL, code_expires = NULL WHERE email = ?1",
                params![email],
            )
            .map_err(|e| ApiError::from(db_err(e)))?;
        self.succeeded(&key);
        Ok(())
    }

    async fn sign_in(&self, email: &str, password: &str) -> Result<Tokens, ApiError> {
        let email = normalize_email(email).map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidCredentials,
                "wrong e-mail address or password",
            )
        })?;
        let key = format!("signin:{email}");
        self.throttled(&key)?;
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
        let ok = verify_password(password.to_owned(), hash).await? && row.is_some();
        if !ok {
            self.failed(&key);
            return Err(ApiError::new(
                ErrorCode::InvalidCredentials,
                "wrong e-mail address or password",
            ));
        }
        self.succeeded(&key);
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
        let key = format!("confirm:{email}");
        self.throttled(&key)?;
        if !self.code_matches(&email, code)? {
            self.failed(&key);
            return Err(ApiError::new(
                ErrorCode::InvalidCode,
                "wrong or expired code",
            ));
        }
        let hash = hash_password(password.to_owned()).await?;
        {
            // The code came to the account's owner, so it also confirms the address.
            let mut conn = self.db.conn();
            let tx = conn.transaction().map_err(|e| ApiError::from(db_err(e)))?;
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
            tx.commit().map_err(|e| ApiError::from(db_err(e)))?;
        }
        self.succeeded(&key);
        self.succeeded(&format!("signin:{email}"));
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
        Ok(())
    }
}
