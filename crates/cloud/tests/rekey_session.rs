//! Issue 13, finding 11: after a re-key, the MQTT session the device (or whoever holds its
//! old key) opened with the replaced certificate is ended by the service before it answers,
//! and that certificate cannot open a new one. Real provisiond, real mosquitto, mutual TLS.

mod common;

use std::time::Duration;

use common::{Connect, Server, mqtt_connect};
use rumqttc::{Event, Packet, QoS};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_key_disconnects_the_old_certificates_session_and_it_cannot_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let sn = "SESSION-0001";
    assert!(server.admin(&["serial", "add", sn]).0);
    let token = server.user("session@example.com").await;

    let (s, b, old_key) = server.provision(&token, sn).await;
    assert_eq!(s, 200, "{b}");
    let old_cert = b["certificatePem"].as_str().unwrap().to_owned();
    let Connect::Accepted(old_client, mut old_events) =
        mqtt_connect(&server, sn, &old_cert, &old_key).await
    else {
        panic!("the first certificate connects");
    };
    // The old session is alive: a round trip through the broker works.
    old_client
        .subscribe(format!("devices/{sn}/ping"), QoS::AtLeastOnce)
        .await
        .unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(10), old_events.poll()).await {
            Ok(Ok(Event::Incoming(Packet::SubAck(_)))) => break,
            Ok(Ok(_)) => {}
            other => panic!("the old session answers before the re-key: {other:?}"),
        }
    }

    // The re-key answers only once the old session is gone.
    let (s, b, new_key) = server.provision(&token, sn).await;
    assert_eq!(s, 200, "{b}");
    let new_cert = b["certificatePem"].as_str().unwrap().to_owned();

    // The old connection is closed by the broker: its next read fails. Its keep-alive is
    // 30 s, so without the service ending it nothing would arrive here at all.
    let ended = loop {
        match tokio::time::timeout(Duration::from_secs(10), old_events.poll()).await {
            Err(_) => break false,
            Ok(Err(_)) => break true,
            Ok(Ok(_)) => {}
        }
    };
    assert!(ended, "the session of the replaced certificate was ended");

    // The old certificate cannot come back; the new one works.
    let Connect::Refused(why) = mqtt_connect(&server, sn, &old_cert, &old_key).await else {
        panic!("the replaced certificate must not connect again");
    };
    assert!(!why.is_empty());
    let Connect::Accepted(..) = mqtt_connect(&server, sn, &new_cert, &new_key).await else {
        panic!("the new certificate connects");
    };
    let log = std::fs::read_to_string(dir.path().join("mosquitto.log")).unwrap();
    assert!(
        log.contains(&format!(
            "Client {sn} already connected, closing old connection"
        )),
        "mosquitto ended the old session by a take-over of the client id:\n{log}"
    );
}
