//! The SoftAP HTTP server: `POST /<endpoint>`, `Cookie: session=<u32>` in, `Set-Cookie` out,
//! bodies capped at 4096 bytes. It answers the way ESP-IDF's `protocomm_httpd` on
//! `esp_http_server` does where clients can tell: header names written in title case
//! (`Set-Cookie`: esp_prov compares the name exactly), `Content-Type: text/html` (the server's
//! default type, which protocomm never changes), 404 for a path with no endpoint and 405 for
//! another method on an endpoint's path, each followed by closing the connection
//! (`Connection: close`), as esp_http_server closes the socket after an error it answers itself;
//! the session lives on in the cookie. When the simulated AP is down (window closed, provisioning done,
//! or the channel move after apply) connections are dropped without an answer, as a real
//! client would see it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use firmware_core::device::{METHOD_NOT_ALLOWED_TEXT, NOT_FOUND_TEXT};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, CONTENT_TYPE, COOKIE, HeaderValue, RETRY_AFTER, SET_COOKIE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use protocol::endpoints::{ALL, MAX_BODY};
use tokio::net::TcpListener;

use crate::host::Host;

/// The content type ESP-IDF's HTTP server sends unless a handler sets another
/// (`HTTPD_TYPE_TEXT`); protocomm sends its protobuf and JSON bodies under it.
const CONTENT_TYPE_ESP_IDF: &str = "text/html";

/// Why a request is answered by closing the connection.
#[derive(Debug)]
struct LinkDown;

impl std::fmt::Display for LinkDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SoftAP unreachable")
    }
}

impl std::error::Error for LinkDown {}

fn session_cookie(req: &Request<Incoming>) -> Option<u32> {
    req.headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == "session").then(|| v.trim().parse().ok()).flatten()
        })
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(text.to_owned())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_ESP_IDF));
    r
}

/// An error esp_http_server answers itself (no handler for the path or the method): it sends
/// the response and then closes the socket.
fn server_error(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = plain(status, text);
    r.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    r
}

async fn serve(
    host: Host,
    req: Request<Incoming>,
    latency: Duration,
) -> Result<Response<Full<Bytes>>, LinkDown> {
    // A slow radio link: every request takes this long to reach the device.
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if !host.reachable() {
        return Err(LinkDown);
    }
    let endpoint = req
        .uri()
        .path()
        .strip_prefix('/')
        .unwrap_or_default()
        .to_owned();
    if !ALL.contains(&endpoint.as_str()) {
        return Ok(server_error(StatusCode::NOT_FOUND, NOT_FOUND_TEXT));
    }
    if req.method() != Method::POST {
        return Ok(server_error(
            StatusCode::METHOD_NOT_ALLOWED,
            METHOD_NOT_ALLOWED_TEXT,
        ));
    }
    let cookie = session_cookie(&req);
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "InvalidProto: body larger than 4096 bytes",
            ));
        }
    };
    let host2 = host.clone();
    let out = tokio::task::spawn_blocking(move || host2.handle(&endpoint, cookie, &body))
        .await
        .map_err(|_| LinkDown)?;
    let mut resp = Response::new(Full::new(Bytes::from(out.body)));
    *resp.status_mut() =
        StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_ESP_IDF));
    if let Some(c) = out.set_cookie {
        if let Ok(v) = HeaderValue::from_str(&format!("session={c}")) {
            resp.headers_mut().insert(SET_COOKIE, v);
        }
    }
    if let Some(s) = out.retry_after_s {
        resp.headers_mut().insert(RETRY_AFTER, HeaderValue::from(s));
    }
    Ok(resp)
}

/// Binds the listener (so the address is known before serving).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Accepts connections forever; each request reaches the device after `latency`.
pub async fn run(listener: TcpListener, host: Host, latency: Duration) -> Infallible {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        if !host.reachable() {
            drop(stream);
            continue;
        }
        let host = host.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| serve(host.clone(), req, latency));
            let _ = http1::Builder::new()
                .keep_alive(true)
                .title_case_headers(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
