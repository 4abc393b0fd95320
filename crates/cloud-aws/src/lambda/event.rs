//! The two event shapes the Lambda accepts, and who sent them.
//!
//! 1. API Gateway's REST proxy event (our template): the whole HTTP request, with the Cognito
//!    authorizer's verified claims in `requestContext.authorizer.claims`.
//! 2. The lab's non-proxy mapping event `{"params":{"querystring":{"SN":"..."}}, ...}`: only
//!    the serial and the claims the template mapped from the authorizer; it is served as the
//!    lab's `GET /cert?sn=`.

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

/// The caller's claims in a lab event: only what the mapping template put there from
/// `$context.authorizer.claims` (as `claims` or `context.authorizer.claims`), which API
/// Gateway's Cognito authorizer filled after verifying the token, the same trust as a proxy
/// event's `requestContext`.
///
/// An ID token in `params.header.Authorization` is never decoded into claims: this function
/// cannot verify it, and its payload is whatever the sender wrote (a token with any `sub`
/// and a made-up signature would otherwise claim any device). A lab template that passes only
/// the headers therefore gets 401 and must add the claims mapping (docs/aws.md).
fn lab_claims(event: &Value) -> Option<Map<String, Value>> {
    event
        .get("claims")
        .or_else(|| event.pointer("/context/authorizer/claims"))
        .and_then(as_object)
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
