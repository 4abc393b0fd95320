//! In-memory harness: one device on fake time, a client talking to it directly, and a test CA.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use firmware_core::device::{Device, DeviceConfig, Hardware};
use firmware_core::mem_flash::MemFlash;
use firmware_core::sim_radio::SimRadio;
use firmware_core::testkit::{ProvClient, RecordingMqtt, TestEntropy, Transport, TransportReply};
use protocol::security::client::ClientSecurity;
use protocol::security::device::DeviceSecurity;
use protocol::security::manufacture::sec2_credentials;

pub type TestDevice = Device<SimRadio, MemFlash, RecordingMqtt, TestEntropy>;

pub const SERIAL: &str = "SN-TEST-0042";
pub const POP: &[u8] = b"abcd1234";

/// Device + clock shared by the client transport and the test body.
#[derive(Clone)]
pub struct Rig {
    pub device: Rc<RefCell<TestDevice>>,
    pub now: Rc<Cell<u64>>,
}

impl Rig {
    pub fn advance(&self, ms: u64) {
        self.now.set(self.now.get() + ms);
        self.device.borrow_mut().poll(self.now.get());
    }
    pub fn dev(&self) -> std::cell::RefMut<'_, TestDevice> {
        self.device.borrow_mut()
    }
}

impl Transport for Rig {
    fn post(
        &mut self,
        endpoint: &str,
        cookie: Option<u32>,
        body: &[u8],
    ) -> Result<TransportReply, String> {
        let r = self
            .device
            .borrow_mut()
            .handle(endpoint, cookie, body, self.now.get());
        Ok((r.status, r.body, r.set_cookie))
    }
}

pub fn device_security(level: u32) -> DeviceSecurity {
    match level {
        0 => DeviceSecurity::Sec0,
        1 => DeviceSecurity::sec1(POP),
        _ => {
            let c = sec2_credentials(b"wifiprov", POP, &mut TestEntropy(7));
            DeviceSecurity::sec2(&c.salt, &c.verifier).unwrap()
        }
    }
}

pub fn client_security(level: u32, pop: &[u8]) -> ClientSecurity {
    match level {
        0 => ClientSecurity::Sec0,
        1 => ClientSecurity::sec1(pop),
        _ => ClientSecurity::sec2(pop),
    }
}

pub fn rig_with_flash(level: u32, flash: MemFlash) -> Rig {
    let config = DeviceConfig::new(SERIAL, device_security(level));
    let hw = Hardware {
        radio: SimRadio::new(SimRadio::default_aps()),
        flash,
        mqtt: RecordingMqtt::default(),
        entropy: TestEntropy(99),
    };
    let mut device = Device::new(config, hw);
    device.boot(1_000);
    Rig {
        device: Rc::new(RefCell::new(device)),
        now: Rc::new(Cell::new(1_000)),
    }
}

pub fn rig(level: u32) -> Rig {
    rig_with_flash(level, MemFlash::new(4096, 32))
}

/// A client with an established session.
pub fn session(rig: &Rig, level: u32) -> ProvClient<Rig> {
    let mut c = ProvClient::new(rig.clone());
    c.establish(client_security(level, POP), &mut TestEntropy(5))
        .expect("session");
    c
}

/// A CA that signs device CSRs, for tests.
pub struct TestCa {
    pub key: rcgen::KeyPair,
    pub cert: rcgen::Certificate,
    pub issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        let issuer = rcgen::Issuer::new(
            params,
            rcgen::KeyPair::from_pem(&key.serialize_pem()).unwrap(),
        );
        Self { key, cert, issuer }
    }

    /// Signs a CSR PEM; returns the leaf PEM.
    pub fn sign_csr(&self, csr_pem: &str) -> String {
        let csr = rcgen::CertificateSigningRequestParams::from_pem(csr_pem).expect("CSR parses");
        csr.signed_by(&self.issuer).unwrap().pem()
    }
}
