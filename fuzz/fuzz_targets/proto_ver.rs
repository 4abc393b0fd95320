//! proto-ver JSON parser: no panics; parsed documents round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::version::ProtoVer;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = ProtoVer::parse(data) {
        assert_eq!(ProtoVer::parse(&v.to_json()), Ok(v));
    }
});
