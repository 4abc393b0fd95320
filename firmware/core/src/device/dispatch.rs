//! One HTTP request in, one response out. Transport-level refusals (size, session, closed
//! window, lock-out) are HTTP status codes with a short plaintext reason; everything that gets
//! through the session is answered with the endpoint's protobuf, status inside, encrypted.

use alloc::format;
use alloc::vec::Vec;

use protocol::endpoints::{
    IOT_CRED, MAX_BODY, PROTO_VER, PROV_CONFIG, PROV_CTRL, PROV_SCAN, PROV_SESSION,
};
use protocol::version::ProtoVer;

use super::gate::SessionOutcome;
use super::{Device, Event, Phase};
use crate::hal::{Entropy, Flash, MqttConnector, Radio};
use crate::rng::EntropyRng;

/// HTTP status codes the dispatcher uses.
pub mod status {
    /// Success; body is the endpoint's response.
    pub const OK: u16 = 200;
    /// Body could not be decrypted or decoded (protocomm `InvalidProto`).
    pub const BAD_REQUEST: u16 = 400;
    /// No established session for this cookie (protocomm `InvalidSession`).
    pub const UNAUTHORIZED: u16 = 401;
    /// Unknown endpoint (body as ESP-IDF's HTTP server words it).
    pub const NOT_FOUND: u16 = 404;
    /// A known endpoint asked with another method than POST.
    pub const METHOD_NOT_ALLOWED: u16 = 405;
    /// Body larger than 4096 bytes.
    pub const PAYLOAD_TOO_LARGE: u16 = 413;
    /// Provisioning locked after too many wrong proofs of possession.
    pub const TOO_MANY_REQUESTS: u16 = 429;
    /// Internal failure (e.g. the session could not encrypt).
    pub const INTERNAL: u16 = 500;
    /// Provisioning is not running (window expired or device provisioned).
    pub const UNAVAILABLE: u16 = 503;
}

/// ESP-IDF's body for a 404.
pub const NOT_FOUND_TEXT: &str = "Nothing matches the given URI";
/// ESP-IDF's body for a 405.
pub const METHOD_NOT_ALLOWED_TEXT: &str = "Specified method is invalid for this resource";

/// The answer to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code (see [`status`]).
    pub status: u16,
    /// Body: protobuf/JSON on 200, a one-line plaintext reason otherwise.
    pub body: Vec<u8>,
    /// Session cookie to set (`Set-Cookie: session=<value>`).
    pub set_cookie: Option<u32>,
    /// Seconds to wait before retrying (lock-out), for a `Retry-After` header.
    pub retry_after_s: Option<u64>,
}

impl Response {
    pub(super) fn ok(body: Vec<u8>) -> Self {
        Self {
            status: status::OK,
            body,
            set_cookie: None,
            retry_after_s: None,
        }
    }

    pub(super) fn error(status: u16, reason: &str) -> Self {
        Self {
            status,
            body: reason.as_bytes().to_vec(),
            set_cookie: None,
            retry_after_s: None,
        }
    }
}

/// Outcome of decoding an endpoint's request: a plaintext protobuf response, or a refusal
/// that must not consume session state on the way out.
pub(super) type EndpointResult = Result<Vec<u8>, Response>;

impl<R: Radio, F: Flash, M: MqttConnector, E: Entropy> Device<R, F, M, E> {
    /// Handles `POST /<endpoint>` with the client's session cookie (if any) and body.
    pub fn handle(
        &mut self,
        endpoint: &str,
        cookie: Option<u32>,
        body: &[u8],
        now_ms: u64,
    ) -> Response {
        self.poll(now_ms);
        if body.len() > MAX_BODY {
            return Response::error(
                status::PAYLOAD_TOO_LARGE,
                "InvalidProto: body larger than 4096 bytes",
            );
        }
        if !protocol::endpoints::ALL.contains(&endpoint) {
            return Response::error(status::NOT_FOUND, NOT_FOUND_TEXT);
        }
        // ESP-IDF's protocomm_httpd needs a Content-Length above 0 and drops the connection
        // otherwise; a clear refusal tells the client more.
        if body.is_empty() {
            return Response::error(status::BAD_REQUEST, "InvalidProto: empty body");
        }
        if self.phase != Phase::Provisioning {
            return Response::error(status::UNAVAILABLE, "provisioning is not running");
        }
        match endpoint {
            PROTO_VER => Response::ok(
                ProtoVer::ours(self.config.security.sec_ver(), self.config.max_transfer).to_json(),
            ),
            PROV_SESSION => self.handle_session(cookie, body, now_ms),
            PROV_CONFIG | PROV_SCAN | PROV_CTRL | IOT_CRED => {
                self.handle_secured(endpoint, cookie, body, now_ms)
            }
            _ => Response::error(status::NOT_FOUND, NOT_FOUND_TEXT),
        }
    }

    fn handle_session(&mut self, cookie: Option<u32>, body: &[u8], now_ms: u64) -> Response {
        let new_cookie = self.random_u32();
        if self.gate.expire_lock(now_ms) {
            let _ = self.store.clear_pop_failures();
        }
        let outcome = self.gate.handle(
            cookie,
            new_cookie,
            body,
            &mut EntropyRng(&mut self.entropy),
            now_ms,
        );
        match outcome {
            SessionOutcome::Reply {
                body,
                cookie,
                established,
            } => {
                if established {
                    // Best effort: a flash error leaves the count high, which only errs
                    // towards a lock-out.
                    let _ = self.store.clear_pop_failures();
                    self.events.push_back(Event::SessionEstablished);
                }
                Response {
                    set_cookie: Some(cookie),
                    ..Response::ok(body)
                }
            }
            SessionOutcome::Rejected {
                body,
                failures,
                locked_until,
            } => {
                // Recorded before answering, so a power cut right after cannot undo it.
                let _ = self.store.record_pop_failure();
                self.events.push_back(Event::SessionRejected { failures });
                if let Some(until_ms) = locked_until {
                    self.events.push_back(Event::Locked { until_ms });
                }
                Response::ok(body)
            }
            SessionOutcome::Refused(e) => {
                Response::error(status::BAD_REQUEST, &format!("{:?}: {e}", e.status()))
            }
            SessionOutcome::Locked(until) => {
                let secs = until.saturating_sub(now_ms).div_ceil(1000);
                let mut r = Response::error(
                    status::TOO_MANY_REQUESTS,
                    &format!(
                        "provisioning locked after too many wrong proofs of possession; retry in {secs} s"
                    ),
                );
                r.retry_after_s = Some(secs);
                r
            }
        }
    }

    fn handle_secured(
        &mut self,
        endpoint: &str,
        cookie: Option<u32>,
        body: &[u8],
        now_ms: u64,
    ) -> Response {
        if !self.gate.owns_established(cookie) {
            return Response::error(
                status::UNAUTHORIZED,
                "InvalidSession: no secure session for this client",
            );
        }
        let plain = match self.gate.session().decrypt(body) {
            Ok(p) => p,
            Err(e) => return Response::error(status::BAD_REQUEST, &format!("InvalidSession: {e}")),
        };
        let result = match endpoint {
            PROV_CONFIG => self.prov_config(&plain, now_ms),
            PROV_SCAN => self.prov_scan(&plain),
            PROV_CTRL => self.prov_ctrl(&plain, now_ms),
            _ => self.iot_cred(&plain, now_ms),
        };
        match result {
            Ok(resp) => match self.gate.session().encrypt(&resp) {
                Ok(enc) => Response::ok(enc),
                Err(e) => Response::error(status::INTERNAL, &format!("InternalError: {e}")),
            },
            Err(refusal) => refusal,
        }
    }
}

/// A refusal for a body that decrypted but is not the endpoint's protobuf.
pub(super) fn malformed(what: &str) -> Response {
    Response::error(
        status::BAD_REQUEST,
        &format!("InvalidProto: not a valid {what} message"),
    )
}
