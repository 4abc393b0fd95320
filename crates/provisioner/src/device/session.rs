//! An established, encrypted provisioning session with one device, and the operations on it:
//! info, scan, CSR, credential transfers, Wi-Fi config, apply, status.

use prost::Message;
use protocol::endpoints::{IOT_CRED, PROTO_VER, PROV_CONFIG, PROV_SCAN, PROV_SESSION};
use protocol::proto::{self, iot};
use protocol::security::Session;
use protocol::security::client::{self, ClientError, ClientSecurity, Progress};
use protocol::version::ProtoVer;
use serde::Serialize;
use sha2::Digest;

use super::transport::{PostError, Transport};
use crate::error::{Error, ErrorCode, Result};
use crate::validate::{Passphrase, Pop, Ssid};

/// Largest data per transfer chunk: leaves room under the 4096-byte body limit for the
/// protobuf framing and the AES-GCM tag.
const CHUNK: usize = 3072;

/// What the device says about itself (our `iot-cred` GetInfo).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Serial number.
    pub serial: String,
    /// Model name.
    pub model: String,
    /// Firmware version.
    pub firmware_version: String,
    /// Capability strings.
    pub capabilities: Vec<String>,
    /// Security scheme of the session (0, 1, 2).
    pub sec_ver: u32,
}

/// One network of the device's scan.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WifiNetwork {
    /// Network name (lossy UTF-8).
    pub ssid: String,
    /// Signal strength, dBm.
    pub rssi: i32,
    /// Channel.
    pub channel: u32,
    /// Authentication mode name (`open`, `wpa2_psk`, ...).
    pub auth: String,
    /// Whether a passphrase is needed.
    pub secure: bool,
}

/// The device's Wi-Fi station state after apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WifiState {
    /// Joined, with this IPv4 address.
    Connected {
        /// Address the router gave the device.
        ip: String,
    },
    /// Still trying.
    Connecting,
    /// Not connected and not trying.
    Disconnected,
    /// Wrong passphrase.
    AuthFailed,
    /// The network was not found.
    NotFound,
}

/// MQTT settings for the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttConfig {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Client id (= serial).
    pub client_id: String,
    /// Topic prefix (`devices`).
    pub topic_prefix: String,
    /// CA of the broker (PEM).
    pub server_ca_pem: String,
}

/// An established session.
pub struct DeviceSession {
    transport: Transport,
    session: Session,
    proto: ProtoVer,
}

fn protocol_err(what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::Protocol,
        format!(
            "The device sent an answer this app does not understand ({what}); update the app or the device firmware."
        ),
    )
}

fn client_err(e: ClientError) -> Error {
    match e {
        ClientError::WrongPop => Error::new(
            ErrorCode::WrongPop,
            "The device refused the proof-of-possession code: check the code printed on the device.",
        ),
        ClientError::DeviceProofMismatch => Error::new(
            ErrorCode::WrongPop,
            "The device could not prove it knows the code: check the code printed on the device, and that this is your device.",
        ),
        other => protocol_err(other),
    }
}

impl DeviceSession {
    /// Reads `proto-ver`, picks the security it asks for (refusing sec0 unless
    /// `allow_sec0`), and runs the handshake with the PoP.
    pub async fn open(base: &str, pop: &Pop, allow_sec0: bool) -> Result<Self> {
        let mut transport = Transport::new(base)?;
        let body = transport
            .post(PROTO_VER, b"---")
            .await
            .map_err(|e| e.into_error(PROTO_VER))?;
        let proto = ProtoVer::parse(&body).map_err(protocol_err)?;
        let security = match proto.prov.sec_ver {
            0 if !allow_sec0 => {
                return Err(Error::new(
                    ErrorCode::InsecureDevice,
                    "The device offers only an unencrypted session (security 0): anyone nearby could read the Wi-Fi passphrase. Allow it explicitly only for a device on a bench.",
                ));
            }
            0 => ClientSecurity::Sec0,
            1 => ClientSecurity::sec1(pop.expose().as_bytes()),
            _ => match ClientSecurity::sec2(pop.expose().as_bytes()) {
                ClientSecurity::Sec2 {
                    username, password, ..
                } => ClientSecurity::Sec2 {
                    username,
                    password,
                    sec_patch_ver: proto.prov.sec_patch_ver,
                },
                other => other,
            },
        };
        // The thread-local RNG is not Send: use it before the first await.
        let (mut hs, mut req) = client::start(security, &mut rand::rng()).map_err(client_err)?;
        let session = loop {
            let proof = hs.awaiting_proof_check();
            let resp = match transport.post(PROV_SESSION, &req).await {
                Ok(r) => r,
                // ESP-IDF answers a wrong proof with an HTTP error rather than a status.
                Err(PostError::Status(_)) if proof => {
                    return Err(client_err(ClientError::WrongPop));
                }
                Err(e) => return Err(e.into_error(PROV_SESSION)),
            };
            match hs.on_response(&resp).map_err(client_err)? {
                Progress::Continue(next, r) => {
                    hs = next;
                    req = r;
                }
                Progress::Established(s) => break s,
            }
        };
        Ok(Self {
            transport,
            session,
            proto,
        })
    }

    /// The device's `proto-ver` document.
    pub fn proto_ver(&self) -> &ProtoVer {
        &self.proto
    }

    /// Sends one encrypted request and decrypts the answer. Transport failures come back as
    /// [`PostError`] so a caller can tell a dropped link from a refusal.
    pub async fn call_raw(&mut self, endpoint: &str, plain: &[u8]) -> Result<Vec<u8>, PostError> {
        let body = self
            .session
            .encrypt(plain)
            .map_err(|e| PostError::Refused(protocol_err(e)))?;
        let resp = self.transport.post(endpoint, &body).await?;
        self.session
            .decrypt(&resp)
            .map_err(|e| PostError::Refused(protocol_err(e)))
    }

    async fn call(&mut self, endpoint: &str, plain: &[u8]) -> Result<Vec<u8>> {
        self.call_raw(endpoint, plain)
            .await
            .map_err(|e| e.into_error(endpoint))
    }

    async fn iot(
        &mut self,
        msg: iot::IotMsgType,
        payload: iot::iot_payload::Payload,
    ) -> Result<iot::IotPayload> {
        let req = iot::IotPayload {
            msg: msg as i32,
            status: 0,
            payload: Some(payload),
        };
        let resp = self.call(IOT_CRED, &req.encode_to_vec()).await?;
        let p = iot::IotPayload::decode(resp.as_slice()).map_err(protocol_err)?;
        if p.status != iot::IotStatus::Ok as i32 {
            let name = iot::IotStatus::try_from(p.status)
                .map(|s| s.as_str_name())
                .unwrap_or("unknown");
            return Err(Error::new(
                ErrorCode::Protocol,
                format!("The device refused the request ({name})."),
            ));
        }
        Ok(p)
    }

    /// Serial, model, firmware and capabilities.
    pub async fn info(&mut self) -> Result<DeviceInfo> {
        use iot::iot_payload::Payload;
        let p = self
            .iot(
                iot::IotMsgType::TypeCmdGetInfo,
                Payload::CmdGetInfo(iot::CmdGetInfo {}),
            )
            .await?;
        match p.payload {
            Some(Payload::RespGetInfo(r)) => Ok(DeviceInfo {
                serial: r.serial,
                model: r.model,
                firmware_version: r.firmware_version,
                capabilities: r.capabilities,
                sec_ver: self.session.sec_ver(),
            }),
            _ => Err(protocol_err("no device info")),
        }
    }

    /// Asks the device to make a key pair (kept on it) and returns its CSR (PEM).
    pub async fn generate_csr(&mut self) -> Result<String> {
        use iot::iot_payload::Payload;
        let p = self
            .iot(
                iot::IotMsgType::TypeCmdGenerateCsr,
                Payload::CmdGenerateCsr(iot::CmdGenerateCsr {}),
            )
            .await?;
        match p.payload {
            Some(Payload::RespGenerateCsr(r)) if r.csr_pem.contains("CERTIFICATE REQUEST") => {
                Ok(r.csr_pem)
            }
            _ => Err(protocol_err("no CSR")),
        }
    }

    /// Sends `data` in numbered chunks with its SHA-256, as the `iot-cred` endpoint wants.
    async fn transfer(&mut self, kind: iot::TransferKind, data: &[u8]) -> Result<()> {
        use iot::iot_payload::Payload;
        if let Some(max) = self.proto.iot.as_ref().map(|i| i.max_transfer as usize) {
            if max > 0 && data.len() > max {
                return Err(Error::new(
                    ErrorCode::Protocol,
                    format!(
                        "The device accepts at most {max} bytes of credentials; this transfer has {}.",
                        data.len()
                    ),
                ));
            }
        }
        let chunks: Vec<&[u8]> = data.chunks(CHUNK).collect();
        let begin = iot::CmdTransferBegin {
            kind: kind as i32,
            total_len: u32::try_from(data.len()).map_err(protocol_err)?,
            chunk_count: u32::try_from(chunks.len()).map_err(protocol_err)?,
            sha256: sha2::Sha256::digest(data).to_vec(),
        };
        self.iot(
            iot::IotMsgType::TypeCmdTransferBegin,
            Payload::CmdTransferBegin(begin),
        )
        .await?;
        for (i, c) in chunks.iter().enumerate() {
            let chunk = iot::CmdTransferChunk {
                index: u32::try_from(i).map_err(protocol_err)?,
                data: c.to_vec(),
            };
            self.iot(
                iot::IotMsgType::TypeCmdTransferChunk,
                Payload::CmdTransferChunk(chunk),
            )
            .await?;
        }
        self.iot(
            iot::IotMsgType::TypeCmdTransferEnd,
            Payload::CmdTransferEnd(iot::CmdTransferEnd {}),
        )
        .await?;
        Ok(())
    }

    /// Delivers the certificate chain for the device's own key (CSR mode).
    pub async fn send_certificate(&mut self, chain_pem: &str) -> Result<()> {
        self.transfer(
            iot::TransferKind::KindCertificateChain,
            chain_pem.as_bytes(),
        )
        .await
    }

    /// Delivers a cloud-made key and its certificate (seed-compatible mode).
    pub async fn send_seed_credentials(&mut self, key_pem: &str, cert_pem: &str) -> Result<()> {
        let mut bytes = iot::SeedCredentials {
            private_key_pem: key_pem.to_owned(),
            certificate_pem: cert_pem.to_owned(),
        }
        .encode_to_vec();
        let r = self
            .transfer(iot::TransferKind::KindSeedCredentials, &bytes)
            .await;
        zeroize::Zeroize::zeroize(&mut bytes);
        r
    }

    /// Delivers the MQTT endpoint settings.
    pub async fn send_mqtt(&mut self, m: &MqttConfig) -> Result<()> {
        let bytes = iot::MqttSettings {
            host: m.host.clone(),
            port: u32::from(m.port),
            client_id: m.client_id.clone(),
            topic_prefix: m.topic_prefix.clone(),
            server_ca_pem: m.server_ca_pem.clone(),
        }
        .encode_to_vec();
        self.transfer(iot::TransferKind::KindMqttSettings, &bytes)
            .await
    }

    async fn scan_call(
        &mut self,
        msg: proto::WiFiScanMsgType,
        p: proto::wi_fi_scan_payload::Payload,
    ) -> Result<proto::WiFiScanPayload> {
        let req = proto::WiFiScanPayload {
            msg: msg as i32,
            status: 0,
            payload: Some(p),
        };
        let resp = self.call(PROV_SCAN, &req.encode_to_vec()).await?;
        let r = proto::WiFiScanPayload::decode(resp.as_slice()).map_err(protocol_err)?;
        if r.status != proto::Status::Success as i32 {
            return Err(protocol_err(format!("scan status {}", r.status)));
        }
        Ok(r)
    }

    /// The networks the device sees, strongest first.
    pub async fn scan(&mut self) -> Result<Vec<WifiNetwork>> {
        use proto::WiFiScanMsgType as T;
        use proto::wi_fi_scan_payload::Payload;
        self.scan_call(
            T::TypeCmdScanStart,
            Payload::CmdScanStart(proto::CmdScanStart {
                blocking: true,
                passive: false,
                group_channels: 0,
                period_ms: 120,
            }),
        )
        .await?;
        let mut count = 0;
        for _ in 0..50 {
            let r = self
                .scan_call(
                    T::TypeCmdScanStatus,
                    Payload::CmdScanStatus(proto::CmdScanStatus {}),
                )
                .await?;
            match r.payload {
                Some(Payload::RespScanStatus(s)) if s.scan_finished => {
                    count = s.result_count;
                    break;
                }
                Some(Payload::RespScanStatus(_)) => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await
                }
                _ => return Err(protocol_err("no scan status")),
            }
        }
        let mut out = Vec::new();
        let mut start = 0;
        while start < count {
            let n = (count - start).min(4);
            let r = self
                .scan_call(
                    T::TypeCmdScanResult,
                    Payload::CmdScanResult(proto::CmdScanResult {
                        start_index: start,
                        count: n,
                    }),
                )
                .await?;
            let Some(Payload::RespScanResult(res)) = r.payload else {
                return Err(protocol_err("no scan results"));
            };
            if res.entries.is_empty() {
                break;
            }
            for e in res.entries {
                let auth =
                    proto::WifiAuthMode::try_from(e.auth).unwrap_or(proto::WifiAuthMode::Wpa2Psk);
                out.push(WifiNetwork {
                    ssid: String::from_utf8_lossy(&e.ssid).into_owned(),
                    rssi: e.rssi,
                    channel: e.channel,
                    auth: auth.as_str_name().to_ascii_lowercase(),
                    secure: auth != proto::WifiAuthMode::Open,
                });
            }
            start += n;
        }
        out.sort_by_key(|n| std::cmp::Reverse(n.rssi));
        Ok(out)
    }

    async fn config_call(
        &mut self,
        msg: proto::WiFiConfigMsgType,
        p: proto::wi_fi_config_payload::Payload,
    ) -> Result<proto::WiFiConfigPayload, PostError> {
        let req = proto::WiFiConfigPayload {
            msg: msg as i32,
            payload: Some(p),
        };
        let resp = self.call_raw(PROV_CONFIG, &req.encode_to_vec()).await?;
        proto::WiFiConfigPayload::decode(resp.as_slice())
            .map_err(|e| PostError::Refused(protocol_err(e)))
    }

    /// Sends the home network's name and passphrase.
    pub async fn set_wifi(&mut self, ssid: &Ssid, passphrase: &Passphrase) -> Result<()> {
        use proto::wi_fi_config_payload::Payload;
        let mut cmd = proto::CmdSetConfig {
            ssid: ssid.as_str().as_bytes().to_vec(),
            passphrase: passphrase.expose().as_bytes().to_vec(),
            bssid: Vec::new(),
            channel: 0,
        };
        let r = self
            .config_call(
                proto::WiFiConfigMsgType::TypeCmdSetConfig,
                Payload::CmdSetConfig(cmd.clone()),
            )
            .await;
        zeroize::Zeroize::zeroize(&mut cmd.passphrase);
        match r.map_err(|e| e.into_error(PROV_CONFIG))?.payload {
            Some(Payload::RespSetConfig(s)) if s.status == proto::Status::Success as i32 => Ok(()),
            _ => Err(Error::new(
                ErrorCode::Protocol,
                "The device refused the Wi-Fi settings.",
            )),
        }
    }

    /// Asks the device to join the network. The link may drop right after (the device's AP
    /// can move to the router's channel): that comes back as `PostError::Unreachable`.
    pub async fn apply(&mut self) -> Result<(), PostError> {
        use proto::wi_fi_config_payload::Payload;
        let r = self
            .config_call(
                proto::WiFiConfigMsgType::TypeCmdApplyConfig,
                Payload::CmdApplyConfig(proto::CmdApplyConfig {}),
            )
            .await?;
        match r.payload {
            Some(Payload::RespApplyConfig(s)) if s.status == proto::Status::Success as i32 => {
                Ok(())
            }
            _ => Err(PostError::Refused(Error::new(
                ErrorCode::Protocol,
                "The device refused to apply the Wi-Fi settings.",
            ))),
        }
    }

    /// The device's Wi-Fi state.
    pub async fn wifi_status(&mut self) -> Result<WifiState, PostError> {
        use proto::resp_get_status::State;
        use proto::wi_fi_config_payload::Payload;
        let r = self
            .config_call(
                proto::WiFiConfigMsgType::TypeCmdGetStatus,
                Payload::CmdGetStatus(proto::CmdGetStatus {}),
            )
            .await?;
        let Some(Payload::RespGetStatus(s)) = r.payload else {
            return Err(PostError::Refused(protocol_err("no status")));
        };
        Ok(match proto::WifiStationState::try_from(s.sta_state) {
            Ok(proto::WifiStationState::Connected) => WifiState::Connected {
                ip: match s.state {
                    Some(State::Connected(c)) => c.ip4_addr,
                    _ => String::new(),
                },
            },
            Ok(proto::WifiStationState::Connecting) => WifiState::Connecting,
            Ok(proto::WifiStationState::ConnectionFailed) => match s.state {
                Some(State::FailReason(r))
                    if r == proto::WifiConnectFailedReason::NetworkNotFound as i32 =>
                {
                    WifiState::NotFound
                }
                _ => WifiState::AuthFailed,
            },
            _ => WifiState::Disconnected,
        })
    }
}
