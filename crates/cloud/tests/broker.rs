//! A certificate from provisiond on the real mosquitto: own prefix allowed, another device's
//! prefix refused, last_seen recorded, refused after re-keying and after admin revocation.

mod common;

use std::time::Duration;

use common::{Connect, Server, mqtt_connect, mqtt_connect_as, wait_for};
use rumqttc::{Packet, QoS};

async fn last_seen(server: &Server, token: &str, sn: &str) -> Option<String> {
    let (s, b) = server
        .call("GET", &format!("/devices/{sn}"), Some(token), None)
        .await;
    assert_eq!(s, 200, "{b}");
    b["lastSeen"].as_str().map(str::to_owned)
}

/// The broker ended the TLS handshake because the certificate is revoked.
fn assert_revoked(error: &str) {
    eprintln!("refused: {error}");
    assert!(
        error.to_lowercase().contains("revoked"),
        "refused for another reason: {error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn device_certificate_on_the_broker() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert!(server.admin(&["serial", "add", "DEV-A1"]).0);
    assert!(server.admin(&["serial", "add", "DEV-B2"]).0);
    let token = server.user("alice@example.com").await;

    let (s, body, key) = server.provision(&token, "DEV-A1").await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["thingName"], "DEV-A1");
    assert_eq!(body["topicPrefix"], "devices");
    assert_eq!(body["mqttHost"], "127.0.0.1");
    assert_eq!(body["mqttPort"], server.mqtt_port);
    assert_eq!(body["caPem"].as_str().unwrap(), server.ca_pem);
    assert!(
        body.get("privateKey").is_none(),
        "CSR mode never returns a key"
    );
    let cert = body["certificatePem"].as_str().unwrap().to_owned();
    let first_id = body["certificateId"].as_str().unwrap().to_owned();

    let (s, body_b, key_b) = server.provision(&token, "DEV-B2").await;
    assert_eq!(s, 200, "{body_b}");
    let cert_b = body_b["certificatePem"].as_str().unwrap().to_owned();

    let Connect::Accepted(client, mut events) = mqtt_connect(&server, "DEV-A1", &cert, &key).await
    else {
        panic!("a fresh device certificate must connect");
    };
    let Connect::Accepted(client_b, mut events_b) =
        mqtt_connect(&server, "DEV-B2", &cert_b, &key_b).await
    else {
        panic!("device B connects");
    };
    // mosquitto 2.0 grants every subscription and filters on delivery, so subscribing to
    // B's prefix succeeds but must deliver nothing of B's.
    client
        .subscribe_many([
            rumqttc::SubscribeFilter::new("devices/DEV-A1/#".into(), QoS::AtLeastOnce),
            rumqttc::SubscribeFilter::new("devices/DEV-B2/#".into(), QoS::AtLeastOnce),
        ])
        .await
        .unwrap();
    let Packet::SubAck(ack) = wait_for(&mut events, |p| matches!(p, Packet::SubAck(_))).await
    else {
        unreachable!()
    };
    assert_eq!(ack.return_codes.len(), 2);
    // B publishes on its own prefix; its PUBACK means the broker has routed it.
    client_b
        .publish("devices/DEV-B2/data", QoS::AtLeastOnce, false, "b's data")
        .await
        .unwrap();
    wait_for(&mut events_b, |p| matches!(p, Packet::PubAck(_))).await;

    // A publishes under B's prefix (must be dropped), then under its own. The broker keeps
    // per-client order, so the first message A receives must be its own hello: had B's data
    // or A's spoof passed the ACL, it would have come first.
    client
        .publish("devices/DEV-B2/hello", QoS::AtLeastOnce, false, "spoof")
        .await
        .unwrap();
    client
        .publish("devices/DEV-A1/hello", QoS::AtLeastOnce, false, "hello")
        .await
        .unwrap();
    let Packet::Publish(p) = wait_for(&mut events, |p| matches!(p, Packet::Publish(_))).await
    else {
        unreachable!()
    };
    assert_eq!(p.topic, "devices/DEV-A1/hello");
    drop(client_b);
    let mut seen = None;
    for _ in 0..100 {
        seen = last_seen(&server, &token, "DEV-A1").await;
        if seen.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen.is_some(), "last_seen recorded from the hello");
    assert_eq!(last_seen(&server, &token, "DEV-A1").await, seen);
    let (_, b) = server
        .call("GET", "/devices/DEV-A1", Some(&token), None)
        .await;
    assert_eq!(b["status"], "online");
    assert_eq!(b["owner"], "alice@example.com");
    assert_eq!(last_seen(&server, &token, "DEV-B2").await, None);
    drop(client);

    // Re-key: the old certificate is revoked and refused; the new one connects.
    let (s, body, key2) = server.provision(&token, "DEV-A1").await;
    assert_eq!(s, 200, "{body}");
    let cert2 = body["certificatePem"].as_str().unwrap().to_owned();
    assert_ne!(body["certificateId"].as_str().unwrap(), first_id);
    match mqtt_connect(&server, "DEV-A1", &cert, &key).await {
        Connect::Refused(e) => assert_revoked(&e),
        Connect::Accepted(..) => panic!("the re-keyed device's old certificate still connects"),
    }
    let Connect::Accepted(_live, mut live_events) =
        mqtt_connect(&server, "DEV-A1", &cert2, &key2).await
    else {
        panic!("the new certificate connects");
    };

    // Admin revocation: the running server applies it (SIGHUP -> CRL -> broker).
    let (ok, out) = server.admin(&["device", "revoke", "DEV-A1"]);
    assert!(ok, "{out}");
    let mut refused = false;
    for _ in 0..50 {
        // While the broker restarts, connections are refused or reset at TCP level: wait for
        // the TLS refusal that only a revoked certificate gets.
        if let Connect::Refused(e) = mqtt_connect(&server, "DEV-A1", &cert2, &key2).await
            && e.to_lowercase().contains("revoked")
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "a revoked certificate is refused by the broker");
    // The connection it had before the revocation was cut off too.
    let dropped = disconnected(&mut live_events, 10).await;
    assert!(
        dropped,
        "an admin revocation disconnects the revoked device"
    );
    let (_, b) = server
        .call("GET", "/devices/DEV-A1", Some(&token), None)
        .await;
    assert_eq!(b["certificateId"], serde_json::Value::Null);
    assert_eq!(b["status"], "registered");
}

/// Polls until the connection ends (error) or `secs` pass; true when it ended.
async fn disconnected(events: &mut rumqttc::EventLoop, secs: u64) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, events.poll()).await {
            Err(_) => return false,
            Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// The broker's client id is the certificate's serial, whatever the client asks for: a
/// device naming another's client id cannot take over that device's session, and a second
/// connection with the same certificate replaces the first even under another client id.
#[tokio::test(flavor = "multi_thread")]
async fn client_id_is_forced_to_the_certificate_serial() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert!(server.admin(&["serial", "add", "DEV-C3"]).0);
    assert!(server.admin(&["serial", "add", "DEV-D4"]).0);
    let token = server.user("carol@example.com").await;
    let (s, body_c, key_c) = server.provision(&token, "DEV-C3").await;
    assert_eq!(s, 200, "{body_c}");
    let cert_c = body_c["certificatePem"].as_str().unwrap().to_owned();
    let (s, body_d, key_d) = server.provision(&token, "DEV-D4").await;
    assert_eq!(s, 200, "{body_d}");
    let cert_d = body_d["certificatePem"].as_str().unwrap().to_owned();

    let Connect::Accepted(client_c, mut events_c) =
        mqtt_connect(&server, "DEV-C3", &cert_c, &key_c).await
    else {
        panic!("device C connects");
    };
    // D asks for C's client id. Without the forced id the broker would drop C's session.
    let Connect::Accepted(_client_d, mut events_d) =
        mqtt_connect_as(&server, "DEV-C3", &cert_d, &key_d).await
    else {
        panic!("device D connects (under its own id)");
    };
    assert!(
        !disconnected(&mut events_c, 2).await,
        "device D took over device C's session by naming its client id"
    );
    // C is still served: a message on its own prefix comes back to it.
    client_c
        .subscribe("devices/DEV-C3/echo", QoS::AtLeastOnce)
        .await
        .unwrap();
    wait_for(&mut events_c, |p| matches!(p, Packet::SubAck(_))).await;
    client_c
        .publish("devices/DEV-C3/echo", QoS::AtLeastOnce, false, "still here")
        .await
        .unwrap();
    let Packet::Publish(p) = wait_for(&mut events_c, |p| matches!(p, Packet::Publish(_))).await
    else {
        unreachable!()
    };
    assert_eq!(&p.payload[..], b"still here");

    // D's certificate under yet another name is still D: it replaces D's first connection.
    let Connect::Accepted(_client_d2, _events_d2) =
        mqtt_connect_as(&server, "anything-else", &cert_d, &key_d).await
    else {
        panic!("device D connects a second time");
    };
    assert!(
        disconnected(&mut events_d, 10).await,
        "a second connection with D's certificate did not replace the first: the client id is not the serial"
    );
}

/// Whether `pid` is a live mosquitto (not a zombie, not a reused pid of something else).
fn mosquitto_alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.contains("(mosquitto)") && !s.contains(") Z "))
}

/// A provisiond killed outright cannot stop its mosquitto; the next start on the same data
/// directory stops that leftover before starting its own broker.
#[tokio::test(flavor = "multi_thread")]
async fn a_restart_after_a_crash_stops_the_old_broker() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let pid_file = dir.path().join("mosquitto.pid");
    let old: i32 = std::fs::read_to_string(&pid_file)
        .expect("provisiond notes its broker's pid")
        .trim()
        .parse()
        .unwrap();
    assert!(mosquitto_alive(old));
    server.kill();
    assert!(
        mosquitto_alive(old),
        "the broker outlives a killed provisiond (what this start-up step is for)"
    );

    let server = Server::start(dir.path());
    assert!(
        !mosquitto_alive(old),
        "the restarted provisiond left the old broker running"
    );
    let new: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_ne!(new, old);
    assert!(mosquitto_alive(new));
    // The new broker serves: a fresh device certificate connects.
    assert!(server.admin(&["serial", "add", "DEV-E5"]).0);
    let token = server.user("erin@example.com").await;
    let (s, body, key) = server.provision(&token, "DEV-E5").await;
    assert_eq!(s, 200, "{body}");
    let cert = body["certificatePem"].as_str().unwrap().to_owned();
    assert!(matches!(
        mqtt_connect(&server, "DEV-E5", &cert, &key).await,
        Connect::Accepted(..)
    ));
    server.stop();
    assert!(!mosquitto_alive(new), "a clean stop stops the broker");
}
