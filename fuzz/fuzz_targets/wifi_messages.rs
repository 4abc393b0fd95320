//! Every prov-scan / prov-config / prov-ctrl decoder: no panics, and whatever decodes
//! re-encodes to something that decodes to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::wifi::*;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ScanRequest::decode(data) {
        assert_eq!(ScanRequest::decode(&m.encode()), Ok(m.clone()));
        let _ = m.error_response(protocol::proto::Status::InvalidArgument);
    }
    if let Ok(m) = ScanResponse::decode(data) {
        assert_eq!(ScanResponse::decode(&m.encode()), Ok(m));
    }
    if let Ok(m) = ConfigRequest::decode(data) {
        let body = m.encode().expect("a decoded request is valid");
        assert_eq!(ConfigRequest::decode(&body), Ok(m));
    }
    if let Ok(m) = ConfigResponse::decode(data) {
        assert_eq!(ConfigResponse::decode(&m.encode()), Ok(m));
    }
    if let Ok(m) = CtrlRequest::decode(data) {
        assert_eq!(CtrlRequest::decode(&m.encode()), Ok(m));
    }
    if let Ok(m) = CtrlResponse::decode(data) {
        assert_eq!(CtrlResponse::decode(&m.encode()), Ok(m));
    }
});
