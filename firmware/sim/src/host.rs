//! Hosts the core: the device behind a mutex, a monotonic millisecond clock, the tick that
//! advances time, logging of the core's events, and flash persistence.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use firmware_core::device::{Device, Event, Response};
use firmware_core::hal::{Entropy, JoinFailure};
use firmware_core::mem_flash::MemFlash;
use firmware_core::sim_radio::SimRadio;

use crate::flash_file::FlashFile;
use crate::mqtt::SimMqtt;

/// Entropy from the operating system.
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        // Without OS randomness there is nothing safe to continue with.
        getrandom::fill(buf).expect("operating system random source unavailable");
    }
}

/// The simulated device's concrete type.
pub type SimDevice = Device<SimRadio, MemFlash, SimMqtt, OsEntropy>;

/// Shared handle to the running device.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Mutex<Inner>>,
    start: Instant,
}

struct Inner {
    device: SimDevice,
    flash: FlashFile,
}

/// Milliseconds added to the clock so that time 0 never appears inside the core.
const EPOCH_MS: u64 = 1_000;

impl Host {
    /// Boots `device` and starts hosting it.
    pub fn new(mut device: SimDevice, flash: FlashFile) -> Self {
        let start = Instant::now();
        device.boot(EPOCH_MS);
        let host = Self {
            inner: Arc::new(Mutex::new(Inner { device, flash })),
            start,
        };
        host.after_step(&mut host.lock());
        host
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock would be a bug in the core; keep serving regardless.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The device's clock.
    pub fn now_ms(&self) -> u64 {
        EPOCH_MS + self.start.elapsed().as_millis() as u64
    }

    /// Whether an HTTP client on the SoftAP can reach the device now.
    pub fn reachable(&self) -> bool {
        let now = self.now_ms();
        self.lock().device.radio().softap_reachable(now)
    }

    /// One request into the core.
    pub fn handle(&self, endpoint: &str, cookie: Option<u32>, body: &[u8]) -> Response {
        let now = self.now_ms();
        let mut inner = self.lock();
        let resp = inner.device.handle(endpoint, cookie, body, now);
        self.after_step(&mut inner);
        resp
    }

    /// Hands credentials received over the lab firmware's legacy stream to the core.
    pub fn legacy_deliver(
        &self,
        creds: protocol::legacy::LegacyCredentials,
        broker: firmware_core::store::MqttSettings,
    ) -> Result<(), firmware_core::device::LegacyRefused> {
        let now = self.now_ms();
        let mut inner = self.lock();
        let r = inner.device.legacy_deliver(creds, broker, now);
        self.after_step(&mut inner);
        r
    }

    /// Advances time.
    pub fn tick(&self) {
        let now = self.now_ms();
        let mut inner = self.lock();
        inner.device.poll(now);
        self.after_step(&mut inner);
    }

    fn after_step(&self, inner: &mut Inner) {
        for e in inner.device.drain_events() {
            log_event(&e, self.now_ms());
        }
        let Inner { device, flash } = inner;
        if let Err(e) = flash.sync(device.store().flash().as_bytes()) {
            eprintln!("device-sim: cannot persist flash: {e:#}");
        }
    }

    /// Runs the tick every 50 ms, forever.
    pub async fn run_ticks(self) {
        let mut interval = tokio::time::interval(Duration::from_millis(50));
        loop {
            interval.tick().await;
            self.tick();
        }
    }
}

fn log_event(e: &Event, now_ms: u64) {
    let msg = match e {
        Event::ProvisioningOpened { ssid, deadline_ms } => {
            format!(
                "SoftAP {ssid} open; provisioning window closes in {} s",
                deadline_ms.saturating_sub(now_ms) / 1000
            )
        }
        Event::WindowExpired => {
            "provisioning window expired: SoftAP closed (restart with --factory-reset to reopen)"
                .into()
        }
        Event::SessionEstablished => "secure session established".into(),
        Event::SessionRejected { failures } => {
            format!("session rejected: wrong proof of possession ({failures} in a row)")
        }
        Event::Locked { until_ms } => {
            format!(
                "provisioning locked for {} s after too many wrong proofs of possession",
                until_ms.saturating_sub(now_ms).div_ceil(1000)
            )
        }
        Event::Connecting { ssid } => format!("joining Wi-Fi {:?}", String::from_utf8_lossy(ssid)),
        Event::Connected { ip } => format!(
            "Wi-Fi connected, address {}.{}.{}.{}",
            ip[0], ip[1], ip[2], ip[3]
        ),
        Event::ConnectFailed(JoinFailure::AuthError) => {
            "Wi-Fi join failed: wrong passphrase (AuthError)".into()
        }
        Event::ConnectFailed(JoinFailure::NetworkNotFound) => {
            "Wi-Fi join failed: network not found".into()
        }
        Event::Committed { sequence } => {
            format!("credentials committed to flash (record {sequence})")
        }
        Event::CommitFailed => {
            "committing credentials to flash failed; previous record kept".into()
        }
        Event::ProvisioningDone => "provisioning done: SoftAP closed".into(),
        Event::MqttConnecting { host, port } => {
            format!("MQTT: connecting to {host}:{port} (mutual TLS)")
        }
        Event::MqttFailed(reason) => format!("MQTT: connection failed: {reason}; retrying"),
        Event::Online { topic } => format!("MQTT: hello published on {topic}; device online"),
        Event::ProvisioningReset => "provisioning reset by the app".into(),
        Event::FactoryReset => "factory reset: credentials wiped".into(),
    };
    eprintln!("device-sim: {msg}");
}
