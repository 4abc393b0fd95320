//! The two event shapes the Lambda accepts, and who sent them.
//!
//! 1. API Gateway's REST proxy event (our template): the whole HTTP request, with the Cognito
//!    authorizer's verified claims in `requestContext.authorizer.claims`.
//! 2. The lab's non-proxy mapping event `{"params":{"querystring":{"SN":"..."}}, ...}`: only
//!    the serial; it is served as the lab's `GET /cert?sn=`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lambda_http::Request;
use lambda_http::request::LambdaRequest;
use serde_json::{Map, Value};

/// An event the Lambda was invoked with.
pub enum Event {
    /// An API Gateway proxy request (request context, with the claims, in its extensions).
    Proxy(Box<Request>),
    /// The lab's mapping-template event.
    Lab {
        /// The serial from `params.querystring.SN` (or `sn`); validated later by the core.
        sn: String,
        /// The Cognito claims of the caller, if the event carries them.
        claims: Option<Map<String, Value>>,
    },
}

/// The event is neither shape.
#[derive(Debug, thiserror::Error)]
#[error("unsupported Lambda event: {0}")]
pub struct UnsupportedEvent(&'static str);

/// Tells the two shapes apart: the lab's event has `params` and no `httpMethod`.
pub fn classify(event: Value) -> Result<Event, UnsupportedEvent> {
    if event.get("params").is_some() && event.get("httpMethod").is_none() {
        let query = &event["params"]["querystring"];
        let sn = query
            .get("SN")
            .or_else(|| query.get("sn"))
            .and_then(Value::as_str)
            .ok_or(UnsupportedEvent("params.querystring has no SN"))?;
        return Ok(Event::Lab {
            sn: sn.to_owned(),
            claims: lab_claims(&event),
        });
    }
    // Most fields of a proxy event have defaults, so `{}` would parse as `GET /`.
    if event.get("httpMethod").is_none() || event.get("requestContext").is_none() {
        return Err(UnsupportedEvent(
            "neither an API Gateway REST proxy event nor the lab's params event",
        ));
    }
    // LambdaRequest parses through serde_json's RawValue, which needs text, not a Value.
    let parsed: LambdaRequest = serde_json::from_str(&event.to_string()).map_err(|_| {
        UnsupportedEvent("neither an API Gateway REST proxy event nor the lab's params event")
    })?;
    let mut request: Request = parsed.into();
    // lambda_http puts the stage in front of the path ("/prod/cert"); the router's routes are
    // the API's resource paths, which the event's `path` holds.
    if let Some(path) = event.get("path").and_then(Value::as_str) {
        let uri = match request.uri().query() {
            Some(query) => format!("{path}?{query}"),
            None => path.to_owned(),
        };
        *request.uri_mut() = uri
            .parse()
            .map_err(|_| UnsupportedEvent("the event's path is not a valid URI path"))?;
    }
    Ok(Event::Proxy(Box::new(request)))
}

/// The caller's claims in a lab event.
///
/// A mapping template may pass them as `claims` (or `context.authorizer.claims`). The lab's
/// stock template passes only the request headers; then they are read from the ID token in
/// `params.header.Authorization` without verifying it again: API Gateway's Cognito
/// authorizer on the lab's method verified that very token before invoking the Lambda, and
/// only API Gateway may invoke the function.
fn lab_claims(event: &Value) -> Option<Map<String, Value>> {
    if let Some(claims) = event
        .get("claims")
        .or_else(|| event.pointer("/context/authorizer/claims"))
    {
        return as_object(claims);
    }
    let headers = event.pointer("/params/header")?.as_object()?;
    let token = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.as_str())?
        .trim();
    let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    as_object(&claims)
}

/// Claims as a JSON object; API Gateway sometimes hands them over as a JSON string.
pub(crate) fn as_object(claims: &Value) -> Option<Map<String, Value>> {
    match claims {
        Value::Object(map) => Some(map.clone()),
        Value::String(text) => serde_json::from_str::<Value>(text)
            .ok()?
            .as_object()
            .cloned(),
        _ => None,
    }
}
