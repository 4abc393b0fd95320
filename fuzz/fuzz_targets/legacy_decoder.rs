//! Legacy stream decoder under arbitrary bytes and fragmentation: no panics, and a complete
//! parse re-encodes to exactly the bytes consumed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::legacy::{Decoder, decode_utf, encode};

fuzz_target!(|data: &[u8]| {
    let Some((&step, stream)) = data.split_first() else {
        return;
    };
    let _ = decode_utf(stream);
    let step = usize::from(step).max(1);
    let mut d = Decoder::new();
    let mut ok = true;
    for piece in stream.chunks(step) {
        if d.feed(piece).is_err() {
            ok = false;
            break;
        }
    }
    if let (true, Ok(creds)) = (ok, d.finish()) {
        assert_eq!(&encode(&creds).unwrap()[..], stream);
    }
});
