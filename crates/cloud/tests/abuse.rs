//! Attacks on the accounts and the API of a real provisiond on loopback: parallel password
//! guesses against the lock-out, a flood of sign-ins against the password-hashing pool,
//! floods per IP address and per account, and guessing a confirmation code. Clients bind
//! distinct loopback addresses (127.0.0.x) to act as distinct machines.

mod common;

use std::net::IpAddr;

use common::Server;
use serde_json::{Value, json};

fn client_from(server: &Server, ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(server.ca_pem.as_bytes()).unwrap()])
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// POST `path` with `body` (and a bearer token); returns (status, Retry-After, JSON body).
async fn post(
    client: &reqwest::Client,
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Option<u64>, Value) {
    let mut req = client.request(method.parse().unwrap(), format!("{}{path}", server.api));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request reaches provisiond");
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, retry, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_wrong_passwords_get_no_more_than_the_limit_checked() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--hash-queue", "64"]);
    server.user("race@example.com").await;

    let wrong = json!({"email": "race@example.com", "password": "wrong password 1"});
    // Spawned all at once (collected), then awaited.
    let guesses: Vec<_> = (0..20)
        .map(|_| {
            let client = server.http.clone();
            let (api, body) = (server.api.clone(), wrong.clone());
            tokio::spawn(async move {
                let resp = client
                    .post(format!("{api}/auth/signin"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap();
                (status, body["code"].as_str().unwrap_or("").to_owned())
            })
        })
        .collect();
    let mut checked = 0;
    for guess in guesses {
        let (status, code) = guess.await.unwrap();
        match (status, code.as_str()) {
            (401, "invalid_credentials") => checked += 1,
            (429, "too_many_attempts") => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(
        checked <= cloud::local::accounts::MAX_FAILURES,
        "{checked} parallel guesses were checked"
    );
    let (s, retry, b) = post(
        &server.http,
        &server,
        "POST",
        "/auth/signin",
        None,
        Some(json!({"email": "race@example.com", "password": "correct horse battery"})),
    )
    .await;
    assert_eq!((s, b["code"].as_str()), (429, Some("too_many_attempts")));
    assert!(retry.is_some_and(|r| r >= 1), "Retry-After: {retry:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_flood_is_shed_with_503_and_the_service_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--hash-workers", "1", "--hash-queue", "2"]);
    server.user("steady@example.com").await;
    let flood: Vec<_> = (0..48).map(|i| {
        let client = server.http.clone();
        let api = server.api.clone();
        tokio::spawn(async move {
            let resp = client
                .post(format!("{api}/auth/signin"))
                .json(&json!({"email": format!("nobody{i}@example.com"), "password": "guess guess"}))
                .send()
                .await
                .unwrap();
            let retry = resp.headers().contains_key("retry-after");
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap();
            (status, retry, body["code"].as_str().unwrap_or("").to_owned())
        })
    }).collect();
    let mut shed = 0;
    for answer in flood {
        match answer.await.unwrap() {
            (401, _, code) if code == "invalid_credentials" => {}
            (503, true, code) if code == "unavailable" => shed += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(shed > 0, "no sign-in was shed: every hash was queued");
    let (s, _, b) = post(
        &server.http,
        &server,
        "POST",
        "/auth/signin",
        None,
        Some(json!({"email": "steady@example.com", "password": "correct horse battery"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
}

/// Sends `request(i)` from a client made by `client(i)` until one is answered 429; returns how
/// many were let through first. Panics when none is limited within `limit + 3` requests.
async fn until_limited<F, C>(limit: usize, mut client: C, mut request: F) -> usize
where
    C: FnMut(usize) -> reqwest::Client,
    F: AsyncFnMut(&reqwest::Client, usize) -> (u16, Option<u64>, Value),
{
    for i in 0..limit + 3 {
        let c = client(i);
        let (s, retry, b) = request(&c, i).await;
        if s == 429 {
            assert_eq!(b["code"], "too_many_attempts", "{b}");
            assert!(retry.is_some_and(|r| r >= 1), "Retry-After: {retry:?}");
            return i;
        }
        assert!(s < 500, "{s} {b}");
    }
    panic!("no request was limited after {} requests", limit + 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn floods_per_address_and_per_account_get_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &["--rate-per-ip", "6", "--rate-per-account", "4"],
    );
    let token = server.user("victim@example.com").await;

    // One address asking for reset codes of many accounts.
    let flooder = client_from(&server, "127.0.0.20");
    until_limited(
        6,
        |_| flooder.clone(),
        async |c, i| {
            let body = json!({"email": format!("someone{i}@example.com")});
            post(c, &server, "POST", "/auth/forgot", None, Some(body)).await
        },
    )
    .await;
    // Another address is still served.
    let other = client_from(&server, "127.0.0.21");
    let (s, _, b) = post(
        &other,
        &server,
        "POST",
        "/auth/resend",
        None,
        Some(json!({"email": "fresh@example.com"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");

    // Many addresses asking codes for one account.
    until_limited(
        4,
        |i| client_from(&server, &format!("127.0.1.{}", i + 1)),
        async |c, _| {
            let body = json!({"email": "victim@example.com"});
            post(c, &server, "POST", "/auth/resend", None, Some(body)).await
        },
    )
    .await;

    // /cert is limited per signed-in account too, whatever address it comes from.
    until_limited(
        4,
        |i| client_from(&server, &format!("127.0.2.{}", i + 1)),
        async |c, _| post(c, &server, "GET", "/cert?sn=NOPE-0001", Some(&token), None).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn confirmation_codes_are_long_short_lived_and_die_after_five_wrong_tries() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let email = "guess@example.com";
    let (s, b) = server
        .call(
            "POST",
            "/auth/signup",
            None,
            Some(json!({"email": email, "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (ok, code) = server.admin(&["user", "code", email]);
    assert!(ok);
    let code = code.trim().to_owned();
    assert!(
        code.len() == 8 && code.bytes().all(|c| c.is_ascii_digit()),
        "{code:?}"
    );
    let expires: i64 = rusqlite::Connection::open(dir.path().join("provisiond.db"))
        .unwrap()
        .query_row(
            "SELECT code_expires FROM users WHERE email = ?1",
            [email],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        expires - cloud::local::db::now_secs() <= 15 * 60,
        "a code lives at most 15 minutes"
    );

    // Five wrong guesses (each a distinct wrong code) erase it: the right one no longer works.
    for i in 0..5u32 {
        let wrong = format!(
            "{:08}",
            (code.parse::<u32>().unwrap() + 1 + i) % 100_000_000
        );
        let (s, b) = server
            .call(
                "POST",
                "/auth/confirm",
                None,
                Some(json!({"email": email, "code": wrong})),
            )
            .await;
        assert_eq!((s, b["code"].as_str()), (400, Some("invalid_code")), "{b}");
    }
    let (s, b) = server
        .call(
            "POST",
            "/auth/confirm",
            None,
            Some(json!({"email": email, "code": code})),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (400, Some("invalid_code")), "{b}");
    assert!(
        !server.admin(&["user", "code", email]).0,
        "the code is gone"
    );

    // A new code works.
    let (s, _) = server
        .call("POST", "/auth/resend", None, Some(json!({"email": email})))
        .await;
    assert_eq!(s, 200);
    let (ok, fresh) = server.admin(&["user", "code", email]);
    assert!(ok);
    let (s, b) = server
        .call(
            "POST",
            "/auth/confirm",
            None,
            Some(json!({"email": email, "code": fresh.trim()})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}
