//! The Lambda side: turning an invocation event into a request for the `cloud` router and
//! the router's response into what API Gateway expects.

pub mod auth;
pub mod event;

use axum::Router;
use axum::response::IntoResponse;
use cloud::{ApiError, ErrorCode};
use http::{Method, Request};
use lambda_http::RequestExt;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayProxyRequestContext, ApiGatewayProxyResponse,
};
use lambda_http::aws_lambda_events::encodings::Body as LambdaBody;
use lambda_http::request::RequestContext;
use serde_json::{Value, json};
use tower::ServiceExt;

pub use event::{Event, UnsupportedEvent, classify};

/// Largest response body the adapter reads from the router (certificates are a few KB).
const MAX_RESPONSE: usize = 1024 * 1024;

/// What the Lambda serves besides the router itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialMode {
    /// Only `POST /cert` with a CSR: private keys never leave the devices.
    Csr,
    /// Also the lab's `GET /cert` (and the lab's event), where AWS makes the key.
    CsrAndSeed,
}

impl CredentialMode {
    /// Parses `IOTP_CREDENTIAL_MODE` (`csr` | `csr-and-seed`), as the template sets it.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "csr" => Some(Self::Csr),
            "csr-and-seed" => Some(Self::CsrAndSeed),
            _ => None,
        }
    }
}

/// Serves one invocation: an API Gateway proxy event gets a proxy response; the lab's
/// event gets the response body itself (`{certificatePem, privateKey, ...}` or
/// `{code, message}`), as a non-proxy integration expects.
pub async fn handle(router: Router, mode: CredentialMode, event: Value) -> Value {
    match classify(event) {
        Ok(Event::Proxy(request)) => {
            let request = request.map(|body| axum::body::Body::from(body.to_vec()));
            let (status, headers, body) = serve(router, mode, request).await;
            proxy_response(status, headers, body)
        }
        Ok(Event::Lab { sn, claims }) => {
            let mut context = ApiGatewayProxyRequestContext::default();
            if let Some(claims) = claims {
                context
                    .authorizer
                    .fields
                    .insert("claims".into(), Value::Object(claims));
            }
            let query: String = url_encode(&sn);
            let request = Request::builder()
                .method(Method::GET)
                .uri(format!("/cert?sn={query}"))
                .body(axum::body::Body::empty())
                .expect("a GET with an encoded query is a valid request")
                .with_request_context(RequestContext::ApiGatewayV1(context));
            let (_, _, body) = serve(router, mode, request).await;
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| json!({"code": "internal", "message": "unreadable response"}))
        }
        Err(err) => {
            tracing::warn!(error = %err, "unsupported event");
            proxy_response(
                http::StatusCode::BAD_REQUEST,
                http::HeaderMap::new(),
                serde_json::to_vec(&ApiError::new(ErrorCode::BadRequest, err.to_string()))
                    .unwrap_or_default(),
            )
        }
    }
}

async fn serve(
    router: Router,
    mode: CredentialMode,
    request: Request<axum::body::Body>,
) -> (http::StatusCode, http::HeaderMap, Vec<u8>) {
    let response = if mode == CredentialMode::Csr
        && request.method() == Method::GET
        && request.uri().path() == "/cert"
    {
        ApiError::new(
            ErrorCode::Forbidden,
            "this deployment issues certificates only from device CSRs (POST /cert); \
             cloud-made keys are switched off (CredentialMode=csr)",
        )
        .into_response()
    } else {
        match router.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    };
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_RESPONSE)
        .await
        .unwrap_or_default();
    (parts.status, parts.headers, bytes.to_vec())
}

fn proxy_response(status: http::StatusCode, headers: http::HeaderMap, body: Vec<u8>) -> Value {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = i64::from(status.as_u16());
    response.multi_value_headers = headers;
    response.body = match String::from_utf8(body) {
        Ok(text) if text.is_empty() => None,
        Ok(text) => Some(LambdaBody::Text(text)),
        Err(e) => {
            response.is_base64_encoded = true;
            Some(LambdaBody::Binary(e.into_bytes()))
        }
    };
    serde_json::to_value(response).unwrap_or_else(|_| json!({"statusCode": 500}))
}

/// Percent-encodes a query value (the serial is validated later; this only keeps the URI
/// well-formed whatever the event held).
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
