//! The device state machine behind a real security 1 session: the harness completes the
//! handshake, then replays the fuzzer's records, encrypting those it marks with the session
//! key. This reaches the decoders behind decryption and the device's handling of forged,
//! replayed and out-of-step ciphertext, which the security 0 target cannot.
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;
use protocol::security::client::ClientSecurity;
use protocol::security::device::DeviceSecurity;

const POP: &[u8] = b"fuzz-pop";

fuzz_target!(|data: &[u8]| {
    let mut dev = harness::device(DeviceSecurity::sec1(POP));
    let (cookie, session) = harness::establish(&mut dev, ClientSecurity::sec1(POP), 1_000);
    harness::replay(&mut dev, data, Some(cookie), Some(session), 1_000);
});
