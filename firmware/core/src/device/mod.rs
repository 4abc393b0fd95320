//! The device: provisioning window, session gate, endpoint dispatch, Wi-Fi apply, credential
//! commit, station mode with MQTT. Everything is driven by [`Device::handle`] (one HTTP
//! request) and [`Device::poll`] (time passing), both given `now_ms`.

mod config;
mod dispatch;
mod gate;
mod iot_cred;
mod legacy;
mod station;
mod wifi;

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

pub use config::{DeviceConfig, softap_name};
pub use dispatch::{METHOD_NOT_ALLOWED_TEXT, NOT_FOUND_TEXT, Response, status};
pub use legacy::LegacyRefused;

use crate::hal::{Entropy, Flash, JoinFailure, MqttConnector, Radio, ScanEntry};
use crate::store::{
    CredentialStore, Credentials, DeviceKey, MqttSettings, StoreLayout, WifiCredentials,
};
use gate::Gate;
use protocol::iot::TransferReceiver;
use station::Mqtt;
use wifi::Apply;

/// Something the driver should log (never carries a secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The SoftAP is open; provisioning closes at `deadline_ms` unless it succeeds.
    ProvisioningOpened {
        /// SoftAP name.
        ssid: String,
        /// When the window closes.
        deadline_ms: u64,
    },
    /// The window expired: the SoftAP is closed.
    WindowExpired,
    /// A secure session was established.
    SessionEstablished,
    /// A session attempt failed its proof (wrong PoP); `failures` in a row so far.
    SessionRejected {
        /// Consecutive failures.
        failures: u32,
    },
    /// Too many failed attempts: sessions are refused until `until_ms`.
    Locked {
        /// End of the back-off.
        until_ms: u64,
    },
    /// Joining the network (SSID shown, passphrase never).
    Connecting {
        /// SSID being joined.
        ssid: Vec<u8>,
    },
    /// Joined the network.
    Connected {
        /// Address obtained.
        ip: [u8; 4],
    },
    /// The join failed; provisioning stays open for a corrected configuration.
    ConnectFailed(JoinFailure),
    /// Credentials were committed to flash (record sequence number).
    Committed {
        /// Sequence number of the new record.
        sequence: u32,
    },
    /// Committing to flash failed; the previous record is intact.
    CommitFailed,
    /// The provisioning service stopped after success (SoftAP closed).
    ProvisioningDone,
    /// Connecting to the MQTT broker.
    MqttConnecting {
        /// Broker host.
        host: String,
        /// Broker port.
        port: u16,
    },
    /// The MQTT connection failed; it will be retried.
    MqttFailed(String),
    /// The hello message went out: the device is online.
    Online {
        /// Topic published to.
        topic: String,
    },
    /// Provisioning was reset by `prov-ctrl`.
    ProvisioningReset,
    /// Everything was wiped.
    FactoryReset,
}

/// Where the device is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Powered on, nothing started yet (before [`Device::boot`]).
    Off,
    /// SoftAP up, accepting provisioning requests.
    Provisioning,
    /// The window expired; the SoftAP is closed until a reset or reboot.
    Closed,
    /// Provisioned: running as a Wi-Fi station.
    Station,
}

/// Hardware handed to the core by the board or simulator.
pub struct Hardware<R, F, M, E> {
    /// Wi-Fi radio.
    pub radio: R,
    /// Flash holding the credential store.
    pub flash: F,
    /// MQTT-over-TLS connector.
    pub mqtt: M,
    /// Entropy source.
    pub entropy: E,
}

/// What provisioning has gathered but not yet committed.
#[derive(Default)]
struct Staged {
    wifi: Option<WifiCredentials>,
    key: Option<DeviceKey>,
    cert_chain_pem: Option<String>,
    mqtt: Option<MqttSettings>,
}

/// The device core.
pub struct Device<R, F, M, E> {
    config: DeviceConfig,
    radio: R,
    store: CredentialStore<F>,
    mqtt_io: M,
    entropy: E,
    phase: Phase,
    /// End of the provisioning window.
    deadline_ms: u64,
    /// After a successful apply the AP stays up until then (so the app can read the status).
    close_at_ms: Option<u64>,
    gate: Gate,
    apply: Apply,
    staged: Staged,
    receiver: TransferReceiver,
    scan: Vec<ScanEntry>,
    committed: Option<Credentials>,
    mqtt: Mqtt,
    events: VecDeque<Event>,
}

impl<R: Radio, F: Flash, M: MqttConnector, E: Entropy> Device<R, F, M, E> {
    /// A device over this hardware; call [`Device::boot`] next.
    pub fn new(config: DeviceConfig, hw: Hardware<R, F, M, E>) -> Self {
        let store = CredentialStore::open(hw.flash, StoreLayout::default());
        let gate = Gate::new(
            config.security.clone(),
            config.max_failed_sessions,
            config.lockout_ms,
        );
        let config_max = config.max_transfer as usize;
        Self {
            config,
            radio: hw.radio,
            store,
            mqtt_io: hw.mqtt,
            entropy: hw.entropy,
            phase: Phase::Off,
            deadline_ms: 0,
            close_at_ms: None,
            gate,
            apply: Apply::Idle,
            staged: Staged::default(),
            receiver: TransferReceiver::with_limit(config_max),
            scan: Vec::new(),
            committed: None,
            mqtt: Mqtt::Idle,
            events: VecDeque::new(),
        }
    }

    /// Starts the device: station mode with committed credentials, provisioning otherwise.
    pub fn boot(&mut self, now_ms: u64) {
        let failures = self.store.pop_failures();
        self.gate.restore_failures(failures, now_ms);
        self.committed = self.store.load();
        if self.committed.is_some() {
            self.enter_station(now_ms);
        } else {
            self.open_provisioning(now_ms);
        }
    }

    /// Current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The configuration the device was built with.
    pub fn config(&self) -> &DeviceConfig {
        &self.config
    }

    /// Whether committed credentials exist.
    pub fn is_provisioned(&self) -> bool {
        self.committed.is_some()
    }

    /// The committed credentials (for tests and the simulator's own checks; never sent out).
    pub fn committed(&self) -> Option<&Credentials> {
        self.committed.as_ref()
    }

    /// Whether the MQTT hello went out.
    pub fn is_online(&self) -> bool {
        matches!(self.mqtt, Mqtt::Online)
    }

    /// Takes the events since the last call, oldest first.
    pub fn drain_events(&mut self) -> Vec<Event> {
        self.events.drain(..).collect()
    }

    /// The credential store (the simulator persists its flash from here).
    pub fn store(&self) -> &CredentialStore<F> {
        &self.store
    }

    /// The radio (the simulator reads its link state from here).
    pub fn radio(&self) -> &R {
        &self.radio
    }

    /// The MQTT connector.
    pub fn mqtt_connector(&self) -> &M {
        &self.mqtt_io
    }

    /// Milliseconds left in the provisioning window at `now_ms`: counts down from the window
    /// length while provisioning runs, and to the SoftAP's close after a successful join;
    /// `None` when the device is not provisioning.
    pub fn window_remaining_ms(&self, now_ms: u64) -> Option<u64> {
        match self.phase {
            Phase::Provisioning => Some(
                self.close_at_ms
                    .unwrap_or(self.deadline_ms)
                    .saturating_sub(now_ms),
            ),
            Phase::Off | Phase::Closed | Phase::Station => None,
        }
    }

    /// Earliest time at which [`Device::poll`] has something to do, if any.
    pub fn next_deadline(&self) -> Option<u64> {
        match self.phase {
            Phase::Provisioning => Some(self.close_at_ms.unwrap_or(self.deadline_ms)),
            _ => None,
        }
    }

    /// Advances time: join progress, window expiry, MQTT progress.
    pub fn poll(&mut self, now_ms: u64) {
        self.poll_join(now_ms);
        match self.phase {
            Phase::Provisioning => {
                if let Some(at) = self.close_at_ms {
                    if now_ms >= at {
                        self.finish_provisioning();
                    }
                } else if now_ms >= self.deadline_ms
                    && !matches!(self.apply, Apply::Connecting { .. })
                {
                    self.radio.stop_softap();
                    self.gate.drop_session();
                    self.phase = Phase::Closed;
                    self.events.push_back(Event::WindowExpired);
                }
            }
            Phase::Station | Phase::Closed | Phase::Off => {}
        }
        self.poll_mqtt(now_ms);
    }

    /// Factory reset: wipes the credential store and every staged secret, then reopens
    /// provisioning.
    pub fn factory_reset(&mut self, now_ms: u64) {
        // A failed erase leaves at most a record the next reset wipes; nothing else to do.
        let _ = self.store.wipe();
        self.mqtt_io.disconnect();
        self.radio.disconnect();
        self.committed = None;
        self.staged = Staged::default();
        self.receiver.reset();
        self.mqtt = Mqtt::Idle;
        self.apply = Apply::Idle;
        self.events.push_back(Event::FactoryReset);
        self.open_provisioning(now_ms);
    }

    /// Reopens provisioning on a provisioned device (the board's "reprovision" button),
    /// keeping the committed credentials until new ones are committed.
    pub fn reopen_provisioning(&mut self, now_ms: u64) {
        self.open_provisioning(now_ms);
    }

    fn open_provisioning(&mut self, now_ms: u64) {
        self.deadline_ms = now_ms.saturating_add(self.config.window_ms);
        self.close_at_ms = None;
        self.gate.drop_session();
        self.apply = Apply::Idle;
        self.phase = Phase::Provisioning;
        let ssid = self.config.softap_ssid.clone();
        self.radio.start_softap(&ssid);
        self.events.push_back(Event::ProvisioningOpened {
            ssid,
            deadline_ms: self.deadline_ms,
        });
    }

    fn finish_provisioning(&mut self) {
        self.radio.stop_softap();
        self.gate.drop_session();
        self.close_at_ms = None;
        self.phase = Phase::Station;
        self.events.push_back(Event::ProvisioningDone);
    }

    fn enter_station(&mut self, now_ms: u64) {
        self.phase = Phase::Station;
        if let Some(c) = &self.committed {
            let req = wifi::join_request(&c.wifi);
            self.radio.begin_join(&req, now_ms);
            self.apply = Apply::Connecting {
                ssid: c.wifi.ssid.clone(),
                station: true,
            };
            self.events.push_back(Event::Connecting {
                ssid: c.wifi.ssid.clone(),
            });
        }
    }

    fn random_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.entropy.fill(&mut b);
        u32::from_le_bytes(b)
    }
}
