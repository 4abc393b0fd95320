//! The Cognito provider through the real AWS SDK against moto's cognito-idp (IOTP_MOTO_URL).
//! Each test makes its own user pool and app client (with a secret) via the SDK.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_cognitoidentityprovider as cip;
use cip::config::{BehaviorVersion, Credentials, Region};
use cip::types::ExplicitAuthFlowsType;
use provisioner::auth::{Auth, AuthSession, CognitoAuth, SignUpNext, Tokens};
use provisioner::secrets::{MemoryStore, SecretStore};
use provisioner::validate::Email;
use provisioner::{Error, ErrorCode};

fn moto_url() -> String {
    std::env::var("IOTP_MOTO_URL").expect(
        "IOTP_MOTO_URL is not set: start moto (`source scripts/lib.sh; moto_server -H 127.0.0.1 -p 5055 &`) and export IOTP_MOTO_URL=http://127.0.0.1:5055",
    )
}

/// A fresh pool + app client with a secret; returns (client id, client secret).
async fn pool() -> (String, String) {
    let conf = cip::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto_url())
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .build();
    let admin = cip::Client::from_conf(conf);
    let pool = admin
        .create_user_pool()
        .pool_name(format!("iotp-{}", std::process::id()))
        .send()
        .await
        .expect("moto create_user_pool (is moto running at IOTP_MOTO_URL?)");
    let pool_id = pool.user_pool().and_then(|p| p.id()).unwrap().to_owned();
    let client = admin
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("host")
        .generate_secret(true)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap();
    let c = client.user_pool_client().unwrap();
    (
        c.client_id().unwrap().to_owned(),
        c.client_secret().unwrap().to_owned(),
    )
}

async fn provider() -> CognitoAuth {
    let (id, secret) = pool().await;
    CognitoAuth::new("us-east-1", &id, Some(secret), Some(&moto_url())).await
}

fn email(name: &str) -> Email {
    Email::parse(&format!("{name}@example.com")).unwrap()
}

const PW: &str = "Correct-Horse-9";

#[tokio::test]
async fn sign_up_confirm_sign_in_refresh_sign_out() {
    let auth = provider().await;
    let me = email("alice");
    assert_eq!(
        auth.sign_up(&me, PW).await.unwrap(),
        SignUpNext::ConfirmWithCode
    );
    assert_eq!(
        auth.sign_up(&me, PW).await.unwrap_err().code,
        ErrorCode::UserExists
    );
    assert_eq!(
        auth.sign_in(&me, PW).await.unwrap_err().code,
        ErrorCode::UserNotConfirmed
    );
    // (moto has no ResendConfirmationCode: tests/cognito_wire.rs checks it on the wire.)
    auth.confirm_sign_up(&me, "123456").await.unwrap();

    let e = auth.sign_in(&me, "Wrong-Horse-9").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::BadCredentials);
    assert!(!e.message.contains("Wrong-Horse-9"));

    let t = auth.sign_in(&me, PW).await.unwrap();
    assert_eq!(t.email, "alice@example.com");
    assert!(t.refresh_token.is_some() && t.access_token.is_some());
    assert!(
        !format!("{t:?}").contains(&t.id_token),
        "Debug must hide tokens"
    );

    let fresh = auth.refresh(&t).await.unwrap();
    assert!(!fresh.id_token.is_empty());
    assert_eq!(fresh.refresh_token, t.refresh_token, "refresh token kept");

    auth.sign_out(&t).await.unwrap();
    let after = auth.refresh(&t).await.unwrap_err();
    assert!(
        matches!(
            after.code,
            ErrorCode::SessionExpired | ErrorCode::BadCredentials
        ),
        "{after:?}"
    );
}

#[tokio::test]
async fn forgot_and_confirm_password() {
    let auth = provider().await;
    let me = email("bob");
    auth.sign_up(&me, PW).await.unwrap();
    auth.confirm_sign_up(&me, "1").await.unwrap();
    auth.forgot_password(&me).await.unwrap();
    // moto checks codes in its own format: a wrong one is refused as Cognito would.
    let e = auth
        .confirm_forgot_password(&me, "moto-confirmation-code:000000", "New-Horse-77")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::BadCode);
    assert!(
        auth.sign_in(&me, PW).await.is_ok(),
        "password unchanged after a bad code"
    );
    auth.confirm_forgot_password(&me, "123456", "New-Horse-77")
        .await
        .unwrap();
    assert_eq!(
        auth.sign_in(&me, PW).await.unwrap_err().code,
        ErrorCode::BadCredentials
    );
    auth.sign_in(&me, "New-Horse-77").await.unwrap();
}

#[tokio::test]
async fn session_refreshes_expired_tokens_and_retries_once() {
    let auth: Arc<dyn Auth> = Arc::new(provider().await);
    let me = email("carol");
    auth.sign_up(&me, PW).await.unwrap();
    auth.confirm_sign_up(&me, "1").await.unwrap();
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let session = AuthSession::new(auth.clone(), store.clone(), "tokens/test");
    assert_eq!(
        session.id_token().await.unwrap_err().code,
        ErrorCode::NotSignedIn
    );
    session.sign_in(&me, PW).await.unwrap();
    let first = session.id_token().await.unwrap();

    // Tokens are in the store, so a new session (next start) is signed in.
    let again = AuthSession::new(auth.clone(), store.clone(), "tokens/test");
    assert_eq!(again.whoami().await.as_deref(), Some("carol@example.com"));

    // A token at its expiry is refreshed before use.
    let mut stale: Tokens =
        serde_json::from_str(&store.get("tokens/test").unwrap().unwrap()).unwrap();
    stale.expires_at = 0;
    session.adopt(stale).await.unwrap();
    let refreshed = session.id_token().await.unwrap();
    assert!(!refreshed.is_empty());

    // The server says "expired": refreshed and retried exactly once.
    let calls = AtomicUsize::new(0);
    let seen = session
        .with_token(|t| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    Err(Error::new(ErrorCode::SessionExpired, "expired"))
                } else {
                    Ok(t)
                }
            }
        })
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(!seen.is_empty());
    let _ = first;

    // Still expired after the retry: the error comes back, no third call.
    let calls = AtomicUsize::new(0);
    let e = session
        .with_token(|_| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>(Error::new(ErrorCode::SessionExpired, "expired")) }
        })
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::SessionExpired);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    session.sign_out().await.unwrap();
    assert_eq!(session.whoami().await, None);
    assert_eq!(store.get("tokens/test").unwrap(), None);
}
