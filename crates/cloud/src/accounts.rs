//! The self-hosted account seam behind `/auth/*`. On AWS, Cognito plays this role and the
//! router is built without it (the routes then answer 404).

use async_trait::async_trait;

use crate::dto::Tokens;
use crate::error::ApiError;
use crate::identity::Caller;

/// Account operations. Implementations hash passwords (argon2id), rate-limit sign-ins and
/// never log passwords or tokens.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Creates an unconfirmed account and a one-time confirmation code.
    async fn sign_up(&self, email: &str, password: &str) -> Result<(), ApiError>;
    /// Confirms an account with its code.
    async fn confirm(&self, email: &str, code: &str) -> Result<(), ApiError>;
    /// Checks the password and returns fresh tokens.
    async fn sign_in(&self, email: &str, password: &str) -> Result<Tokens, ApiError>;
    /// Exchanges a refresh token for a new ID token.
    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, ApiError>;
    /// Invalidates every refresh token of the caller.
    async fn sign_out(&self, caller: &Caller) -> Result<(), ApiError>;
    /// Makes a new confirmation code for an unconfirmed account. Answers the same whether or
    /// not the account exists, so it cannot be used to probe for accounts.
    async fn resend_code(&self, email: &str) -> Result<(), ApiError>;
    /// Makes a password-reset code (same delivery as confirmation codes); same answer for
    /// unknown accounts.
    async fn forgot_password(&self, email: &str) -> Result<(), ApiError>;
    /// Sets a new password with a reset code; ends every refresh token of the account.
    async fn confirm_forgot_password(
        &self,
        email: &str,
        code: &str,
        password: &str,
    ) -> Result<(), ApiError>;
}
