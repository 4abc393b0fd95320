//! Load benchmark of `POST /cert` (CSR signing) against a real provisiond over HTTPS:
//! 64 concurrent clients with keep-alive connections, each posting distinct serials.
//! Prints signatures per second, p50 and p99. Not a test: it asserts nothing about speed.
//!
//! `cargo bench -p cloud --bench cert_load` (env: LOAD_CLIENTS=64, LOAD_REQUESTS=12800).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{CertificateParams, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_provisiond");

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn admin(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("provisiond admin");
    assert!(
        out.status.success(),
        "{:?}: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn csr(sn: &str) -> String {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, sn);
    params.serialize_request(&key).unwrap().pem().unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// User + system CPU seconds of a process, from /proc/PID/stat.
fn cpu_secs(stat: &str) -> f64 {
    let text = std::fs::read_to_string(stat).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start at ") ".
    let rest = text.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / hz
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let clients = env_usize("LOAD_CLIENTS", 64);
    let requests = env_usize("LOAD_REQUESTS", 12_800).max(clients);
    let warmup = clients * 4;
    let dir = tempfile::tempdir().unwrap();

    let serials: Vec<String> = (0..requests + warmup)
        .map(|i| format!("LOAD-{i:06}"))
        .collect();
    let csv = dir.path().join("serials.csv");
    std::fs::write(&csv, format!("sn\n{}\n", serials.join("\n"))).unwrap();
    admin(dir.path(), &["serial", "import", csv.to_str().unwrap()]);

    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--mqtt-port",
            "0",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("PROVISIOND_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn provisiond");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).expect("ready line");
    let api = ready["api"].as_str().unwrap().to_owned();
    let ca = std::fs::read(ready["ca"].as_str().unwrap()).unwrap();

    eprintln!("making {} CSRs...", serials.len());
    let bodies: Vec<String> = serials
        .iter()
        .map(|sn| json!({"sn": sn, "csr": csr(sn)}).to_string())
        .collect();

    let server_pid = child.id();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let client = |ca: &[u8]| {
            reqwest::Client::builder()
                .tls_certs_only([reqwest::Certificate::from_pem(ca).unwrap()])
                .pool_max_idle_per_host(1)
                .build()
                .unwrap()
        };
        let http = client(&ca);
        let creds = json!({"email": "bench@example.com", "password": "benchmark password"});
        let r = http
            .post(format!("{api}/auth/signup"))
            .json(&creds)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let code = admin(dir.path(), &["user", "code", "bench@example.com"]);
        let r = http
            .post(format!("{api}/auth/confirm"))
            .json(&json!({"email": "bench@example.com", "code": code.trim()}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let tokens: Value = http
            .post(format!("{api}/auth/signin"))
            .json(&creds)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let auth = format!("Bearer {}", tokens["idToken"].as_str().unwrap());

        let (warm, measured) = bodies.split_at(warmup);
        let run = |batch: Vec<String>| {
            let api = api.clone();
            let auth = auth.clone();
            let ca = ca.clone();
            async move {
                let per = batch.len().div_ceil(clients);
                let mut tasks = Vec::new();
                for chunk in batch.chunks(per) {
                    let chunk = chunk.to_vec();
                    let http = client(&ca);
                    let url = format!("{api}/cert");
                    let auth = auth.clone();
                    tasks.push(tokio::spawn(async move {
                        let mut lat = Vec::with_capacity(chunk.len());
                        let mut errors = 0usize;
                        for body in chunk {
                            let t = Instant::now();
                            let r = http
                                .post(&url)
                                .header("Authorization", &auth)
                                .header("Content-Type", "application/json")
                                .body(body)
                                .send()
                                .await;
                            match r {
                                Ok(r) if r.status() == 200 => {
                                    let _ = r.bytes().await;
                                    lat.push(t.elapsed());
                                }
                                _ => errors += 1,
                            }
                        }
                        (lat, errors)
                    }));
                }
                let start = Instant::now();
                let mut lat = Vec::new();
                let mut errors = 0;
                for t in tasks {
                    let (l, e) = t.await.unwrap();
                    lat.extend(l);
                    errors += e;
                }
                (start.elapsed(), lat, errors)
            }
        };
        run(warm.to_vec()).await;
        let server_before = cpu_secs(&format!("/proc/{server_pid}/stat"));
        let client_before = cpu_secs("/proc/self/stat");
        let (elapsed, mut lat, errors) = run(measured.to_vec()).await;
        let server_cpu = cpu_secs(&format!("/proc/{server_pid}/stat")) - server_before;
        let client_cpu = cpu_secs("/proc/self/stat") - client_before;
        lat.sort();
        let ok = lat.len();
        let rate = ok as f64 / elapsed.as_secs_f64();
        println!(
            "POST /cert (CSR, P-256), {clients} clients, {ok} ok, {errors} errors, {:.2} s: \
             {rate:.0} signatures/s, p50 {:.1} ms, p99 {:.1} ms",
            elapsed.as_secs_f64(),
            percentile(&lat, 0.50).as_secs_f64() * 1e3,
            percentile(&lat, 0.99).as_secs_f64() * 1e3,
        );
        println!(
            "CPU during the run: provisiond {server_cpu:.2} s ({:.0} us per signature), \
             bench client {client_cpu:.2} s, wall {:.2} s",
            server_cpu / ok.max(1) as f64 * 1e6,
            elapsed.as_secs_f64(),
        );
    });
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let _ = child.wait();
}
