//! iot-cred messages and the chunked transfer, both roles.

use protocol::endpoints::MAX_BODY;
use protocol::iot::*;
use protocol::security::GCM_TAG_LEN;
use sha2::{Digest, Sha256};

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n";

/// A certificate chain of about `len` bytes.
fn chain(len: usize) -> String {
    let line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2\n";
    let mut s = String::new();
    while s.len() < len {
        s.push_str("-----BEGIN CERTIFICATE-----\n");
        for _ in 0..20 {
            s.push_str(line);
        }
        s.push_str("-----END CERTIFICATE-----\n");
    }
    s
}

fn mqtt() -> MqttSettings {
    MqttSettings {
        host: "127.0.0.1".into(),
        port: 8883,
        client_id: "SN0001".into(),
        topic_prefix: "devices".into(),
        server_ca_pem: CERT.into(),
    }
}

/// Runs sender against receiver over encoded bodies; returns what the device got.
fn deliver(cred: &Credential, chunk: usize) -> Credential {
    let mut tx = TransferSender::with_chunk_size(cred, chunk).unwrap();
    let mut rx = TransferReceiver::new();
    let mut got = None;
    while let Some(req) = tx.next_request() {
        let body = req.encode();
        assert!(
            body.len() + GCM_TAG_LEN <= MAX_BODY,
            "request {} bytes",
            body.len()
        );
        let decoded = IotRequest::decode(&body).unwrap();
        let (resp, cred) = rx.handle(&decoded).unwrap();
        if cred.is_some() {
            got = cred;
        }
        tx.on_response_body(&resp.encode()).unwrap();
    }
    assert!(tx.is_done());
    assert_eq!(rx.progress(), None);
    got.unwrap()
}

#[test]
fn every_credential_kind_is_delivered_intact() {
    let creds = [
        Credential::CertificateChain(chain(8 * 1024)),
        Credential::CertificateChain(CERT.into()),
        Credential::Seed(SeedCredentials {
            private_key_pem: KEY.to_string().into(),
            certificate_pem: chain(5000),
        }),
        Credential::Mqtt(mqtt()),
    ];
    for cred in creds {
        for chunk in [1000, CHUNK_SIZE, MAX_CHUNK] {
            assert_eq!(deliver(&cred, chunk), cred);
        }
    }
}

#[test]
fn an_8k_chain_needs_several_chunks() {
    let cred = Credential::CertificateChain(chain(8 * 1024));
    let Credential::CertificateChain(pem) = &cred else {
        unreachable!()
    };
    let tx = TransferSender::new(&cred).unwrap();
    assert!(pem.len() > 8 * 1024);
    assert_eq!(tx.chunk_count() as usize, pem.len().div_ceil(CHUNK_SIZE));
    assert!(tx.chunk_count() >= 3);
}

#[test]
fn sender_refuses_invalid_or_oversized_credentials() {
    for cred in [
        Credential::CertificateChain("not a pem".into()),
        Credential::CertificateChain(chain(MAX_TRANSFER + 1)),
        Credential::Seed(SeedCredentials {
            private_key_pem: "nope".to_string().into(),
            certificate_pem: CERT.into(),
        }),
        Credential::Mqtt(MqttSettings {
            host: String::new(),
            ..mqtt()
        }),
        Credential::Mqtt(MqttSettings { port: 0, ..mqtt() }),
        Credential::Mqtt(MqttSettings {
            topic_prefix: "devices/#".into(),
            ..mqtt()
        }),
    ] {
        assert_eq!(
            TransferSender::new(&cred).unwrap_err(),
            TransferError::InvalidCredential
        );
    }
    let ok = Credential::Mqtt(mqtt());
    assert!(TransferSender::with_chunk_size(&ok, 0).is_err());
    assert!(TransferSender::with_chunk_size(&ok, MAX_CHUNK + 1).is_err());
}

struct Started {
    rx: TransferReceiver,
    chunks: Vec<Vec<u8>>,
}

fn started(data: &[u8], chunk: usize) -> Started {
    let mut rx = TransferReceiver::new();
    let chunks: Vec<Vec<u8>> = data.chunks(chunk).map(<[u8]>::to_vec).collect();
    rx.begin(
        TransferKind::KindCertificateChain,
        data.len() as u32,
        chunks.len() as u32,
        Sha256::digest(data).into(),
    )
    .unwrap();
    Started { rx, chunks }
}

fn check_chunk(s: &mut Started, index: u32, data: &[u8], expected: Result<u32, IotStatus>) {
    let before = s.rx.progress();
    let got = s.rx.chunk(index, data).map(|p| p.next_index);
    assert_eq!(got, expected, "chunk {index}");
    if expected.is_err() {
        assert_eq!(s.rx.progress(), before, "state changed by a refused chunk");
    }
}

#[test]
fn missing_repeated_and_out_of_order_chunks_are_refused() {
    let data = chain(8 * 1024);
    let mut s = started(data.as_bytes(), 3000);
    let c = s.chunks.clone();
    check_chunk(&mut s, 1, &c[1], Err(IotStatus::ChunkOutOfOrder)); // 0 missing
    check_chunk(&mut s, 0, &c[0], Ok(1));
    check_chunk(&mut s, 0, &c[0], Err(IotStatus::ChunkOutOfOrder)); // repeated
    check_chunk(&mut s, 2, &c[2], Err(IotStatus::ChunkOutOfOrder)); // skipped 1
    check_chunk(&mut s, 1, &[], Err(IotStatus::BadRequest));
    check_chunk(
        &mut s,
        1,
        &vec![b'x'; MAX_CHUNK + 1],
        Err(IotStatus::BadRequest),
    );
    check_chunk(&mut s, 1, &c[1], Ok(2));
    let n = c.len() as u32;
    for i in 2..n - 1 {
        check_chunk(&mut s, i, &c[i as usize], Ok(i + 1));
    }
    // End before the last chunk: refused, and the last chunk can still come.
    assert_eq!(s.rx.end().unwrap_err(), IotStatus::ChunkOutOfOrder);
    check_chunk(&mut s, n - 1, &c[n as usize - 1], Ok(n));
    check_chunk(&mut s, n, &c[0], Err(IotStatus::ChunkOutOfOrder)); // beyond chunk_count
    let (cred, _) = s.rx.end().unwrap();
    assert_eq!(cred, Credential::CertificateChain(data));
    // Replaying the end after completion: nothing is in progress.
    assert_eq!(s.rx.end().unwrap_err(), IotStatus::InvalidState);
}

#[test]
fn corrupted_or_swapped_data_never_yields_a_credential() {
    let data = chain(8 * 1024);
    // Same length, one byte flipped in the middle chunk.
    let mut s = started(data.as_bytes(), 3000);
    let mut c = s.chunks.clone();
    c[1][10] ^= 0x20;
    for (i, chunk) in c.iter().enumerate() {
        s.rx.chunk(i as u32, chunk).unwrap();
    }
    assert_eq!(s.rx.end().unwrap_err(), IotStatus::DigestMismatch);
    assert_eq!(s.rx.progress(), None, "bad data must be discarded");

    // Chunks of two transfers swapped: same count and sizes, wrong order.
    let mut s = started(data.as_bytes(), 3000);
    let c = s.chunks.clone();
    let mut swapped = c.clone();
    swapped.swap(0, 1);
    for (i, chunk) in swapped.iter().enumerate() {
        s.rx.chunk(i as u32, chunk).unwrap();
    }
    assert_eq!(s.rx.end().unwrap_err(), IotStatus::DigestMismatch);

    // Too many bytes for the announced total.
    let mut s = started(b"-----BEGIN CERTIFICATE-----", 10);
    assert_eq!(s.rx.chunk(0, &[b'a'; 40]).unwrap_err(), IotStatus::TooLarge);
}

#[test]
fn begin_is_validated_and_bounded() {
    let mut rx = TransferReceiver::new();
    let kind = TransferKind::KindCertificateChain;
    let h = [0u8; 32];
    assert_eq!(
        rx.begin(kind, (MAX_TRANSFER + 1) as u32, 20, h),
        Err(IotStatus::TooLarge)
    );
    assert_eq!(rx.begin(kind, 0, 0, h), Err(IotStatus::BadRequest));
    assert_eq!(rx.begin(kind, 10, 11, h), Err(IotStatus::BadRequest));
    assert_eq!(rx.begin(kind, 10_000, 2, h), Err(IotStatus::BadRequest));
    assert_eq!(rx.progress(), None);
    let mut small = TransferReceiver::with_limit(1024);
    assert_eq!(small.begin(kind, 2000, 1, h), Err(IotStatus::TooLarge));
    assert_eq!(rx.chunk(0, b"x"), Err(IotStatus::InvalidState));
    assert_eq!(rx.end().map(|_| ()), Err(IotStatus::InvalidState));
}

#[test]
fn valid_bytes_of_an_invalid_credential_are_refused() {
    let data = b"hello, not a certificate";
    let mut s = started(data, 100);
    s.rx.chunk(0, data).unwrap();
    assert_eq!(s.rx.end().unwrap_err(), IotStatus::InvalidCredential);
}

#[test]
fn sender_detects_device_progress_mismatch_and_refusals() {
    let cred = Credential::CertificateChain(chain(8 * 1024));
    let mut tx = TransferSender::new(&cred).unwrap();
    tx.on_response(&IotResponse::TransferBegun(TransferProgress {
        next_index: 0,
        received_len: 0,
    }))
    .unwrap();
    // Device claims it already has two chunks.
    assert_eq!(
        tx.on_response(&IotResponse::ChunkAccepted(TransferProgress {
            next_index: 2,
            received_len: 6144,
        })),
        Err(TransferError::UnexpectedProgress {
            expected: 1,
            got: 2
        })
    );
    // The step did not move: the same chunk is offered again.
    assert!(matches!(
        tx.next_request(),
        Some(IotRequest::TransferChunk { index: 0, .. })
    ));
    assert_eq!(
        tx.on_response(&IotResponse::Csr("x".into())),
        Err(TransferError::UnexpectedResponse)
    );
    let refusal = IotRequest::TransferChunk {
        index: 0,
        data: vec![1],
    }
    .error_response(IotStatus::DigestMismatch);
    assert_eq!(
        tx.on_response_body(&refusal),
        Err(TransferError::Device(IotStatus::DigestMismatch))
    );
}

#[test]
fn iot_messages_round_trip() {
    let reqs = [
        IotRequest::GetInfo,
        IotRequest::GenerateCsr,
        IotRequest::TransferBegin {
            kind: TransferKind::KindMqttSettings,
            total_len: 1234,
            chunk_count: 1,
            sha256: [7; 32],
        },
        IotRequest::TransferChunk {
            index: 4,
            data: vec![1, 2, 3],
        },
        IotRequest::TransferEnd,
    ];
    for req in reqs {
        assert_eq!(IotRequest::decode(&req.encode()), Ok(req.clone()));
        assert_eq!(
            IotResponse::decode(&req.error_response(IotStatus::InvalidState)),
            Err(MessageError::Status(IotStatus::InvalidState as i32))
        );
    }
    let p = TransferProgress {
        next_index: 3,
        received_len: 9000,
    };
    let resps = [
        IotResponse::Info(DeviceInfo {
            serial: "SN0001".into(),
            model: "sim".into(),
            firmware_version: "0.1.0".into(),
            capabilities: vec!["csr".into(), "seed_key".into()],
            window_remaining_ms: Some(283_500),
        }),
        IotResponse::Csr(
            "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n".into(),
        ),
        IotResponse::TransferBegun(p),
        IotResponse::ChunkAccepted(p),
        IotResponse::TransferDone(p),
    ];
    for resp in resps {
        assert_eq!(IotResponse::decode(&resp.encode()), Ok(resp.clone()));
    }
}

#[test]
fn bad_iot_bodies_are_errors() {
    assert_eq!(IotRequest::decode(&[0xff; 3]), Err(MessageError::Malformed));
    assert_eq!(
        IotRequest::decode(&vec![0; MAX_BODY + 1]),
        Err(MessageError::TooLarge)
    );
    assert_eq!(IotRequest::decode(&[]), Err(MessageError::Unexpected));
    assert_eq!(
        IotRequest::decode(&IotResponse::Csr("x".into()).encode()),
        Err(MessageError::Unexpected)
    );
    let long = IotResponse::Info(DeviceInfo {
        serial: "S".repeat(65),
        model: String::new(),
        firmware_version: String::new(),
        capabilities: vec![],
        window_remaining_ms: None,
    });
    assert_eq!(
        IotResponse::decode(&long.encode()),
        Err(MessageError::InvalidField("serial"))
    );
    assert_eq!(
        IotResponse::decode(&IotResponse::Csr("garbage".into()).encode()),
        Err(MessageError::InvalidField("csr is not a PEM CSR"))
    );
    // sha256 of the wrong length.
    use prost::Message;
    use protocol::proto::iot as pb;
    let raw = pb::IotPayload {
        msg: pb::IotMsgType::TypeCmdTransferBegin as i32,
        status: 0,
        payload: Some(pb::iot_payload::Payload::CmdTransferBegin(
            pb::CmdTransferBegin {
                kind: 0,
                total_len: 10,
                chunk_count: 1,
                sha256: vec![1; 31],
            },
        )),
    }
    .encode_to_vec();
    assert_eq!(
        IotRequest::decode(&raw),
        Err(MessageError::InvalidField("sha256 must be 32 bytes"))
    );
}

#[test]
fn seed_key_never_in_debug_output() {
    let cred = Credential::Seed(SeedCredentials {
        private_key_pem: KEY.to_string().into(),
        certificate_pem: CERT.into(),
    });
    let tx = TransferSender::new(&cred).unwrap();
    let req = tx.next_request().unwrap();
    let text = format!("{cred:?} {tx:?} {req:?}");
    assert!(!text.contains("PRIVATE KEY"), "{text}");
}

/// The provisioning window's remaining time is an optional field: an older device that does
/// not send it decodes to `None`, and 0 (the window just closing) stays distinct from absent.
#[test]
fn device_info_window_remaining_is_optional() {
    use prost::Message;
    use protocol::proto::iot::{IotMsgType, IotPayload, RespGetInfo, iot_payload::Payload};
    let old = IotPayload {
        msg: IotMsgType::TypeRespGetInfo as i32,
        status: 0,
        payload: Some(Payload::RespGetInfo(RespGetInfo {
            serial: "SN0001".into(),
            model: "old".into(),
            firmware_version: "0.0.1".into(),
            capabilities: vec![],
            window_remaining_ms: None,
        })),
    }
    .encode_to_vec();
    let IotResponse::Info(i) = IotResponse::decode(&old).unwrap() else {
        panic!("not info")
    };
    assert_eq!(i.window_remaining_ms, None);
    let closing = IotResponse::Info(DeviceInfo {
        serial: "SN0001".into(),
        model: "m".into(),
        firmware_version: "1".into(),
        capabilities: vec![],
        window_remaining_ms: Some(0),
    });
    assert_eq!(IotResponse::decode(&closing.encode()), Ok(closing.clone()));
}
