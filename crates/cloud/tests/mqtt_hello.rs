//! Odd hellos against the service's MQTT watcher on a real mosquitto: an oversize retained
//! hello and a malformed one do not stop the watcher; the next device's hello is still
//! recorded.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Server, der_of, wait_for};
use rcgen::KeyPair;
use rumqttc::{AsyncClient, EventLoop, MqttOptions, Packet, QoS, TlsConfiguration, Transport};

async fn last_seen(server: &Server, token: &str, sn: &str) -> Option<String> {
    let (s, b) = server
        .call("GET", &format!("/devices/{sn}"), Some(token), None)
        .await;
    assert_eq!(s, 200, "{b}");
    b["lastSeen"].as_str().map(str::to_owned)
}

/// A device client whose own limit lets it send a 1 MiB packet.
async fn device(server: &Server, sn: &str, cert: &str, key: &KeyPair) -> (AsyncClient, EventLoop) {
    let cfg =
        cloud::local::tls::client_config(der_of(&server.ca_pem), der_of(cert), key.serialize_der())
            .unwrap();
    let mut opts = MqttOptions::new(sn, "127.0.0.1", server.mqtt_port);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_max_packet_size(1 << 20, 1 << 20);
    opts.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
        Arc::new(Arc::unwrap_or_clone(cfg)),
    )));
    let (client, mut events) = AsyncClient::new(opts, 16);
    wait_for(&mut events, |p| matches!(p, Packet::ConnAck(_))).await;
    (client, events)
}

/// Drives `events` until the connection ends or `for_s` seconds pass.
async fn drive(events: &mut EventLoop, for_s: u64) {
    let _ = tokio::time::timeout(Duration::from_secs(for_s), async {
        while events.poll().await.is_ok() {}
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn oversize_and_malformed_hellos_do_not_stop_the_watcher() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let token = server.user("hello@example.com").await;
    let mut devices = Vec::new();
    for sn in ["HELLO-BIG", "HELLO-BAD", "HELLO-OK"] {
        assert!(server.admin(&["serial", "add", sn]).0);
        let (s, b, key) = server.provision(&token, sn).await;
        assert_eq!(s, 200, "{b}");
        devices.push((sn, b["certificatePem"].as_str().unwrap().to_owned(), key));
    }

    // 20 KiB retained: over what an MQTT client reads by default (10 KiB).
    let (sn, cert, key) = &devices[0];
    let (big, mut events) = device(&server, sn, cert, key).await;
    big.publish(
        format!("devices/{sn}/hello"),
        QoS::AtLeastOnce,
        true,
        vec![b'x'; 20 * 1024],
    )
    .await
    .unwrap();
    drive(&mut events, 3).await;

    // Not JSON, not UTF-8, retained.
    let (sn, cert, key) = &devices[1];
    let (bad, mut events) = device(&server, sn, cert, key).await;
    bad.publish(
        format!("devices/{sn}/hello"),
        QoS::AtLeastOnce,
        true,
        vec![0xff, 0x00, 0xfe],
    )
    .await
    .unwrap();
    drive(&mut events, 2).await;

    // A normal device says hello: its last_seen must appear.
    let (sn, cert, key) = &devices[2];
    let (ok, mut events) = device(&server, sn, cert, key).await;
    ok.publish(
        format!("devices/{sn}/hello"),
        QoS::AtLeastOnce,
        false,
        r#"{"fw":"1.0"}"#,
    )
    .await
    .unwrap();
    wait_for(&mut events, |p| matches!(p, Packet::PubAck(_))).await;
    let mut seen = None;
    for _ in 0..100 {
        seen = last_seen(&server, &token, sn).await;
        if seen.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(seen.is_some(), "the watcher no longer records hellos");
    assert!(
        last_seen(&server, &token, "HELLO-BIG").await.is_none(),
        "the oversize hello was accepted"
    );
}
