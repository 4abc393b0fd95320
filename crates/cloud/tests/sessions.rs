//! Sign-out on the server side: after `POST /auth/signout`, the ID token that was signed out
//! (and every other one issued to the account until then) is refused, not only the refresh
//! token; a new sign-in works at once.

mod common;

use common::Server;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_out_id_token_is_refused_and_a_new_sign_in_works() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let creds = json!({"email": "out@example.com", "password": "correct horse battery"});
    let first = server.user("out@example.com").await;
    let (s, b) = server
        .call("POST", "/auth/signin", None, Some(creds.clone()))
        .await;
    assert_eq!(s, 200, "{b}");
    let second = b["idToken"].as_str().unwrap().to_owned();
    let refresh = b["refreshToken"].as_str().unwrap().to_owned();
    // Both tokens are good now (an unknown serial is 403, not 401).
    for t in [&first, &second] {
        let (s, b) = server
            .call("GET", "/devices/NONE-0001", Some(t), None)
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (403, Some("unknown_serial")),
            "{b}"
        );
    }

    let (s, b) = server
        .call("POST", "/auth/signout", Some(&second), None)
        .await;
    assert_eq!(s, 200, "{b}");
    for t in [&first, &second] {
        let (s, b) = server
            .call("GET", "/devices/NONE-0001", Some(t), None)
            .await;
        assert_eq!((s, b["code"].as_str()), (401, Some("invalid_token")), "{b}");
    }
    let (s, b) = server
        .call(
            "POST",
            "/auth/refresh",
            None,
            Some(json!({"refreshToken": refresh})),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (401, Some("invalid_token")), "{b}");

    // Still refused after a restart (the sign-out is in the database).
    drop(server);
    let server = Server::start(dir.path());
    let (s, b) = server
        .call("GET", "/devices/NONE-0001", Some(&first), None)
        .await;
    assert_eq!((s, b["code"].as_str()), (401, Some("invalid_token")), "{b}");

    let (s, b) = server.call("POST", "/auth/signin", None, Some(creds)).await;
    assert_eq!(s, 200, "{b}");
    let fresh = b["idToken"].as_str().unwrap();
    let (s, b) = server
        .call("GET", "/devices/NONE-0001", Some(fresh), None)
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (403, Some("unknown_serial")),
        "{b}"
    );
}
