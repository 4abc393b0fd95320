//! The Lambda handler fed real event JSON in-process: API Gateway's REST proxy event with
//! the Cognito authorizer's claims, and the lab's non-proxy `params` event; the router and
//! the AWS back ends behind it run against moto.

mod support;

use base64::Engine as _;
use cloud::backend::DeviceStore;
use cloud_aws::lambda::{CredentialMode, handle};
use serde_json::{Value, json};
use support::{backends, csr_for, fresh_serial, proxy_event, registered};

fn body_of(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().expect("a body")).expect("a JSON body")
}

fn jwt_with(claims: Value) -> String {
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(&json!({"alg": "RS256", "kid": "k"})),
        b64(&claims)
    )
}

#[tokio::test]
async fn proxy_event_post_cert_issues_a_certificate_for_the_cognito_user() {
    let b = backends().await;
    let sn = registered(&b).await;
    let body = json!({"sn": sn.as_str(), "csr": csr_for(&sn)}).to_string();
    let event = proxy_event("POST", "/cert", None, Some(body), Some("sub-alice"));

    let response = handle(b.router(), CredentialMode::Csr, event).await;
    assert_eq!(response["statusCode"], 200, "{response}");
    let cert = body_of(&response);
    assert_eq!(cert["thingName"], sn.as_str());
    assert_eq!(cert["mqttPort"], 8883);
    assert!(
        cert["certificatePem"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    let record = b.store.device(&sn).await;
    let owner = record.unwrap().unwrap().owner.unwrap();
    assert_eq!(
        owner.0, "sub-alice",
        "the device is bound to the Cognito sub"
    );

    // GET /devices/{sn} for the owner, and 403 for anyone else.
    let path = format!("/devices/{sn}");
    let mine = handle(
        b.router(),
        CredentialMode::Csr,
        proxy_event("GET", &path, None, None, Some("sub-alice")),
    )
    .await;
    assert_eq!(mine["statusCode"], 200, "{mine}");
    assert_eq!(body_of(&mine)["status"], "provisioned");
    let theirs = handle(
        b.router(),
        CredentialMode::Csr,
        proxy_event("GET", &path, None, None, Some("sub-bob")),
    )
    .await;
    assert_eq!(theirs["statusCode"], 403, "{theirs}");
    assert_eq!(body_of(&theirs)["code"], "device_owned_by_another_user");
}

#[tokio::test]
async fn proxy_event_for_another_users_device_or_an_unknown_serial_is_403() {
    let b = backends().await;
    let sn = registered(&b).await;
    let post = |who: &str, sn: &cloud::serial::Serial| {
        let body = json!({"sn": sn.as_str(), "csr": csr_for(sn)}).to_string();
        proxy_event("POST", "/cert", None, Some(body), Some(who))
    };
    assert_eq!(
        handle(b.router(), CredentialMode::Csr, post("sub-alice", &sn)).await["statusCode"],
        200
    );

    let theirs = handle(b.router(), CredentialMode::Csr, post("sub-mallory", &sn)).await;
    assert_eq!(theirs["statusCode"], 403, "{theirs}");
    assert_eq!(body_of(&theirs)["code"], "device_owned_by_another_user");

    let unknown = fresh_serial();
    let response = handle(b.router(), CredentialMode::Csr, post("sub-alice", &unknown)).await;
    assert_eq!(response["statusCode"], 403, "{response}");
    assert_eq!(body_of(&response)["code"], "unknown_serial");
    assert!(
        b.ca.thing_certificates(unknown.as_str())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn proxy_event_without_claims_is_401_and_touches_nothing() {
    let b = backends().await;
    let sn = registered(&b).await;
    let body = json!({"sn": sn.as_str(), "csr": csr_for(&sn)}).to_string();
    let response = handle(
        b.router(),
        CredentialMode::Csr,
        proxy_event("POST", "/cert", None, Some(body), None),
    )
    .await;
    assert_eq!(response["statusCode"], 401, "{response}");
    assert_eq!(body_of(&response)["code"], "unauthenticated");
    assert_eq!(b.store.device(&sn).await.unwrap().unwrap().owner, None);
}

#[tokio::test]
async fn proxy_event_get_cert_is_the_labs_seed_shape_when_enabled() {
    let b = backends().await;
    let sn = registered(&b).await;
    let event = || {
        proxy_event(
            "GET",
            "/cert",
            Some(json!({"sn": sn.as_str()})),
            None,
            Some("sub-alice"),
        )
    };

    let refused = handle(b.router(), CredentialMode::Csr, event()).await;
    assert_eq!(refused["statusCode"], 403, "{refused}");
    assert_eq!(body_of(&refused)["code"], "forbidden");
    assert!(
        b.ca.thing_certificates(sn.as_str())
            .await
            .unwrap()
            .is_empty(),
        "refused but issued"
    );

    let served = handle(b.router(), CredentialMode::CsrAndSeed, event()).await;
    assert_eq!(served["statusCode"], 200, "{served}");
    let body = body_of(&served);
    assert!(
        body["certificatePem"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    assert!(body["privateKey"].as_str().unwrap().contains("PRIVATE KEY"));
}

#[tokio::test]
async fn lab_params_event_gets_the_labs_response_body() {
    let b = backends().await;
    let sn = registered(&b).await;
    // The lab's template with the claims API Gateway's authorizer verified mapped in.
    let event = json!({
        "body-json": {},
        "params": {"path": {}, "querystring": {"SN": sn.as_str()}, "header": {}},
        "stage-variables": {},
        "context": {"http-method": "GET", "resource-path": "/cert", "stage": "prod",
                    "authorizer": {"claims": {"sub": "sub-lab-user", "email": "lab@example.com"}}}
    });
    let body = handle(b.router(), CredentialMode::CsrAndSeed, event).await;
    assert!(
        body["certificatePem"]
            .as_str()
            .unwrap_or_default()
            .contains("BEGIN CERTIFICATE"),
        "{body}"
    );
    assert!(body["privateKey"].as_str().unwrap().contains("PRIVATE KEY"));
    assert!(
        body.get("statusCode").is_none(),
        "non-proxy answers are the bare body"
    );
    let owner = b.store.device(&sn).await.unwrap().unwrap().owner.unwrap();
    assert_eq!(owner.0, "sub-lab-user");
    assert_eq!(b.ca.thing_certificates(sn.as_str()).await.unwrap().len(), 1);
}

/// Finding 7: a lab event whose only identity is an ID token in the headers. Its signature is
/// made up, so whoever sends it could name any user; the Lambda must not take its claims.
#[tokio::test]
async fn a_forged_token_in_a_lab_event_claims_nothing() {
    let b = backends().await;
    let sn = registered(&b).await;
    let forged =
        jwt_with(json!({"sub": "sub-victim", "email": "victim@example.com", "token_use": "id"}));
    for header in [forged.clone(), format!("Bearer {forged}")] {
        let event = json!({
            "params": {"querystring": {"SN": sn.as_str()}, "header": {"Authorization": header}},
            "context": {"http-method": "GET", "resource-path": "/cert", "stage": "prod"}
        });
        let body = handle(b.router(), CredentialMode::CsrAndSeed, event).await;
        assert_eq!(body["code"], "unauthenticated", "{body}");
        assert!(body.get("privateKey").is_none(), "{body}");
    }
    let device = b.store.device(&sn).await.unwrap().unwrap();
    assert!(device.owner.is_none(), "a forged token bound the device");
    assert!(
        b.ca.thing_certificates(sn.as_str())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn lab_params_event_with_mapped_claims_and_errors() {
    let b = backends().await;
    let sn = registered(&b).await;
    let event = |sn: &str, sub: &str| json!({"params": {"querystring": {"SN": sn}}, "context": {"authorizer": {"claims": {"sub": sub}}}});
    let first = handle(
        b.router(),
        CredentialMode::CsrAndSeed,
        event(sn.as_str(), "sub-a"),
    )
    .await;
    assert!(first["certificatePem"].is_string(), "{first}");

    let theirs = handle(
        b.router(),
        CredentialMode::CsrAndSeed,
        event(sn.as_str(), "sub-b"),
    )
    .await;
    assert_eq!(theirs["code"], "device_owned_by_another_user", "{theirs}");
    let unknown = handle(
        b.router(),
        CredentialMode::CsrAndSeed,
        event(fresh_serial().as_str(), "sub-a"),
    )
    .await;
    assert_eq!(unknown["code"], "unknown_serial", "{unknown}");
    let malformed = handle(
        b.router(),
        CredentialMode::CsrAndSeed,
        event("../x y", "sub-a"),
    )
    .await;
    assert_eq!(malformed["code"], "invalid_serial", "{malformed}");
    let anonymous = handle(
        b.router(),
        CredentialMode::CsrAndSeed,
        json!({"params": {"querystring": {"SN": sn.as_str()}}}),
    )
    .await;
    assert_eq!(anonymous["code"], "unauthenticated", "{anonymous}");
}

#[tokio::test]
async fn an_event_of_neither_shape_is_a_400() {
    let b = backends().await;
    for event in [
        json!({}),
        json!({"params": {"querystring": {}}}),
        json!([1, 2]),
        json!("text"),
    ] {
        let response = handle(b.router(), CredentialMode::Csr, event.clone()).await;
        assert_eq!(response["statusCode"], 400, "{event} -> {response}");
        assert_eq!(body_of(&response)["code"], "bad_request");
    }
}

/// moto's CreateCertificateFromCsr ignores the CSR's key and signature, so the CSR checks
/// must happen before AWS is called: the core's `ValidatedCsr` does them, and this shows that
/// through the Lambda a bad CSR is refused with nothing written.
#[tokio::test]
async fn a_csr_for_another_serial_or_garbage_is_refused_before_aws() {
    let b = backends().await;
    let sn = registered(&b).await;
    let other = fresh_serial();
    for (csr, code) in [
        (csr_for(&other), "csr_subject_mismatch"),
        ("not a csr".to_owned(), "invalid_csr"),
    ] {
        let body = json!({"sn": sn.as_str(), "csr": csr}).to_string();
        let response = handle(
            b.router(),
            CredentialMode::Csr,
            proxy_event("POST", "/cert", None, Some(body), Some("sub-alice")),
        )
        .await;
        assert!(
            response["statusCode"].as_i64().unwrap() / 100 == 4,
            "{response}"
        );
        assert_eq!(body_of(&response)["code"], code, "{response}");
    }
    assert_eq!(
        b.store.device(&sn).await.unwrap().unwrap().owner,
        None,
        "a refused request bound the device"
    );
    assert!(
        b.ca.thing_certificates(sn.as_str())
            .await
            .unwrap()
            .is_empty()
    );
}
