//! Feeds arbitrary request sequences and time steps into the device state machine (security 0,
//! so inputs reach every endpoint's decoder) and checks it never panics and keeps its
//! invariants: responses within the body limit, committed credentials always readable back
//! from flash, nothing staged leaks into a response.
#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;
use protocol::security::device::DeviceSecurity;

fuzz_target!(|data: &[u8]| {
    let mut dev = harness::device(DeviceSecurity::Sec0);
    harness::replay(&mut dev, data, None, None, 1_000);
});
