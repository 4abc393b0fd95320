//! Re-keys under concurrency against a real provisiond (real HTTPS, real mosquitto): 64 at
//! once, of the same serial and of different serials. Every serial must end with exactly one
//! active certificate (one of those a client got a 200 for), every other certificate issued
//! must be revoked, and the published CRL must list exactly the revoked ones.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{Connect, Server, certificates, crl_serials, mqtt_connect, serial_hex_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_rekeys_leave_one_active_certificate_per_serial() {
    let dir = tempfile::tempdir().unwrap();
    let server = std::sync::Arc::new(Server::start_unthrottled(dir.path()));
    // 8 serials re-keyed by 8 clients at once each (same serial), 8 x 8 = 64 in flight.
    let serials: Vec<String> = (0..8).map(|i| format!("REKEY-{i:02}")).collect();
    for sn in &serials {
        assert!(server.admin(&["serial", "add", sn]).0);
    }
    let token = server.user("rekey@example.com").await;
    // Each serial first gets a certificate, so every later request is a re-key.
    for sn in &serials {
        let (s, b, _) = server.provision(&token, sn).await;
        assert_eq!(s, 200, "{b}");
    }

    let mut answered: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for round in 0..3 {
        let mut tasks = Vec::new();
        for sn in &serials {
            for _ in 0..8 {
                let (server, token, sn) = (server.clone(), token.clone(), sn.clone());
                tasks.push(tokio::spawn(async move {
                    let (s, b, key) = server.provision(&token, &sn).await;
                    (sn, s, b, key)
                }));
            }
        }
        let mut ok = 0;
        for t in tasks {
            let (sn, s, b, _) = t.await.unwrap();
            match s {
                200 => {
                    ok += 1;
                    let pem = b["certificatePem"].as_str().unwrap();
                    answered.entry(sn).or_default().push(serial_hex_of(pem));
                }
                // Another re-key of the same serial holds its lease: refused, nothing changed.
                409 => assert_eq!(b["code"], "provisioning_in_progress", "{b}"),
                other => panic!("round {round}: {sn} answered {other}: {b}"),
            }
        }
        assert!(
            ok >= serials.len(),
            "round {round}: at least one re-key per serial succeeds"
        );
    }

    let certs = certificates(dir.path());
    let mut active: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut revoked = BTreeSet::new();
    for (sn, serial, status) in &certs {
        match status.as_str() {
            "active" => active.entry(sn.clone()).or_default().push(serial.clone()),
            "revoked" => {
                revoked.insert(serial.clone());
            }
            other => panic!("unexpected status {other}"),
        }
    }
    for sn in &serials {
        let a = active.get(sn).cloned().unwrap_or_default();
        assert_eq!(a.len(), 1, "{sn} has exactly one active certificate: {a:?}");
        assert!(
            answered[sn].contains(&a[0]),
            "{sn}'s active certificate is one a client received"
        );
    }
    // Every 200 but the one in force per serial was revoked, and nothing else.
    let every_answered: BTreeSet<String> = answered.values().flatten().cloned().collect();
    let in_force: BTreeSet<String> = active.values().flatten().cloned().collect();
    assert!(
        every_answered
            .difference(&in_force)
            .all(|s| revoked.contains(s))
    );

    // The CRL the broker uses lists exactly the revoked ones (the publisher may still be
    // coalescing the last revocations: bounded wait for it, then the exact check).
    let mut listed = crl_serials(dir.path());
    for _ in 0..100 {
        if listed == revoked {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        listed = crl_serials(dir.path());
    }
    assert_eq!(
        listed, revoked,
        "the CRL lists exactly the revoked certificates"
    );
    assert!(!revoked.is_empty());

    // And the device's certificate in force still connects.
    let (s, b, key) = server.provision(&token, &serials[0]).await;
    assert_eq!(s, 200, "{b}");
    let cert = b["certificatePem"].as_str().unwrap().to_owned();
    let Connect::Accepted(..) = mqtt_connect(&server, &serials[0], &cert, &key).await else {
        panic!("the certificate in force connects to the broker");
    };
}
