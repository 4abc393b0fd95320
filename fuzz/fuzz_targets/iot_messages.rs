//! iot-cred decoders: no panics; decoded values round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::iot::*;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = IotRequest::decode(data) {
        assert_eq!(IotRequest::decode(&m.encode()), Ok(m.clone()));
        let _ = m.error_response(IotStatus::BadRequest);
    }
    if let Ok(m) = IotResponse::decode(data) {
        assert_eq!(IotResponse::decode(&m.encode()), Ok(m));
    }
    for kind in [
        TransferKind::KindCertificateChain,
        TransferKind::KindSeedCredentials,
        TransferKind::KindMqttSettings,
    ] {
        if let Ok(c) = Credential::from_bytes(kind, data) {
            assert_eq!(Credential::from_bytes(kind, &c.to_bytes()), Ok(c));
        }
    }
});
