//! `prov-config`, `prov-scan`, `prov-ctrl`: staging Wi-Fi credentials, applying them, and the
//! join's progress, decoded and encoded with the protocol crate's codec (`protocol::wifi`).
//! Semantics follow ESP-IDF's `wifi_config.c`, `wifi_scan.c` and `wifi_ctrl.c`: a failed join
//! keeps provisioning open so a corrected passphrase can follow, `CmdCtrlReset` works only
//! after a failed join, and the scan keeps the strongest networks so one page holds them all.

use alloc::format;
use alloc::vec::Vec;
use zeroize::Zeroizing;

use protocol::proto::Status;
use protocol::wifi::{
    ConfigRequest, ConfigResponse, Connected, CtrlRequest, FailReason,
    MAX_SCAN_ENTRIES_PER_RESPONSE, MessageError, ScanEntry as WireScanEntry, ScanRequest,
    ScanResponse, StationStatus, WifiConfig,
};

use super::dispatch::{EndpointResult, malformed};
use super::station::Mqtt;
use super::{Device, Event, Phase, Staged};
use crate::hal::{Entropy, Flash, JoinFailure, JoinProgress, JoinRequest, MqttConnector, Radio};
use crate::store::{Credentials, IotCredentials, WifiCredentials};

/// State of the Wi-Fi join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Apply {
    /// Nothing applied yet.
    Idle,
    /// Joining; `station` when this is the normal boot-time join, not provisioning.
    Connecting { ssid: Vec<u8>, station: bool },
    /// Joined.
    Connected {
        ip: [u8; 4],
        channel: u8,
        bssid: [u8; 6],
        ssid: Vec<u8>,
    },
    /// Failed with a reason.
    Failed(JoinFailure),
}

pub(super) fn join_request(w: &WifiCredentials) -> JoinRequest {
    JoinRequest {
        ssid: w.ssid.clone(),
        passphrase: w.passphrase.clone(),
        bssid: w.bssid,
        channel: w.channel,
    }
}

/// What this device accepts: an SSID of 1..=32 bytes, a WPA passphrase of 8..=64 bytes (or
/// none, for an open network) and a 2.4 GHz channel.
pub(super) fn validate(cfg: &WifiConfig) -> Option<WifiCredentials> {
    if !(1..=32).contains(&cfg.ssid.len()) {
        return None;
    }
    let pass = cfg.passphrase.len();
    let pass_ok = pass == 0 || (8..=64).contains(&pass);
    let bssid = match cfg.bssid.len() {
        0 => None,
        6 => Some(<[u8; 6]>::try_from(&cfg.bssid[..]).ok()?),
        _ => return None,
    };
    let channel = u8::try_from(cfg.channel).ok().filter(|c| *c <= 14)?;
    pass_ok.then(|| WifiCredentials {
        ssid: cfg.ssid.clone(),
        passphrase: Zeroizing::new(cfg.passphrase.to_vec()),
        bssid,
        channel,
    })
}

/// A refusal for a body that decrypted but is not a request of this endpoint.
fn refusal(e: MessageError, what: &str) -> super::dispatch::Response {
    match e {
        MessageError::Unexpected => malformed(&format!("{what} command")),
        _ => malformed(what),
    }
}

impl<R: Radio, F: Flash, M: MqttConnector, E: Entropy> Device<R, F, M, E> {
    pub(super) fn prov_config(&mut self, plain: &[u8], now_ms: u64) -> EndpointResult {
        let req = match ConfigRequest::decode(plain) {
            Ok(r) => r,
            // Only SetConfig carries fields; out-of-range credentials get its refusal status.
            Err(MessageError::InvalidField(_)) => {
                return Ok(ConfigRequest::SetConfig(WifiConfig::new(b"", b""))
                    .error_response(Status::InvalidArgument));
            }
            Err(e) => return Err(refusal(e, "WiFiConfigPayload")),
        };
        let joining = matches!(self.apply, Apply::Connecting { .. });
        Ok(match &req {
            ConfigRequest::GetStatus => ConfigResponse::Status(self.status()).encode(),
            ConfigRequest::SetConfig(cfg) => match validate(cfg) {
                Some(w) if !joining => {
                    self.staged.wifi = Some(w);
                    ConfigResponse::SetConfig.encode()
                }
                _ => req.error_response(Status::InvalidArgument),
            },
            ConfigRequest::Apply => match &self.staged.wifi {
                Some(w) if !joining => {
                    let join = join_request(w);
                    let ssid = w.ssid.clone();
                    self.radio.begin_join(&join, now_ms);
                    self.apply = Apply::Connecting {
                        ssid: ssid.clone(),
                        station: false,
                    };
                    self.events.push_back(Event::Connecting { ssid });
                    ConfigResponse::Apply.encode()
                }
                _ => req.error_response(Status::InvalidArgument),
            },
        })
    }

    fn status(&self) -> StationStatus {
        match &self.apply {
            Apply::Idle => StationStatus::Disconnected,
            Apply::Connecting { .. } => StationStatus::Connecting {
                attempts_remaining: None,
            },
            Apply::Connected {
                ip,
                channel,
                bssid,
                ssid,
            } => StationStatus::Connected(Connected {
                ip4_addr: format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]),
                auth_mode: 0,
                ssid: ssid.clone(),
                bssid: bssid.to_vec(),
                channel: i32::from(*channel),
            }),
            Apply::Failed(reason) => StationStatus::Failed(Some(match reason {
                JoinFailure::AuthError => FailReason::AuthError,
                JoinFailure::NetworkNotFound => FailReason::NetworkNotFound,
            })),
        }
    }

    pub(super) fn prov_scan(&mut self, plain: &[u8]) -> EndpointResult {
        let req = ScanRequest::decode(plain).map_err(|e| refusal(e, "WiFiScanPayload"))?;
        Ok(match req {
            ScanRequest::Start { .. } => {
                // Scans complete synchronously here, so blocking and non-blocking look alike.
                // The strongest networks are kept, as ESP-IDF's manager keeps a bounded,
                // RSSI-sorted list, so that esp_prov's single request for all of them fits.
                let mut found = self.radio.scan();
                found.sort_by_key(|e| core::cmp::Reverse(e.rssi));
                found.truncate(MAX_SCAN_ENTRIES_PER_RESPONSE as usize);
                self.scan = found;
                ScanResponse::Started.encode()
            }
            ScanRequest::Status => ScanResponse::Status {
                finished: true,
                result_count: self.scan.len() as u32,
            }
            .encode(),
            ScanRequest::Results { start_index, count } => {
                let (start, count) = (start_index as usize, count as usize);
                match start
                    .checked_add(count)
                    .and_then(|end| self.scan.get(start..end))
                {
                    Some(page) => ScanResponse::Results(
                        page.iter()
                            .map(|e| WireScanEntry {
                                ssid: e.ssid.clone(),
                                channel: u32::from(e.channel),
                                rssi: i32::from(e.rssi),
                                bssid: e.bssid.to_vec(),
                                auth: e.auth as i32,
                            })
                            .collect(),
                    )
                    .encode(),
                    // ESP-IDF answers an index past its list with InternalError.
                    None => req.error_response(Status::InternalError),
                }
            }
        })
    }

    pub(super) fn prov_ctrl(&mut self, plain: &[u8], now_ms: u64) -> EndpointResult {
        let req = CtrlRequest::decode(plain).map_err(|e| refusal(e, "WiFiCtrlPayload"))?;
        let status = match req {
            // ESP-IDF resets the state machine only after a failed join
            // (`wifi_prov_mgr_reset_sm_state_on_failure`) and answers InternalError otherwise.
            CtrlRequest::Reset if !matches!(self.apply, Apply::Failed(_)) => Status::InternalError,
            CtrlRequest::Reset | CtrlRequest::Reprov => {
                self.reset_provisioning(now_ms);
                Status::Success
            }
        };
        Ok(req.response(status))
    }

    /// Back to the start of provisioning (same session, fresh window): drops the station
    /// link, MQTT and everything staged; committed credentials stay until replaced.
    fn reset_provisioning(&mut self, now_ms: u64) {
        self.radio.disconnect();
        self.mqtt_io.disconnect();
        self.mqtt = Mqtt::Idle;
        self.apply = Apply::Idle;
        self.staged = Staged::default();
        self.receiver.reset();
        self.close_at_ms = None;
        self.deadline_ms = now_ms.saturating_add(self.config.window_ms);
        self.events.push_back(Event::ProvisioningReset);
    }

    pub(super) fn poll_join(&mut self, now_ms: u64) {
        let Apply::Connecting { ssid, station } = &self.apply else {
            return;
        };
        let (ssid, station) = (ssid.clone(), *station);
        match self.radio.poll_join(now_ms) {
            JoinProgress::Pending => {}
            JoinProgress::Connected { ip, channel, bssid } => {
                self.apply = Apply::Connected {
                    ip,
                    channel,
                    bssid,
                    ssid,
                };
                self.events.push_back(Event::Connected { ip });
                if station {
                    self.start_mqtt(now_ms);
                } else {
                    self.commit_staged(now_ms);
                }
            }
            JoinProgress::Failed(reason) => {
                self.apply = Apply::Failed(reason);
                self.events.push_back(Event::ConnectFailed(reason));
            }
        }
    }

    /// Commits what provisioning gathered once the Wi-Fi join proved the passphrase right.
    fn commit_staged(&mut self, now_ms: u64) {
        let Some(wifi) = self.staged.wifi.clone() else {
            return;
        };
        let iot = match (&self.staged.key, &self.staged.cert_chain_pem) {
            (Some(key), Some(chain)) => Some(IotCredentials {
                key: key.clone(),
                cert_chain_pem: chain.clone(),
                mqtt: self.staged.mqtt.clone(),
            }),
            // Wi-Fi-only provisioning (e.g. by a stock tool) keeps any cloud identity already held.
            _ => self.committed.as_ref().and_then(|c| c.iot.clone()),
        };
        let creds = Credentials { wifi, iot };
        match self.store.commit(&creds) {
            Ok(()) => {
                self.events.push_back(Event::Committed {
                    sequence: self.store.sequence(),
                });
                self.committed = Some(creds);
                self.close_at_ms = Some(now_ms.saturating_add(self.config.post_connect_grace_ms));
                self.start_mqtt(now_ms);
            }
            Err(_) => self.events.push_back(Event::CommitFailed),
        }
    }

    /// Called when `iot-cred` completes a credential after Wi-Fi was already committed.
    pub(super) fn recommit_if_connected(&mut self, now_ms: u64) {
        if self.phase == Phase::Provisioning
            && matches!(self.apply, Apply::Connected { .. })
            && self.staged.wifi.is_some()
        {
            self.commit_staged(now_ms);
        }
    }
}
