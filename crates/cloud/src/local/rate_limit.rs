//! Per-client request rate limits of `provisiond` (governor's GCRA buckets), on the routes a
//! flood or a guesser would use: sign-up, sign-in, confirm, refresh, resend, forgot,
//! confirm-forgot and `/cert`. Each request takes one cell from its IP address's bucket and
//! one from its account's (the `email` of an `/auth/*` body, the signed-in user for `/cert`);
//! an empty bucket answers 429 `too_many_attempts` with `Retry-After`, before any password
//! hash, database write or certificate is computed.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::tls::PeerIp;
use crate::error::{ApiError, ErrorCode};
use crate::identity::Authenticator;
use crate::router::MAX_BODY;

/// Requests per minute (also the burst) allowed on the limited routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Per client IP address.
    pub per_ip_per_min: u32,
    /// Per account.
    pub per_account_per_min: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_ip_per_min: 300,
            per_account_per_min: 120,
        }
    }
}

/// The limiter state shared by every request.
#[derive(Clone)]
pub struct Limiter {
    per_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    per_account: Arc<DefaultKeyedRateLimiter<String>>,
    auth: Arc<dyn Authenticator>,
}

fn quota(per_min: u32) -> Quota {
    let n = NonZeroU32::new(per_min.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(n).allow_burst(n)
}

impl Limiter {
    /// Buckets for `limits`; `auth` names the account of a `/cert` request.
    pub fn new(limits: RateLimits, auth: Arc<dyn Authenticator>) -> Self {
        Self {
            per_ip: Arc::new(RateLimiter::keyed(quota(limits.per_ip_per_min))),
            per_account: Arc::new(RateLimiter::keyed(quota(limits.per_account_per_min))),
            auth,
        }
    }

    /// Forgets buckets that are full again, so the maps stay as small as the set of recent
    /// clients; run every minute by `serve`.
    pub fn forget_idle(&self) {
        self.per_ip.retain_recent();
        self.per_account.retain_recent();
    }

    fn check<K: std::hash::Hash + Eq + Clone>(
        limiter: &DefaultKeyedRateLimiter<K>,
        key: &K,
        what: &str,
    ) -> Result<(), ApiError> {
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::new(
                ErrorCode::TooManyAttempts,
                format!("too many requests from this {what}; retry later"),
            )
            .with_retry_after(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        })
    }
}

fn limited(path: &str) -> bool {
    matches!(
        path,
        "/cert"
            | "/auth/signup"
            | "/auth/signin"
            | "/auth/confirm"
            | "/auth/refresh"
            | "/auth/resend"
            | "/auth/forgot"
            | "/auth/confirm-forgot"
    )
}

/// The middleware: `axum::middleware::from_fn_with_state(limiter, rate_limit)`.
pub async fn rate_limit(State(limiter): State<Limiter>, req: Request, next: Next) -> Response {
    if !limited(req.uri().path()) {
        return next.run(req).await;
    }
    if let Some(PeerIp(ip)) = req.extensions().get::<PeerIp>().copied()
        && let Err(e) = Limiter::check(&limiter.per_ip, &ip, "address")
    {
        return e.into_response();
    }
    let (parts, body) = req.into_parts();
    let (account, body) = if parts.uri.path() == "/cert" {
        // Only a verified caller names a bucket: a forged token must not drain someone else's.
        let account = limiter
            .auth
            .authenticate(&parts)
            .await
            .ok()
            .map(|c| c.user_id.0);
        (account, body)
    } else {
        // The body is read here (bounded as the router bounds it) to find its e-mail address.
        let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(b) => b,
            Err(_) => {
                return ApiError::new(ErrorCode::BodyTooLarge, "the body is too large or broken")
                    .into_response();
            }
        };
        let account = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("email")?.as_str().map(|e| e.trim().to_lowercase()));
        (account, Body::from(bytes))
    };
    if let Some(account) = account
        && let Err(e) = Limiter::check(&limiter.per_account, &account, "account")
    {
        return e.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// How often idle buckets are forgotten.
pub const FORGET_EVERY: Duration = Duration::from_secs(60);
