//! The cloud client's retry rule on real loopback HTTP: transport errors and 5xx are retried
//! with backoff (three attempts in all), a 4xx never is, and the server's `{code, message}`
//! reaches the caller as a typed error with the server's sentence.

use std::sync::{Arc, Mutex};

use provisioner::ErrorCode;
use provisioner::http::Api;
use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A server that answers the n-th request with the n-th scripted (status, body), repeating the
/// last one, one request per connection; status 0 closes the connection without an answer (a
/// transport error). It counts the connections it got.
struct Scripted {
    url: String,
    hits: Arc<Mutex<usize>>,
}

impl Scripted {
    async fn start(script: Vec<(u16, &'static str)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(Mutex::new(0usize));
        let count = hits.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let n = {
                    let mut c = count.lock().unwrap();
                    *c += 1;
                    *c
                };
                let (status, body) = script[(n - 1).min(script.len() - 1)];
                if status == 0 {
                    drop(conn);
                    continue;
                }
                tokio::spawn(async move {
                    let (read, mut write) = conn.into_split();
                    let mut read = BufReader::new(read);
                    // Read the request head (GET, no body).
                    loop {
                        let mut line = String::new();
                        if read.read_line(&mut line).await.unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                    }
                    let head = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = write.write_all(head.as_bytes()).await;
                    let _ = write.write_all(body.as_bytes()).await;
                    let _ = write.shutdown().await;
                });
            }
        });
        Self { url, hits }
    }

    fn hits(&self) -> usize {
        *self.hits.lock().unwrap()
    }
}

async fn get(api: &Api) -> provisioner::Result<Value> {
    api.call::<(), Value>(Method::GET, "/devices/SN-1", None, Some("token"))
        .await
}

#[tokio::test]
async fn server_errors_are_retried_until_an_answer() {
    let server = Scripted::start(vec![
        (503, r#"{"code":"unavailable","message":"try later"}"#),
        (500, r#"{"code":"internal","message":"oops"}"#),
        (200, r#"{"sn":"SN-1"}"#),
    ])
    .await;
    let api = Api::new(&server.url, None).unwrap();
    let answer = get(&api).await.expect("the third attempt succeeds");
    assert_eq!(answer["sn"], "SN-1");
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn a_persistent_server_error_gives_up_after_three_attempts() {
    let server = Scripted::start(vec![(
        500,
        r#"{"code":"internal","message":"The service failed."}"#,
    )])
    .await;
    let api = Api::new(&server.url, None).unwrap();
    let err = get(&api).await.unwrap_err();
    assert_eq!(server.hits(), 3, "1 attempt + 2 retries");
    assert_eq!(err.code, ErrorCode::Server);
    assert!(err.message.contains("The service failed."), "{err:?}");
}

#[tokio::test]
async fn a_client_error_is_never_retried() {
    let server = Scripted::start(vec![
        (
            403,
            r#"{"code":"device_owned_by_another_user","message":"Another account owns SN-1."}"#,
        ),
        (200, r#"{"sn":"SN-1"}"#),
    ])
    .await;
    let api = Api::new(&server.url, None).unwrap();
    let err = get(&api).await.unwrap_err();
    assert_eq!(server.hits(), 1, "a 4xx is final");
    assert_eq!(err.code, ErrorCode::SerialOwnedByOther);
    assert!(
        err.message.contains("Another account owns SN-1."),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let server = Scripted::start(vec![(0, ""), (200, r#"{"sn":"SN-1"}"#)]).await;
    let api = Api::new(&server.url, None).unwrap();
    let answer = get(&api).await.expect("the retry succeeds");
    assert_eq!(answer["sn"], "SN-1");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_rate_limit_is_its_own_code_and_not_retried() {
    let server = Scripted::start(vec![(
        429,
        r#"{"code":"too_many_attempts","message":"Too many sign-in attempts; wait a minute."}"#,
    )])
    .await;
    let api = Api::new(&server.url, None).unwrap();
    let err = get(&api).await.unwrap_err();
    assert_eq!(server.hits(), 1);
    assert_eq!(err.code, ErrorCode::TooManyAttempts);
    assert!(err.message.contains("wait a minute"), "{err:?}");
}
