//! Finding 12 of the security review, and the lost-lease path next to it: a re-key commits the
//! new certificate before it revokes the old one. Here the broker stops answering during the
//! re-key (SIGSTOP: its reload after the revocation never completes, the CRL publication
//! fails and is retried) and the request outlives its provisioning lease (shortened to 3 s;
//! the publication wait alone is 5 s). Whatever the client is told, the serial must end with
//! exactly one active certificate, and it must be one a client holds and the broker accepts:
//! the new one after a 200, else the old one. Revoking first, as before, left none (the old
//! revoked, the new discarded with the lost lease).

mod common;

use common::{
    Connect, Server, active_certificates, eventually_connect, mosquitto_pid, mqtt_connect,
    serial_hex_of,
};

const SN: &str = "SN-ORDER-0001";

/// Stops or continues a process of ours (mosquitto, started by our provisiond).
fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) on the pid of the broker this test's provisiond started.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_re_key_outliving_its_lease_while_the_broker_cannot_reload_keeps_one_usable_certificate()
{
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(dir.path(), &[], &[("PROVISIOND_LEASE_SECS", "3")]);
    assert!(server.admin(&["serial", "add", SN]).0);
    let token = server.user("order@example.com").await;
    let (s, b, old_key) = server.provision(&token, SN).await;
    assert_eq!(s, 200, "{b}");
    let old_pem = b["certificatePem"].as_str().unwrap().to_owned();
    match mqtt_connect(&server, SN, &old_pem, &old_key).await {
        Connect::Accepted(..) => {}
        Connect::Refused(e) => panic!("the first certificate is refused: {e}"),
    }

    let broker = mosquitto_pid(dir.path());
    signal(broker, libc::SIGSTOP);
    let (status, body, new_key) = server.provision(&token, SN).await;
    signal(broker, libc::SIGCONT);

    let active = active_certificates(dir.path(), SN);
    assert_eq!(
        active.len(),
        1,
        "active certificates of {SN}: {active:?}; re-key: {status} {body}"
    );
    if status == 200 {
        let new_pem = body["certificatePem"].as_str().unwrap().to_owned();
        assert_eq!(
            active[0],
            serial_hex_of(&new_pem),
            "the active one is the new one"
        );
        assert!(
            eventually_connect(&server, SN, &new_pem, &new_key, |c| matches!(
                c,
                Connect::Accepted(..)
            ))
            .await,
            "the new certificate is not accepted by the broker"
        );
        // The retried CRL reaches the broker once it runs again: the old one is cut off.
        assert!(
            eventually_connect(&server, SN, &old_pem, &old_key, |c| matches!(
                c,
                Connect::Refused(e) if e.to_lowercase().contains("revoked")
            ))
            .await,
            "the old certificate is still accepted after the re-key"
        );
    } else {
        assert_eq!(
            active[0],
            serial_hex_of(&old_pem),
            "the old one is still active"
        );
        assert!(
            eventually_connect(&server, SN, &old_pem, &old_key, |c| matches!(
                c,
                Connect::Accepted(..)
            ))
            .await,
            "the re-key failed ({status} {body}) and the old certificate no longer works"
        );
    }
    // And the serial can be re-keyed again right away (the lease was released or expired).
    let (s, b, _) = server.provision(&token, SN).await;
    assert_eq!(s, 200, "{b}");
}
