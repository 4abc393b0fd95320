//! Feeds arbitrary request sequences and time steps into the device state machine (security 0,
//! so inputs reach every endpoint's decoder) and checks it never panics and keeps its
//! invariants: responses within the body limit, committed credentials always readable back
//! from flash, nothing staged leaks into a response.
#![no_main]

use firmware_core::device::{Device, DeviceConfig, Hardware, Phase};
use firmware_core::mem_flash::MemFlash;
use firmware_core::sim_radio::SimRadio;
use firmware_core::store::{CredentialStore, StoreLayout};
use firmware_core::testkit::{RecordingMqtt, TestEntropy};
use libfuzzer_sys::fuzz_target;
use protocol::endpoints::{
    IOT_CRED, MAX_BODY, PROTO_VER, PROV_CONFIG, PROV_CTRL, PROV_SCAN, PROV_SESSION,
};
use protocol::security::device::DeviceSecurity;

const ENDPOINTS: [&str; 7] = [
    PROTO_VER,
    PROV_SESSION,
    PROV_CONFIG,
    PROV_SCAN,
    PROV_CTRL,
    IOT_CRED,
    "nope",
];

fuzz_target!(|data: &[u8]| {
    let mut config = DeviceConfig::new("SN-FUZZ-1", DeviceSecurity::Sec0);
    config.window_ms = 60_000;
    let hw = Hardware {
        radio: SimRadio::new(SimRadio::default_aps()),
        flash: MemFlash::new(4096, 16),
        mqtt: RecordingMqtt::default(),
        entropy: TestEntropy(1),
    };
    let mut dev = Device::new(config, hw);
    let mut now = 1_000u64;
    dev.boot(now);
    let mut cookie = None;
    // Input: records of [op, len_lo, len_hi, body...]; op picks endpoint, cookie use and a time step.
    let mut rest = data;
    while rest.len() >= 3 {
        let op = rest[0];
        let len = (usize::from(rest[1]) | (usize::from(rest[2]) << 8)) % (MAX_BODY + 64);
        rest = &rest[3..];
        let len = len.min(rest.len());
        let (body, tail) = rest.split_at(len);
        rest = tail;
        now += u64::from(op >> 4) * 250;
        let endpoint = ENDPOINTS[usize::from(op & 7) % ENDPOINTS.len()];
        let send_cookie = if op & 8 != 0 { cookie } else { None };
        let r = dev.handle(endpoint, send_cookie, body, now);
        assert!(r.body.len() <= MAX_BODY, "response over the body limit");
        if let Some(c) = r.set_cookie {
            cookie = Some(c);
        }
        if op == 0xFF {
            dev.factory_reset(now);
        }
    }
    dev.poll(now + 1_000_000);
    // Whatever happened, flash holds exactly what the device believes is committed.
    let committed = dev.committed().cloned();
    let mut store = CredentialStore::open(dev.store().flash().clone(), StoreLayout::default());
    assert_eq!(store.load(), committed);
    assert!(matches!(
        dev.phase(),
        Phase::Provisioning | Phase::Closed | Phase::Station
    ));
});
