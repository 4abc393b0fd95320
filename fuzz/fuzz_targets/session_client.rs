//! Client side of prov-session: arbitrary device responses at each handshake step must never
//! panic. With the high bit of the first byte set, step 1 gets a genuine device response so the
//! fuzzed bytes reach the proof check.
#![no_main]

#[path = "common.rs"]
mod common;

use common::{FuzzRng, messages};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use protocol::security::client::{self, ClientSecurity, Progress};
use protocol::security::device::{DeviceSecurity, DeviceSession};

const POP: &[u8] = b"fuzzpop1";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut rng = FuzzRng(0x0123_4567_89ab_cdef);
    // Security 2 gets one input in 16: every client start costs a 3072-bit exponentiation.
    let level = match mode % 16 {
        0..=6 => 0,
        7..=14 => 1,
        _ => 2,
    };
    let (cli, dev) = match level {
        0 => (ClientSecurity::Sec0, DeviceSecurity::Sec0),
        1 => (ClientSecurity::sec1(POP), DeviceSecurity::sec1(POP)),
        _ => {
            let salt = [9u8; 16];
            static VERIFIER: OnceLock<Vec<u8>> = OnceLock::new();
            let v = VERIFIER.get_or_init(|| {
                protocol::security::manufacture::sec2_verifier(b"wifiprov", POP, &salt)
            });
            (ClientSecurity::sec2(POP), DeviceSecurity::sec2(&salt, v).unwrap())
        }
    };
    let (mut hs, req) = client::start(cli, &mut rng).unwrap();
    let mut responses = messages(rest).into_iter();
    if mode & 0x80 != 0 && level != 0 {
        let mut device = DeviceSession::new(dev);
        let resp = device.handle(&req, &mut rng).unwrap();
        match hs.on_response(&resp).unwrap() {
            Progress::Continue(h, _) => hs = h,
            Progress::Established(_) => return,
        }
    }
    for resp in responses.by_ref() {
        match hs.on_response(resp) {
            Ok(Progress::Continue(h, _)) => hs = h,
            Ok(Progress::Established(mut s)) => {
                for more in responses.by_ref() {
                    let _ = s.decrypt(more);
                }
                return;
            }
            Err(_) => return,
        }
    }
});
