//! Known-answer transcripts for security 1 and 2 with fixed randomness, checked field by field.
//!
//! The expected values were computed independently of this crate by `tests/kat/gen_kat.py`
//! (Python `cryptography` package + plain integers, following esp_prov's security1.py /
//! security2.py / srp6a.py and ESP-IDF's security1.c / security2.c); its output is pasted below.

mod common;

use common::ScriptedRng;
use prost::Message;
use protocol::proto::*;
use protocol::security::client::{self, ClientSecurity, Progress};
use protocol::security::device::{DeviceSecurity, DeviceSession};
use protocol::security::manufacture::sec2_verifier;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn parse(body: &[u8]) -> SessionData {
    SessionData::decode(body).unwrap()
}

// security 1
const S1_CLIENT_PUB: &str = "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c";
const S1_DEVICE_PUB: &str = "5714769d116bf76436ae74bc793d2c30ad1903c59ac5273805c7e2698b410c36";
const S1_CLIENT_VERIFY: &str = "da92d5d2f8e2953a3af1a3b7a475f3c0341c34b36353c841ae959bfd01ed7609";
const S1_DEVICE_VERIFY: &str = "08a63187b1819c1adb4df891eacf62e2099f90de97ee40f0f18d8ed9782d66ea";
const S1_REQ: &str = "0a5aa18da660d6bde418be30";
const S1_RESP: &str = "86196ef2c3a358b6c0669259";
// security 2
const S2_SALT: &str = "1112131415161718191a1b1c1d1e1f20";
const S2_VERIFIER: &str = "174697ef9e6090cd5c4fb2bc9f757ad75c1239a1685be22f1efcba07a6ee13c20c1848beede61a8794b8021876e54ed7de73bf8ccba3745a9d1aef6e8ef96f3b50193c14acec9b79abf9c24588bdbfb4534ddf1e9dc3d2a1756fce2aa1af61100b608321463732c1290c1601a11243a4c6536e5331ac9ba35c68686215ddd4e171b587053e120a224ae656b4feea4e7631fbea4ef7f22313ddd38e103bbd6c7b5bb50cd7d1cb1190a56626a71f8397a7df6c5467e303784d2ea0d49757986db18c1c98e6e700e654ec630ecc0c81a969587758dcf7cf1887c5be19508546c7782409835a111729157d47dc1f3874cd7093817d16a3f9232e803efb829f4e0037f16a37afdbee3f0b896f5227831d01543b8b2bb6921b4bbde30576e4ad9bfeadbab84c10d86a886ff7a363e0e02b863de3f04324aec63e5198f9bbfcb850d227578056f714bc9c37a47cae2992e079eddc2e3547e67bc9e1792a46f4de12934e80c131d1a045f175408c91a7789340b4c1d29307a61ab3889ef097b5c790088c";
const S2_A_SECRET: &str = "a122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40";
const S2_B_SECRET: &str = "d152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70";
const S2_NONCE8: &str = "a1a2a3a4a5a6a7a8";
const S2_A: &str = "b8805ae17f938bb50e1aeaa070d4bff9db543bba165ee729107bb06ccbbfdcd2b31490b955f185d3c0895257830e86e907bc49d6c5332ef32d577073b3419dc2fdf5afd6347bbaf459ee4f228f60d01763e92cfe835683e2b9cb09bffb9bed2c3e4d2eb87998befa5b4d189f6b65df8df0cb278162cd326abae5b81d341b83e53fc4016450c9f7768cb32a5a09ee9a4572732788d4fa6e4def95821432ce5467c2cb0175654e1589a423f90b53219f28dd17c8e95a5ae726add9e66a2bfe8789205bb01ad0447f899e81b8361eb50a63975f26677d40e7ca3e96131c93f87db59a5e69f9f1cb626bee77b32af23c6c36e4be357f82a950e19824b89551a154355b8250d4a6228b4351d4fc9452b616781ebc87d654b3a75576b98a1619874640220a5329d49a9ca385e821121cc215a21ad930daa1fa63dcfbae914cb8ed90fc15c562ca49d04052c955eb407a68ea7eb911a4701d80836f8648c6db9919a3546c5ae9017d5ea084226a6ca9c818b51e826fcbdd7040ebb55f235e0599d6f967";
const S2_B: &str = "dbc3ce9dcc613185c36a36be92307b5b61fe7048926ddfff2cc9f96da9b26ba2f9619808050e7748683b963d179e61af9194d84c5251de44acb8fa264d90d4d402741b5d2ea8f66e2bdefb46a959c137aa3eb3c9730b203d0850b2b5ceb8805ab6596226c718be58e6d86cd072376950c6ceb43b3dd0c866d6384567f03fe447351a92cfada79dfef81a3cb4d59c463c5d659ffbbd711a267f97b15934fc80759fe9bede93f96702e4875c4c767ded14f3b16b44a6e7839ec007b25ece03e32bcf7fa8f14c6de97bbe6c6b5a12d41fab6b692fb96fe67e5913f869d48719e7ce43dc98d73305e55b1207e53824ffb6a6ddb984ddffe3406f9236fdbee2da5d0790b8c769445abf84f0878dea5ede289b84a5ba7d0d0f8f420c1c97e6ca308d2650b718b0c369edcbf16638341d697fb9c66d93c3736e1e6957cba7e794acf85650f005dd1554243c1902c427fec528101182ce7c6f8ef93ff9c18f0127e81aa64ffcd45605a4d1978d3814364b9b1edb349bc235f60b7cb17f07ac2391688e50";
const S2_M1: &str = "2341c3d2b2bd0fa49447fc908e943ba09f9e92df4e0e1fff11e4b3f444a9d1148117cb9774247609b6c116e5cf7a3b2f9b68e449cfe8d096041f60a3c99c6623";
const S2_M2: &str = "e91657eb668afdc9d5bb62974a9b419647fb85a8a663491e35cfc7e438b949222a982833b9eb4464f85469637caa7a8cfe9d40e7e967f484bcd9e1729585dbb1";
const S2_REQ: &str = "4eb086fc267f0a38e5ef339aa48fec6944b032869e01b4b1c0e9fb4c";
const S2_RESP: &str = "61868052e081cbc9b2e30bea0a679239ed35f4cec889de7320712e78";
const S2_REQ2: &str = "55263792587368a983e04a01a5178f0a9361ba9c483ffd58709ded920c00";

#[test]
fn sec1_transcript() {
    let client_sk: Vec<u8> = (1..=32).collect();
    let device_sk: Vec<u8> = (101..=132).collect();
    let device_random: Vec<u8> = (200..=215).collect();
    let mut client_rng = ScriptedRng::new(&[&client_sk]);
    let mut device_rng = ScriptedRng::new(&[&device_sk, &device_random]);
    let mut device = DeviceSession::new(DeviceSecurity::sec1(b"abcd1234"));

    let (hs, req0) = client::start(ClientSecurity::sec1(b"abcd1234"), &mut client_rng).unwrap();
    let m = parse(&req0);
    assert_eq!(m.sec_ver, SecSchemeVersion::SecScheme1 as i32);
    let Some(session_data::Proto::Sec1(p)) = m.proto else {
        panic!("not sec1")
    };
    assert_eq!(p.msg, Sec1MsgType::SessionCommand0 as i32);
    let Some(sec1_payload::Payload::Sc0(sc0)) = p.payload else {
        panic!("not sc0")
    };
    assert_eq!(sc0.client_pubkey, h(S1_CLIENT_PUB));

    let resp0 = device.handle(&req0, &mut device_rng).unwrap();
    let m = parse(&resp0);
    assert_eq!(m.sec_ver, SecSchemeVersion::SecScheme1 as i32);
    let Some(session_data::Proto::Sec1(p)) = m.proto else {
        panic!("not sec1")
    };
    assert_eq!(p.msg, Sec1MsgType::SessionResponse0 as i32);
    let Some(sec1_payload::Payload::Sr0(sr0)) = p.payload else {
        panic!("not sr0")
    };
    assert_eq!(sr0.status, Status::Success as i32);
    assert_eq!(sr0.device_pubkey, h(S1_DEVICE_PUB));
    assert_eq!(sr0.device_random, device_random);

    let Progress::Continue(hs, req1) = hs.on_response(&resp0).unwrap() else {
        panic!("step")
    };
    let m = parse(&req1);
    let Some(session_data::Proto::Sec1(p)) = m.proto else {
        panic!("not sec1")
    };
    assert_eq!(p.msg, Sec1MsgType::SessionCommand1 as i32);
    let Some(sec1_payload::Payload::Sc1(sc1)) = p.payload else {
        panic!("not sc1")
    };
    assert_eq!(sc1.client_verify_data, h(S1_CLIENT_VERIFY));

    let resp1 = device.handle(&req1, &mut device_rng).unwrap();
    let m = parse(&resp1);
    let Some(session_data::Proto::Sec1(p)) = m.proto else {
        panic!("not sec1")
    };
    assert_eq!(p.msg, Sec1MsgType::SessionResponse1 as i32);
    let Some(sec1_payload::Payload::Sr1(sr1)) = p.payload else {
        panic!("not sr1")
    };
    assert_eq!(sr1.status, Status::Success as i32);
    assert_eq!(sr1.device_verify_data, h(S1_DEVICE_VERIFY));

    let Progress::Established(mut session) = hs.on_response(&resp1).unwrap() else {
        panic!("done")
    };
    assert!(client_rng.is_empty() && device_rng.is_empty());
    let req = session.encrypt(b"hello device").unwrap();
    assert_eq!(req, h(S1_REQ));
    assert_eq!(device.decrypt(&req).unwrap(), b"hello device");
    let resp = device.encrypt(b"hello client").unwrap();
    assert_eq!(resp, h(S1_RESP));
    assert_eq!(session.decrypt(&resp).unwrap(), b"hello client");
}

#[test]
fn sec2_transcript() {
    let salt = h(S2_SALT);
    let verifier = sec2_verifier(b"wifiprov", b"abcd1234", &salt);
    assert_eq!(verifier, h(S2_VERIFIER));
    let mut client_rng = ScriptedRng::new(&[&h(S2_A_SECRET)]);
    let mut device_rng = ScriptedRng::new(&[&h(S2_B_SECRET), &h(S2_NONCE8)]);
    let mut device = DeviceSession::new(DeviceSecurity::sec2(&salt, &verifier).unwrap());

    let (hs, req0) = client::start(ClientSecurity::sec2(b"abcd1234"), &mut client_rng).unwrap();
    let m = parse(&req0);
    assert_eq!(m.sec_ver, SecSchemeVersion::SecScheme2 as i32);
    let Some(session_data::Proto::Sec2(p)) = m.proto else {
        panic!("not sec2")
    };
    assert_eq!(p.msg, Sec2MsgType::S2SessionCommand0 as i32);
    let Some(sec2_payload::Payload::Sc0(sc0)) = p.payload else {
        panic!("not sc0")
    };
    assert_eq!(sc0.client_username, b"wifiprov");
    assert_eq!(sc0.client_pubkey, h(S2_A));

    let resp0 = device.handle(&req0, &mut device_rng).unwrap();
    let m = parse(&resp0);
    assert_eq!(m.sec_ver, SecSchemeVersion::SecScheme2 as i32);
    let Some(session_data::Proto::Sec2(p)) = m.proto else {
        panic!("not sec2")
    };
    assert_eq!(p.msg, Sec2MsgType::S2SessionResponse0 as i32);
    let Some(sec2_payload::Payload::Sr0(sr0)) = p.payload else {
        panic!("not sr0")
    };
    assert_eq!(sr0.status, Status::Success as i32);
    assert_eq!(sr0.device_pubkey, h(S2_B));
    assert_eq!(sr0.device_salt, salt);

    let Progress::Continue(hs, req1) = hs.on_response(&resp0).unwrap() else {
        panic!("step")
    };
    let m = parse(&req1);
    let Some(session_data::Proto::Sec2(p)) = m.proto else {
        panic!("not sec2")
    };
    assert_eq!(p.msg, Sec2MsgType::S2SessionCommand1 as i32);
    let Some(sec2_payload::Payload::Sc1(sc1)) = p.payload else {
        panic!("not sc1")
    };
    assert_eq!(sc1.client_proof, h(S2_M1));

    let resp1 = device.handle(&req1, &mut device_rng).unwrap();
    let m = parse(&resp1);
    let Some(session_data::Proto::Sec2(p)) = m.proto else {
        panic!("not sec2")
    };
    assert_eq!(p.msg, Sec2MsgType::S2SessionResponse1 as i32);
    let Some(sec2_payload::Payload::Sr1(sr1)) = p.payload else {
        panic!("not sr1")
    };
    assert_eq!(sr1.status, Status::Success as i32);
    assert_eq!(sr1.device_proof, h(S2_M2));
    assert_eq!(sr1.device_nonce, [h(S2_NONCE8), vec![0, 0, 0, 1]].concat());

    let Progress::Established(mut session) = hs.on_response(&resp1).unwrap() else {
        panic!("done")
    };
    assert!(client_rng.is_empty() && device_rng.is_empty());
    // The ciphertexts prove the AES key (first 32 bytes of K) and the nonce counter sequence.
    let req = session.encrypt(b"hello device").unwrap();
    assert_eq!(req, h(S2_REQ));
    assert_eq!(device.decrypt(&req).unwrap(), b"hello device");
    let resp = device.encrypt(b"hello client").unwrap();
    assert_eq!(resp, h(S2_RESP));
    assert_eq!(session.decrypt(&resp).unwrap(), b"hello client");
    let req = session.encrypt(b"second request").unwrap();
    assert_eq!(req, h(S2_REQ2));
    assert_eq!(device.decrypt(&req).unwrap(), b"second request");
}
