//! Sign-up, sign-in and token refresh behind one trait, with two providers: Amazon Cognito
//! and the self-hosted service's own accounts.

mod cognito;
mod secret_hash;
mod self_hosted;
mod session;

pub use cognito::CognitoAuth;
pub use secret_hash::secret_hash;
pub use self_hosted::SelfHostedAuth;
pub use session::AuthSession;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::validate::Email;

/// Tokens of a signed-in user. `Debug` hides them; they are kept in memory and, when there
/// is one, in the OS keyring only.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tokens {
    /// The e-mail the user signed in with.
    pub email: String,
    /// Sent as `Authorization: Bearer` to the provisioning API.
    pub id_token: String,
    /// Cognito access token (global sign-out); absent for the self-hosted service.
    #[serde(default)]
    pub access_token: Option<String>,
    /// Used to get fresh ID tokens.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// When the ID token expires (seconds since the Unix epoch).
    pub expires_at: u64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("email", &self.email)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// True when the ID token expires within `margin`.
    pub fn expires_within(&self, margin: Duration) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        self.expires_at <= now + margin.as_secs()
    }

    pub(crate) fn expiry_from_now(expires_in_secs: u64) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            + expires_in_secs
    }
}

/// What sign-up needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignUpNext {
    /// A code was sent (e-mail): call `confirm_sign_up` with it.
    ConfirmWithCode,
    /// The account is ready: sign in.
    Done,
}

/// An account provider.
#[async_trait::async_trait]
pub trait Auth: Send + Sync {
    /// Creates an account.
    async fn sign_up(&self, email: &Email, password: &str) -> Result<SignUpNext>;
    /// Confirms an account with the code that was sent.
    async fn confirm_sign_up(&self, email: &Email, code: &str) -> Result<()>;
    /// Sends the confirmation code again.
    async fn resend_code(&self, email: &Email) -> Result<()>;
    /// Signs in with e-mail and password.
    async fn sign_in(&self, email: &Email, password: &str) -> Result<Tokens>;
    /// New tokens from the refresh token; the refresh token itself is kept if not rotated.
    async fn refresh(&self, tokens: &Tokens) -> Result<Tokens>;
    /// Starts a password reset (a code is sent).
    async fn forgot_password(&self, email: &Email) -> Result<()>;
    /// Sets a new password with the reset code.
    async fn confirm_forgot_password(
        &self,
        email: &Email,
        code: &str,
        new_password: &str,
    ) -> Result<()>;
    /// Signs out everywhere (invalidates the refresh token).
    async fn sign_out(&self, tokens: &Tokens) -> Result<()>;
}
