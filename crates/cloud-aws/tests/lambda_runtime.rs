//! The real `bootstrap` binary as Lambda runs it: started with `AWS_LAMBDA_RUNTIME_API`
//! pointing at an emulator of the Lambda Runtime API on loopback (the same HTTP endpoints
//! Lambda's runtime serves: next invocation, response, error), its AWS calls going through
//! the SDK to moto. Proves the binary starts, reads its configuration from the environment,
//! and serves both event shapes through the router, invocation after invocation, writing one
//! CloudWatch JSON line per audited event on its stdout.
//! `IOTP_BOOTSTRAP` / `IOTP_BOOTSTRAP_RUNNER` run another build of it (docs/aws.md: the arm64
//! build under qemu-user).

mod support;

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};
use support::{backends_and_tables, csr_for, moto_url, proxy_event, registered};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{Mutex, mpsc, oneshot};

const API: &str = "/2018-06-01/runtime";

/// What the function answered for one invocation.
#[derive(Debug)]
enum Outcome {
    Response(Value),
    Error(Value),
}

/// The emulator's state: invocations waiting for the function, and who waits for each answer.
struct Runtime {
    queue: Mutex<mpsc::Receiver<(String, Value)>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: Mutex<Option<Value>>,
}

async fn next(State(rt): State<Arc<Runtime>>) -> (HeaderMap, String) {
    let (id, event) = rt
        .queue
        .lock()
        .await
        .recv()
        .await
        .expect("the test keeps the queue open while the function runs");
    let mut headers = HeaderMap::new();
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 20_000;
    let header = |v: &str| HeaderValue::from_str(v).unwrap();
    headers.insert("Lambda-Runtime-Aws-Request-Id", header(&id));
    headers.insert("Lambda-Runtime-Deadline-Ms", header(&deadline.to_string()));
    headers.insert(
        "Lambda-Runtime-Invoked-Function-Arn",
        header("arn:aws:lambda:us-east-1:123456789012:function:iotp-cert"),
    );
    headers.insert(
        "Lambda-Runtime-Trace-Id",
        header("Root=1-00000000-000000000000000000000000"),
    );
    headers.insert("Content-Type", header("application/json"));
    (headers, event.to_string())
}

async fn answer(rt: &Runtime, id: &str, outcome: Outcome) -> StatusCode {
    match rt.waiting.lock().await.remove(id) {
        Some(tx) => {
            let _ = tx.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn response(
    State(rt): State<Arc<Runtime>>,
    Path(id): Path<String>,
    body: String,
) -> StatusCode {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    answer(&rt, &id, Outcome::Response(value)).await
}

async fn error(State(rt): State<Arc<Runtime>>, Path(id): Path<String>, body: String) -> StatusCode {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    answer(&rt, &id, Outcome::Error(value)).await
}

async fn init_error(State(rt): State<Arc<Runtime>>, body: String) -> StatusCode {
    *rt.init_error.lock().await = Some(serde_json::from_str(&body).unwrap_or(Value::String(body)));
    StatusCode::ACCEPTED
}

/// The emulator and the running function.
struct Lambda {
    runtime: Arc<Runtime>,
    invocations: mpsc::Sender<(String, Value)>,
    child: tokio::process::Child,
    count: usize,
    /// Every line the function wrote on stdout (what CloudWatch Logs would keep).
    stdout: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Lambda {
    async fn start(tables: &cloud_aws::Tables, mode: &str) -> Lambda {
        let (tx, rx) = mpsc::channel(8);
        let runtime = Arc::new(Runtime {
            queue: Mutex::new(rx),
            waiting: Mutex::new(HashMap::new()),
            init_error: Mutex::new(None),
        });
        let app = Router::new()
            .route(&format!("{API}/invocation/next"), get(next))
            .route(&format!("{API}/invocation/{{id}}/response"), post(response))
            .route(&format!("{API}/invocation/{{id}}/error"), post(error))
            .route(&format!("{API}/init/error"), post(init_error))
            .with_state(runtime.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        // IOTP_BOOTSTRAP runs another build of the function instead (the arm64 release build
        // under `qemu-aarch64 -L /usr/aarch64-linux-gnu`, given as IOTP_BOOTSTRAP_RUNNER).
        let bin = std::env::var("IOTP_BOOTSTRAP")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_bootstrap").to_owned());
        let mut command = match std::env::var("IOTP_BOOTSTRAP_RUNNER") {
            Ok(runner) => {
                let mut words = runner.split_whitespace();
                let mut c = tokio::process::Command::new(words.next().expect("a runner"));
                c.args(words).arg(&bin);
                c
            }
            Err(_) => tokio::process::Command::new(&bin),
        };
        let mut child = command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "iotp-cert")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/iotp-cert")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_ENDPOINT_URL", moto_url())
            .env("IOTP_DSN_TABLE", &tables.registry)
            .env("IOTP_LAST_SEEN_TABLE", &tables.last_seen)
            .env("IOTP_CREDENTIAL_MODE", mode)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the bootstrap binary");
        let stdout = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let sink = stdout.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        Lambda {
            runtime,
            invocations: tx,
            child,
            count: 0,
            stdout,
        }
    }

    /// Invokes the function with `event` and waits for its answer.
    async fn invoke(&mut self, event: Value) -> Outcome {
        self.count += 1;
        let id = format!("req-{}", self.count);
        let (tx, rx) = oneshot::channel();
        self.runtime.waiting.lock().await.insert(id.clone(), tx);
        self.invocations.send((id, event)).await.unwrap();
        match tokio::time::timeout(Duration::from_secs(30), rx).await {
            Ok(Ok(outcome)) => outcome,
            _ => {
                let init = self.runtime.init_error.lock().await.clone();
                let exited = self.child.try_wait().ok().flatten();
                panic!("no answer from the function (init error: {init:?}, exited: {exited:?})")
            }
        }
    }
}

impl Lambda {
    /// A REST proxy `POST /cert` with a fresh CSR for `sn` by the Cognito user `sub`; checks
    /// the status and returns the JSON body.
    async fn post_cert(&mut self, sn: &cloud::serial::Serial, sub: &str, status: u16) -> Value {
        let body = json!({"sn": sn.as_str(), "csr": csr_for(sn)}).to_string();
        let event = proxy_event("POST", "/cert", None, Some(body), Some(sub));
        let answer = response_of(self.invoke(event).await);
        assert_eq!(answer["statusCode"], status, "{answer}");
        serde_json::from_str(answer["body"].as_str().unwrap()).unwrap()
    }
}

fn response_of(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Response(v) => v,
        Outcome::Error(e) => panic!("the function reported an error: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bootstrap_binary_serves_both_event_shapes_through_the_runtime_api() {
    let (backends, tables) = backends_and_tables().await;
    let sn = registered(&backends).await;
    let mut lambda = Lambda::start(&tables, "csr-and-seed").await;

    // REST proxy event: POST /cert with a CSR, caller from the Cognito authorizer's claims.
    let cert = lambda.post_cert(&sn, "sub-alice", 200).await;
    assert_eq!(cert["thingName"], sn.as_str());
    assert!(
        cert["certificatePem"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    let first_id = cert["certificateId"].as_str().unwrap().to_owned();

    // The record the function wrote is in DynamoDB (moto), bound to the caller.
    use cloud::backend::DeviceStore;
    let record = backends.store.device(&sn).await.unwrap().unwrap();
    assert_eq!(record.owner.unwrap().0, "sub-alice");
    assert_eq!(record.certificate_id.unwrap().0, first_id);

    // Another user's proxy request for the same device: 403 with the documented code, nothing
    // changes.
    let err = lambda.post_cert(&sn, "sub-mallory", 403).await;
    assert_eq!(err["code"], "device_owned_by_another_user");
    let record = backends.store.device(&sn).await.unwrap().unwrap();
    assert_eq!(record.certificate_id.unwrap().0, first_id);

    // The lab's non-proxy mapping event, the owner re-keying in seed mode: the lab's body.
    let lab = json!({
        "params": {"querystring": {"SN": sn.as_str()}},
        "context": {"authorizer": {"claims": {"sub": "sub-alice"}}}
    });
    let answer = response_of(lambda.invoke(lab).await);
    assert!(
        answer["certificatePem"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE"),
        "{answer}"
    );
    assert!(
        answer["privateKey"]
            .as_str()
            .unwrap()
            .contains("PRIVATE KEY")
    );
    let record = backends.store.device(&sn).await.unwrap().unwrap();
    assert_ne!(
        record.certificate_id.unwrap().0,
        first_id,
        "re-keying replaced the certificate"
    );
    assert!(lambda.runtime.init_error.lock().await.is_none());
}

impl Lambda {
    /// The audit lines on stdout once there are at least `n` (the function writes each before
    /// its answer; the pipe is read by another task).
    async fn audit_lines(&self, n: usize) -> Vec<Value> {
        for _ in 0..50 {
            let audit: Vec<Value> = self
                .stdout
                .lock()
                .unwrap()
                .iter()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter(|v| v["audit"] == true)
                .collect();
            if audit.len() >= n {
                return audit;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "fewer than {n} audit lines: {:#?}",
            self.stdout.lock().unwrap()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_claim_issuance_and_revocation_is_one_cloudwatch_json_line_without_secrets() {
    let (backends, tables) = backends_and_tables().await;
    let sn = registered(&backends).await;
    let mut lambda = Lambda::start(&tables, "csr-and-seed").await;

    let first = lambda.post_cert(&sn, "sub-alice", 200).await;
    // Refused: no change, no line.
    lambda.post_cert(&sn, "sub-mallory", 403).await;
    let lab = json!({
        "params": {"querystring": {"SN": sn.as_str()}},
        "context": {"authorizer": {"claims": {"sub": "sub-alice"}}}
    });
    let second = response_of(lambda.invoke(lab).await);
    let private_key = second["privateKey"].as_str().unwrap().to_owned();

    let lines = lambda.audit_lines(4).await;
    let got: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|v| {
            (
                v["actor"].as_str().unwrap(),
                v["action"].as_str().unwrap(),
                v["subject"].as_str().unwrap(),
            )
        })
        .collect();
    let sn_s = sn.as_str();
    assert_eq!(
        got,
        [
            ("sub-alice", "claim", sn_s),
            ("sub-alice", "issue", sn_s),
            ("sub-alice", "issue", sn_s),
            ("service", "revoke", sn_s),
        ],
        "{lines:#?}"
    );
    assert_eq!(lines[1]["detail"]["certificate_id"], first["certificateId"]);
    assert_eq!(
        lines[2]["detail"]["certificate_id"],
        second["certificateId"]
    );
    assert_eq!(lines[3]["detail"]["certificate_id"], first["certificateId"]);
    assert_eq!(lines[3]["detail"]["replaced_by"], second["certificateId"]);
    assert!(lines.iter().all(|v| v["at"].as_i64().unwrap() > 0));

    let all = lambda.stdout.lock().unwrap().join("\n");
    let key_body = private_key
        .lines()
        .find(|l| l.len() > 40 && !l.starts_with("-----"))
        .unwrap();
    for secret in [key_body, "PRIVATE KEY", "CERTIFICATE REQUEST"] {
        assert!(
            !all.contains(secret),
            "the function's stdout holds {secret:?}"
        );
    }
}
