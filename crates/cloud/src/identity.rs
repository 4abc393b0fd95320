//! Who is calling. The router asks a pluggable [`Authenticator`]: `provisiond` verifies its
//! own ES256 ID tokens; the Lambda reads the claims API Gateway's Cognito authorizer already
//! checked (request context in the request extensions).

use async_trait::async_trait;
use http::request::Parts;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

/// Stable user id (self-hosted: our user id; Cognito: the `sub` claim).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub String);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Stable id, stored as the device owner.
    pub user_id: UserId,
    /// E-mail address, shown as the device owner in `GET /devices/{sn}`.
    pub email: Option<String>,
}

/// Turns a request's headers/extensions into a [`Caller`], or a 401 `{code, message}`
/// (`unauthenticated`, `invalid_token`, `token_expired`).
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// Authenticates the request. Must not log the token.
    async fn authenticate(&self, parts: &Parts) -> Result<Caller, ApiError>;
}

/// The token in `Authorization`: `Bearer <token>`, or the raw token as the lab's app sent it.
pub fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "sign in first: no Authorization header",
            )
        })?;
    let value = value
        .to_str()
        .map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidToken,
                "the Authorization header is not text",
            )
        })?
        .trim();
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    };
    if token.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "sign in first: empty token",
        ));
    }
    Ok(token)
}
