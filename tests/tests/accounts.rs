//! Account commands of the facade against provisiond's own accounts: "send the code again"
//! replaces the pending confirmation code. (Cognito's ResendConfirmationCode cannot be tested
//! against moto 5.2.5, which does not implement it; the Cognito provider's other calls are
//! tested in crates/provisioner/tests/cognito_moto.rs.)

use e2e::{Cloud, RunDir, host};
use provisioner::ErrorCode;

const PW: &str = "resend-Account-Pw-1";

#[tokio::test]
async fn resend_code_replaces_the_pending_code() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    let p = host(&run, &cloud, "resend").await;
    let me = "resend@example.com";
    p.sign_up(me, PW).await.unwrap();
    let first = cloud.user_code(me);
    p.resend_code(me).await.unwrap();
    let second = cloud.user_code(me);
    assert_ne!(first, second, "a new code is made");
    // Not confirmed yet: signing in says so.
    assert_eq!(
        p.sign_in(me, PW).await.unwrap_err().code,
        ErrorCode::UserNotConfirmed
    );
    // The old code no longer confirms; the new one does.
    assert_eq!(
        p.confirm_sign_up(me, &first).await.unwrap_err().code,
        ErrorCode::BadCode
    );
    p.confirm_sign_up(me, &second).await.unwrap();
    assert_eq!(p.sign_in(me, PW).await.unwrap(), me);
    // Bad input is refused before any network call.
    assert_eq!(
        p.resend_code("not an email").await.unwrap_err().code,
        ErrorCode::InvalidInput
    );
    run.assert_no_secrets(&[PW, &second]);
}
