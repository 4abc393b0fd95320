//! The one error shape every response uses: HTTP status plus JSON `{"code", "message"}`.
//! Clients switch on `code` (a closed set, below), never on the message text.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::backend::{BackendError, StoreError};
use crate::csr::CsrError;
use crate::serial::SerialError;

/// Machine-readable error codes (serialized in snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed (bad JSON, missing field, wrong type).
    BadRequest,
    /// The serial number does not match the documented syntax.
    InvalidSerial,
    /// The CSR cannot be parsed or its signature does not verify.
    InvalidCsr,
    /// The CSR's subject CN is not the serial number.
    CsrSubjectMismatch,
    /// The CSR's key is neither P-256 nor RSA-2048.
    UnsupportedKeyType,
    /// The body exceeds 64 KiB.
    BodyTooLarge,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// No credentials were sent.
    Unauthenticated,
    /// The token is malformed, forged, or signed by another key.
    InvalidToken,
    /// The token has expired.
    TokenExpired,
    /// The caller may not do this.
    Forbidden,
    /// The serial is not in the registry.
    UnknownSerial,
    /// The device is bound to another account.
    DeviceOwnedByAnotherUser,
    /// Nothing at this path, or no such device.
    NotFound,
    /// The path exists but not with this method.
    MethodNotAllowed,
    /// Another provisioning of the same device is running.
    ProvisioningInProgress,
    /// Sign-up with an e-mail address that already has an account.
    AccountExists,
    /// Wrong e-mail address or password.
    InvalidCredentials,
    /// The account exists but its e-mail address is not confirmed yet.
    AccountNotConfirmed,
    /// The confirmation code is wrong or expired.
    InvalidCode,
    /// The e-mail address is malformed.
    InvalidEmail,
    /// The password is too short or too long.
    WeakPassword,
    /// Too many failed sign-ins; retry later.
    TooManyAttempts,
    /// A back end failed; nothing the caller can fix.
    Internal,
    /// A back end is unreachable; retry later.
    Unavailable,
}

impl ErrorCode {
    /// The HTTP status that goes with the code.
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            BadRequest | InvalidSerial | InvalidCsr | CsrSubjectMismatch | UnsupportedKeyType
            | InvalidCode | InvalidEmail | WeakPassword => StatusCode::BAD_REQUEST,
            BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Unauthenticated | InvalidToken | TokenExpired | InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            Forbidden | UnknownSerial | DeviceOwnedByAnotherUser | AccountNotConfirmed => {
                StatusCode::FORBIDDEN
            }
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProvisioningInProgress | AccountExists => StatusCode::CONFLICT,
            TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Every code, for the OpenAPI document.
    pub const ALL: &[ErrorCode] = &[
        ErrorCode::BadRequest,
        ErrorCode::InvalidSerial,
        ErrorCode::InvalidCsr,
        ErrorCode::CsrSubjectMismatch,
        ErrorCode::UnsupportedKeyType,
        ErrorCode::BodyTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Unauthenticated,
        ErrorCode::InvalidToken,
        ErrorCode::TokenExpired,
        ErrorCode::Forbidden,
        ErrorCode::UnknownSerial,
        ErrorCode::DeviceOwnedByAnotherUser,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::ProvisioningInProgress,
        ErrorCode::AccountExists,
        ErrorCode::InvalidCredentials,
        ErrorCode::AccountNotConfirmed,
        ErrorCode::InvalidCode,
        ErrorCode::InvalidEmail,
        ErrorCode::WeakPassword,
        ErrorCode::TooManyAttempts,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
    ];
}

/// The boundary error: a code and a human-readable message. The message never carries a
/// secret (token, key, password, confirmation code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
    /// Seconds after which a retry may succeed (`Retry-After`), for 429 and 503.
    #[serde(skip)]
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    /// Builds an error from a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_s: None,
        }
    }

    /// The same error with a `Retry-After: secs` header.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_s = Some(secs.max(1));
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        // Shed load (503 with Retry-After) is expected under a flood: no error line per request.
        if status.is_server_error() && self.retry_after_s.is_none() {
            tracing::error!(code = ?self.code, message = %self.message, "request failed");
        }
        let retry = self.retry_after_s;
        let mut response = (status, Json(self)).into_response();
        if let Some(secs) = retry {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
        response
    }
}

impl From<SerialError> for ApiError {
    fn from(e: SerialError) -> Self {
        ApiError::new(ErrorCode::InvalidSerial, e.to_string())
    }
}

impl From<CsrError> for ApiError {
    fn from(e: CsrError) -> Self {
        let code = match e {
            CsrError::Malformed(_) | CsrError::BadSignature => ErrorCode::InvalidCsr,
            CsrError::SubjectMismatch { .. } => ErrorCode::CsrSubjectMismatch,
            CsrError::KeyType(_) => ErrorCode::UnsupportedKeyType,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<BackendError> for ApiError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Unavailable(m) => ApiError::new(ErrorCode::Unavailable, m),
            BackendError::Internal(m) => ApiError::new(ErrorCode::Internal, m),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownSerial => ApiError::new(
                ErrorCode::UnknownSerial,
                "this serial number is not registered",
            ),
            StoreError::OwnedByAnotherUser => ApiError::new(
                ErrorCode::DeviceOwnedByAnotherUser,
                "this device is bound to another account; ask an administrator to release it",
            ),
            StoreError::Busy => ApiError::new(
                ErrorCode::ProvisioningInProgress,
                "this device is being provisioned by another request; retry in a moment",
            ),
            StoreError::LeaseLost => ApiError::new(
                ErrorCode::ProvisioningInProgress,
                "another request took over this device's provisioning; retry",
            ),
            StoreError::Backend(b) => b.into(),
        }
    }
}
