//! Crash test: a real provisiond under load (32 clients over HTTPS, fresh serials and
//! re-keys) is killed with SIGKILL at a random moment, restarted on the same data directory,
//! loaded and killed again. Afterwards every certificate a client received with a 200 must be
//! in the store (0 lost), no serial that was answered is left without an active certificate,
//! and after the restart every such serial can be re-keyed at once (no lease left behind).
//!
//! The random moments come from a printed seed; `CRASH_SEED=<n>` replays one.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Server, csr, serial_hex_of};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256};
use serde_json::{Value, json};

const ROUNDS: usize = 6;
const CLIENTS: usize = 32;
const POOL: usize = 20_000;

/// xorshift64*: enough to spread kill moments and re-key choices.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A 200: (serial, certificate serial hex, certificate id, PEM).
type Acked = (String, String, String, String);

/// What one client was told.
enum Outcome {
    /// 200: (serial, certificate serial hex, certificate id, PEM).
    Issued(String, String, String, String),
    /// 409 provisioning_in_progress on a re-key: refused, nothing changed.
    Busy,
    /// Another HTTP status: a failure of the server while it was up.
    Unexpected(u16, Value),
    /// No HTTP answer (the server was killed): the client knows nothing was promised.
    NoAnswer,
}

async fn provision(http: &reqwest::Client, api: &str, token: &str, sn: &str) -> Outcome {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let body = json!({"sn": sn, "csr": csr(sn, &key)});
    let sent = http
        .post(format!("{api}/cert"))
        .header("Authorization", format!("Bearer {token}"))
        .json(&body)
        .timeout(Duration::from_secs(60))
        .send()
        .await;
    let Ok(resp) = sent else {
        return Outcome::NoAnswer;
    };
    let status = resp.status().as_u16();
    let Ok(text) = resp.text().await else {
        return Outcome::NoAnswer;
    };
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    match status {
        200 => {
            let pem = value["certificatePem"].as_str().unwrap().to_owned();
            let id = value["certificateId"].as_str().unwrap().to_owned();
            Outcome::Issued(sn.to_owned(), serial_hex_of(&pem), id, pem)
        }
        409 if value["code"] == "provisioning_in_progress" => Outcome::Busy,
        _ => Outcome::Unexpected(status, value),
    }
}

/// (id, sn, serial hex, status, PEM) of every certificate in the store, by serial hex.
fn stored(dir: &std::path::Path) -> BTreeMap<String, (String, String, String, Option<String>)> {
    let conn = rusqlite::Connection::open_with_flags(
        dir.join("provisiond.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn
        .prepare("SELECT id, sn, serial_hex, status, pem FROM certificates")
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(2)?,
            (r.get(0)?, r.get(1)?, r.get(3)?, r.get(4)?),
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_no_acknowledged_certificate() {
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| RandomState::new().hash_one(std::process::id()) | 1);
    eprintln!("CRASH_SEED={seed}");
    let mut rng = Rng(seed);

    let dir = tempfile::tempdir().unwrap();
    // The serial list lives outside the data directory, which provisiond wants private.
    let input = tempfile::tempdir().unwrap();
    let csv: String = (0..POOL).map(|i| format!("CRASH-{i:05}\n")).collect();
    let serials_csv = input.path().join("serials.csv");
    std::fs::write(&serials_csv, csv).unwrap();
    let mut first = Some(Server::start_unthrottled(dir.path()));
    let server = first.as_ref().unwrap();
    let (ok, out) = server.admin(&["serial", "import", serials_csv.to_str().unwrap()]);
    assert!(ok, "serial import: {out}");
    let token = server.user("crash@example.com").await;

    let next_fresh = Arc::new(AtomicUsize::new(0));
    // Serials answered so far (re-key candidates), and every 200 with its certificate.
    let answered_sns: Arc<Mutex<Vec<String>>> = Arc::default();
    let issued: Arc<Mutex<Vec<Acked>>> = Arc::default();
    let unexpected: Arc<Mutex<Vec<(u16, Value)>>> = Arc::default();
    let mut killed_with_requests_in_flight = 0;

    for round in 0..ROUNDS {
        let server = first
            .take()
            .unwrap_or_else(|| Server::start_unthrottled(dir.path()));
        let dead = Arc::new(AtomicBool::new(false));
        let first_answer = Arc::new(tokio::sync::Notify::new());
        let in_flight = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for client in 0..CLIENTS {
            let (http, api, token) = (server.http.clone(), server.api.clone(), token.clone());
            let (next_fresh, answered_sns, issued, unexpected) = (
                next_fresh.clone(),
                answered_sns.clone(),
                issued.clone(),
                unexpected.clone(),
            );
            let (dead, first_answer, in_flight) =
                (dead.clone(), first_answer.clone(), in_flight.clone());
            let mut crng =
                Rng(seed
                    ^ ((round * CLIENTS + client + 1) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            tasks.push(tokio::spawn(async move {
                while !dead.load(Ordering::SeqCst) {
                    // One request in four re-keys a serial answered before.
                    let rekey = {
                        let sns = answered_sns.lock().unwrap();
                        (!sns.is_empty() && crng.below(4) == 0)
                            .then(|| sns[crng.below(sns.len() as u64) as usize].clone())
                    };
                    let sn = rekey.unwrap_or_else(|| {
                        let i = next_fresh.fetch_add(1, Ordering::SeqCst);
                        assert!(i < POOL, "serial pool exhausted");
                        format!("CRASH-{i:05}")
                    });
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let outcome = provision(&http, &api, &token, &sn).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    match outcome {
                        Outcome::Issued(sn, hex, id, pem) => {
                            issued.lock().unwrap().push((sn.clone(), hex, id, pem));
                            answered_sns.lock().unwrap().push(sn);
                            first_answer.notify_one();
                        }
                        Outcome::Busy => {}
                        Outcome::Unexpected(s, b) => {
                            if !dead.load(Ordering::SeqCst) {
                                unexpected.lock().unwrap().push((s, b));
                            }
                        }
                        Outcome::NoAnswer => break,
                    }
                }
            }));
        }
        // Let the load start, then kill at a random moment within the next 1.2 s.
        first_answer.notified().await;
        tokio::time::sleep(Duration::from_millis(rng.below(1200))).await;
        if in_flight.load(Ordering::SeqCst) > 0 {
            killed_with_requests_in_flight += 1;
        }
        dead.store(true, Ordering::SeqCst);
        server.kill();
        for t in tasks {
            t.await.unwrap();
        }
        eprintln!(
            "round {round}: {} certificates acknowledged so far",
            issued.lock().unwrap().len()
        );
    }

    let unexpected = unexpected.lock().unwrap().clone();
    assert!(
        unexpected.is_empty(),
        "answers other than 200/409 while the server was up: {unexpected:?}"
    );
    assert!(
        killed_with_requests_in_flight > 0,
        "at least one kill landed while requests were in flight"
    );

    // Every acknowledged certificate is in the store, under its serial, with its id; an
    // active one still has its PEM (revoked ones are kept as CRL entries without it).
    let issued = issued.lock().unwrap().clone();
    let store = stored(dir.path());
    let mut lost = Vec::new();
    for (sn, hex, id, pem) in &issued {
        match store.get(hex) {
            Some((sid, ssn, status, spem))
                if sid == id
                    && ssn == sn
                    && (status == "revoked" || spem.as_deref() == Some(pem.as_str())) => {}
            other => lost.push((sn.clone(), hex.clone(), other.cloned())),
        }
    }
    eprintln!(
        "acknowledged {} certificates over {ROUNDS} SIGKILLs ({killed_with_requests_in_flight} with requests in flight); lost {}",
        issued.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "lost acknowledged certificates: {lost:?}");
    assert!(issued.len() >= ROUNDS, "the load produced answers");

    // No serial that was answered is left without an active certificate.
    let answered: BTreeSet<String> = issued.iter().map(|i| i.0.clone()).collect();
    let with_active: BTreeSet<String> = store
        .values()
        .filter(|c| c.2 == "active")
        .map(|c| c.1.clone())
        .collect();
    let without: Vec<_> = answered.difference(&with_active).collect();
    assert!(
        without.is_empty(),
        "serials left without a certificate: {without:?}"
    );

    // The restarted server finds a sound database, and re-keys every answered serial at
    // once (leases of killed requests do not linger), leaving one active certificate each.
    let server = Server::start_unthrottled(dir.path());
    {
        let conn = rusqlite::Connection::open(dir.path().join("provisiond.db")).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
    let sample: Vec<String> = answered.iter().take(64).cloned().collect();
    let mut tasks = Vec::new();
    for sn in sample.clone() {
        let (http, api, token) = (server.http.clone(), server.api.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            provision(&http, &api, &token, &sn).await
        }));
    }
    for t in tasks {
        match t.await.unwrap() {
            Outcome::Issued(..) => {}
            Outcome::Busy => panic!("a lease of a killed request still blocks a re-key"),
            Outcome::Unexpected(s, b) => panic!("re-key after restart: {s} {b}"),
            Outcome::NoAnswer => panic!("re-key after restart: no answer"),
        }
    }
    let store = stored(dir.path());
    for sn in &sample {
        let active = store
            .values()
            .filter(|c| &c.1 == sn && c.2 == "active")
            .count();
        assert_eq!(active, 1, "{sn} has exactly one active certificate");
    }
    server.stop();
}
