//! The device's transfer receiver under arbitrary request sequences: no panics, bounded
//! memory, and a credential only ever comes out with the announced length and SHA-256.
#![no_main]

#[path = "common.rs"]
mod common;

use common::messages;
use libfuzzer_sys::fuzz_target;
use protocol::iot::*;
use sha2::{Digest, Sha256};

fuzz_target!(|data: &[u8]| {
    let mut rx = TransferReceiver::with_limit(16 * 1024);
    let mut announced: Option<(u32, [u8; 32])> = None;
    for body in messages(data) {
        let Ok(req) = IotRequest::decode(body) else {
            continue;
        };
        let before = rx.progress();
        match rx.handle(&req) {
            Ok((_, Some(cred))) => {
                let (len, sha) = announced.expect("credential without a begin");
                let bytes = cred.to_bytes();
                // Re-encoding a protobuf credential may differ in layout, so only check what
                // is byte-exact: the PEM chain.
                if let Credential::CertificateChain(pem) = &cred {
                    assert_eq!(pem.len() as u32, len);
                    assert_eq!(<[u8; 32]>::from(Sha256::digest(pem.as_bytes())), sha);
                }
                assert!(!bytes.is_empty());
            }
            Ok((_, None)) => {
                if let IotRequest::TransferBegin {
                    total_len, sha256, ..
                } = req
                {
                    announced = Some((total_len, sha256));
                }
            }
            Err(IotStatus::DigestMismatch | IotStatus::InvalidCredential) => {
                assert_eq!(rx.progress(), None)
            }
            Err(_) => assert_eq!(rx.progress(), before),
        }
        if let Some(p) = rx.progress() {
            assert!(p.received_len as usize <= 16 * 1024);
        }
    }
});
