//! Client against device, in memory, for every security level: handshakes, encrypted traffic
//! both ways, wrong PoP, and bad input leaving the device state unchanged.

mod common;

use common::TestRng;
use protocol::security::client::{self, ClientError, ClientSecurity, Progress};
use protocol::security::device::{DeviceError, DeviceSecurity, DeviceSession};
use protocol::security::manufacture::sec2_credentials;
use protocol::security::{CryptoError, Session};

const POP: &[u8] = b"abcd1234";

fn device(level: u32, pop: &[u8], rng: &mut TestRng) -> DeviceSession {
    DeviceSession::new(match level {
        0 => DeviceSecurity::Sec0,
        1 => DeviceSecurity::sec1(pop),
        _ => {
            let c = sec2_credentials(b"wifiprov", pop, rng);
            DeviceSecurity::sec2(&c.salt, &c.verifier).unwrap()
        }
    })
}

fn client_security(level: u32, pop: &[u8]) -> ClientSecurity {
    match level {
        0 => ClientSecurity::Sec0,
        1 => ClientSecurity::sec1(pop),
        _ => ClientSecurity::sec2(pop),
    }
}

/// Runs the handshake to the end; returns the client session or the first error of either side.
fn handshake(
    dev: &mut DeviceSession,
    security: ClientSecurity,
    rng: &mut TestRng,
) -> Result<Session, (Option<DeviceError>, Option<ClientError>)> {
    let (mut hs, mut req) = client::start(security, rng).map_err(|e| (None, Some(e)))?;
    loop {
        let resp = match dev.handle(&req, rng) {
            Ok(r) => r,
            Err(DeviceError::AuthFailed { response }) => {
                // Our device sends the failure status back; the client must name the cause.
                let e = hs.on_response(&response).unwrap_err();
                return Err((Some(DeviceError::AuthFailed { response: vec![] }), Some(e)));
            }
            Err(e) => return Err((Some(e), None)),
        };
        match hs.on_response(&resp).map_err(|e| (None, Some(e)))? {
            Progress::Continue(next, r) => {
                hs = next;
                req = r;
            }
            Progress::Established(s) => return Ok(s),
        }
    }
}

fn exchange(dev: &mut DeviceSession, cli: &mut Session, rounds: usize) {
    for i in 0..rounds {
        let request = format!("request {i}").repeat(i + 1);
        let wire = cli.encrypt(request.as_bytes()).unwrap();
        let seen = dev.decrypt(&wire).unwrap();
        assert_eq!(seen, request.as_bytes());
        let response = format!("response {i}");
        let wire = dev.encrypt(response.as_bytes()).unwrap();
        assert_eq!(cli.decrypt(&wire).unwrap(), response.as_bytes());
    }
}

#[test]
fn every_level_establishes_and_carries_traffic() {
    for level in 0..=2 {
        let mut rng = TestRng::new(&format!("level{level}"));
        let mut dev = device(level, POP, &mut rng);
        let mut cli = handshake(&mut dev, client_security(level, POP), &mut rng).unwrap();
        assert!(dev.is_established(), "level {level}");
        assert_eq!(cli.sec_ver(), level);
        exchange(&mut dev, &mut cli, 5);
    }
}

#[test]
fn encrypted_levels_do_not_send_plaintext() {
    for level in 1..=2 {
        let mut rng = TestRng::new("plain");
        let mut dev = device(level, POP, &mut rng);
        let mut cli = handshake(&mut dev, client_security(level, POP), &mut rng).unwrap();
        let secret = b"the passphrase is correct horse";
        let wire = cli.encrypt(secret).unwrap();
        assert!(!wire.windows(8).any(|w| secret.windows(8).any(|s| s == w)));
        assert_eq!(dev.decrypt(&wire).unwrap(), secret);
    }
}

#[test]
fn sec1_with_empty_pop_works() {
    let mut rng = TestRng::new("nopop");
    let mut dev = device(1, b"", &mut rng);
    let mut cli = handshake(&mut dev, ClientSecurity::sec1(b""), &mut rng).unwrap();
    exchange(&mut dev, &mut cli, 2);
}

#[test]
fn wrong_pop_is_a_distinct_client_error_and_device_reports_failure() {
    for level in 1..=2 {
        let mut rng = TestRng::new("wrongpop");
        let mut dev = device(level, POP, &mut rng);
        let err = handshake(&mut dev, client_security(level, b"wrong-pop"), &mut rng).unwrap_err();
        assert_eq!(
            err,
            (
                Some(DeviceError::AuthFailed { response: vec![] }),
                Some(ClientError::WrongPop)
            ),
            "level {level}"
        );
        assert!(!dev.is_established());
        assert_eq!(dev.decrypt(b"x"), Err(CryptoError::NotEstablished));
        // The device is ready for a corrected attempt without any reset.
        let mut cli = handshake(&mut dev, client_security(level, POP), &mut rng).unwrap();
        exchange(&mut dev, &mut cli, 1);
    }
}

#[test]
fn wrong_username_fails_like_a_wrong_pop() {
    let mut rng = TestRng::new("user");
    let mut dev = device(2, POP, &mut rng);
    let security = ClientSecurity::Sec2 {
        username: b"someone".to_vec(),
        password: POP.to_vec().into(),
        sec_patch_ver: 1,
    };
    let err = handshake(&mut dev, security, &mut rng).unwrap_err();
    assert_eq!(err.1, Some(ClientError::WrongPop));
}

#[test]
fn sec2_without_patch_counter_on_the_client_desynchronises() {
    // A client that ignores sec_patch_ver 1 reuses the first nonce; the device (patch 1)
    // then rejects its second message instead of accepting a replayed nonce.
    let mut rng = TestRng::new("patch");
    let mut dev = device(2, POP, &mut rng);
    let security = ClientSecurity::Sec2 {
        username: b"wifiprov".to_vec(),
        password: POP.to_vec().into(),
        sec_patch_ver: 0,
    };
    let mut cli = handshake(&mut dev, security, &mut rng).unwrap();
    let wire = cli.encrypt(b"one").unwrap();
    assert_eq!(dev.decrypt(&wire).unwrap(), b"one");
    let wire = cli.encrypt(b"two").unwrap();
    assert_eq!(dev.decrypt(&wire), Err(CryptoError::Authentication));
}

#[test]
fn new_handshake_replaces_an_established_session() {
    let mut rng = TestRng::new("replace");
    let mut dev = device(2, POP, &mut rng);
    let mut old = handshake(&mut dev, client_security(2, POP), &mut rng).unwrap();
    let mut new = handshake(&mut dev, client_security(2, POP), &mut rng).unwrap();
    let stale = old.encrypt(b"stale").unwrap();
    assert_eq!(dev.decrypt(&stale), Err(CryptoError::Authentication));
    exchange(&mut dev, &mut new, 2);
}

fn check_rejected(dev: &mut DeviceSession, cli: &mut Session, req: &[u8], expected: DeviceError) {
    let mut rng = TestRng::new("bad");
    assert_eq!(dev.handle(req, &mut rng), Err(expected));
    // State unchanged: the established session still works in step.
    assert!(dev.is_established());
    exchange(dev, cli, 1);
}

#[test]
fn bad_session_requests_leave_an_established_device_unchanged() {
    for level in 0..=2u32 {
        let mut rng = TestRng::new("badreq");
        let mut dev = device(level, POP, &mut rng);
        // Capture the real handshake requests to replay them later.
        let (mut hs, first) = client::start(client_security(level, POP), &mut rng).unwrap();
        let mut requests = vec![first.clone()];
        let mut resp = dev.handle(&first, &mut rng).unwrap();
        let mut cli = loop {
            match hs.on_response(&resp).unwrap() {
                Progress::Continue(next, req) => {
                    requests.push(req.clone());
                    resp = dev.handle(&req, &mut rng).unwrap();
                    hs = next;
                }
                Progress::Established(s) => break s,
            }
        };
        check_rejected(&mut dev, &mut cli, &[0xff; 7], DeviceError::Malformed);
        check_rejected(&mut dev, &mut cli, &vec![0u8; 4097], DeviceError::TooLarge);
        let other = client_security((level + 1) % 3, POP);
        let (_, wrong_scheme) = client::start(other, &mut rng).unwrap();
        check_rejected(
            &mut dev,
            &mut cli,
            &wrong_scheme,
            DeviceError::WrongScheme {
                expected: level,
                got: ((level + 1) % 3) as i32,
            },
        );
        if level > 0 {
            // Replaying the proof message after the session is up is refused.
            check_rejected(
                &mut dev,
                &mut cli,
                &requests[1],
                DeviceError::UnexpectedMessage,
            );
        }
    }
}

#[test]
fn proof_before_key_exchange_is_refused() {
    for level in 1..=2 {
        let mut rng = TestRng::new("order");
        let mut a = device(level, POP, &mut rng);
        let mut b = device(level, POP, &mut rng);
        // Get a genuine Cmd1 from a handshake with device `a` and send it to fresh device `b`.
        let (hs, req0) = client::start(client_security(level, POP), &mut rng).unwrap();
        let resp0 = a.handle(&req0, &mut rng).unwrap();
        let Progress::Continue(_, req1) = hs.on_response(&resp0).unwrap() else {
            panic!("expected a second step");
        };
        assert_eq!(
            b.handle(&req1, &mut rng),
            Err(DeviceError::UnexpectedMessage)
        );
        assert!(!b.is_established());
    }
}

#[test]
fn sec1_bad_lengths_are_invalid_arguments() {
    use prost::Message;
    use protocol::proto::*;
    let mut rng = TestRng::new("len");
    let mut dev = device(1, POP, &mut rng);
    let req = SessionData {
        sec_ver: 1,
        proto: Some(session_data::Proto::Sec1(Sec1Payload {
            msg: Sec1MsgType::SessionCommand0 as i32,
            payload: Some(sec1_payload::Payload::Sc0(SessionCmd0 {
                client_pubkey: vec![9; 31],
            })),
        })),
    }
    .encode_to_vec();
    assert!(matches!(
        dev.handle(&req, &mut rng),
        Err(DeviceError::InvalidArgument(_))
    ));
    // An all-zero (low order) key is refused instead of giving a PoP-only key.
    let req = SessionData {
        sec_ver: 1,
        proto: Some(session_data::Proto::Sec1(Sec1Payload {
            msg: Sec1MsgType::SessionCommand0 as i32,
            payload: Some(sec1_payload::Payload::Sc0(SessionCmd0 {
                client_pubkey: vec![0; 32],
            })),
        })),
    }
    .encode_to_vec();
    assert!(matches!(
        dev.handle(&req, &mut rng),
        Err(DeviceError::InvalidArgument(_))
    ));
}

#[test]
fn sec2_bad_public_values_are_refused() {
    use prost::Message;
    use protocol::proto::*;
    let mut rng = TestRng::new("a0");
    let mut dev = device(2, POP, &mut rng);
    for (username, pubkey) in [
        (b"wifiprov".to_vec(), vec![0u8; 384]),
        (b"wifiprov".to_vec(), vec![1u8; 385]),
        (Vec::new(), vec![1u8; 384]),
    ] {
        let req = SessionData {
            sec_ver: 2,
            proto: Some(session_data::Proto::Sec2(Sec2Payload {
                msg: Sec2MsgType::S2SessionCommand0 as i32,
                payload: Some(sec2_payload::Payload::Sc0(S2SessionCmd0 {
                    client_username: username,
                    client_pubkey: pubkey,
                })),
            })),
        }
        .encode_to_vec();
        assert!(matches!(
            dev.handle(&req, &mut rng),
            Err(DeviceError::InvalidArgument(_))
        ));
        assert!(!dev.is_established());
    }
}

#[test]
fn tampered_sec2_messages_fail_without_desynchronising() {
    let mut rng = TestRng::new("tamper");
    let mut dev = device(2, POP, &mut rng);
    let mut cli = handshake(&mut dev, client_security(2, POP), &mut rng).unwrap();
    let mut wire = cli.encrypt(b"hello").unwrap();
    wire[0] ^= 1;
    assert_eq!(dev.decrypt(&wire), Err(CryptoError::Authentication));
    assert_eq!(dev.decrypt(&wire[..10]), Err(CryptoError::Authentication));
    wire[0] ^= 1;
    assert_eq!(dev.decrypt(&wire).unwrap(), b"hello");
    // Replaying the same ciphertext fails: the counter moved on.
    assert_eq!(dev.decrypt(&wire), Err(CryptoError::Authentication));
}

#[test]
fn oversized_bodies_are_refused_without_consuming_keystream() {
    for level in 0..=2 {
        let mut rng = TestRng::new("big");
        let mut dev = device(level, POP, &mut rng);
        let mut cli = handshake(&mut dev, client_security(level, POP), &mut rng).unwrap();
        assert_eq!(cli.encrypt(&[0u8; 4097]), Err(CryptoError::TooLarge));
        assert_eq!(dev.decrypt(&[0u8; 4097]), Err(CryptoError::TooLarge));
        exchange(&mut dev, &mut cli, 1);
    }
}

#[test]
fn client_rejects_garbage_responses() {
    for level in 0..=2 {
        let mut rng = TestRng::new("garbage");
        let (hs, _) = client::start(client_security(level, POP), &mut rng).unwrap();
        assert_eq!(
            hs.on_response(&[0xff, 0xff]).unwrap_err(),
            ClientError::Malformed
        );
    }
}

/// Encodes a device response for the client tests below.
fn sec1_resp0(status: i32, device_pubkey: Vec<u8>, device_random: Vec<u8>) -> Vec<u8> {
    use prost::Message;
    use protocol::proto::*;
    SessionData {
        sec_ver: 1,
        proto: Some(session_data::Proto::Sec1(Sec1Payload {
            msg: Sec1MsgType::SessionResponse0 as i32,
            payload: Some(sec1_payload::Payload::Sr0(SessionResp0 {
                status,
                device_pubkey,
                device_random,
            })),
        })),
    }
    .encode_to_vec()
}

fn sec2_resp0(status: i32, device_pubkey: Vec<u8>, device_salt: Vec<u8>) -> Vec<u8> {
    use prost::Message;
    use protocol::proto::*;
    SessionData {
        sec_ver: 2,
        proto: Some(session_data::Proto::Sec2(Sec2Payload {
            msg: Sec2MsgType::S2SessionResponse0 as i32,
            payload: Some(sec2_payload::Payload::Sr0(S2SessionResp0 {
                status,
                device_pubkey,
                device_salt,
            })),
        })),
    }
    .encode_to_vec()
}

fn check_client(security: ClientSecurity, response: Vec<u8>, expected: ClientError) {
    let mut rng = TestRng::new("client-bad");
    let (hs, _) = client::start(security, &mut rng).unwrap();
    assert_eq!(hs.on_response(&response).unwrap_err(), expected);
}

#[test]
fn client_rejects_unusable_device_values() {
    let s1 = || ClientSecurity::sec1(POP);
    let s2 = || ClientSecurity::sec2(POP);
    check_client(
        s1(),
        sec1_resp0(0, vec![5; 31], vec![1; 16]),
        ClientError::InvalidDeviceKey,
    );
    check_client(
        s1(),
        sec1_resp0(0, vec![5; 32], vec![1; 15]),
        ClientError::InvalidDeviceKey,
    );
    // Low-order point: the shared secret would not depend on our key.
    check_client(
        s1(),
        sec1_resp0(0, vec![0; 32], vec![1; 16]),
        ClientError::InvalidDeviceKey,
    );
    check_client(
        s1(),
        sec1_resp0(4, vec![5; 32], vec![1; 16]),
        ClientError::DeviceStatus(4),
    );
    check_client(
        s2(),
        sec2_resp0(0, vec![0; 384], vec![1; 16]),
        ClientError::InvalidDeviceKey,
    );
    check_client(
        s2(),
        sec2_resp0(0, vec![1; 385], vec![1; 16]),
        ClientError::InvalidDeviceKey,
    );
    check_client(
        s2(),
        sec2_resp0(0, vec![1; 384], vec![]),
        ClientError::InvalidDeviceKey,
    );
    check_client(
        s2(),
        sec2_resp0(0, vec![1; 384], vec![1; 65]),
        ClientError::InvalidDeviceKey,
    );
    // B = N is zero mod N.
    let n = hex::decode(concat!(
        "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a0879",
        "8e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b",
        "0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da4836",
        "1c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804",
        "f1746c08ca18217c32905e462e36ce3be39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6",
        "955817183995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33a85521abdf1cba64",
        "ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7abf5ae8cdb0933d71e8c94e04a25619dcee3d226",
        "1ad2ee6bf12ffa06d98a0864d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2",
        "08e24fa074e5ab3143db5bfce0fd108e4b82d120a93ad2caffffffffffffffff"
    ))
    .unwrap();
    assert_eq!(n.len(), 384);
    check_client(
        s2(),
        sec2_resp0(0, n, vec![1; 16]),
        ClientError::InvalidDeviceKey,
    );
    // A sec1 answer to a sec2 request.
    check_client(
        s2(),
        sec1_resp0(0, vec![5; 32], vec![1; 16]),
        ClientError::SchemeMismatch {
            expected: 2,
            got: 1,
        },
    );
}

#[test]
fn client_names_a_forged_device_proof() {
    use prost::Message;
    use protocol::proto::*;
    let mut rng = TestRng::new("forged");
    let mut dev = device(2, POP, &mut rng);
    let (hs, req0) = client::start(client_security(2, POP), &mut rng).unwrap();
    let resp0 = dev.handle(&req0, &mut rng).unwrap();
    let Progress::Continue(hs, req1) = hs.on_response(&resp0).unwrap() else {
        panic!("expected a second step");
    };
    let resp1 = dev.handle(&req1, &mut rng).unwrap();
    let mut m = SessionData::decode(&resp1[..]).unwrap();
    if let Some(session_data::Proto::Sec2(Sec2Payload {
        payload: Some(sec2_payload::Payload::Sr1(sr1)),
        ..
    })) = m.proto.as_mut()
    {
        sr1.device_proof[0] ^= 1;
    }
    assert_eq!(
        hs.on_response(&m.encode_to_vec()).unwrap_err(),
        ClientError::DeviceProofMismatch
    );
}
