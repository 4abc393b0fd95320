//! The HTTP client shared by the cloud client and the self-hosted auth provider: rustls only,
//! timeouts, retries with backoff on transport errors and 5xx (never on 4xx), and the
//! server's `{code, message}` turned into an [`Error`].

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorCode, Result};

/// Attempts per request (1 + retries).
const ATTEMPTS: u32 = 3;
/// First retry delay; doubles each time.
const BACKOFF: Duration = Duration::from_millis(200);

/// A JSON API at one base URL.
#[derive(Clone, Debug)]
pub struct Api {
    client: reqwest::Client,
    base: String,
}

/// The error body every cloud endpoint returns.
#[derive(serde::Deserialize)]
struct ServerError {
    code: Option<String>,
    message: Option<String>,
}

impl Api {
    /// A client for `base` (e.g. `https://127.0.0.1:8443`), trusting only `ca_pem` when given
    /// (a self-hosted CA), else the platform's roots.
    pub fn new(base: &str, ca_pem: Option<&[u8]>) -> Result<Self> {
        let parsed = url::Url::parse(base)
            .map_err(|e| Error::invalid(format!("\"{base}\" is not a URL: {e}.")))?;
        let mut b = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("iot-provisioner/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                Error::invalid(format!("The CA file is not a PEM certificate: {e}."))
            })?;
            if certs.is_empty() {
                return Err(Error::invalid("The CA file holds no certificate."));
            }
            b = b.tls_certs_only(certs);
        }
        let client = b
            .build()
            .map_err(|e| Error::new(ErrorCode::Unreachable, format!("HTTP client: {e}")))?;
        Ok(Self {
            client,
            base: parsed.as_str().trim_end_matches('/').to_owned(),
        })
    }

    /// Reads the CA file and builds the client.
    pub fn with_ca_file(base: &str, ca: Option<&std::path::Path>) -> Result<Self> {
        let pem = match ca {
            Some(p) => Some(std::fs::read(p).map_err(|e| {
                Error::invalid(format!("Cannot read the CA file {}: {e}.", p.display()))
            })?),
            None => None,
        };
        Self::new(base, pem.as_deref())
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends a request and decodes a JSON answer, retrying transport errors and 5xx.
    pub async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        token: Option<&str>,
    ) -> Result<T> {
        let url = format!("{}{}", self.base, path);
        let mut delay = BACKOFF;
        let mut attempt = 1;
        loop {
            let mut req = self.client.request(method.clone(), &url);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let retryable = match req.send().await {
                Ok(resp) if resp.status().is_success() => {
                    let bytes = resp.bytes().await.map_err(|e| transport(&url, e))?;
                    // An empty 200/204 decodes as JSON null (for `()` answers).
                    let text: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
                    return serde_json::from_slice(text).map_err(|e| {
                        Error::new(
                            ErrorCode::Server,
                            format!(
                                "The service at {} sent an unexpected answer: {e}.",
                                self.base
                            ),
                        )
                    });
                }
                Ok(resp) => {
                    let status = resp.status();
                    let err = server_error(status, resp.bytes().await.unwrap_or_default().as_ref());
                    if !status.is_server_error() || attempt >= ATTEMPTS {
                        return Err(err);
                    }
                    err
                }
                Err(e) => {
                    let err = transport(&url, e);
                    if attempt >= ATTEMPTS {
                        return Err(err);
                    }
                    err
                }
            };
            tracing::debug!(attempt, %url, error = %retryable, "retrying");
            tokio::time::sleep(delay).await;
            delay *= 2;
            attempt += 1;
        }
    }
}

fn transport(url: &str, e: reqwest::Error) -> Error {
    // reqwest's Display omits the cause (refused, TLS, ...); walk the chain for it. That text
    // is the library's, so it goes into `detail`; the message says what to do.
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    let parsed = url::Url::parse(url).ok();
    let host = parsed
        .as_ref()
        .and_then(|u| {
            u.host_str()
                .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
        })
        .unwrap_or_default();
    let plain_http = parsed.as_ref().is_some_and(|u| u.scheme() == "http");
    let message = if e.is_timeout() {
        format!(
            "The service at {host} did not answer in time; check the network and the profile's URL."
        )
    } else if msg.contains("UnknownIssuer") || msg.contains("invalid peer certificate") {
        format!(
            "The service at {host} has a certificate this computer does not trust. A self-hosted provisiond signs its own: give the profile its CA file (DATA_DIR/ca.pem), with `provision profile self-hosted URL --ca FILE` or the CA file in the app's Settings."
        )
    } else if plain_http && msg.contains("invalid HTTP version") {
        format!(
            "The service at {host} did not answer plain HTTP; it speaks HTTPS: use https://{host} as the profile's URL."
        )
    } else {
        format!("The service at {host} cannot be reached; check the network and the profile's URL.")
    };
    Error::new(ErrorCode::Unreachable, message).with_detail(msg)
}

/// Maps an HTTP error answer to an [`Error`], keeping the server's message.
pub(crate) fn server_error(status: StatusCode, body: &[u8]) -> Error {
    let parsed: Option<ServerError> = serde_json::from_slice(body).ok();
    let server_code = parsed
        .as_ref()
        .and_then(|p| p.code.clone())
        .unwrap_or_default();
    let message = parsed
        .and_then(|p| p.message)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("The service answered {status}."));
    let code = match server_code.as_str() {
        "account_exists" | "user_exists" => ErrorCode::UserExists,
        "account_not_confirmed" | "user_not_confirmed" => ErrorCode::UserNotConfirmed,
        "invalid_code" | "bad_code" => ErrorCode::BadCode,
        "weak_password" => ErrorCode::WeakPassword,
        "invalid_credentials" | "bad_credentials" => ErrorCode::BadCredentials,
        "token_expired" | "invalid_token" | "unauthenticated" => ErrorCode::SessionExpired,
        "unknown_serial" => ErrorCode::SerialNotRegistered,
        "device_owned_by_another_user" => ErrorCode::SerialOwnedByOther,
        "invalid_serial"
        | "invalid_csr"
        | "csr_subject_mismatch"
        | "unsupported_key_type"
        | "bad_request"
        | "invalid_email"
        | "body_too_large" => ErrorCode::InvalidInput,
        "unavailable" => ErrorCode::Unreachable,
        "too_many_attempts" => ErrorCode::TooManyAttempts,
        _ => match status {
            StatusCode::TOO_MANY_REQUESTS => ErrorCode::TooManyAttempts,
            StatusCode::UNAUTHORIZED => ErrorCode::SessionExpired,
            StatusCode::FORBIDDEN => ErrorCode::Forbidden,
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::CONFLICT => ErrorCode::Forbidden,
            s if s.is_client_error() => ErrorCode::InvalidInput,
            _ => ErrorCode::Server,
        },
    };
    Error::new(code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_keep_message_and_map_codes() {
        let e = server_error(StatusCode::FORBIDDEN, br#"{"code":"device_owned_by_another_user","message":"Serial SN1 belongs to another account."}"#);
        assert_eq!(e.code, ErrorCode::SerialOwnedByOther);
        assert_eq!(e.message, "Serial SN1 belongs to another account.");
        let e = server_error(
            StatusCode::BAD_REQUEST,
            br#"{"code":"account_exists","message":"m"}"#,
        );
        assert_eq!(e.code, ErrorCode::UserExists);
        let e = server_error(StatusCode::BAD_GATEWAY, b"<html>");
        assert_eq!(e.code, ErrorCode::Server);
        assert!(e.message.contains("502"));
        assert_eq!(
            server_error(StatusCode::UNAUTHORIZED, b"").code,
            ErrorCode::SessionExpired
        );
    }

    #[test]
    fn bad_urls_and_cas_are_refused() {
        assert_eq!(
            Api::new("not a url", None).unwrap_err().code,
            ErrorCode::InvalidInput
        );
        assert_eq!(
            Api::new("https://127.0.0.1:1", Some(b"garbage"))
                .unwrap_err()
                .code,
            ErrorCode::InvalidInput
        );
    }

    #[tokio::test]
    async fn refused_connection_is_unreachable_after_retries() {
        // Bind then drop a listener: nothing listens on that port any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let api = Api::new(&format!("http://127.0.0.1:{port}"), None).unwrap();
        let e = api
            .call::<(), serde_json::Value>(Method::GET, "/x", None, None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Unreachable);
        assert!(e.message.contains(&port.to_string()));
    }
}
