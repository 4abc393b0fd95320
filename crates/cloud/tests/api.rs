//! The HTTP API of a real provisiond over HTTPS on loopback: ownership, seed mode, accounts,
//! bad input (4xx `{code, message}` and nothing written), restart, concurrent re-keying.

mod common;

use common::{Server, csr};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384};
use serde_json::{Value, json};

fn devices(server: &Server) -> String {
    let (ok, out) = server.admin(&["device", "list"]);
    assert!(ok);
    out
}

fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(
        (status, body["code"].as_str().unwrap_or("")),
        (want_status, want_code),
        "{body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ownership_and_registry() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert!(server.admin(&["serial", "add", "OWN-0001"]).0);
    let alice = server.user("alice@example.com").await;
    let bob = server.user("bob@example.com").await;

    let (s, b, _) = server.provision(&alice, "NOT-REGISTERED").await;
    assert_error(s, &b, 403, "unknown_serial");
    let (s, b) = server
        .call("GET", "/devices/NOT-REGISTERED", Some(&alice), None)
        .await;
    assert_error(s, &b, 403, "unknown_serial");

    let (s, b, _) = server.provision(&alice, "OWN-0001").await;
    assert_eq!(s, 200, "{b}");
    let (s, b, _) = server.provision(&bob, "OWN-0001").await;
    assert_error(s, &b, 403, "device_owned_by_another_user");
    let (s, b) = server
        .call("GET", "/devices/OWN-0001", Some(&bob), None)
        .await;
    assert_error(s, &b, 403, "device_owned_by_another_user");
    let (s, b) = server
        .call("GET", "/cert?sn=OWN-0001", Some(&bob), None)
        .await;
    assert_error(s, &b, 403, "device_owned_by_another_user");

    let (ok, out) = server.admin(&["device", "release", "OWN-0001"]);
    assert!(ok, "{out}");
    let (s, b, _) = server.provision(&bob, "OWN-0001").await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = server
        .call("GET", "/devices/OWN-0001", Some(&bob), None)
        .await;
    assert_eq!((s, b["owner"].as_str()), (200, Some("bob@example.com")));
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_mode_returns_a_key_that_matches_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert!(server.admin(&["serial", "add", "SEED-01"]).0);
    let token = server.user("seed@example.com").await;
    // The lab's app sent the raw token without "Bearer" and the serial as `SN`.
    let resp = server
        .http
        .get(format!("{}/cert?SN=SEED-01", server.api))
        .header("Authorization", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let b: Value = resp.json().await.unwrap();
    let key = KeyPair::from_pem(b["privateKey"].as_str().unwrap()).unwrap();
    let cert = b["certificatePem"].as_str().unwrap();
    let der = x509_parser::pem::parse_x509_pem(cert.as_bytes())
        .unwrap()
        .1
        .contents;
    let (_, x509) = x509_parser::parse_x509_certificate(&der).unwrap();
    assert_eq!(
        x509.public_key().subject_public_key.data.as_ref(),
        key.public_key_raw()
    );
    let cn = x509.subject().iter_common_name().next().unwrap();
    assert_eq!(cn.as_str().unwrap(), "SEED-01");
    assert_eq!(b["thingName"], "SEED-01");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert!(server.admin(&["serial", "add", "BAD-0001"]).0);
    let token = server.user("carol@example.com").await;
    let before = devices(&server);

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let p384 = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
    let good_csr = csr("BAD-0001", &key);
    let expired = cloud::local::jwt::JwtKeys::load_or_create(dir.path())
        .unwrap()
        .sign("carol@example.com", cloud::local::db::now_secs() - 7200)
        .unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let forged = cloud::local::jwt::JwtKeys::load_or_create(other_dir.path())
        .unwrap()
        .sign("carol@example.com", cloud::local::db::now_secs())
        .unwrap();
    // Same header and signature, claims changed to another user.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims: Value = serde_json::from_slice(&b64.decode(&parts[1]).unwrap()).unwrap();
        claims["sub"] = json!("mallory@example.com");
        parts[1] = b64.encode(serde_json::to_vec(&claims).unwrap());
    }
    let tampered = parts.join(".");
    let huge = "A".repeat(70 * 1024);

    struct Case<'a> {
        what: &'a str,
        method: &'a str,
        path: String,
        token: Option<&'a str>,
        body: Option<Value>,
        status: u16,
        code: &'a str,
    }
    let post = |what, token, body: Value, status, code| Case {
        what,
        method: "POST",
        path: "/cert".into(),
        token,
        body: Some(body),
        status,
        code,
    };
    let t = Some(token.as_str());
    let cases = vec![
        post(
            "serial with a slash",
            t,
            json!({"sn": "BAD/0001", "csr": good_csr}),
            400,
            "invalid_serial",
        ),
        post(
            "serial too short",
            t,
            json!({"sn": "BAD", "csr": good_csr}),
            400,
            "invalid_serial",
        ),
        post(
            "serial with a wildcard",
            t,
            json!({"sn": "BAD-+#", "csr": good_csr}),
            400,
            "invalid_serial",
        ),
        post(
            "CN is another serial",
            t,
            json!({"sn": "BAD-0001", "csr": csr("BAD-0002", &key)}),
            400,
            "csr_subject_mismatch",
        ),
        post(
            "P-384 key",
            t,
            json!({"sn": "BAD-0001", "csr": csr("BAD-0001", &p384)}),
            400,
            "unsupported_key_type",
        ),
        post(
            "not a CSR",
            t,
            json!({"sn": "BAD-0001", "csr": "hello"}),
            400,
            "invalid_csr",
        ),
        post(
            "missing csr",
            t,
            json!({"sn": "BAD-0001"}),
            400,
            "bad_request",
        ),
        post(
            "wrong type",
            t,
            json!({"sn": 12345, "csr": good_csr}),
            400,
            "bad_request",
        ),
        post(
            "body over 64 KiB",
            t,
            json!({"sn": "BAD-0001", "csr": huge}),
            413,
            "body_too_large",
        ),
        post(
            "no token",
            None,
            json!({"sn": "BAD-0001", "csr": good_csr}),
            401,
            "unauthenticated",
        ),
        post(
            "expired token",
            Some(&expired),
            json!({"sn": "BAD-0001", "csr": good_csr}),
            401,
            "token_expired",
        ),
        post(
            "token of another key",
            Some(&forged),
            json!({"sn": "BAD-0001", "csr": good_csr}),
            401,
            "invalid_token",
        ),
        post(
            "tampered claims",
            Some(&tampered),
            json!({"sn": "BAD-0001", "csr": good_csr}),
            401,
            "invalid_token",
        ),
        post(
            "garbage token",
            Some("abc.def.ghi"),
            json!({"sn": "BAD-0001", "csr": good_csr}),
            401,
            "invalid_token",
        ),
        Case {
            what: "seed mode, bad serial",
            method: "GET",
            path: "/cert?sn=..%2F..".into(),
            token: t,
            body: None,
            status: 400,
            code: "invalid_serial",
        },
        Case {
            what: "seed mode, no serial",
            method: "GET",
            path: "/cert".into(),
            token: t,
            body: None,
            status: 400,
            code: "bad_request",
        },
        Case {
            what: "status, bad serial",
            method: "GET",
            path: "/devices/a%20b".into(),
            token: t,
            body: None,
            status: 400,
            code: "invalid_serial",
        },
        Case {
            what: "unknown route",
            method: "GET",
            path: "/nope".into(),
            token: t,
            body: None,
            status: 404,
            code: "not_found",
        },
        Case {
            what: "wrong method",
            method: "DELETE",
            path: "/cert".into(),
            token: t,
            body: None,
            status: 405,
            code: "method_not_allowed",
        },
    ];
    for c in cases {
        let (s, b) = server.call(c.method, &c.path, c.token, c.body).await;
        assert_eq!(
            (s, b["code"].as_str().unwrap_or("")),
            (c.status, c.code),
            "{}: {b}",
            c.what
        );
    }
    // A body that is not JSON at all.
    let resp = server
        .http
        .post(format!("{}/cert", server.api))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], "bad_request");

    assert_eq!(
        devices(&server),
        before,
        "no bad request may change the registry"
    );
    let db = rusqlite::Connection::open(dir.path().join("provisiond.db")).unwrap();
    let certs: i64 = db
        .query_row(
            "SELECT count(*) FROM certificates WHERE sn = 'BAD-0001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(certs, 0);

    // Malformed admin input changes nothing either.
    let csv = dir.path().join("serials.csv");
    std::fs::write(&csv, "sn\nGOOD-0001\nbad/serial\n").unwrap();
    assert!(!server.admin(&["serial", "import", csv.to_str().unwrap()]).0);
    assert!(!server.admin(&["serial", "add", "x"]).0);
    assert_eq!(devices(&server), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_flow_and_login_rate_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let creds = json!({"email": "dave@example.com", "password": "correct horse battery"});
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "/auth/signup",
            json!({"email": "not-an-email", "password": "long enough"}),
            400,
            "invalid_email",
        ),
        (
            "/auth/signup",
            json!({"email": "e@example.com", "password": "short"}),
            400,
            "weak_password",
        ),
        ("/auth/signup", creds.clone(), 201, ""),
        ("/auth/signup", creds.clone(), 409, "account_exists"),
        ("/auth/signin", creds.clone(), 403, "account_not_confirmed"),
        (
            "/auth/confirm",
            json!({"email": "dave@example.com", "code": "000000x"}),
            400,
            "invalid_code",
        ),
        (
            "/auth/refresh",
            json!({"refreshToken": "nope"}),
            401,
            "invalid_token",
        ),
    ];
    for (path, body, status, code) in cases {
        let (s, b) = server.call("POST", path, None, Some(body)).await;
        assert_eq!(s, status, "{path}: {b}");
        if !code.is_empty() {
            assert_error(s, &b, status, code);
        }
    }
    let (ok, code) = server.admin(&["user", "code", "dave@example.com"]);
    assert!(ok);
    let (s, _) = server
        .call(
            "POST",
            "/auth/confirm",
            None,
            Some(json!({"email": "dave@example.com", "code": code.trim()})),
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        !server.admin(&["user", "code", "dave@example.com"]).0,
        "a used code is gone"
    );
    let (ok, list) = server.admin(&["user", "list"]);
    assert!(ok && list.contains("dave@example.com confirmed"), "{list}");

    let (s, tokens) = server
        .call("POST", "/auth/signin", None, Some(creds.clone()))
        .await;
    assert_eq!(s, 200);
    let refresh = tokens["refreshToken"].as_str().unwrap().to_owned();
    let (s, again) = server
        .call(
            "POST",
            "/auth/refresh",
            None,
            Some(json!({"refreshToken": refresh})),
        )
        .await;
    assert_eq!(s, 200, "{again}");
    let id = again["idToken"].as_str().unwrap().to_owned();
    let (s, _) = server.call("POST", "/auth/signout", Some(&id), None).await;
    assert_eq!(s, 200);
    let (s, b) = server
        .call(
            "POST",
            "/auth/refresh",
            None,
            Some(json!({"refreshToken": refresh})),
        )
        .await;
    assert_error(s, &b, 401, "invalid_token");

    // Five wrong passwords, then even the right one is refused for a while.
    let wrong = json!({"email": "dave@example.com", "password": "wrong password"});
    for _ in 0..cloud::local::accounts::MAX_FAILURES {
        let (s, b) = server
            .call("POST", "/auth/signin", None, Some(wrong.clone()))
            .await;
        assert_error(s, &b, 401, "invalid_credentials");
    }
    let (s, b) = server.call("POST", "/auth/signin", None, Some(creds)).await;
    assert_error(s, &b, 429, "too_many_attempts");
    // A password reset with a code from the admin command lifts the lock and ends old sessions.
    let (s, b) = server
        .call(
            "POST",
            "/auth/forgot",
            None,
            Some(json!({"email": "dave@example.com"})),
        )
        .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("code_sent")));
    let (s, b) = server
        .call(
            "POST",
            "/auth/forgot",
            None,
            Some(json!({"email": "nobody@example.com"})),
        )
        .await;
    assert_eq!(
        (s, b["status"].as_str()),
        (200, Some("code_sent")),
        "no account probing"
    );
    let (ok, reset) = server.admin(&["user", "code", "dave@example.com"]);
    assert!(ok);
    let new_creds = json!({"email": "dave@example.com", "password": "a brand new password"});
    let (s, b) = server
        .call(
            "POST",
            "/auth/confirm-forgot",
            None,
            Some(json!({"email": "dave@example.com", "code": "999999x", "password": "a brand new password"})),
        )
        .await;
    assert_error(s, &b, 400, "invalid_code");
    let (s, b) = server
        .call(
            "POST",
            "/auth/confirm-forgot",
            None,
            Some(json!({"email": "dave@example.com", "code": reset.trim(), "password": "a brand new password"})),
        )
        .await;
    assert_eq!(
        (s, b["status"].as_str()),
        (200, Some("password_changed")),
        "{b}"
    );
    let (s, b) = server
        .call("POST", "/auth/signin", None, Some(new_creds))
        .await;
    assert_eq!(s, 200, "{b}");

    // Unknown accounts get the same answer as wrong passwords.
    let (s, b) = server
        .call(
            "POST",
            "/auth/signin",
            None,
            Some(json!({"email": "nobody@example.com", "password": "whatever1"})),
        )
        .await;
    assert_error(s, &b, 401, "invalid_credentials");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_keeps_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert!(server.admin(&["serial", "add", "KEEP-001"]).0);
    assert!(server.admin(&["serial", "add", "KEEP-002"]).0);
    let token = server.user("erin@example.com").await;
    let (s, first, _) = server.provision(&token, "KEEP-001").await;
    assert_eq!(s, 200);
    let ca_before = server.ca_pem.clone();
    let list_before = devices(&server);
    server.stop();

    let server = Server::start(dir.path());
    assert_eq!(server.ca_pem, ca_before, "the CA survives a restart");
    assert_eq!(devices(&server), list_before);
    // The old ID token still verifies (same signing key) and the account still signs in.
    let (s, b) = server
        .call("GET", "/devices/KEEP-001", Some(&token), None)
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["certificateId"], first["certificateId"]);
    assert_eq!(b["owner"], "erin@example.com");
    let (s, _) = server
        .call(
            "POST",
            "/auth/signin",
            None,
            Some(json!({"email": "erin@example.com", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = server
        .call("GET", "/devices/KEEP-002", Some(&token), None)
        .await;
    assert_eq!(s, 200);
    let mode = std::fs::metadata(dir.path().join("ca.key")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.permissions().mode() & 0o777, 0o600);
}

#[tokio::test(flavor = "multi_thread")]
async fn simultaneous_rekeying_leaves_one_active_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let server = std::sync::Arc::new(Server::start(dir.path()));
    assert!(server.admin(&["serial", "add", "RACE-001"]).0);
    let token = server.user("frank@example.com").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let server = server.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let (s, b, _) = server.provision(&token, "RACE-001").await;
            (s, b)
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (s, b) = t.await.unwrap();
        match s {
            200 => ok += 1,
            409 => assert_eq!(b["code"], "provisioning_in_progress"),
            other => panic!("unexpected {other}: {b}"),
        }
    }
    assert!(ok >= 1);
    let db = rusqlite::Connection::open(dir.path().join("provisiond.db")).unwrap();
    let active: Vec<String> = db
        .prepare("SELECT id FROM certificates WHERE sn = 'RACE-001' AND status = 'active'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(active.len(), 1, "exactly one active certificate");
    let (_, b) = server
        .call("GET", "/devices/RACE-001", Some(&token), None)
        .await;
    assert_eq!(b["certificateId"].as_str(), Some(active[0].as_str()));
    let revoked_pems: i64 = db
        .query_row(
            "SELECT count(*) FROM certificates WHERE sn = 'RACE-001' AND status = 'revoked' AND pem IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        revoked_pems, 0,
        "revoked certificates are deleted (only their CRL entry stays)"
    );
}
