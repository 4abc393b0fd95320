//! HTTP transport of protocomm: every endpoint is `POST /<name>` with a raw protobuf body of at
//! most 4096 bytes; the device sets a `session` cookie that the client echoes.

use std::time::Duration;

use protocol::endpoints::MAX_BODY;
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, SET_COOKIE};

use crate::error::{Error, ErrorCode, Result};

/// One device's HTTP endpoints.
pub struct Transport {
    client: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

/// How a POST failed: the device could not be reached, or it answered with an HTTP error.
#[derive(Debug)]
pub enum PostError {
    /// No answer (connection refused, reset, timeout): the link may have dropped.
    Unreachable(String),
    /// The device answered with this HTTP status.
    Status(u16),
    /// Local refusal (body too large).
    Refused(Error),
}

impl PostError {
    /// As a boundary error, naming the endpoint.
    pub fn into_error(self, endpoint: &str) -> Error {
        match self {
            Self::Unreachable(why) => Error::new(
                ErrorCode::Unreachable,
                format!(
                    "The device does not answer ({why}): check that this computer is on the device's network and the device is in provisioning mode."
                ),
            ),
            Self::Status(s) => Error::new(
                ErrorCode::Protocol,
                format!("The device refused the request to {endpoint} (HTTP {s})."),
            ),
            Self::Refused(e) => e,
        }
    }
}

impl Transport {
    /// A transport for the device at `base` (e.g. `http://192.168.4.1:80`).
    pub fn new(base: &str) -> Result<Self> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| Error::new(ErrorCode::Unreachable, format!("HTTP client: {e}")))?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            cookie: None,
        })
    }

    /// The device's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Forgets the session cookie (a new handshake starts a new session).
    pub fn reset(&mut self) {
        self.cookie = None;
    }

    /// POSTs `body` to `/<endpoint>` and returns the response body.
    pub async fn post(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, PostError> {
        if body.is_empty() || body.len() > MAX_BODY {
            return Err(PostError::Refused(Error::new(
                ErrorCode::Protocol,
                format!(
                    "A request to {endpoint} of {} bytes does not fit the device's limit of {MAX_BODY}.",
                    body.len()
                ),
            )));
        }
        let mut req = self
            .client
            .post(format!("{}/{endpoint}", self.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "text/plain")
            .body(body.to_vec());
        if let Some(c) = &self.cookie {
            req = req.header(COOKIE, c.as_str());
        }
        let resp = req.send().await.map_err(|e| {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg = format!("{msg}: {s}");
                src = s.source();
            }
            PostError::Unreachable(msg)
        })?;
        for v in resp.headers().get_all(SET_COOKIE) {
            if let Ok(s) = v.to_str() {
                if let Some(pair) = s
                    .split(';')
                    .next()
                    .filter(|p| p.trim_start().starts_with("session="))
                {
                    self.cookie = Some(pair.trim().to_owned());
                }
            }
        }
        let status = resp.status();
        if !status.is_success() {
            return Err(PostError::Status(status.as_u16()));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| PostError::Unreachable(e.to_string()))?;
        Ok(bytes.to_vec())
    }
}
