//! The host's cloud client and self-hosted accounts against a real `provisiond` over TLS.

use e2e::{Cloud, RunDir};
use provisioner::ErrorCode;
use provisioner::auth::{Auth, SelfHostedAuth};
use provisioner::cloud::CloudClient;
use provisioner::http::Api;
use provisioner::validate::{Email, Serial};

const PW: &str = "cloud-test-Pw-1";

fn csr_for(serial: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, serial);
    let csr = params.serialize_request(&key).unwrap();
    (csr.pem().unwrap(), key.serialize_pem())
}

#[tokio::test]
async fn accounts_certificates_and_device_records() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    cloud.add_serials(&["SN-CLOUD-01"]);
    let api = Api::with_ca_file(&cloud.api, Some(&cloud.ca)).unwrap();
    let auth = SelfHostedAuth::new(api.clone());
    let me = Email::parse("dana@example.com").unwrap();

    auth.sign_up(&me, PW).await.unwrap();
    assert_eq!(
        auth.sign_up(&me, PW).await.unwrap_err().code,
        ErrorCode::UserExists
    );
    assert_eq!(
        auth.sign_in(&me, PW).await.unwrap_err().code,
        ErrorCode::UserNotConfirmed
    );
    assert_eq!(
        auth.confirm_sign_up(&me, "000000x").await.unwrap_err().code,
        ErrorCode::BadCode
    );
    auth.confirm_sign_up(&me, &cloud.user_code("dana@example.com"))
        .await
        .unwrap();
    assert_eq!(
        auth.sign_in(&me, "wrong-password-1")
            .await
            .unwrap_err()
            .code,
        ErrorCode::BadCredentials
    );
    let tokens = auth.sign_in(&me, PW).await.unwrap();
    let refreshed = auth.refresh(&tokens).await.unwrap();
    assert!(!refreshed.id_token.is_empty());

    let client = CloudClient::new(api);
    let sn = Serial::parse("SN-CLOUD-01").unwrap();
    let (csr, key_pem) = csr_for("SN-CLOUD-01");
    let bundle = client
        .cert_from_csr(&tokens.id_token, &sn, &csr)
        .await
        .unwrap();
    assert!(bundle.certificate_pem.contains("BEGIN CERTIFICATE"));
    assert!(bundle.ca_pem.contains("BEGIN CERTIFICATE"));
    assert_eq!(bundle.thing_name, "SN-CLOUD-01");
    assert!(bundle.mqtt_port > 0 && !bundle.mqtt_host.is_empty());
    assert!(bundle.private_key.is_none(), "CSR mode never carries a key");
    assert!(!serde_json::to_string(&bundle).unwrap().contains(&key_pem));

    let rec = client.device(&tokens.id_token, &sn).await.unwrap();
    assert_eq!(rec.sn, "SN-CLOUD-01");
    assert_eq!(rec.owner.as_deref(), Some("dana@example.com"));
    assert_eq!(
        rec.certificate_id.as_deref(),
        Some(bundle.certificate_id.as_str())
    );

    // Seed mode: a cloud-made key, hidden from Debug.
    let seed = client.cert_with_key(&tokens.id_token, &sn).await.unwrap();
    let key = seed.private_key.as_ref().expect("seed mode returns a key");
    assert!(key.expose().contains("PRIVATE KEY"));
    assert!(!format!("{seed:?}").contains("PRIVATE KEY"));

    // Errors reach the caller as codes with the server's sentence.
    let unknown = Serial::parse("SN-NOT-THERE").unwrap();
    let (csr2, _) = csr_for("SN-NOT-THERE");
    let e = client
        .cert_from_csr(&tokens.id_token, &unknown, &csr2)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::SerialNotRegistered, "{e:?}");
    assert!(e.message.contains("SN-NOT-THERE"));
    let e = client
        .cert_from_csr(&tokens.id_token, &sn, "not a csr")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput, "{e:?}");
    let e = client.device("not-a-token", &sn).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::SessionExpired, "{e:?}");

    // Another account cannot take the device.
    let other = Email::parse("eve@example.com").unwrap();
    auth.sign_up(&other, PW).await.unwrap();
    auth.confirm_sign_up(&other, &cloud.user_code("eve@example.com"))
        .await
        .unwrap();
    let eve = auth.sign_in(&other, PW).await.unwrap();
    let e = client
        .cert_from_csr(&eve.id_token, &sn, &csr)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::SerialOwnedByOther, "{e:?}");

    auth.sign_out(&tokens).await.unwrap();
}

#[tokio::test]
async fn the_self_hosted_ca_is_required_and_trusted() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    // Without the service's CA the TLS handshake fails, reported as unreachable.
    let untrusted = CloudClient::new(Api::new(&cloud.api, None).unwrap());
    let e = untrusted
        .device("t", &Serial::parse("SN-CLOUD-02").unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable);
    assert!(e.message.contains("127.0.0.1"), "{}", e.message);
    // With it, the same call reaches the server (and is refused for the bad token).
    let trusted = CloudClient::new(Api::with_ca_file(&cloud.api, Some(&cloud.ca)).unwrap());
    let e = trusted
        .device("t", &Serial::parse("SN-CLOUD-02").unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::SessionExpired);
}
