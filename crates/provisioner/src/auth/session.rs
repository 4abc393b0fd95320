//! The signed-in user: tokens in memory, mirrored to the secret store, refreshed when they
//! are about to expire, and refreshed-and-retried once when the server says they expired.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use super::{Auth, Tokens};
use crate::error::{Error, ErrorCode, Result};
use crate::secrets::SecretStore;
use crate::validate::Email;

/// Refresh this long before the ID token expires, so a request never races the expiry.
const EARLY_REFRESH: Duration = Duration::from_secs(60);

/// A provider plus the current user's tokens.
pub struct AuthSession {
    auth: Arc<dyn Auth>,
    secrets: Arc<dyn SecretStore>,
    key: String,
    tokens: Mutex<Option<Tokens>>,
}

impl AuthSession {
    /// A session whose tokens live under `key` in the store (`Backend::token_key`: one key
    /// per server, never per profile name), picking up tokens a previous run kept there.
    pub fn new(auth: Arc<dyn Auth>, secrets: Arc<dyn SecretStore>, key: &str) -> Self {
        let key = key.to_owned();
        let tokens = secrets
            .get(&key)
            .ok()
            .flatten()
            .and_then(|s| serde_json::from_str(&s).ok());
        Self {
            auth,
            secrets,
            key,
            tokens: Mutex::new(tokens),
        }
    }

    /// The provider, for sign-up, confirmation and password resets.
    pub fn provider(&self) -> &dyn Auth {
        &*self.auth
    }

    /// Signs in and keeps the tokens.
    pub async fn sign_in(&self, email: &Email, password: &str) -> Result<String> {
        let t = self.auth.sign_in(email, password).await?;
        self.store(t).await
    }

    /// Adopts tokens obtained elsewhere (e.g. tests, a hosted-UI flow).
    pub async fn adopt(&self, tokens: Tokens) -> Result<String> {
        self.store(tokens).await
    }

    async fn store(&self, t: Tokens) -> Result<String> {
        let json = serde_json::to_string(&t).expect("tokens serialize");
        self.secrets.set(&self.key, &json)?;
        let email = t.email.clone();
        *self.tokens.lock().await = Some(t);
        Ok(email)
    }

    /// The signed-in user's e-mail, if any.
    pub async fn whoami(&self) -> Option<String> {
        self.tokens.lock().await.as_ref().map(|t| t.email.clone())
    }

    /// Signs out everywhere and forgets the tokens (they are forgotten even when the server
    /// cannot be reached, so "sign out" always leaves this machine signed out).
    pub async fn sign_out(&self) -> Result<()> {
        let t = self.tokens.lock().await.take();
        self.secrets.delete(&self.key)?;
        match t {
            Some(t) => match self.auth.sign_out(&t).await {
                Ok(()) => Ok(()),
                Err(e) if e.code == ErrorCode::SessionExpired => Ok(()),
                Err(e) => Err(e),
            },
            None => Ok(()),
        }
    }

    /// A valid ID token, refreshed first when it is about to expire.
    pub async fn id_token(&self) -> Result<String> {
        let current = self.tokens.lock().await.clone().ok_or_else(not_signed_in)?;
        if current.expires_within(EARLY_REFRESH) {
            return self.refresh(&current).await;
        }
        Ok(current.id_token)
    }

    async fn refresh(&self, current: &Tokens) -> Result<String> {
        match self.auth.refresh(current).await {
            Ok(t) => {
                let id = t.id_token.clone();
                self.store(t).await?;
                Ok(id)
            }
            Err(e)
                if e.code == ErrorCode::SessionExpired || e.code == ErrorCode::BadCredentials =>
            {
                *self.tokens.lock().await = None;
                let _ = self.secrets.delete(&self.key);
                Err(Error::new(
                    ErrorCode::SessionExpired,
                    "Your session has ended: sign in again.",
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// Runs `call` with the ID token; if the server says the token expired, refreshes it and
    /// runs `call` once more.
    pub async fn with_token<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let token = self.id_token().await?;
        match call(token.clone()).await {
            Err(e) if e.code == ErrorCode::SessionExpired => {
                let current = self.tokens.lock().await.clone().ok_or_else(not_signed_in)?;
                let fresh = self.refresh(&current).await?;
                call(fresh).await
            }
            other => other,
        }
    }
}

fn not_signed_in() -> Error {
    Error::new(
        ErrorCode::NotSignedIn,
        "You are not signed in: sign in first (`provision login`).",
    )
}
