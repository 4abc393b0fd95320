//! The AWS back ends under the `cloud` core, against moto through the real AWS SDK:
//! provisioning, re-keying, ownership, the concurrency guard, seed mode, last_seen, release.

mod support;

use cloud::backend::{CertificateId, DeviceStore, LeaseToken, StoreError};
use cloud::dto::CertResponse;
use cloud::identity::{Caller, UserId};
use cloud::service::{CertService, KeySource};
use cloud::{ApiError, ErrorCode};
use cloud_aws::Backends;
use cloud_aws::policy::policy_name;
use serde_json::Value;
use support::{backends, csr_for, fresh_serial, registered, user};

fn service(b: &Backends) -> CertService {
    CertService::new(b.store.clone(), b.ca.clone())
}

async fn provision(
    b: &Backends,
    sn: &cloud::serial::Serial,
    who: &Caller,
) -> Result<CertResponse, ApiError> {
    service(b)
        .provision(who, sn.as_str(), KeySource::Csr(csr_for(sn)))
        .await
}

fn cert_arn_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap()
}

#[tokio::test]
async fn rekeying_twice_leaves_one_active_certificate_and_deletes_the_older_ones() {
    let b = backends().await;
    let sn = registered(&b).await;
    let alice = user("alice");

    let first = provision(&b, &sn, &alice).await.unwrap();
    let second = provision(&b, &sn, &alice).await.unwrap();
    let third = provision(&b, &sn, &alice).await.unwrap();
    assert_ne!(first.certificate_id, second.certificate_id);
    assert_ne!(second.certificate_id, third.certificate_id);

    let certs = b.ca.thing_certificates(sn.as_str()).await.unwrap();
    assert_eq!(certs.len(), 1, "{certs:?}");
    assert_eq!(cert_arn_id(&certs[0]), third.certificate_id);
    assert_eq!(
        b.ca.certificate_status(&third.certificate_id)
            .await
            .unwrap()
            .as_deref(),
        Some("ACTIVE")
    );
    for old in [&first, &second] {
        let id = &old.certificate_id;
        assert_eq!(
            b.ca.certificate_status(id).await.unwrap(),
            None,
            "old certificate {id} still exists"
        );
        assert_eq!(
            b.ca.policy_document(&policy_name(sn.as_str(), id))
                .await
                .unwrap(),
            None,
            "its policy still exists"
        );
    }

    // The active certificate's only policy is its own, scoped to the thing.
    let policies = b.ca.certificate_policies(&certs[0]).await.unwrap();
    assert_eq!(
        policies,
        vec![policy_name(sn.as_str(), &third.certificate_id)]
    );
    let doc: Value =
        serde_json::from_str(&b.ca.policy_document(&policies[0]).await.unwrap().unwrap()).unwrap();
    let resources: Vec<&str> = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Resource"].as_str().unwrap())
        .collect();
    assert_eq!(resources.len(), 3);
    assert!(
        resources[0].ends_with(&format!(":client/{sn}")),
        "{resources:?}"
    );
    assert!(
        resources[1].ends_with(&format!(":topic/devices/{sn}/*")),
        "{resources:?}"
    );
    assert!(
        resources[2].ends_with(&format!(":topicfilter/devices/{sn}/*")),
        "{resources:?}"
    );
    assert!(!doc.to_string().contains("iot:*"));

    let record = b.store.device(&sn).await.unwrap().unwrap();
    assert_eq!(record.owner, Some(UserId("alice".into())));
    assert_eq!(
        record.certificate_id,
        Some(CertificateId(third.certificate_id.clone()))
    );

    // What the device needs to connect.
    assert_eq!(third.thing_name, sn.as_str());
    assert!(third.mqtt_host.contains("-ats.iot."), "{}", third.mqtt_host);
    assert_eq!(third.mqtt_port, 8883);
    assert_eq!(third.topic_prefix, "devices");
    assert!(third.ca_pem.contains("BEGIN CERTIFICATE"));
    assert!(
        third
            .certificate_pem
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert!(
        third.private_key.is_none(),
        "CSR mode must not return a key"
    );
    assert!(!third.expires_at.is_empty());
}

#[tokio::test]
async fn an_unknown_serial_is_refused_and_nothing_is_created() {
    let b = backends().await;
    let sn = fresh_serial();
    let err = provision(&b, &sn, &user("alice")).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::UnknownSerial);
    assert_eq!(err.code.status(), 403);
    assert!(
        b.store.device(&sn).await.unwrap().is_none(),
        "the refusal wrote an item"
    );
    assert!(
        b.ca.thing_certificates(sn.as_str())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn another_users_device_is_refused_and_keeps_its_certificate() {
    let b = backends().await;
    let sn = registered(&b).await;
    let alices = provision(&b, &sn, &user("alice")).await.unwrap();

    let err = provision(&b, &sn, &user("mallory")).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::DeviceOwnedByAnotherUser);
    assert_eq!(err.code.status(), 403);
    let err = service(&b)
        .device_status(&user("mallory"), sn.as_str())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::DeviceOwnedByAnotherUser);

    let record = b.store.device(&sn).await.unwrap().unwrap();
    assert_eq!(record.owner, Some(UserId("alice".into())));
    let certs = b.ca.thing_certificates(sn.as_str()).await.unwrap();
    assert_eq!(
        certs.iter().map(|a| cert_arn_id(a)).collect::<Vec<_>>(),
        vec![alices.certificate_id.as_str()]
    );
}

/// Runs `who.len()` provisionings of `sn` at the same time.
async fn race(
    b: &Backends,
    sn: &cloud::serial::Serial,
    who: &[Caller],
) -> Vec<Result<CertResponse, ApiError>> {
    let tasks: Vec<_> = who
        .iter()
        .map(|caller| {
            let (service, sn, caller) = (service(b), sn.clone(), caller.clone());
            tokio::spawn(async move {
                service
                    .provision(&caller, sn.as_str(), KeySource::Csr(csr_for(&sn)))
                    .await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

/// The thing has at most one certificate, it is ACTIVE and it is the one the registry names;
/// every other certificate a request got is gone. Returns the active id.
async fn assert_single_active(
    b: &Backends,
    sn: &cloud::serial::Serial,
    outcomes: &[Result<CertResponse, ApiError>],
) -> Option<String> {
    let record = b.store.device(sn).await.unwrap().unwrap();
    let certs = b.ca.thing_certificates(sn.as_str()).await.unwrap();
    assert!(certs.len() <= 1, "{certs:?}");
    let active = certs.first().map(|arn| cert_arn_id(arn).to_owned());
    assert_eq!(record.certificate_id.map(|c| c.0), active);
    if let Some(active) = &active {
        assert_eq!(
            b.ca.certificate_status(active).await.unwrap().as_deref(),
            Some("ACTIVE")
        );
    }
    for o in outcomes.iter().flatten() {
        if Some(&o.certificate_id) != active.as_ref() {
            assert_eq!(
                b.ca.certificate_status(&o.certificate_id).await.unwrap(),
                None
            );
        }
    }
    active
}

#[tokio::test]
async fn simultaneous_requests_for_one_serial_end_with_exactly_one_active_certificate() {
    let b = backends().await;
    let alice = user("alice");
    for round in 0..3 {
        let sn = registered(&b).await;
        let outcomes = race(&b, &sn, &[alice.clone(), alice.clone(), alice.clone()]).await;
        for e in outcomes.iter().filter_map(|o| o.as_ref().err()) {
            assert_eq!(
                e.code,
                ErrorCode::ProvisioningInProgress,
                "round {round}: {e:?}"
            );
        }
        let winners = outcomes.iter().filter(|o| o.is_ok()).count();
        assert!(winners >= 1, "round {round}: nobody got a certificate");
        let active = assert_single_active(&b, &sn, &outcomes).await;
        assert!(active.is_some(), "round {round}: no active certificate");
    }
}

#[tokio::test]
async fn simultaneous_requests_of_two_users_bind_the_device_to_one_of_them() {
    let b = backends().await;
    let (alice, bob) = (user("alice"), user("bob"));
    for round in 0..3 {
        let sn = registered(&b).await;
        let outcomes = race(
            &b,
            &sn,
            &[alice.clone(), bob.clone(), alice.clone(), bob.clone()],
        )
        .await;
        for e in outcomes.iter().filter_map(|o| o.as_ref().err()) {
            assert!(
                matches!(
                    e.code,
                    ErrorCode::ProvisioningInProgress | ErrorCode::DeviceOwnedByAnotherUser
                ),
                "round {round}: {e:?}"
            );
        }
        assert_single_active(&b, &sn, &outcomes).await;
        let owner = b
            .store
            .device(&sn)
            .await
            .unwrap()
            .unwrap()
            .owner
            .expect("bound to someone");
        // Only the owner's requests may have succeeded.
        for (i, o) in outcomes.iter().enumerate() {
            let caller = if i % 2 == 0 { &alice } else { &bob };
            if o.is_ok() {
                assert_eq!(
                    caller.user_id, owner,
                    "round {round}: a non-owner got a certificate"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_held_lease_makes_others_wait_and_an_expired_one_does_not() {
    let b = backends().await;
    let sn = registered(&b).await;
    let alice = UserId("alice".into());
    let (t1, t2, t3) = (
        LeaseToken("t1".into()),
        LeaseToken("t2".into()),
        LeaseToken("t3".into()),
    );
    b.store
        .begin_provisioning(&sn, &alice, &t1, 60)
        .await
        .unwrap();
    assert_eq!(
        b.store
            .begin_provisioning(&sn, &alice, &t2, 60)
            .await
            .unwrap_err(),
        StoreError::Busy
    );
    b.store.abort_provisioning(&sn, &t1).await.unwrap();

    // A request that died holding a lease blocks the serial only until the lease runs out.
    b.store
        .begin_provisioning(&sn, &alice, &t2, 0)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    b.store
        .begin_provisioning(&sn, &alice, &t3, 60)
        .await
        .unwrap();
    let cert = CertificateId("c".repeat(64));
    assert_eq!(
        b.store
            .finish_provisioning(&sn, &t2, &cert)
            .await
            .unwrap_err(),
        StoreError::LeaseLost
    );
    b.store.finish_provisioning(&sn, &t3, &cert).await.unwrap();
    assert_eq!(
        b.store.device(&sn).await.unwrap().unwrap().certificate_id,
        Some(cert)
    );

    let bob = UserId("bob".into());
    assert_eq!(
        b.store
            .begin_provisioning(&sn, &bob, &t1, 60)
            .await
            .unwrap_err(),
        StoreError::OwnedByAnotherUser
    );
    assert_eq!(
        b.store
            .begin_provisioning(&fresh_serial(), &bob, &t1, 60)
            .await
            .unwrap_err(),
        StoreError::UnknownSerial
    );
}

#[tokio::test]
async fn seed_mode_returns_a_private_key_once() {
    let b = backends().await;
    let sn = registered(&b).await;
    let out = service(&b)
        .provision(&user("alice"), sn.as_str(), KeySource::Cloud)
        .await
        .unwrap();
    assert!(
        out.private_key
            .expect("seed mode returns the key")
            .contains("PRIVATE KEY-----")
    );
    assert_eq!(b.ca.thing_certificates(sn.as_str()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn device_status_reports_last_seen_from_what_the_hello_rule_writes() {
    let b = backends().await;
    let sn = registered(&b).await;
    let alice = user("alice");
    let before = service(&b)
        .device_status(&alice, sn.as_str())
        .await
        .unwrap();
    assert_eq!(before.status, "registered");
    assert_eq!(before.last_seen, None);

    let cert = provision(&b, &sn, &alice).await.unwrap();
    let provisioned = service(&b)
        .device_status(&alice, sn.as_str())
        .await
        .unwrap();
    assert_eq!(provisioned.status, "provisioned");
    assert_eq!(
        provisioned.certificate_id.as_deref(),
        Some(cert.certificate_id.as_str())
    );

    let current = CertificateId(cert.certificate_id.clone());
    b.store
        .record_seen(&sn, &current, 1_764_460_800_123)
        .await
        .unwrap();
    let online = service(&b)
        .device_status(&alice, sn.as_str())
        .await
        .unwrap();
    assert_eq!(online.status, "online");
    let last_seen = online.last_seen.unwrap();
    assert!(
        last_seen.starts_with("2025-11-30T00:00:00.123") && last_seen.ends_with('Z'),
        "{last_seen}"
    );
}

/// Finding 13: after a re-key, a hello from the replaced certificate (still connected, or
/// delivered late by the rule) must not confirm the device online; only one from the new
/// certificate does.
#[tokio::test]
async fn after_a_re_key_only_a_hello_with_the_new_certificate_counts() {
    let b = backends().await;
    let sn = registered(&b).await;
    let alice = user("alice");
    let old = provision(&b, &sn, &alice).await.unwrap();
    let old_id = CertificateId(old.certificate_id.clone());
    b.store
        .record_seen(&sn, &old_id, 1_764_460_800_000)
        .await
        .unwrap();
    let status = service(&b)
        .device_status(&alice, sn.as_str())
        .await
        .unwrap();
    assert_eq!(status.status, "online");

    let new = provision(&b, &sn, &alice).await.unwrap();
    assert_ne!(new.certificate_id, old.certificate_id);
    let status = service(&b)
        .device_status(&alice, sn.as_str())
        .await
        .unwrap();
    assert_eq!(
        status.status, "provisioned",
        "the old hello still counts: {status:?}"
    );
    assert_eq!(status.last_seen, None);

    // The old certificate's session says hello again after the re-key.
    b.store
        .record_seen(&sn, &old_id, 1_764_460_900_000)
        .await
        .unwrap();
    let status = service(&b)
        .device_status(&alice, sn.as_str())
        .await
        .unwrap();
    assert_eq!(
        status.status, "provisioned",
        "a replaced certificate's hello counted"
    );

    let new_id = CertificateId(new.certificate_id.clone());
    b.store
        .record_seen(&sn, &new_id, 1_764_461_000_000)
        .await
        .unwrap();
    let status = service(&b)
        .device_status(&alice, sn.as_str())
        .await
        .unwrap();
    assert_eq!(status.status, "online");
}

#[tokio::test]
async fn a_released_device_can_be_provisioned_by_someone_else() {
    let b = backends().await;
    let sn = registered(&b).await;
    let alices = provision(&b, &sn, &user("alice")).await.unwrap();
    assert!(b.store.release(&sn).await.unwrap());
    let bobs = provision(&b, &sn, &user("bob")).await.unwrap();
    assert_eq!(
        b.ca.certificate_status(&alices.certificate_id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        b.store.device(&sn).await.unwrap().unwrap().owner,
        Some(UserId("bob".into()))
    );
    assert_eq!(b.ca.thing_certificates(sn.as_str()).await.unwrap().len(), 1);
    assert_eq!(
        b.ca.certificate_status(&bobs.certificate_id)
            .await
            .unwrap()
            .as_deref(),
        Some("ACTIVE")
    );
    assert!(!b.store.release(&fresh_serial()).await.unwrap());
}

#[tokio::test]
async fn registering_twice_keeps_the_first_item() {
    let b = backends().await;
    let sn = registered(&b).await;
    provision(&b, &sn, &user("alice")).await.unwrap();
    assert!(!b.store.register(&sn).await.unwrap());
    assert_eq!(
        b.store.device(&sn).await.unwrap().unwrap().owner,
        Some(UserId("alice".into()))
    );
}
