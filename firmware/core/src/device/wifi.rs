//! `prov-config`, `prov-scan`, `prov-ctrl`: staging Wi-Fi credentials, applying them, and the
//! join's progress. A failed join keeps provisioning open so a corrected passphrase can follow.

use alloc::format;
use alloc::vec::Vec;
use prost::Message;
use zeroize::Zeroizing;

use protocol::proto::{
    CmdGetStatus, RespApplyConfig, RespCtrlReprov, RespCtrlReset, RespGetStatus, RespScanResult,
    RespScanStart, RespScanStatus, RespSetConfig, Status, WiFiConfigMsgType, WiFiConfigPayload,
    WiFiCtrlMsgType, WiFiCtrlPayload, WiFiScanMsgType, WiFiScanPayload, WiFiScanResult,
    WifiConnectFailedReason, WifiConnectedState, WifiStationState, resp_get_status,
    wi_fi_config_payload, wi_fi_ctrl_payload, wi_fi_scan_payload,
};

use super::dispatch::{EndpointResult, malformed};
use super::station::Mqtt;
use super::{Device, Event, Phase, Staged};
use crate::hal::{Entropy, Flash, JoinFailure, JoinProgress, JoinRequest, MqttConnector, Radio};
use crate::store::{Credentials, IotCredentials, WifiCredentials};

/// Most scan entries returned per `CmdScanResult`, to stay far below the body limit.
const MAX_SCAN_ENTRIES: usize = 8;

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

pub(super) fn validate(cmd: &protocol::proto::CmdSetConfig) -> Option<WifiCredentials> {
    let ssid_ok = (1..=32).contains(&cmd.ssid.len());
    let pass = cmd.passphrase.len();
    let pass_ok = pass == 0 || (8..=64).contains(&pass);
    let bssid = match cmd.bssid.len() {
        0 => None,
        6 => Some(<[u8; 6]>::try_from(&cmd.bssid[..]).ok()?),
        _ => return None,
    };
    let channel = u8::try_from(cmd.channel).ok().filter(|c| *c <= 14)?;
    (ssid_ok && pass_ok).then(|| WifiCredentials {
        ssid: cmd.ssid.clone(),
        passphrase: Zeroizing::new(cmd.passphrase.clone()),
        bssid,
        channel,
    })
}

impl<R: Radio, F: Flash, M: MqttConnector, E: Entropy> Device<R, F, M, E> {
    pub(super) fn prov_config(&mut self, plain: &[u8], now_ms: u64) -> EndpointResult {
        use wi_fi_config_payload::Payload;
        let req = WiFiConfigPayload::decode(plain).map_err(|_| malformed("WiFiConfigPayload"))?;
        let (msg, payload) = match req.payload {
            Some(Payload::CmdGetStatus(CmdGetStatus {})) => (
                WiFiConfigMsgType::TypeRespGetStatus,
                Payload::RespGetStatus(self.status()),
            ),
            Some(Payload::CmdSetConfig(cmd)) => {
                let status = match validate(&cmd) {
                    Some(w) if !matches!(self.apply, Apply::Connecting { .. }) => {
                        self.staged.wifi = Some(w);
                        Status::Success
                    }
                    _ => Status::InvalidArgument,
                };
                (
                    WiFiConfigMsgType::TypeRespSetConfig,
                    Payload::RespSetConfig(RespSetConfig {
                        status: status as i32,
                    }),
                )
            }
            Some(Payload::CmdApplyConfig(_)) => {
                let status = match (&self.staged.wifi, &self.apply) {
                    (_, Apply::Connecting { .. }) => Status::InvalidArgument,
                    (Some(w), _) => {
                        let req = join_request(w);
                        let ssid = w.ssid.clone();
                        self.radio.begin_join(&req, now_ms);
                        self.apply = Apply::Connecting {
                            ssid: ssid.clone(),
                            station: false,
                        };
                        self.events.push_back(Event::Connecting { ssid });
                        Status::Success
                    }
                    (None, _) => Status::InvalidArgument,
                };
                (
                    WiFiConfigMsgType::TypeRespApplyConfig,
                    Payload::RespApplyConfig(RespApplyConfig {
                        status: status as i32,
                    }),
                )
            }
            _ => return Err(malformed("WiFiConfigPayload command")),
        };
        Ok(WiFiConfigPayload {
            msg: msg as i32,
            payload: Some(payload),
        }
        .encode_to_vec())
    }

    fn status(&self) -> RespGetStatus {
        use resp_get_status::State;
        let (sta, state) = match &self.apply {
            Apply::Idle => (WifiStationState::Disconnected, None),
            Apply::Connecting { .. } => (WifiStationState::Connecting, None),
            Apply::Connected {
                ip,
                channel,
                bssid,
                ssid,
            } => (
                WifiStationState::Connected,
                Some(State::Connected(WifiConnectedState {
                    ip4_addr: format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]),
                    auth_mode: 0,
                    ssid: ssid.clone(),
                    bssid: bssid.to_vec(),
                    channel: i32::from(*channel),
                })),
            ),
            Apply::Failed(reason) => {
                let r = match reason {
                    JoinFailure::AuthError => WifiConnectFailedReason::AuthError,
                    JoinFailure::NetworkNotFound => WifiConnectFailedReason::NetworkNotFound,
                };
                (
                    WifiStationState::ConnectionFailed,
                    Some(State::FailReason(r as i32)),
                )
            }
        };
        RespGetStatus {
            status: Status::Success as i32,
            sta_state: sta as i32,
            state,
        }
    }

    pub(super) fn prov_scan(&mut self, plain: &[u8]) -> EndpointResult {
        use wi_fi_scan_payload::Payload;
        let req = WiFiScanPayload::decode(plain).map_err(|_| malformed("WiFiScanPayload"))?;
        let (msg, status, payload) = match req.payload {
            Some(Payload::CmdScanStart(_)) => {
                // Scans complete synchronously here, so blocking and non-blocking look alike.
                self.scan = self.radio.scan();
                (
                    WiFiScanMsgType::TypeRespScanStart,
                    Status::Success,
                    Payload::RespScanStart(RespScanStart {}),
                )
            }
            Some(Payload::CmdScanStatus(_)) => (
                WiFiScanMsgType::TypeRespScanStatus,
                Status::Success,
                Payload::RespScanStatus(RespScanStatus {
                    scan_finished: true,
                    result_count: self.scan.len() as u32,
                }),
            ),
            Some(Payload::CmdScanResult(cmd)) => {
                let start = cmd.start_index as usize;
                let count = cmd.count as usize;
                let valid = count > 0
                    && count <= MAX_SCAN_ENTRIES
                    && start
                        .checked_add(count)
                        .is_some_and(|e| e <= self.scan.len());
                let entries = if valid {
                    self.scan[start..start + count]
                        .iter()
                        .map(|e| WiFiScanResult {
                            ssid: e.ssid.clone(),
                            channel: u32::from(e.channel),
                            rssi: i32::from(e.rssi),
                            bssid: e.bssid.to_vec(),
                            auth: e.auth as i32,
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                let status = if valid {
                    Status::Success
                } else {
                    Status::InvalidArgument
                };
                (
                    WiFiScanMsgType::TypeRespScanResult,
                    status,
                    Payload::RespScanResult(RespScanResult { entries }),
                )
            }
            _ => return Err(malformed("WiFiScanPayload command")),
        };
        Ok(WiFiScanPayload {
            msg: msg as i32,
            status: status as i32,
            payload: Some(payload),
        }
        .encode_to_vec())
    }

    pub(super) fn prov_ctrl(&mut self, plain: &[u8], now_ms: u64) -> EndpointResult {
        use wi_fi_ctrl_payload::Payload;
        let req = WiFiCtrlPayload::decode(plain).map_err(|_| malformed("WiFiCtrlPayload"))?;
        let (msg, payload) = match req.payload {
            Some(Payload::CmdCtrlReset(_)) => {
                self.reset_provisioning(now_ms);
                (
                    WiFiCtrlMsgType::TypeRespCtrlReset,
                    Payload::RespCtrlReset(RespCtrlReset {}),
                )
            }
            Some(Payload::CmdCtrlReprov(_)) => {
                self.reset_provisioning(now_ms);
                (
                    WiFiCtrlMsgType::TypeRespCtrlReprov,
                    Payload::RespCtrlReprov(RespCtrlReprov {}),
                )
            }
            _ => return Err(malformed("WiFiCtrlPayload command")),
        };
        Ok(WiFiCtrlPayload {
            msg: msg as i32,
            status: Status::Success as i32,
            payload: Some(payload),
        }
        .encode_to_vec())
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
