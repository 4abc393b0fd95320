//! An established, encrypted provisioning session with one device, and the operations on it:
//! info, scan, CSR, credential transfers, Wi-Fi config, apply, status.

use protocol::endpoints::{IOT_CRED, PROTO_VER, PROV_CONFIG, PROV_SCAN, PROV_SESSION};
use protocol::iot::{
    Credential, IotRequest, IotResponse, IotStatus, MessageError, SeedCredentials, TransferError,
    TransferSender,
};
use protocol::proto::{Status, WifiAuthMode};
use protocol::security::Session;
use protocol::security::client::{self, ClientError, ClientSecurity, Progress};
use protocol::version::{CAP_IOT_CRED, ProtoVer};
use protocol::wifi::{
    ConfigRequest, ConfigResponse, FailReason, ScanRequest, ScanResponse, StationStatus, WifiConfig,
};
use serde::Serialize;
use zeroize::Zeroizing;

/// Scan entries asked for per request: ESP-IDF's own tool asks for 4, which every device takes.
const SCAN_PAGE: u32 = 4;

use super::security::SecurityPolicy;
use super::transport::{PostError, Transport};
use crate::error::{Error, ErrorCode, Result};
use crate::validate::{Passphrase, Pop, Ssid};

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
    /// Milliseconds left in the device's provisioning window when it answered (None if the
    /// device does not say). Count down from when the answer arrived.
    pub window_remaining_ms: Option<u64>,
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

/// MQTT settings for the device: the protocol crate's type, so host and device share one
/// definition and one validation.
pub type MqttConfig = protocol::iot::MqttSettings;

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
    /// Reads `proto-ver` and runs the handshake with the PoP at the level `policy` allows:
    /// the device's `proto-ver` may raise it, never lower it (see [`SecurityPolicy`]).
    pub async fn open(base: &str, pop: &Pop, policy: SecurityPolicy) -> Result<Self> {
        let mut transport = Transport::new(base)?;
        let body = transport
            .post(PROTO_VER, b"---")
            .await
            .map_err(|e| e.into_error(PROTO_VER))?;
        let proto = ProtoVer::parse(&body).map_err(protocol_err)?;
        let level = policy.negotiate(proto.prov.sec_ver)?;
        if level < 2 {
            tracing::warn!(
                level,
                "opening a session below security 2, as the user chose"
            );
        }
        let security = match level {
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

    /// The security level of this session.
    pub fn sec_ver(&self) -> u32 {
        self.session.sec_ver()
    }

    /// Whether the device serves our `iot-cred` endpoint (`iot_cred` in its `cap` list). A
    /// stock ESP-IDF `wifi_prov_mgr` device does not: it takes Wi-Fi settings only. The list is
    /// unauthenticated, so it only decides what to offer, never what to trust.
    pub fn has_iot_cred(&self) -> bool {
        self.proto.prov.cap.iter().any(|c| c == CAP_IOT_CRED)
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

    async fn iot(&mut self, req: &IotRequest) -> Result<IotResponse> {
        let resp = self.call(IOT_CRED, &req.encode()).await?;
        IotResponse::decode(&resp).map_err(iot_err)
    }

    /// Serial, model, firmware and capabilities.
    pub async fn info(&mut self) -> Result<DeviceInfo> {
        match self.iot(&IotRequest::GetInfo).await? {
            IotResponse::Info(i) => Ok(DeviceInfo {
                serial: i.serial,
                model: i.model,
                firmware_version: i.firmware_version,
                capabilities: i.capabilities,
                sec_ver: self.session.sec_ver(),
                window_remaining_ms: i.window_remaining_ms,
            }),
            _ => Err(protocol_err("no device info")),
        }
    }

    /// Asks the device to make a key pair (kept on it) and returns its CSR (PEM).
    pub async fn generate_csr(&mut self) -> Result<String> {
        match self.iot(&IotRequest::GenerateCsr).await? {
            IotResponse::Csr(pem) => Ok(pem),
            _ => Err(protocol_err("no CSR")),
        }
    }

    /// Sends a credential with the protocol's chunked transfer (numbered chunks, length and
    /// SHA-256 checked by the device), refusing up front what the device said it cannot take.
    async fn transfer(&mut self, credential: &Credential) -> Result<()> {
        let mut tx = TransferSender::new(credential).map_err(transfer_err)?;
        if let Some(max) = self.proto.iot.as_ref().map(|i| i.max_transfer as usize) {
            let len = credential.to_bytes().len();
            if max > 0 && len > max {
                return Err(Error::new(
                    ErrorCode::Protocol,
                    format!(
                        "The device accepts at most {max} bytes of credentials; this transfer has {len}."
                    ),
                ));
            }
        }
        while let Some(req) = tx.next_request() {
            let resp = self.call(IOT_CRED, &Zeroizing::new(req.encode())).await?;
            tx.on_response_body(&resp).map_err(transfer_err)?;
        }
        Ok(())
    }

    /// Delivers the certificate chain for the device's own key (CSR mode).
    pub async fn send_certificate(&mut self, chain_pem: &str) -> Result<()> {
        self.transfer(&Credential::CertificateChain(chain_pem.to_owned()))
            .await
    }

    /// Delivers a cloud-made key and its certificate (seed-compatible mode).
    pub async fn send_seed_credentials(&mut self, key_pem: &str, cert_pem: &str) -> Result<()> {
        self.transfer(&Credential::Seed(SeedCredentials {
            private_key_pem: Zeroizing::new(key_pem.to_owned()),
            certificate_pem: cert_pem.to_owned(),
        }))
        .await
    }

    /// Delivers the MQTT endpoint settings.
    pub async fn send_mqtt(&mut self, m: &MqttConfig) -> Result<()> {
        self.transfer(&Credential::Mqtt(m.clone())).await
    }

    async fn scan_call(&mut self, req: ScanRequest) -> Result<ScanResponse> {
        let resp = self.call(PROV_SCAN, &req.encode()).await?;
        ScanResponse::decode(&resp).map_err(wifi_err)
    }

    /// The networks the device sees, strongest first.
    pub async fn scan(&mut self) -> Result<Vec<WifiNetwork>> {
        let start = ScanRequest::Start {
            blocking: true,
            passive: false,
            group_channels: 0,
            period_ms: 120,
        };
        if self.scan_call(start).await? != ScanResponse::Started {
            return Err(protocol_err("no scan start"));
        }
        let mut count = 0;
        for _ in 0..50 {
            match self.scan_call(ScanRequest::Status).await? {
                ScanResponse::Status {
                    finished: true,
                    result_count,
                } => {
                    count = result_count;
                    break;
                }
                ScanResponse::Status { .. } => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await
                }
                _ => return Err(protocol_err("no scan status")),
            }
        }
        let mut out = Vec::new();
        let mut start = 0;
        while start < count {
            let n = (count - start).min(SCAN_PAGE);
            let page = ScanRequest::Results {
                start_index: start,
                count: n,
            };
            let ScanResponse::Results(entries) = self.scan_call(page).await? else {
                return Err(protocol_err("no scan results"));
            };
            if entries.is_empty() {
                break;
            }
            let got = u32::try_from(entries.len()).unwrap_or(n);
            for e in entries {
                let auth = WifiAuthMode::try_from(e.auth).unwrap_or(WifiAuthMode::Wpa2Psk);
                out.push(WifiNetwork {
                    ssid: e.ssid_lossy(),
                    rssi: e.rssi,
                    channel: e.channel,
                    auth: auth.as_str_name().to_ascii_lowercase(),
                    secure: e.is_secure(),
                });
            }
            // A device may send fewer than asked: carry on from what it sent.
            start += got.min(n);
        }
        out.sort_by_key(|n| std::cmp::Reverse(n.rssi));
        Ok(out)
    }

    async fn config_call(&mut self, req: &ConfigRequest) -> Result<ConfigResponse, PostError> {
        let body = req.encode().map_err(|e| PostError::Refused(wifi_err(e)))?;
        let resp = self.call_raw(PROV_CONFIG, &body).await?;
        ConfigResponse::decode(&resp).map_err(|e| PostError::Refused(wifi_err(e)))
    }

    /// Sends the home network's name and passphrase.
    pub async fn set_wifi(&mut self, ssid: &Ssid, passphrase: &Passphrase) -> Result<()> {
        let req = ConfigRequest::SetConfig(WifiConfig::new(
            ssid.as_str().as_bytes(),
            passphrase.expose().as_bytes(),
        ));
        match self.config_call(&req).await {
            Ok(ConfigResponse::SetConfig) => Ok(()),
            Ok(_) => Err(Error::new(
                ErrorCode::Protocol,
                "The device refused the Wi-Fi settings.",
            )),
            Err(e) => Err(e.into_error(PROV_CONFIG)),
        }
    }

    /// Asks the device to join the network. The link may drop right after (the device's AP
    /// can move to the router's channel): that comes back as `PostError::Unreachable`.
    pub async fn apply(&mut self) -> Result<(), PostError> {
        match self.config_call(&ConfigRequest::Apply).await {
            Ok(ConfigResponse::Apply) => Ok(()),
            Ok(_) => Err(PostError::Refused(Error::new(
                ErrorCode::Protocol,
                "The device refused to apply the Wi-Fi settings.",
            ))),
            Err(e) => Err(e),
        }
    }

    /// The device's Wi-Fi state.
    pub async fn wifi_status(&mut self) -> Result<WifiState, PostError> {
        let ConfigResponse::Status(s) = self.config_call(&ConfigRequest::GetStatus).await? else {
            return Err(PostError::Refused(protocol_err("no status")));
        };
        Ok(match s {
            StationStatus::Connected(c) => WifiState::Connected { ip: c.ip4_addr },
            StationStatus::Connecting { .. } => WifiState::Connecting,
            StationStatus::Failed(Some(FailReason::NetworkNotFound)) => WifiState::NotFound,
            StationStatus::Failed(_) => WifiState::AuthFailed,
            StationStatus::Disconnected => WifiState::Disconnected,
        })
    }
}

/// A refusal of an `iot-cred` request, named by the device's status.
fn iot_err(e: MessageError) -> Error {
    match e {
        MessageError::Status(s) => {
            let name = IotStatus::try_from(s)
                .map(|s| s.as_str_name())
                .unwrap_or("unknown");
            Error::new(
                ErrorCode::Protocol,
                format!("The device refused the request ({name})."),
            )
        }
        other => protocol_err(other),
    }
}

/// A refusal of a `prov-scan` / `prov-config` request.
fn wifi_err(e: MessageError) -> Error {
    match e {
        MessageError::Status(s) => {
            let name = Status::try_from(s)
                .map(|s| s.as_str_name())
                .unwrap_or("unknown");
            Error::new(
                ErrorCode::Protocol,
                format!("The device refused the request ({name})."),
            )
        }
        MessageError::InvalidField(what) => {
            Error::invalid(format!("The Wi-Fi settings cannot be sent: {what}."))
        }
        other => protocol_err(other),
    }
}

fn transfer_err(e: TransferError) -> Error {
    match e {
        TransferError::Device(s) => iot_err(MessageError::Status(s as i32)),
        TransferError::Message(m) => iot_err(m),
        TransferError::InvalidCredential => Error::new(
            ErrorCode::Protocol,
            "A credential from the service is empty, malformed or too large to send to the device.",
        ),
        other => protocol_err(other),
    }
}
