//! ResendConfirmationCode on the wire. moto has no handler for it, so a loopback HTTP server
//! stands in for the Cognito endpoint: the real provider (real AWS SDK) talks to it, the test
//! checks the request the SDK sent (target, JSON body, a SECRET_HASH computed here
//! independently, no credentials) and answers with Cognito's documented responses.

use std::sync::{Arc, Mutex};

use base64::Engine;
use hmac::{Hmac, Mac};
use provisioner::auth::{Auth, CognitoAuth};
use provisioner::validate::Email;
use provisioner::{Error, ErrorCode};
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const CLIENT_ID: &str = "wire-client-id-4711";
const CLIENT_SECRET: &str = "wire-client-secret-do-not-log-8842";
const EMAIL: &str = "alice@example.com";

/// One HTTP request as the server received it.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    path: String,
    /// Header names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the SDK sent a JSON body")
    }
}

/// A canned answer: HTTP status and JSON body.
#[derive(Clone)]
struct Answer {
    status: u16,
    body: &'static str,
}

/// A minimal HTTP/1.1 server on 127.0.0.1 that records every request and gives each the
/// same answer (keep-alive, Content-Length bodies: what the SDK's client sends).
struct FakeCognito {
    url: String,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl FakeCognito {
    async fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, answer.clone(), log.clone()));
            }
        });
        Self { url, seen }
    }

    fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }
}

/// Serves requests on one connection until the client closes it.
async fn serve(conn: TcpStream, answer: Answer, seen: Arc<Mutex<Vec<Request>>>) {
    let (read, mut write) = conn.into_split();
    let mut read = BufReader::new(read);
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            read.read_line(&mut h).await.unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').expect("header line");
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map(|(_, v)| v.parse().unwrap())
            .expect("the SDK sends a Content-Length");
        let mut body = vec![0; len];
        read.read_exact(&mut body).await.unwrap();
        seen.lock().unwrap().push(Request {
            method,
            path,
            headers,
            body,
        });
        let reason = if answer.status == 200 {
            "OK"
        } else {
            "Bad Request"
        };
        let head = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\n\
             x-amzn-RequestId: 6b4c5e2a-0f0e-4a8e-9a51-0c1d2e3f4a5b\r\n\
             Content-Length: {}\r\n\r\n",
            answer.status,
            answer.body.len()
        );
        write.write_all(head.as_bytes()).await.unwrap();
        write.write_all(answer.body.as_bytes()).await.unwrap();
    }
}

/// SECRET_HASH as Cognito defines it, computed here rather than with the crate's helper.
fn expected_secret_hash() -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(CLIENT_SECRET.as_bytes()).unwrap();
    mac.update(format!("{EMAIL}{CLIENT_ID}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Everything the provider and the SDK log (down to TRACE) while `f` runs on this thread.
async fn with_captured_logs<T>(f: impl std::future::Future<Output = T>) -> (T, String) {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let out = {
        let _guard = tracing::subscriber::set_default(subscriber);
        f.await
    };
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (out, logs)
}

/// Checks one ResendConfirmationCode request as Cognito's API reference describes it.
fn assert_resend_request(r: &Request, secret_hash: Option<&str>) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/");
    assert_eq!(
        r.header("x-amz-target"),
        Some("AWSCognitoIdentityProviderService.ResendConfirmationCode")
    );
    assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.1"));
    // A public call: no AWS credentials, so nothing signed.
    assert_eq!(r.header("authorization"), None, "{:?}", r.headers);
    let body = r.json();
    assert_eq!(body["ClientId"], CLIENT_ID, "{body}");
    assert_eq!(body["Username"], EMAIL, "{body}");
    match secret_hash {
        Some(h) => assert_eq!(body["SecretHash"], h, "{body}"),
        None => assert!(body.get("SecretHash").is_none(), "{body}"),
    }
    let raw = String::from_utf8_lossy(&r.body);
    assert!(!raw.contains(CLIENT_SECRET), "the client secret was sent");
}

async fn provider(endpoint: &str, secret: Option<&str>) -> CognitoAuth {
    CognitoAuth::new(
        "eu-west-1",
        CLIENT_ID,
        secret.map(str::to_owned),
        Some(endpoint),
    )
    .await
}

/// The capture saw the SDK at work (its spans name the operation), and no secret in it.
fn assert_sdk_logged_without_secret(logs: &str) {
    assert!(
        logs.contains("ResendConfirmationCode"),
        "the SDK's logs were not captured"
    );
    assert!(
        !logs.contains(CLIENT_SECRET),
        "the client secret was logged"
    );
}

#[tokio::test]
async fn resend_code_sends_the_documented_request_with_the_secret_hash() {
    let server = FakeCognito::start(Answer {
        status: 200,
        body: r#"{"CodeDeliveryDetails":{"Destination":"a***@e***","DeliveryMedium":"EMAIL","AttributeName":"email"}}"#,
    })
    .await;
    let auth = provider(&server.url, Some(CLIENT_SECRET)).await;
    let me = Email::parse(EMAIL).unwrap();

    let (result, logs) = with_captured_logs(auth.resend_code(&me)).await;
    result.expect("the documented success answer is accepted");

    let seen = server.requests();
    assert_eq!(seen.len(), 1, "one call, no retry: {seen:?}");
    let hash = expected_secret_hash();
    assert_resend_request(&seen[0], Some(&hash));
    assert_sdk_logged_without_secret(&logs);
}

#[tokio::test]
async fn resend_code_without_a_client_secret_sends_no_secret_hash() {
    let server = FakeCognito::start(Answer {
        status: 200,
        body: r#"{"CodeDeliveryDetails":{"Destination":"a***@e***","DeliveryMedium":"EMAIL","AttributeName":"email"}}"#,
    })
    .await;
    let auth = provider(&server.url, None).await;
    auth.resend_code(&Email::parse(EMAIL).unwrap())
        .await
        .unwrap();
    let seen = server.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_resend_request(&seen[0], None);
}

#[tokio::test]
async fn resend_code_rate_limited_is_a_clear_typed_error() {
    let server = FakeCognito::start(Answer {
        status: 400,
        body: r#"{"__type":"LimitExceededException","message":"Attempt limit exceeded, please try after some time."}"#,
    })
    .await;
    let auth = provider(&server.url, Some(CLIENT_SECRET)).await;
    let me = Email::parse(EMAIL).unwrap();

    let (result, logs) = with_captured_logs(auth.resend_code(&me)).await;
    let e: Error = result.unwrap_err();
    assert_eq!(e.code, ErrorCode::TooManyAttempts, "{e:?}");
    assert_eq!(
        e.message,
        "Too many attempts: wait a few minutes and try again."
    );

    // The SDK classes LimitExceededException as throttling and retries it (standard mode:
    // at most 3 attempts); every attempt is the same well-formed request.
    let seen = server.requests();
    assert!((1..=3).contains(&seen.len()), "{seen:?}");
    let hash = expected_secret_hash();
    for r in &seen {
        assert_resend_request(r, Some(&hash));
    }
    assert_sdk_logged_without_secret(&logs);
}

#[tokio::test]
async fn resend_code_for_an_unknown_user_says_so() {
    // Another documented error, mapped to the sign-in wording (it does not reveal more).
    let server = FakeCognito::start(Answer {
        status: 400,
        body: r#"{"__type":"UserNotFoundException","message":"Username/client id combination not found."}"#,
    })
    .await;
    let auth = provider(&server.url, Some(CLIENT_SECRET)).await;
    let e = auth
        .resend_code(&Email::parse(EMAIL).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::BadCredentials, "{e:?}");
    assert_eq!(server.requests().len(), 1);
}
