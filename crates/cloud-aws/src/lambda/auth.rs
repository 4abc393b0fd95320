//! Who calls, on AWS: the claims API Gateway's Cognito authorizer verified.

use async_trait::async_trait;
use cloud::identity::{Authenticator, Caller, UserId};
use cloud::{ApiError, ErrorCode};
use http::request::Parts;
use lambda_http::RequestExt;

use super::event::as_object;

/// Reads the caller from the request context's `authorizer.claims` (`sub`, `email`).
///
/// The token is not verified here: every route of the REST API has the Cognito authorizer,
/// which verified it before the Lambda ran. A request without claims (a route misconfigured
/// without the authorizer) is refused, never served anonymously.
pub struct CognitoClaims;

#[async_trait]
impl Authenticator for CognitoClaims {
    async fn authenticate(&self, parts: &Parts) -> Result<Caller, ApiError> {
        let claims = parts
            .request_context_ref()
            .and_then(|c| c.authorizer())
            .and_then(|a| a.fields.get("claims"))
            .and_then(as_object)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthenticated,
                    "sign in first: the request carries no Cognito claims",
                )
            })?;
        let sub = claims
            .get("sub")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidToken,
                    "the Cognito claims have no subject",
                )
            })?;
        let email = claims
            .get("email")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        Ok(Caller {
            user_id: UserId(sub.to_owned()),
            email,
        })
    }
}
