//! The one axum router of the service, served by `provisiond` over rustls and by the Lambda
//! through `lambda_http`.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use http::StatusCode;

use crate::accounts::Accounts;
use crate::backend::{CertificateAuthority, DeviceStore};
use crate::dto::{
    AccountStatus, CertQuery, CertResponse, ConfirmRequest, Credentials, CsrRequest, DeviceStatus,
    EmailRequest, RefreshRequest, ResetRequest, Tokens,
};
use crate::error::{ApiError, ErrorCode};
use crate::identity::{Authenticator, Caller};
use crate::service::{CertService, KeySource};

/// Largest request body accepted; larger ones get 413 `body_too_large`.
pub const MAX_BODY: usize = 64 * 1024;

/// Everything the router needs: the back ends as trait objects.
#[derive(Clone)]
pub struct AppState {
    /// The core over the registry and the CA.
    pub service: CertService,
    /// Who is calling.
    pub auth: Arc<dyn Authenticator>,
    /// Self-hosted accounts; `None` on AWS (Cognito), and `/auth/*` then answers 404.
    pub accounts: Option<Arc<dyn Accounts>>,
}

impl AppState {
    /// Builds the state from the back ends.
    pub fn new(
        store: Arc<dyn DeviceStore>,
        ca: Arc<dyn CertificateAuthority>,
        auth: Arc<dyn Authenticator>,
        accounts: Option<Arc<dyn Accounts>>,
    ) -> Self {
        Self {
            service: CertService::new(store, ca),
            auth,
            accounts,
        }
    }
}

/// The HTTP API (see `openapi.json` and CONTRACTS.md).
pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .route("/cert", get(cert_seed).post(cert_csr))
        .route("/devices/{sn}", get(device_status))
        .route("/openapi.json", get(openapi));
    if state.accounts.is_some() {
        app = app
            .route("/auth/signup", post(sign_up))
            .route("/auth/confirm", post(confirm))
            .route("/auth/signin", post(sign_in))
            .route("/auth/refresh", post(refresh))
            .route("/auth/signout", post(sign_out))
            .route("/auth/resend", post(resend))
            .route("/auth/forgot", post(forgot))
            .route("/auth/confirm-forgot", post(confirm_forgot));
    }
    app.fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::map_response(json_errors))
        .with_state(state)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state.auth.authenticate(parts).await
    }
}

async fn cert_seed(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<CertQuery>,
) -> Result<Json<CertResponse>, ApiError> {
    let response = state
        .service
        .provision(&caller, &q.sn, KeySource::Cloud)
        .await?;
    Ok(Json(response))
}

async fn cert_csr(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<CsrRequest>,
) -> Result<Json<CertResponse>, ApiError> {
    let response = state
        .service
        .provision(&caller, &req.sn, KeySource::Csr(req.csr))
        .await?;
    Ok(Json(response))
}

async fn device_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(sn): Path<String>,
) -> Result<Json<DeviceStatus>, ApiError> {
    Ok(Json(state.service.device_status(&caller, &sn).await?))
}

async fn openapi() -> impl IntoResponse {
    Json(crate::openapi::document())
}

fn accounts(state: &AppState) -> Result<&Arc<dyn Accounts>, ApiError> {
    state
        .accounts
        .as_ref()
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "accounts are not served here"))
}

async fn sign_up(
    State(state): State<AppState>,
    Json(c): Json<Credentials>,
) -> Result<(StatusCode, Json<AccountStatus>), ApiError> {
    accounts(&state)?.sign_up(&c.email, &c.password).await?;
    let status = AccountStatus {
        status: "confirmation_required".into(),
    };
    Ok((StatusCode::CREATED, Json(status)))
}

async fn confirm(
    State(state): State<AppState>,
    Json(c): Json<ConfirmRequest>,
) -> Result<Json<AccountStatus>, ApiError> {
    accounts(&state)?.confirm(&c.email, &c.code).await?;
    Ok(Json(AccountStatus {
        status: "confirmed".into(),
    }))
}

async fn sign_in(
    State(state): State<AppState>,
    Json(c): Json<Credentials>,
) -> Result<Json<Tokens>, ApiError> {
    Ok(Json(
        accounts(&state)?.sign_in(&c.email, &c.password).await?,
    ))
}

async fn refresh(
    State(state): State<AppState>,
    Json(r): Json<RefreshRequest>,
) -> Result<Json<Tokens>, ApiError> {
    Ok(Json(accounts(&state)?.refresh(&r.refresh_token).await?))
}

async fn sign_out(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<AccountStatus>, ApiError> {
    accounts(&state)?.sign_out(&caller).await?;
    Ok(Json(AccountStatus {
        status: "signed_out".into(),
    }))
}

fn status(s: &str) -> Json<AccountStatus> {
    Json(AccountStatus { status: s.into() })
}

async fn resend(
    State(state): State<AppState>,
    Json(r): Json<EmailRequest>,
) -> Result<Json<AccountStatus>, ApiError> {
    accounts(&state)?.resend_code(&r.email).await?;
    Ok(status("code_sent"))
}

async fn forgot(
    State(state): State<AppState>,
    Json(r): Json<EmailRequest>,
) -> Result<Json<AccountStatus>, ApiError> {
    accounts(&state)?.forgot_password(&r.email).await?;
    Ok(status("code_sent"))
}

async fn confirm_forgot(
    State(state): State<AppState>,
    Json(r): Json<ResetRequest>,
) -> Result<Json<AccountStatus>, ApiError> {
    accounts(&state)?
        .confirm_forgot_password(&r.email, &r.code, &r.password)
        .await?;
    Ok(status("password_changed"))
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route")
}

/// Rewrites axum's own plain-text rejections (bad JSON, bad query, 405, 413) into the
/// `{code, message}` shape, so clients see one error format whatever failed.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::BadRequest,
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::BodyTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        _ => ErrorCode::Internal,
    };
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let mut message = String::from_utf8_lossy(&text).trim().to_owned();
    if message.is_empty() {
        message = status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_owned();
    }
    let mut out = ApiError::new(code, message).into_response();
    if let Some(allow) = parts.headers.get(http::header::ALLOW) {
        out.headers_mut().insert(http::header::ALLOW, allow.clone());
    }
    out
}
