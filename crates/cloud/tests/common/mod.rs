//! Test harness: a real `provisiond` (real HTTPS on loopback, real mosquitto) in a temp dir,
//! an HTTPS client trusting its CA, and an MQTT device client with mutual TLS.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{CertificateParams, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, TlsConfiguration, Transport};
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_provisiond");

/// A running provisiond; SIGTERM on drop.
pub struct Server {
    pub dir: PathBuf,
    pub api: String,
    pub mqtt_port: u16,
    pub ca_pem: String,
    pub http: reqwest::Client,
    child: Child,
}

fn require_mosquitto() {
    let bin = std::env::var("IOTP_MOSQUITTO").unwrap_or_else(|_| "/usr/sbin/mosquitto".into());
    assert!(
        Path::new(&bin).exists(),
        "these tests need mosquitto at {bin} (apt-get install mosquitto, or set IOTP_MOSQUITTO)"
    );
}

impl Server {
    /// Starts provisiond on free ports over `dir` and waits for its ready line.
    pub fn start(dir: &Path) -> Server {
        Self::start_with(dir, &[])
    }

    /// As [`Server::start`], with extra `serve` arguments (limits, timers).
    /// A server for load tests: the per-IP and per-account rate limits (tested by abuse.rs)
    /// out of the way of one client's thousands of requests.
    pub fn start_unthrottled(dir: &Path) -> Server {
        Self::start_with(
            dir,
            &["--rate-per-ip", "1000000", "--rate-per-account", "1000000"],
        )
    }

    pub fn start_with(dir: &Path, extra: &[&str]) -> Server {
        Self::spawn(dir, extra, &[], false)
    }

    /// As [`Server::start_with`], with environment variables for provisiond (its test-only
    /// knobs: `PROVISIOND_LEASE_SECS`, `PROVISIOND_CRL_VALIDITY_SECS`).
    pub fn start_with_env(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        Self::spawn(dir, extra, env, false)
    }

    /// A server (with the load tests' limits) in a process group of its own, with its
    /// mosquitto, so [`Server::power_off`] can kill both at once; `env` is added to its
    /// environment.
    pub fn start_group(dir: &Path, env: &[(&str, &str)]) -> Server {
        Self::spawn(
            dir,
            &["--rate-per-ip", "1000000", "--rate-per-account", "1000000"],
            env,
            true,
        )
    }

    fn spawn(dir: &Path, extra: &[&str], env: &[(&str, &str)], group: bool) -> Server {
        use std::os::unix::process::CommandExt;
        require_mosquitto();
        let mut cmd = Command::new(BIN);
        if group {
            cmd.process_group(0);
        }
        let mut child = cmd
            .envs(env.iter().copied())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--mqtt-port",
                "0",
                "--data-dir",
            ])
            .arg(dir)
            .args(extra)
            .env("PROVISIOND_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn provisiond");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read ready line");
        assert!(!line.is_empty(), "provisiond exited before its ready line");
        let ready: Value = serde_json::from_str(&line).expect("ready line is JSON");
        let api = ready["api"].as_str().unwrap().to_owned();
        let mqtt = ready["mqtt"].as_str().unwrap();
        let mqtt_port = mqtt.rsplit(':').next().unwrap().parse().unwrap();
        let ca_pem = std::fs::read_to_string(ready["ca"].as_str().unwrap()).unwrap();
        let http = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
            .build()
            .unwrap();
        Server {
            dir: dir.to_owned(),
            api,
            mqtt_port,
            ca_pem,
            http,
            child,
        }
    }

    /// SIGKILL and wait: a crash, with no chance to clean up.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGKILL to the server's whole process group (provisiond and its mosquitto, started
    /// by [`Server::start_group`]) at once, as a power cut stops them, and wait for
    /// provisiond.
    pub fn power_off(mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: kill(2) on the process group our own (unreaped) child leads.
            unsafe {
                libc::kill(-(self.child.id() as i32), libc::SIGKILL);
            }
        }
        let _ = self.child.wait();
    }

    /// SIGTERM to provisiond (started by [`Server::start_group`]) and wait; then SIGKILL
    /// whatever is left in its process group. Returns whether anything was left (a broker
    /// that outlived its provisiond).
    pub fn stop_group(mut self) -> bool {
        let pgid = self.child.id() as i32;
        self.terminate();
        // SAFETY: kill(2) on the process group our child led; signal 0 only probes.
        let left = unsafe { libc::kill(-pgid, 0) } == 0;
        if left {
            // SAFETY: as above.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
        left
    }

    /// SIGTERM and wait.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return; // already ended (and reaped): its pid may belong to someone else now
        }
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }

    /// Runs an admin command on the same data directory; returns (success, stdout).
    pub fn admin(&self, args: &[&str]) -> (bool, String) {
        admin(&self.dir, args)
    }

    /// Sends a request; returns (status, JSON body).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.api);
        let mut req = self.http.request(method.parse().unwrap(), url);
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request reaches provisiond");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{method} {path}: body is not JSON: {text:?}"));
        (status, value)
    }

    /// Signs up, confirms (code from the admin command) and signs in; returns the ID token.
    pub async fn user(&self, email: &str) -> String {
        let creds = json!({"email": email, "password": "correct horse battery"});
        let (s, b) = self
            .call("POST", "/auth/signup", None, Some(creds.clone()))
            .await;
        assert_eq!(s, 201, "{b}");
        let (ok, code) = self.admin(&["user", "code", email]);
        assert!(ok, "user code: {code}");
        let (s, b) = self
            .call(
                "POST",
                "/auth/confirm",
                None,
                Some(json!({"email": email, "code": code.trim()})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (s, b) = self.call("POST", "/auth/signin", None, Some(creds)).await;
        assert_eq!(s, 200, "{b}");
        b["idToken"].as_str().unwrap().to_owned()
    }

    /// POST /cert with a fresh P-256 CSR; returns (status, body, device key).
    pub async fn provision(&self, token: &str, sn: &str) -> (u16, Value, KeyPair) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let csr = csr(sn, &key);
        let (s, b) = self
            .call(
                "POST",
                "/cert",
                Some(token),
                Some(json!({"sn": sn, "csr": csr})),
            )
            .await;
        (s, b, key)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Runs `provisiond --data-dir DIR ARGS...`: (exit success, stdout).
pub fn admin(dir: &Path, args: &[&str]) -> (bool, String) {
    let (ok, out, _) = run_provisiond(dir, args);
    (ok, out)
}

/// Runs `provisiond --data-dir DIR ARGS...`: (exit success, stdout, stderr).
pub fn run_provisiond(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("PROVISIOND_LOG", "warn")
        .output()
        .expect("run provisiond");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A PEM CSR with CN = `cn`.
pub fn csr(cn: &str, key: &KeyPair) -> String {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.serialize_request(key).unwrap().pem().unwrap()
}

pub fn der_of(pem: &str) -> Vec<u8> {
    x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .unwrap()
        .1
        .contents
}

/// How a device's MQTT connection attempt ended.
pub enum Connect {
    /// CONNACK received; the client and its event loop.
    Accepted(AsyncClient, Box<EventLoop>),
    /// Refused (TLS alert, connection closed) with the error text.
    Refused(String),
}

/// Connects as device `sn` (client id = serial) with its certificate and key to the broker.
pub async fn mqtt_connect(server: &Server, sn: &str, cert_pem: &str, key: &KeyPair) -> Connect {
    mqtt_connect_as(server, sn, cert_pem, key).await
}

/// Connects with a certificate and key, asking for any MQTT client id.
pub async fn mqtt_connect_as(
    server: &Server,
    client_id: &str,
    cert_pem: &str,
    key: &KeyPair,
) -> Connect {
    let cfg = cloud::local::tls::client_config(
        der_of(&server.ca_pem),
        der_of(cert_pem),
        key.serialize_der(),
    )
    .unwrap();
    let mut opts = MqttOptions::new(client_id, "127.0.0.1", server.mqtt_port);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
        Arc::new(Arc::unwrap_or_clone(cfg)),
    )));
    let (client, mut events) = AsyncClient::new(opts, 16);
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.poll()).await {
            Err(_) => return Connect::Refused("no answer within 10 s".into()),
            Ok(Ok(Event::Incoming(Packet::ConnAck(ack)))) => {
                if ack.code == rumqttc::ConnectReturnCode::Success {
                    return Connect::Accepted(client, Box::new(events));
                }
                return Connect::Refused(format!("{:?}", ack.code));
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Connect::Refused(e.to_string()),
        }
    }
}

/// Polls the event loop until `pred` matches an incoming packet (bounded by 10 s).
pub async fn wait_for(events: &mut EventLoop, mut pred: impl FnMut(&Packet) -> bool) -> Packet {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), events.poll())
            .await
            .expect("broker answered within 10 s")
            .expect("connection stays up");
        if let Event::Incoming(p) = ev
            && pred(&p)
        {
            return p;
        }
    }
}

/// Serial numbers (hex, lower case) listed by `DIR/crl.pem`.
pub fn crl_serials(dir: &std::path::Path) -> BTreeSet<String> {
    let pem = std::fs::read(dir.join("crl.pem")).expect("crl.pem exists");
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).expect("crl.pem is PEM");
    let (_, crl) = x509_parser::parse_x509_crl(&pem.contents).expect("crl.pem is a CRL");
    crl.iter_revoked_certificates()
        .map(|r| {
            r.raw_serial()
                .iter()
                .skip_while(|b| **b == 0)
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect()
}

/// (sn, serial hex, status) of every certificate in the store.
pub fn certificates(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open_with_flags(
        dir.join("provisiond.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn
        .prepare("SELECT sn, serial_hex, status FROM certificates")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

pub fn serial_hex_of(pem: &str) -> String {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&pem.contents).unwrap();
    cert.raw_serial()
        .iter()
        .skip_while(|b| **b == 0)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The pid of the mosquitto that provisiond runs on `dir`.
pub fn mosquitto_pid(dir: &Path) -> i32 {
    std::fs::read_to_string(dir.join("mosquitto.pid"))
        .expect("mosquitto.pid")
        .trim()
        .parse()
        .expect("a pid")
}

/// Certificate serials (hex) of `sn` with status `active` in the store.
pub fn active_certificates(dir: &Path, sn: &str) -> Vec<String> {
    certificates(dir)
        .into_iter()
        .filter(|(s, _, status)| s == sn && status == "active")
        .map(|(_, serial, _)| serial)
        .collect()
}

/// Tries to connect until `done` accepts the outcome, up to 30 attempts a second apart (the
/// broker applies a new CRL a moment after the store changed); returns whether it did.
pub async fn eventually_connect(
    server: &Server,
    sn: &str,
    cert_pem: &str,
    key: &KeyPair,
    mut done: impl FnMut(&Connect) -> bool,
) -> bool {
    for _ in 0..30 {
        if done(&mqtt_connect(server, sn, cert_pem, key).await) {
            return true;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    false
}
