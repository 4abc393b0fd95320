//! The device core driven in memory, client against device, on fake time.

mod support;

use firmware_core::device::{Event, Phase};
use firmware_core::store::{CredentialStore, DeviceKey, StoreLayout};
use firmware_core::testkit::{ClientFailure, ProvClient, TestEntropy};
use prost::Message;
use protocol::proto::iot::{IotStatus, MqttSettings, SeedCredentials, TransferKind};
use protocol::proto::{Status, WifiConnectFailedReason, WifiStationState, resp_get_status};
use protocol::security::client::ClientError;
use support::*;

const HOME: &[u8] = b"HomeWiFi";
const GOOD: &[u8] = b"correct horse";

fn mqtt_settings(ca: &TestCa) -> Vec<u8> {
    MqttSettings {
        host: "127.0.0.1".into(),
        port: 8883,
        client_id: SERIAL.into(),
        topic_prefix: "devices".into(),
        server_ca_pem: ca.cert.pem(),
    }
    .encode_to_vec()
}

/// Waits (in fake time) until the join has an outcome; returns the last status.
fn wait_status(rig: &Rig, c: &mut ProvClient<Rig>) -> protocol::proto::RespGetStatus {
    for _ in 0..100 {
        let s = c.status().unwrap();
        if s.sta_state != WifiStationState::Connecting as i32 {
            return s;
        }
        rig.advance(100);
    }
    panic!("join never finished");
}

/// The whole flow: session, scan, CSR, chain, MQTT settings, Wi-Fi, apply, connected, hello.
fn provision(level: u32) -> Rig {
    let rig = rig(level);
    let ca = TestCa::new("test root");
    let mut c = session(&rig, level);
    let ver = c.proto_ver().unwrap();
    assert_eq!(ver.prov.sec_ver, level);
    let scan = c.scan().unwrap();
    assert_eq!(scan[0].ssid, HOME, "strongest first");
    assert_eq!(c.info().unwrap().serial, SERIAL);
    let csr = c.csr().unwrap();
    let leaf = ca.sign_csr(&csr);
    assert_eq!(
        c.transfer(TransferKind::KindCertificateChain, leaf.as_bytes(), 1000)
            .unwrap(),
        IotStatus::Ok
    );
    assert_eq!(
        c.transfer(TransferKind::KindMqttSettings, &mqtt_settings(&ca), 1000)
            .unwrap(),
        IotStatus::Ok
    );
    assert_eq!(c.set_config(HOME, GOOD).unwrap(), Status::Success as i32);
    assert_eq!(c.apply().unwrap(), Status::Success as i32);
    let s = wait_status(&rig, &mut c);
    assert_eq!(s.sta_state, WifiStationState::Connected as i32, "{s:?}");
    assert!(matches!(s.state, Some(resp_get_status::State::Connected(ref st)) if st.ssid == HOME));
    rig.advance(10);
    let dev = rig.dev();
    assert!(dev.is_provisioned());
    assert!(dev.is_online());
    let mqtt = dev.mqtt_connector();
    assert_eq!(mqtt.published.len(), 1);
    assert_eq!(mqtt.published[0].0, format!("devices/{SERIAL}/hello"));
    assert_eq!(mqtt.connects[0].cert_chain_pem, leaf);
    assert_eq!(mqtt.connects[0].client_id, SERIAL);
    drop(dev);
    rig
}

#[test]
fn provisioning_works_at_every_security_level() {
    for level in 0..=2 {
        let rig = provision(level);
        let events = rig.dev().drain_events();
        assert!(events.contains(&Event::SessionEstablished), "level {level}");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Committed { sequence: 1 })),
            "level {level}: {events:?}"
        );
        assert!(
            events.iter().any(|e| matches!(e, Event::Online { .. })),
            "level {level}"
        );
    }
}

#[test]
fn after_the_grace_period_the_softap_closes_and_a_reboot_goes_straight_online() {
    let rig = provision(2);
    rig.advance(31_000);
    assert_eq!(rig.dev().phase(), Phase::Station);
    assert!(rig.dev().radio().softap().is_none());
    let flash = rig.dev().store().flash().clone();
    let again = rig_with_flash(2, flash);
    again.advance(1_000);
    let dev = again.dev();
    assert_eq!(dev.phase(), Phase::Station);
    assert!(dev.is_online(), "rebooted device did not come back online");
}

#[test]
fn the_private_key_never_leaves_the_device() {
    let rig = provision(0);
    let dev = rig.dev();
    let Some(DeviceKey::P256(secret)) = dev
        .committed()
        .and_then(|c| c.iot.as_ref())
        .map(|i| i.key.clone())
    else {
        panic!("no device key")
    };
    let key_pem = firmware_core::csr::key_pkcs8_pem(&secret).unwrap();
    drop(dev);
    // Security 0 is plaintext: every response of a full second run is inspectable.
    let mut c = ProvClient::new(rig.clone());
    c.establish(client_security(0, POP), &mut TestEntropy(1))
        .unwrap();
    for body in [
        c.info().map(|i| i.encode_to_vec()).unwrap(),
        c.status().unwrap().encode_to_vec(),
    ] {
        assert!(!body.windows(32).any(|w| w == &secret[..]));
        assert!(!String::from_utf8_lossy(&body).contains("PRIVATE KEY"));
    }
    assert!(!key_pem.is_empty());
}

#[test]
fn wrong_pop_is_a_clear_error_and_five_lock_provisioning() {
    for level in 1..=2 {
        let rig = rig(level);
        for attempt in 1..=5 {
            let mut c = ProvClient::new(rig.clone());
            let err = c
                .establish(
                    client_security(level, b"wrong-pop"),
                    &mut TestEntropy(attempt),
                )
                .unwrap_err();
            assert_eq!(
                err,
                ClientFailure::Handshake(ClientError::WrongPop),
                "level {level} attempt {attempt}"
            );
        }
        let mut c = ProvClient::new(rig.clone());
        match c.establish(client_security(level, POP), &mut TestEntropy(9)) {
            Err(ClientFailure::Http(429, msg)) => assert!(msg.contains("locked"), "{msg}"),
            other => panic!("level {level}: expected lock-out, got {other:?}"),
        }
        rig.advance(60_000);
        session(&rig, level);
    }
}

/// Wrong proofs of possession are counted in flash: rebooting between attempts does not give
/// an attacker a fresh set, a reboot while locked stays locked for a full period, and a
/// success (or the lock-out running out) clears the count for the next boot too.
#[test]
fn wrong_pops_are_counted_across_reboots() {
    let wrong = |rig: &Rig, seed: u64| {
        let mut c = ProvClient::new(rig.clone());
        c.establish(client_security(1, b"wrong-pop"), &mut TestEntropy(seed))
            .unwrap_err()
    };
    let reboot = |rig: &Rig| rig_with_flash(1, rig.dev().store().flash().clone());
    let failures = |rig: &Rig| {
        CredentialStore::open(rig.dev().store().flash().clone(), StoreLayout::default())
            .pop_failures()
    };
    let rig = rig(1);
    for i in 0..3 {
        assert_eq!(
            wrong(&rig, i),
            ClientFailure::Handshake(ClientError::WrongPop)
        );
    }
    let rig = reboot(&rig);
    assert_eq!(failures(&rig), 3);
    for i in 3..5 {
        assert_eq!(
            wrong(&rig, i),
            ClientFailure::Handshake(ClientError::WrongPop)
        );
    }
    // The fifth wrong proof, two of them after the reboot, locked it.
    let mut c = ProvClient::new(rig.clone());
    match c.establish(client_security(1, POP), &mut TestEntropy(9)) {
        Err(ClientFailure::Http(429, msg)) => assert!(msg.contains("locked"), "{msg}"),
        other => panic!("expected lock-out, got {other:?}"),
    }
    // Rebooting does not lift it: locked for a full period from the boot.
    let rig = reboot(&rig);
    let mut c = ProvClient::new(rig.clone());
    assert!(matches!(
        c.establish(client_security(1, POP), &mut TestEntropy(10)),
        Err(ClientFailure::Http(429, _))
    ));
    rig.advance(60_000);
    // The lock-out ran out: the right code opens a session and the count is gone.
    session(&rig, 1);
    assert_eq!(failures(&rig), 0);
    let rig = reboot(&rig);
    for i in 20..24 {
        assert_eq!(
            wrong(&rig, i),
            ClientFailure::Handshake(ClientError::WrongPop)
        );
    }
    session(&rig, 1);
}

#[test]
fn a_success_resets_the_failure_count() {
    let rig = rig(1);
    for round in 0..3 {
        for i in 0..4 {
            let mut c = ProvClient::new(rig.clone());
            assert!(
                c.establish(
                    client_security(1, b"nope"),
                    &mut TestEntropy(round * 10 + i)
                )
                .is_err()
            );
        }
        session(&rig, 1);
    }
}

#[test]
fn wrong_passphrase_fails_with_auth_error_then_a_correction_connects_without_reset() {
    let rig = rig(2);
    let mut c = session(&rig, 2);
    c.set_config(HOME, b"wrong horse").unwrap();
    c.apply().unwrap();
    let s = wait_status(&rig, &mut c);
    assert_eq!(s.sta_state, WifiStationState::ConnectionFailed as i32);
    assert_eq!(
        s.state,
        Some(resp_get_status::State::FailReason(
            WifiConnectFailedReason::AuthError as i32
        ))
    );
    assert!(!rig.dev().is_provisioned());
    assert_eq!(rig.dev().phase(), Phase::Provisioning);
    c.set_config(HOME, GOOD).unwrap();
    c.apply().unwrap();
    assert_eq!(
        wait_status(&rig, &mut c).sta_state,
        WifiStationState::Connected as i32
    );
    assert!(rig.dev().is_provisioned());
}

#[test]
fn an_unknown_network_fails_with_network_not_found() {
    let rig = rig(0);
    let mut c = session(&rig, 0);
    c.set_config(b"NoSuchNet", GOOD).unwrap();
    c.apply().unwrap();
    let s = wait_status(&rig, &mut c);
    assert_eq!(
        s.state,
        Some(resp_get_status::State::FailReason(
            WifiConnectFailedReason::NetworkNotFound as i32
        ))
    );
}

#[test]
fn the_window_expires_closes_the_softap_and_says_so() {
    let rig = rig(1);
    let mut c = session(&rig, 1);
    rig.advance(5 * 60 * 1000);
    assert_eq!(rig.dev().phase(), Phase::Closed);
    assert!(rig.dev().radio().softap().is_none());
    assert!(rig.dev().drain_events().contains(&Event::WindowExpired));
    assert!(matches!(c.status(), Err(ClientFailure::Http(503, _))));
    // A factory reset opens a fresh window.
    let now = rig.now.get();
    rig.dev().factory_reset(now);
    assert_eq!(rig.dev().phase(), Phase::Provisioning);
    session(&rig, 1);
}

#[test]
fn an_8k_chain_arrives_in_chunks_and_chunk_errors_change_nothing() {
    let rig = rig(2);
    let ca = TestCa::new("root");
    let mut c = session(&rig, 2);
    let leaf = ca.sign_csr(&c.csr().unwrap());
    // Pad the chain with CA certificates to more than 8 KB, as long real chains are.
    let mut chain = leaf.clone();
    while chain.len() < 8 * 1024 {
        chain.push_str(&TestCa::new("intermediate").cert.pem());
    }
    assert!(chain.len() > 8192);
    assert_eq!(
        c.transfer(TransferKind::KindCertificateChain, chain.as_bytes(), 3000)
            .unwrap(),
        IotStatus::Ok
    );

    // A corrupted transfer (digest of other data) is refused.
    use protocol::proto::iot::{
        CmdTransferBegin, CmdTransferChunk, CmdTransferEnd, IotMsgType, iot_payload::Payload,
    };
    let begin = CmdTransferBegin {
        kind: TransferKind::KindCertificateChain as i32,
        total_len: 6,
        chunk_count: 3,
        sha256: vec![0; 32],
    };
    let st = |r: protocol::proto::iot::IotPayload| IotStatus::try_from(r.status).unwrap();
    assert_eq!(
        st(c.iot(
            IotMsgType::TypeCmdTransferBegin,
            Payload::CmdTransferBegin(begin)
        )
        .unwrap()),
        IotStatus::Ok
    );
    let chunk = |i: u32| {
        Payload::CmdTransferChunk(CmdTransferChunk {
            index: i,
            data: b"ab".to_vec(),
        })
    };
    assert_eq!(
        st(c.iot(IotMsgType::TypeCmdTransferChunk, chunk(1)).unwrap()),
        IotStatus::ChunkOutOfOrder,
        "missing chunk 0"
    );
    assert_eq!(
        st(c.iot(IotMsgType::TypeCmdTransferChunk, chunk(0)).unwrap()),
        IotStatus::Ok
    );
    assert_eq!(
        st(c.iot(IotMsgType::TypeCmdTransferChunk, chunk(0)).unwrap()),
        IotStatus::ChunkOutOfOrder,
        "repeated"
    );
    assert_eq!(
        st(c.iot(
            IotMsgType::TypeCmdTransferEnd,
            Payload::CmdTransferEnd(CmdTransferEnd {})
        )
        .unwrap()),
        IotStatus::ChunkOutOfOrder,
        "incomplete"
    );
    assert_eq!(
        st(c.iot(IotMsgType::TypeCmdTransferChunk, chunk(1)).unwrap()),
        IotStatus::Ok
    );
    assert_eq!(
        st(c.iot(IotMsgType::TypeCmdTransferChunk, chunk(2)).unwrap()),
        IotStatus::Ok
    );
    assert_eq!(
        st(c.iot(
            IotMsgType::TypeCmdTransferEnd,
            Payload::CmdTransferEnd(CmdTransferEnd {})
        )
        .unwrap()),
        IotStatus::DigestMismatch
    );
    // Too large for the device.
    let big = vec![b'x'; 20_000];
    assert_eq!(
        c.transfer(TransferKind::KindCertificateChain, &big, 4000)
            .unwrap(),
        IotStatus::TooLarge
    );
    // A chain for some other key is refused.
    let other = TestCa::new("other").cert.pem();
    assert_eq!(
        c.transfer(TransferKind::KindCertificateChain, other.as_bytes(), 4000)
            .unwrap(),
        IotStatus::InvalidCredential
    );

    // The good chain is still the one that gets committed.
    c.transfer(TransferKind::KindMqttSettings, &mqtt_settings(&ca), 4000)
        .unwrap();
    c.set_config(HOME, GOOD).unwrap();
    c.apply().unwrap();
    wait_status(&rig, &mut c);
    assert_eq!(
        rig.dev()
            .committed()
            .unwrap()
            .iot
            .as_ref()
            .unwrap()
            .cert_chain_pem,
        chain
    );
}

#[test]
fn seed_mode_key_and_certificate_are_stored_and_used() {
    let rig = rig(1);
    let ca = TestCa::new("root");
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, SERIAL);
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    let seed = SeedCredentials {
        private_key_pem: key.serialize_pem(),
        certificate_pem: cert.pem(),
    }
    .encode_to_vec();
    let mut c = session(&rig, 1);
    assert_eq!(
        c.transfer(TransferKind::KindSeedCredentials, &seed, 1000)
            .unwrap(),
        IotStatus::Ok
    );
    c.transfer(TransferKind::KindMqttSettings, &mqtt_settings(&ca), 4000)
        .unwrap();
    c.set_config(HOME, GOOD).unwrap();
    c.apply().unwrap();
    wait_status(&rig, &mut c);
    rig.advance(1);
    let dev = rig.dev();
    assert_eq!(
        *dev.mqtt_connector().connects[0].key_pem,
        key.serialize_pem()
    );
    assert!(dev.is_online());
}

#[test]
fn reset_and_reprovision_go_back_to_provisioning_and_replace_the_credentials() {
    let rig = provision(2);
    let mut c = session(&rig, 2);
    assert_eq!(c.ctrl(true).unwrap(), Status::Success as i32);
    assert_eq!(rig.dev().phase(), Phase::Provisioning);
    assert_eq!(
        c.status().unwrap().sta_state,
        WifiStationState::Disconnected as i32
    );
    c.set_config(b"CoffeeShop", b"").unwrap();
    c.apply().unwrap();
    assert_eq!(
        wait_status(&rig, &mut c).sta_state,
        WifiStationState::Connected as i32
    );
    let dev = rig.dev();
    let committed = dev.committed().unwrap();
    assert_eq!(committed.wifi.ssid, b"CoffeeShop");
    assert!(
        committed.iot.is_some(),
        "Wi-Fi-only reprovisioning keeps the cloud identity"
    );
    assert_eq!(dev.store().sequence(), 2);
    drop(dev);
    // Reset after a failure clears the staged configuration.
    let mut c = session(&rig, 2);
    c.ctrl(true).unwrap();
    c.set_config(HOME, b"bad bad bad").unwrap();
    c.apply().unwrap();
    wait_status(&rig, &mut c);
    assert_eq!(c.ctrl(false).unwrap(), Status::Success as i32);
    assert_eq!(
        c.apply().unwrap(),
        Status::InvalidArgument as i32,
        "nothing staged after reset"
    );
    let now = rig.now.get();
    rig.dev().factory_reset(now);
    assert!(!rig.dev().is_provisioned());
    let flash = rig.dev().store().flash().clone();
    assert!(
        !rig_with_flash(2, flash).dev().is_provisioned(),
        "factory reset wiped flash"
    );
}

#[test]
fn bad_input_gets_an_error_status_and_changes_nothing() {
    let rig = rig(2);
    let mut c = session(&rig, 2);
    c.set_config(HOME, GOOD).unwrap();
    let cookie = c.cookie();
    let raw = |endpoint: &str, cookie: Option<u32>, body: &[u8]| {
        let now = rig.now.get();
        rig.dev().handle(endpoint, cookie, body, now).status
    };
    assert_eq!(raw("prov-config", cookie, &vec![0u8; 4097]), 413);
    assert_eq!(raw("prov-config", cookie, b"garbage that fails GCM"), 400);
    assert_eq!(raw("prov-config", Some(cookie.unwrap() ^ 1), b"x"), 401);
    assert_eq!(raw("prov-config", None, b"x"), 401);
    assert_eq!(raw("no-such", cookie, b"x"), 404);
    assert_eq!(
        raw("prov-session", Some(cookie.unwrap() ^ 1), b"\xff\xff"),
        400
    );
    // A replayed request: the nonce counter has moved on, so it fails authentication.
    let req = protocol::proto::WiFiConfigPayload {
        msg: protocol::proto::WiFiConfigMsgType::TypeCmdApplyConfig as i32,
        payload: Some(
            protocol::proto::wi_fi_config_payload::Payload::CmdApplyConfig(
                protocol::proto::CmdApplyConfig {},
            ),
        ),
    }
    .encode_to_vec();
    let enc = c.encrypt(&req).unwrap();
    assert!(c.post_raw("prov-config", &enc).is_ok());
    assert!(matches!(
        c.post_raw("prov-config", &enc),
        Err(ClientFailure::Http(400, _))
    ));
    // The session still works (the stray requests did not consume state) once back in step.
    drop(c);
    let mut c = session(&rig, 2);
    assert_eq!(
        wait_status(&rig, &mut c).sta_state,
        WifiStationState::Connected as i32
    );
}

#[test]
fn a_new_client_replaces_the_old_session() {
    let rig = rig(1);
    let mut a = session(&rig, 1);
    let mut b = session(&rig, 1);
    assert!(b.status().is_ok());
    assert!(matches!(a.status(), Err(ClientFailure::Http(401, _))));
}

/// Finding 18: a client without the PoP (a neighbour on the SoftAP) starts handshakes, with a
/// wrong proof or none at all; the running session must survive every one of them, and only
/// a client that proves the PoP takes over.
#[test]
fn a_handshake_without_the_pop_never_ends_the_running_session() {
    for level in 1..=2 {
        let rig = rig(level);
        let mut owner = session(&rig, level);
        assert!(owner.status().is_ok());

        // A wrong PoP: the handshake runs to the proof, which fails.
        let mut intruder = ProvClient::new(rig.clone());
        let err = intruder
            .establish(client_security(level, b"wrong-pop"), &mut TestEntropy(77))
            .unwrap_err();
        assert_eq!(err, ClientFailure::Handshake(ClientError::WrongPop));
        assert!(
            owner.status().is_ok(),
            "level {level}: a wrong PoP ended it"
        );

        // Only the first handshake message, never the proof.
        let (_, first) = protocol::security::client::start(
            client_security(level, b"wrong-pop"),
            &mut TestEntropy(78),
        )
        .unwrap();
        let mut half = ProvClient::new(rig.clone());
        half.post_raw("prov-session", &first).unwrap();
        assert!(
            owner.status().is_ok(),
            "level {level}: a half handshake ended it"
        );
        assert!(matches!(
            half.post_raw("prov-config", b"\x01\x02"),
            Err(ClientFailure::Http(401, _))
        ));

        // The owner itself may open a new session over the running one.
        owner
            .establish(client_security(level, POP), &mut TestEntropy(79))
            .unwrap();
        assert!(owner.status().is_ok());
    }
}

#[test]
fn malformed_protobuf_inside_a_good_session_is_refused_without_state_change() {
    let rig = rig(0);
    let mut c = session(&rig, 0);
    for ep in ["prov-config", "prov-scan", "prov-ctrl", "iot-cred"] {
        assert!(
            matches!(
                c.call(ep, b"\xff\xff\xff"),
                Err(ClientFailure::Http(400, _))
            ),
            "{ep}"
        );
        assert!(
            matches!(c.call(ep, b""), Err(ClientFailure::Http(400, _))),
            "{ep}: empty"
        );
    }
    assert_eq!(
        c.apply().unwrap(),
        Status::InvalidArgument as i32,
        "apply before set_config"
    );
    assert_eq!(
        c.set_config(b"", GOOD).unwrap(),
        Status::InvalidArgument as i32
    );
    assert_eq!(
        c.set_config(HOME, b"short").unwrap(),
        Status::InvalidArgument as i32
    );
    assert_eq!(
        c.status().unwrap().sta_state,
        WifiStationState::Disconnected as i32
    );
    assert!(rig.dev().radio().softap().is_some());
}

/// The host sends credentials with the protocol crate's `TransferSender`, which checks the
/// device's progress after every step, the end included: the device must report the finished
/// transfer (all chunks, all bytes) in its TransferEnd response.
#[test]
fn the_protocol_transfer_sender_completes_against_the_device() {
    use protocol::iot::{Credential, TransferSender};
    let rig = rig(2);
    let ca = TestCa::new("root");
    let mut c = session(&rig, 2);
    let leaf = ca.sign_csr(&c.csr().unwrap());
    // A chain longer than one chunk, so begin, several chunks and end are all checked.
    let chain = format!("{leaf}{}{}", ca.cert.pem(), ca.cert.pem());
    let mut tx =
        TransferSender::with_chunk_size(&Credential::CertificateChain(chain), 700).unwrap();
    assert!(tx.chunk_count() > 1);
    while let Some(req) = tx.next_request() {
        let resp = c.call("iot-cred", &req.encode()).unwrap();
        tx.on_response_body(&resp)
            .unwrap_or_else(|e| panic!("{req:?}: {e}"));
    }
    assert!(tx.is_done());
}

fn broker(ca: &TestCa) -> firmware_core::store::MqttSettings {
    firmware_core::store::MqttSettings {
        host: "127.0.0.1".into(),
        port: 8883,
        client_id: SERIAL.into(),
        topic_prefix: "devices".into(),
        server_ca_pem: ca.cert.pem(),
    }
}

fn legacy_creds(ca: &TestCa, passphrase: &[u8]) -> (protocol::legacy::LegacyCredentials, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, SERIAL);
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    (
        protocol::legacy::LegacyCredentials {
            private_key_pem: zeroize::Zeroizing::new(key.serialize_pem()),
            certificate_pem: cert.pem(),
            ssid: HOME.to_vec(),
            passphrase: zeroize::Zeroizing::new(passphrase.to_vec()),
        },
        key.serialize_pem(),
    )
}

/// The lab firmware's legacy stream: key, certificate, SSID and passphrase arrive together; the
/// device joins, commits only after the join, and goes online with the delivered key.
#[test]
fn legacy_credentials_join_commit_and_go_online() {
    use firmware_core::device::LegacyRefused;
    let rig = rig(2);
    let ca = TestCa::new("root");
    // Bad input changes nothing.
    let (mut bad, _) = legacy_creds(&ca, GOOD);
    bad.certificate_pem = "not a certificate".into();
    let now = rig.now.get();
    assert_eq!(
        rig.dev().legacy_deliver(bad, broker(&ca), now),
        Err(LegacyRefused::InvalidCredential)
    );
    let (mut bad, _) = legacy_creds(&ca, GOOD);
    bad.ssid = Vec::new();
    assert_eq!(
        rig.dev().legacy_deliver(bad, broker(&ca), now),
        Err(LegacyRefused::InvalidCredential)
    );
    assert!(!rig.dev().is_provisioned());

    let (creds, key_pem) = legacy_creds(&ca, GOOD);
    rig.dev().legacy_deliver(creds, broker(&ca), now).unwrap();
    let (again, _) = legacy_creds(&ca, GOOD);
    assert_eq!(
        rig.dev().legacy_deliver(again, broker(&ca), now),
        Err(LegacyRefused::Busy),
        "one join at a time"
    );
    assert!(
        !rig.dev().is_provisioned(),
        "nothing committed before the join"
    );
    for _ in 0..100 {
        rig.advance(100);
        if rig.dev().is_online() {
            break;
        }
    }
    let dev = rig.dev();
    assert!(dev.is_provisioned());
    assert!(dev.is_online());
    assert_eq!(*dev.mqtt_connector().connects[0].key_pem, key_pem);
}

/// A wrong passphrase in the legacy stream commits nothing; provisioning stays open.
#[test]
fn legacy_wrong_passphrase_commits_nothing() {
    let rig = rig(2);
    let ca = TestCa::new("root");
    let (creds, _) = legacy_creds(&ca, b"wrong passphrase");
    let now = rig.now.get();
    rig.dev().legacy_deliver(creds, broker(&ca), now).unwrap();
    rig.advance(2_000);
    rig.advance(2_000);
    assert!(!rig.dev().is_provisioned());
    assert_eq!(rig.dev().phase(), Phase::Provisioning);
}

/// Device info reports the time left in the provisioning window, from the device's own clock.
#[test]
fn device_info_counts_the_provisioning_window_down() {
    let rig = rig(1);
    let window = rig.dev().config().window_ms;
    let mut c = session(&rig, 1);
    assert_eq!(c.info().unwrap().window_remaining_ms, Some(window));
    rig.advance(61_000);
    assert_eq!(c.info().unwrap().window_remaining_ms, Some(window - 61_000));
    // Once the window is over the device is no longer provisioning: nothing to count.
    rig.advance(window);
    assert_eq!(rig.dev().phase(), Phase::Closed);
    assert_eq!(rig.dev().window_remaining_ms(rig.now.get()), None);
}
