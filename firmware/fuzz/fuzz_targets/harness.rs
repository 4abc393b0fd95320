//! Shared by the device fuzz targets: builds a device, replays the fuzzer's records against it
//! and checks the invariants that must hold whatever arrived.
//!
//! Input: records of `[op, len_lo, len_hi, body...]`. `op & 7` picks the endpoint, `op & 8`
//! sends the session cookie, `op >> 4` steps the clock by that many quarter seconds, and
//! `op == 0xFF` factory-resets after the request. With a session, `op & 0x40` encrypts the
//! body with it first, so the bytes reach the decoders behind the encrypted endpoints.
// Each target uses only part of it.
#![allow(dead_code)]

use firmware_core::device::{Device, DeviceConfig, Hardware, Phase};
use firmware_core::mem_flash::MemFlash;
use firmware_core::sim_radio::SimRadio;
use firmware_core::store::{CredentialStore, StoreLayout};
use firmware_core::testkit::{RecordingMqtt, TestEntropy};
use protocol::endpoints::{ALL, MAX_BODY, PROV_SESSION};
use protocol::security::Session;
use protocol::security::client::{self, ClientSecurity, Progress};
use protocol::security::device::DeviceSecurity;

pub type FuzzDevice = Device<SimRadio, MemFlash, RecordingMqtt, TestEntropy>;

/// Every endpoint the device serves, then one it does not.
const ENDPOINTS: [&str; 7] = {
    let mut all = ["nope"; 7];
    let mut i = 0;
    while i < ALL.len() {
        all[i] = ALL[i];
        i += 1;
    }
    all
};
/// A freshly booted, unprovisioned device at time 1000 ms.
pub fn device(security: DeviceSecurity) -> FuzzDevice {
    let mut config = DeviceConfig::new("SN-FUZZ-1", security);
    config.window_ms = 60_000;
    let hw = Hardware {
        radio: SimRadio::new(SimRadio::default_aps()),
        flash: MemFlash::new(4096, 16),
        mqtt: RecordingMqtt::default(),
        entropy: TestEntropy(1),
    };
    let mut dev = Device::new(config, hw);
    dev.boot(1_000);
    dev
}

/// Runs a real client handshake against `dev`; returns the cookie and the session.
pub fn establish(dev: &mut FuzzDevice, security: ClientSecurity, now: u64) -> (u32, Session) {
    let (mut hs, mut req) = client::start(security, &mut TestEntropy(2)).expect("client start");
    let mut cookie = None;
    loop {
        let r = dev.handle(PROV_SESSION, cookie, &req, now);
        assert_eq!(r.status, 200, "handshake refused");
        cookie = r.set_cookie.or(cookie);
        match hs.on_response(&r.body).expect("handshake response") {
            Progress::Continue(next, body) => {
                hs = next;
                req = body;
            }
            Progress::Established(s) => return (cookie.expect("cookie"), s),
        }
    }
}

/// Replays `data` against `dev` from `now`, then checks the invariants.
pub fn replay(
    dev: &mut FuzzDevice,
    data: &[u8],
    mut cookie: Option<u32>,
    mut session: Option<Session>,
    mut now: u64,
) {
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
        let sealed;
        let body = match session.as_mut() {
            Some(s) if op & 0x40 != 0 => match s.encrypt(body) {
                Ok(b) => {
                    sealed = b;
                    &sealed[..]
                }
                Err(_) => body,
            },
            _ => body,
        };
        let r = dev.handle(endpoint, send_cookie, body, now);
        assert!(r.body.len() <= MAX_BODY, "response over the body limit");
        if r.status == 200 && op & 0x40 != 0 {
            // Keep the client's keystream or nonce counter in step with the device's.
            if let Some(s) = session.as_mut() {
                let _ = s.decrypt(&r.body);
            }
        }
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
}
