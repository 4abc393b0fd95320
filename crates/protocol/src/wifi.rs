//! Typed requests and responses of the `prov-scan`, `prov-config` and `prov-ctrl` endpoints.
//!
//! Every `encode` / `decode` works on the PLAINTEXT body; encrypt and decrypt it with the
//! [`Session`](crate::security::Session). Requests are decoded by the device, responses by the
//! client. A response whose status is not `Success` decodes to
//! [`MessageError::Status`].

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use prost::Message;
use zeroize::Zeroizing;

pub use crate::message::MessageError;
use crate::message::decode;
use crate::proto::{
    self, CmdApplyConfig, CmdCtrlReprov, CmdCtrlReset, CmdGetStatus, CmdScanResult, CmdScanStart,
    CmdScanStatus, CmdSetConfig, RespApplyConfig, RespCtrlReprov, RespCtrlReset, RespGetStatus,
    RespScanResult, RespScanStart, RespScanStatus, RespSetConfig, Status, WiFiConfigMsgType,
    WiFiConfigPayload, WiFiCtrlMsgType, WiFiCtrlPayload, WiFiScanMsgType, WiFiScanPayload,
    WifiAttemptFailed, WifiAuthMode, WifiConnectFailedReason, WifiConnectedState, WifiStationState,
    resp_get_status, wi_fi_config_payload, wi_fi_ctrl_payload, wi_fi_scan_payload,
};

/// Longest SSID (IEEE 802.11).
pub const MAX_SSID: usize = 32;
/// Longest passphrase (64 hex digits).
pub const MAX_PASSPHRASE: usize = 64;
/// Most scan entries a device keeps (the strongest), so that one `prov-scan` result response
/// can carry them all and stay under 4096 bytes.
pub const MAX_SCAN_ENTRIES_PER_RESPONSE: u32 = 25;

fn ok(status: i32) -> Result<(), MessageError> {
    if status == Status::Success as i32 {
        Ok(())
    } else {
        Err(MessageError::Status(status))
    }
}

/// A `prov-scan` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanRequest {
    /// Start a scan.
    Start {
        /// Answer only once the scan has finished.
        blocking: bool,
        /// Passive scan.
        passive: bool,
        /// Channels scanned per group (0 = all at once).
        group_channels: u32,
        /// Dwell time per channel in ms (0 = default).
        period_ms: u32,
    },
    /// Ask whether the scan finished and how many results there are.
    Status,
    /// Fetch `count` results starting at `start_index`.
    Results {
        /// First entry.
        start_index: u32,
        /// How many entries (a device keeps at most [`MAX_SCAN_ENTRIES_PER_RESPONSE`], so
        /// one page can hold them all).
        count: u32,
    },
}

impl ScanRequest {
    /// Encodes the plaintext body.
    pub fn encode(&self) -> Vec<u8> {
        let (msg, payload) = match *self {
            Self::Start {
                blocking,
                passive,
                group_channels,
                period_ms,
            } => (
                WiFiScanMsgType::TypeCmdScanStart,
                wi_fi_scan_payload::Payload::CmdScanStart(CmdScanStart {
                    blocking,
                    passive,
                    group_channels,
                    period_ms,
                }),
            ),
            Self::Status => (
                WiFiScanMsgType::TypeCmdScanStatus,
                wi_fi_scan_payload::Payload::CmdScanStatus(CmdScanStatus {}),
            ),
            Self::Results { start_index, count } => (
                WiFiScanMsgType::TypeCmdScanResult,
                wi_fi_scan_payload::Payload::CmdScanResult(CmdScanResult { start_index, count }),
            ),
        };
        WiFiScanPayload {
            msg: msg as i32,
            status: Status::Success as i32,
            payload: Some(payload),
        }
        .encode_to_vec()
    }

    /// Decodes a plaintext body (device side), dispatching on the message type as ESP-IDF
    /// does: esp_prov sends `CmdScanStatus` as the type alone, with no payload. Commands that
    /// carry fields (`CmdScanStart`, `CmdScanResult`) need their payload; a payload of another
    /// command than the type names is refused.
    pub fn decode(body: &[u8]) -> Result<Self, MessageError> {
        use wi_fi_scan_payload::Payload;
        let p: WiFiScanPayload = decode(body)?;
        let msg = WiFiScanMsgType::try_from(p.msg).map_err(|_| MessageError::Unexpected)?;
        match (msg, p.payload) {
            (WiFiScanMsgType::TypeCmdScanStart, Some(Payload::CmdScanStart(c))) => {
                Ok(Self::Start {
                    blocking: c.blocking,
                    passive: c.passive,
                    group_channels: c.group_channels,
                    period_ms: c.period_ms,
                })
            }
            (WiFiScanMsgType::TypeCmdScanStatus, None | Some(Payload::CmdScanStatus(_))) => {
                Ok(Self::Status)
            }
            (WiFiScanMsgType::TypeCmdScanResult, Some(Payload::CmdScanResult(c))) => {
                Ok(Self::Results {
                    start_index: c.start_index,
                    count: c.count,
                })
            }
            _ => Err(MessageError::Unexpected),
        }
    }

    /// A response to this request carrying a failure status (device side).
    pub fn error_response(&self, status: Status) -> Vec<u8> {
        let (msg, payload) = match self {
            Self::Start { .. } => (
                WiFiScanMsgType::TypeRespScanStart,
                wi_fi_scan_payload::Payload::RespScanStart(RespScanStart {}),
            ),
            Self::Status => (
                WiFiScanMsgType::TypeRespScanStatus,
                wi_fi_scan_payload::Payload::RespScanStatus(RespScanStatus::default()),
            ),
            Self::Results { .. } => (
                WiFiScanMsgType::TypeRespScanResult,
                wi_fi_scan_payload::Payload::RespScanResult(RespScanResult::default()),
            ),
        };
        WiFiScanPayload {
            msg: msg as i32,
            status: status as i32,
            payload: Some(payload),
        }
        .encode_to_vec()
    }
}

/// One access point from the device's scan.
#[derive(Clone, PartialEq, Eq)]
pub struct ScanEntry {
    /// Network name, raw bytes.
    pub ssid: Vec<u8>,
    /// Channel.
    pub channel: u32,
    /// Signal strength in dBm.
    pub rssi: i32,
    /// 6-byte BSSID (may be empty).
    pub bssid: Vec<u8>,
    /// Authentication mode (`WifiAuthMode` value; unknown values are kept).
    pub auth: i32,
}

impl fmt::Debug for ScanEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScanEntry")
            .field("ssid", &String::from_utf8_lossy(&self.ssid))
            .field("channel", &self.channel)
            .field("rssi", &self.rssi)
            .field("auth", &self.auth)
            .finish()
    }
}

impl ScanEntry {
    /// The SSID as text (lossy for non-UTF-8 names).
    pub fn ssid_lossy(&self) -> String {
        String::from_utf8_lossy(&self.ssid).into_owned()
    }

    /// Whether the network needs a passphrase.
    pub fn is_secure(&self) -> bool {
        self.auth != WifiAuthMode::Open as i32
    }
}

/// A successful `prov-scan` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanResponse {
    /// The scan started.
    Started,
    /// Scan progress.
    Status {
        /// Whether the scan is done.
        finished: bool,
        /// Number of results available.
        result_count: u32,
    },
    /// A page of results.
    Results(Vec<ScanEntry>),
}

impl ScanResponse {
    /// Encodes the plaintext body (device side).
    pub fn encode(&self) -> Vec<u8> {
        let (msg, payload) = match self {
            Self::Started => (
                WiFiScanMsgType::TypeRespScanStart,
                wi_fi_scan_payload::Payload::RespScanStart(RespScanStart {}),
            ),
            Self::Status {
                finished,
                result_count,
            } => (
                WiFiScanMsgType::TypeRespScanStatus,
                wi_fi_scan_payload::Payload::RespScanStatus(RespScanStatus {
                    scan_finished: *finished,
                    result_count: *result_count,
                }),
            ),
            Self::Results(entries) => (
                WiFiScanMsgType::TypeRespScanResult,
                wi_fi_scan_payload::Payload::RespScanResult(RespScanResult {
                    entries: entries
                        .iter()
                        .map(|e| proto::WiFiScanResult {
                            ssid: e.ssid.clone(),
                            channel: e.channel,
                            rssi: e.rssi,
                            bssid: e.bssid.clone(),
                            auth: e.auth,
                        })
                        .collect(),
                }),
            ),
        };
        WiFiScanPayload {
            msg: msg as i32,
            status: Status::Success as i32,
            payload: Some(payload),
        }
        .encode_to_vec()
    }

    /// Decodes a plaintext body (client side).
    pub fn decode(body: &[u8]) -> Result<Self, MessageError> {
        let p: WiFiScanPayload = decode(body)?;
        ok(p.status)?;
        match p.payload {
            Some(wi_fi_scan_payload::Payload::RespScanStart(_)) => Ok(Self::Started),
            Some(wi_fi_scan_payload::Payload::RespScanStatus(s)) => Ok(Self::Status {
                finished: s.scan_finished,
                result_count: s.result_count,
            }),
            Some(wi_fi_scan_payload::Payload::RespScanResult(r)) => Ok(Self::Results(
                r.entries
                    .into_iter()
                    .map(|e| ScanEntry {
                        ssid: e.ssid,
                        channel: e.channel,
                        rssi: e.rssi,
                        bssid: e.bssid,
                        auth: e.auth,
                    })
                    .collect(),
            )),
            _ => Err(MessageError::Unexpected),
        }
    }
}

/// Station credentials sent with `SetConfig`.
#[derive(Clone, PartialEq, Eq)]
pub struct WifiConfig {
    /// Network name, 1..=32 bytes.
    pub ssid: Vec<u8>,
    /// Passphrase, at most 64 bytes (empty for an open network).
    pub passphrase: Zeroizing<Vec<u8>>,
    /// Optional 6-byte BSSID to pin (empty = any).
    pub bssid: Vec<u8>,
    /// Optional channel (0 = any).
    pub channel: i32,
}

impl fmt::Debug for WifiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the passphrase.
        f.debug_struct("WifiConfig")
            .field("ssid", &String::from_utf8_lossy(&self.ssid))
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl WifiConfig {
    /// SSID + passphrase, any BSSID and channel.
    pub fn new(ssid: &[u8], passphrase: &[u8]) -> Self {
        Self {
            ssid: ssid.to_vec(),
            passphrase: Zeroizing::new(passphrase.to_vec()),
            bssid: Vec::new(),
            channel: 0,
        }
    }

    fn validate(&self) -> Result<(), MessageError> {
        if self.ssid.is_empty() || self.ssid.len() > MAX_SSID {
            return Err(MessageError::InvalidField("ssid must be 1..=32 bytes"));
        }
        if self.passphrase.len() > MAX_PASSPHRASE {
            return Err(MessageError::InvalidField(
                "passphrase longer than 64 bytes",
            ));
        }
        if !(self.bssid.is_empty() || self.bssid.len() == 6) {
            return Err(MessageError::InvalidField("bssid must be 6 bytes"));
        }
        if !(0..=196).contains(&self.channel) {
            return Err(MessageError::InvalidField("channel"));
        }
        Ok(())
    }
}

/// A `prov-config` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigRequest {
    /// Ask for the station state.
    GetStatus,
    /// Store station credentials (not yet applied).
    SetConfig(WifiConfig),
    /// Join the network with the stored credentials.
    Apply,
}

impl ConfigRequest {
    /// Encodes the plaintext body; refuses invalid credentials.
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>, MessageError> {
        let (msg, payload) = match self {
            Self::GetStatus => (
                WiFiConfigMsgType::TypeCmdGetStatus,
                wi_fi_config_payload::Payload::CmdGetStatus(CmdGetStatus {}),
            ),
            Self::SetConfig(c) => {
                c.validate()?;
                (
                    WiFiConfigMsgType::TypeCmdSetConfig,
                    wi_fi_config_payload::Payload::CmdSetConfig(CmdSetConfig {
                        ssid: c.ssid.clone(),
                        passphrase: c.passphrase.to_vec(),
                        bssid: c.bssid.clone(),
                        channel: c.channel,
                    }),
                )
            }
            Self::Apply => (
                WiFiConfigMsgType::TypeCmdApplyConfig,
                wi_fi_config_payload::Payload::CmdApplyConfig(CmdApplyConfig {}),
            ),
        };
        let mut p = WiFiConfigPayload {
            msg: msg as i32,
            payload: Some(payload),
        };
        let out = Zeroizing::new(p.encode_to_vec());
        if let Some(wi_fi_config_payload::Payload::CmdSetConfig(c)) = &mut p.payload {
            zeroize::Zeroize::zeroize(&mut c.passphrase);
        }
        Ok(out)
    }

    /// Decodes a plaintext body (device side); validates the credentials. Dispatches on the
    /// message type as ESP-IDF does: esp_prov sends `CmdApplyConfig` as the type alone, with
    /// no payload (and an all-default body is `CmdGetStatus`, type 0). `CmdSetConfig` needs
    /// its payload; a payload of another command than the type names is refused.
    pub fn decode(body: &[u8]) -> Result<Self, MessageError> {
        use wi_fi_config_payload::Payload;
        let p: WiFiConfigPayload = decode(body)?;
        let msg = WiFiConfigMsgType::try_from(p.msg).map_err(|_| MessageError::Unexpected)?;
        match (msg, p.payload) {
            (WiFiConfigMsgType::TypeCmdGetStatus, None | Some(Payload::CmdGetStatus(_))) => {
                Ok(Self::GetStatus)
            }
            (WiFiConfigMsgType::TypeCmdSetConfig, Some(Payload::CmdSetConfig(c))) => {
                let config = WifiConfig {
                    ssid: c.ssid,
                    passphrase: Zeroizing::new(c.passphrase),
                    bssid: c.bssid,
                    channel: c.channel,
                };
                config.validate()?;
                Ok(Self::SetConfig(config))
            }
            (WiFiConfigMsgType::TypeCmdApplyConfig, None | Some(Payload::CmdApplyConfig(_))) => {
                Ok(Self::Apply)
            }
            _ => Err(MessageError::Unexpected),
        }
    }

    /// A response to this request carrying a failure status (device side).
    pub fn error_response(&self, status: Status) -> Vec<u8> {
        let s = status as i32;
        let (msg, payload) = match self {
            Self::GetStatus => (
                WiFiConfigMsgType::TypeRespGetStatus,
                wi_fi_config_payload::Payload::RespGetStatus(RespGetStatus {
                    status: s,
                    sta_state: WifiStationState::Disconnected as i32,
                    state: None,
                }),
            ),
            Self::SetConfig(_) => (
                WiFiConfigMsgType::TypeRespSetConfig,
                wi_fi_config_payload::Payload::RespSetConfig(RespSetConfig { status: s }),
            ),
            Self::Apply => (
                WiFiConfigMsgType::TypeRespApplyConfig,
                wi_fi_config_payload::Payload::RespApplyConfig(RespApplyConfig { status: s }),
            ),
        };
        WiFiConfigPayload {
            msg: msg as i32,
            payload: Some(payload),
        }
        .encode_to_vec()
    }
}

/// Why the device could not join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailReason {
    /// Wrong passphrase.
    AuthError,
    /// No such network in range.
    NetworkNotFound,
}

/// The connected network, as the device reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connected {
    /// Station IPv4 address, dotted.
    pub ip4_addr: String,
    /// Authentication mode (`WifiAuthMode` value).
    pub auth_mode: i32,
    /// Network name.
    pub ssid: Vec<u8>,
    /// BSSID.
    pub bssid: Vec<u8>,
    /// Channel.
    pub channel: i32,
}

/// Station state from `GetStatus`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StationStatus {
    /// Joined, with details.
    Connected(Connected),
    /// Still trying; `attempts_remaining` when the device reports retries (ESP-IDF >= 5.4).
    Connecting {
        /// Retries left, if reported.
        attempts_remaining: Option<u32>,
    },
    /// Not connected and not trying.
    Disconnected,
    /// Gave up; `None` if the device did not say why.
    Failed(Option<FailReason>),
}

/// A successful `prov-config` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigResponse {
    /// Station state.
    Status(StationStatus),
    /// Credentials stored.
    SetConfig,
    /// Join started.
    Apply,
}

impl ConfigResponse {
    /// Encodes the plaintext body (device side).
    pub fn encode(&self) -> Vec<u8> {
        let ok = Status::Success as i32;
        let (msg, payload) = match self {
            Self::Status(st) => {
                let (sta_state, state) = match st {
                    StationStatus::Connected(c) => (
                        WifiStationState::Connected,
                        Some(resp_get_status::State::Connected(WifiConnectedState {
                            ip4_addr: c.ip4_addr.clone(),
                            auth_mode: c.auth_mode,
                            ssid: c.ssid.clone(),
                            bssid: c.bssid.clone(),
                            channel: c.channel,
                        })),
                    ),
                    StationStatus::Connecting { attempts_remaining } => (
                        WifiStationState::Connecting,
                        attempts_remaining.map(|n| {
                            resp_get_status::State::AttemptFailed(WifiAttemptFailed {
                                attempts_remaining: n,
                            })
                        }),
                    ),
                    StationStatus::Disconnected => (WifiStationState::Disconnected, None),
                    StationStatus::Failed(reason) => (
                        WifiStationState::ConnectionFailed,
                        reason.map(|r| {
                            resp_get_status::State::FailReason(match r {
                                FailReason::AuthError => WifiConnectFailedReason::AuthError,
                                FailReason::NetworkNotFound => {
                                    WifiConnectFailedReason::NetworkNotFound
                                }
                            } as i32)
                        }),
                    ),
                };
                (
                    WiFiConfigMsgType::TypeRespGetStatus,
                    wi_fi_config_payload::Payload::RespGetStatus(RespGetStatus {
                        status: ok,
                        sta_state: sta_state as i32,
                        state,
                    }),
                )
            }
            Self::SetConfig => (
                WiFiConfigMsgType::TypeRespSetConfig,
                wi_fi_config_payload::Payload::RespSetConfig(RespSetConfig { status: ok }),
            ),
            Self::Apply => (
                WiFiConfigMsgType::TypeRespApplyConfig,
                wi_fi_config_payload::Payload::RespApplyConfig(RespApplyConfig { status: ok }),
            ),
        };
        WiFiConfigPayload {
            msg: msg as i32,
            payload: Some(payload),
        }
        .encode_to_vec()
    }

    /// Decodes a plaintext body (client side).
    pub fn decode(body: &[u8]) -> Result<Self, MessageError> {
        let p: WiFiConfigPayload = decode(body)?;
        match p.payload {
            Some(wi_fi_config_payload::Payload::RespGetStatus(r)) => {
                ok(r.status)?;
                let state = WifiStationState::try_from(r.sta_state)
                    .map_err(|_| MessageError::InvalidField("sta_state"))?;
                Ok(Self::Status(match state {
                    WifiStationState::Connected => match r.state {
                        Some(resp_get_status::State::Connected(c)) => {
                            StationStatus::Connected(Connected {
                                ip4_addr: c.ip4_addr,
                                auth_mode: c.auth_mode,
                                ssid: c.ssid,
                                bssid: c.bssid,
                                channel: c.channel,
                            })
                        }
                        _ => StationStatus::Connected(Connected {
                            ip4_addr: String::new(),
                            auth_mode: 0,
                            ssid: Vec::new(),
                            bssid: Vec::new(),
                            channel: 0,
                        }),
                    },
                    WifiStationState::Connecting => StationStatus::Connecting {
                        attempts_remaining: match r.state {
                            Some(resp_get_status::State::AttemptFailed(a)) => {
                                Some(a.attempts_remaining)
                            }
                            _ => None,
                        },
                    },
                    WifiStationState::Disconnected => StationStatus::Disconnected,
                    WifiStationState::ConnectionFailed => StationStatus::Failed(match r.state {
                        Some(resp_get_status::State::FailReason(v)) => {
                            match WifiConnectFailedReason::try_from(v) {
                                Ok(WifiConnectFailedReason::AuthError) => {
                                    Some(FailReason::AuthError)
                                }
                                Ok(WifiConnectFailedReason::NetworkNotFound) => {
                                    Some(FailReason::NetworkNotFound)
                                }
                                Err(_) => None,
                            }
                        }
                        _ => None,
                    }),
                }))
            }
            Some(wi_fi_config_payload::Payload::RespSetConfig(r)) => {
                ok(r.status)?;
                Ok(Self::SetConfig)
            }
            Some(wi_fi_config_payload::Payload::RespApplyConfig(r)) => {
                ok(r.status)?;
                Ok(Self::Apply)
            }
            _ => Err(MessageError::Unexpected),
        }
    }
}

/// A `prov-ctrl` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtrlRequest {
    /// Forget the Wi-Fi configuration and go back to provisioning.
    Reset,
    /// Re-enter provisioning (after a failed join) keeping the session.
    Reprov,
}

/// A successful `prov-ctrl` response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtrlResponse {
    /// Reset done.
    Reset,
    /// Re-provisioning started.
    Reprov,
}

impl CtrlRequest {
    /// Encodes the plaintext body.
    pub fn encode(&self) -> Vec<u8> {
        let (msg, payload) = match self {
            Self::Reset => (
                WiFiCtrlMsgType::TypeCmdCtrlReset,
                wi_fi_ctrl_payload::Payload::CmdCtrlReset(CmdCtrlReset {}),
            ),
            Self::Reprov => (
                WiFiCtrlMsgType::TypeCmdCtrlReprov,
                wi_fi_ctrl_payload::Payload::CmdCtrlReprov(CmdCtrlReprov {}),
            ),
        };
        WiFiCtrlPayload {
            msg: msg as i32,
            status: Status::Success as i32,
            payload: Some(payload),
        }
        .encode_to_vec()
    }

    /// Decodes a plaintext body (device side), dispatching on the message type; neither
    /// command has fields, so the payload may be absent.
    pub fn decode(body: &[u8]) -> Result<Self, MessageError> {
        use wi_fi_ctrl_payload::Payload;
        let p: WiFiCtrlPayload = decode(body)?;
        let msg = WiFiCtrlMsgType::try_from(p.msg).map_err(|_| MessageError::Unexpected)?;
        match (msg, p.payload) {
            (WiFiCtrlMsgType::TypeCmdCtrlReset, None | Some(Payload::CmdCtrlReset(_))) => {
                Ok(Self::Reset)
            }
            (WiFiCtrlMsgType::TypeCmdCtrlReprov, None | Some(Payload::CmdCtrlReprov(_))) => {
                Ok(Self::Reprov)
            }
            _ => Err(MessageError::Unexpected),
        }
    }

    /// The response to this request with the given status (device side).
    pub fn response(&self, status: Status) -> Vec<u8> {
        let (msg, payload) = match self {
            Self::Reset => (
                WiFiCtrlMsgType::TypeRespCtrlReset,
                wi_fi_ctrl_payload::Payload::RespCtrlReset(RespCtrlReset {}),
            ),
            Self::Reprov => (
                WiFiCtrlMsgType::TypeRespCtrlReprov,
                wi_fi_ctrl_payload::Payload::RespCtrlReprov(RespCtrlReprov {}),
            ),
        };
        WiFiCtrlPayload {
            msg: msg as i32,
            status: status as i32,
            payload: Some(payload),
        }
        .encode_to_vec()
    }
}

impl CtrlResponse {
    /// Encodes a success response (device side).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Reset => CtrlRequest::Reset.response(Status::Success),
            Self::Reprov => CtrlRequest::Reprov.response(Status::Success),
        }
    }

    /// Decodes a plaintext body (client side).
    pub fn decode(body: &[u8]) -> Result<Self, MessageError> {
        let p: WiFiCtrlPayload = decode(body)?;
        ok(p.status)?;
        match p.payload {
            Some(wi_fi_ctrl_payload::Payload::RespCtrlReset(_)) => Ok(Self::Reset),
            Some(wi_fi_ctrl_payload::Payload::RespCtrlReprov(_)) => Ok(Self::Reprov),
            _ => Err(MessageError::Unexpected),
        }
    }
}
