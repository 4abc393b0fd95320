//! The shapes that cross the IPC boundary. Kept apart from the core's types so the UI's
//! contract changes only when this file does (and the generated bindings with it).

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::error::AppError;

/// The configured provisioning service, as the settings page shows it (no secrets).
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BackendView {
    /// Nothing configured yet.
    Unset,
    SelfHosted {
        url: String,
        ca_path: Option<String>,
    },
    Aws {
        region: String,
        user_pool_id: String,
        client_id: String,
        api_url: String,
        has_client_secret: bool,
    },
}

/// What the settings page saves. The client secret goes to the keyring, the CA to the app's
/// config dir; neither is stored in the settings.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BackendInput {
    SelfHosted {
        url: String,
        /// A newly picked CA certificate; it replaces the trusted one.
        ca_pem: Option<String>,
        /// Without a new CA: keep trusting the one saved before (saving other settings, such
        /// as the device address, must not drop it).
        keep_ca: bool,
    },
    Aws {
        region: String,
        user_pool_id: String,
        client_id: String,
        api_url: String,
        client_secret: Option<String>,
    },
}

/// What to do after sign-up.
#[derive(Debug, Clone, Copy, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum SignUpNext {
    /// A code was sent by e-mail: show the confirm page.
    ConfirmCode,
    /// The account is usable now.
    Done,
}

/// Where the device's private key is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum CertMode {
    DeviceCsr,
    CloudKey,
}

/// A certificate as page 1 shows it.
#[derive(Debug, Clone, Serialize, Type)]
pub struct CertView {
    pub thing_name: String,
    pub certificate_id: String,
    /// RFC 3339, when the core reports it.
    pub expires_at: Option<String>,
    /// Colon-separated hex, when the core reports it.
    pub fingerprint_sha256: Option<String>,
}

/// Page 1's check of a serial before any device is touched.
#[derive(Debug, Clone, Serialize, Type)]
pub struct SerialCheck {
    pub serial: String,
    /// The certificate the service has for it now, if any (provisioning replaces it).
    pub certificate_id: Option<String>,
    /// The service's status word for the device ("registered", "active", ...).
    pub status: Option<String>,
    /// When the device last reached the service (RFC 3339).
    pub last_seen: Option<String>,
}

/// The device as pages 2 and 3 name it. The PoP is a secret: memory only.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct DeviceTarget {
    pub softap: String,
    pub pop: String,
}

/// One network from the device's scan.
#[derive(Debug, Clone, Serialize, Type)]
pub struct Network {
    pub ssid: String,
    /// dBm.
    pub rssi: i32,
    pub channel: u32,
    /// "open", "WPA2-PSK", ...
    pub security: String,
    pub secured: bool,
}

/// Everything page 3 sends. Passphrase and PoP are secrets: memory only.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct ProvisionRequest {
    pub serial: String,
    pub cert_mode: CertMode,
    pub ssid: String,
    pub passphrase: String,
    pub softap: String,
    pub pop: String,
}

/// What page 3 sends for a Wi-Fi-only run (a stock device without our certificate endpoint).
/// Passphrase and PoP are secrets: memory only.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct WifiRequest {
    pub ssid: String,
    pub passphrase: String,
    pub softap: String,
    pub pop: String,
}

/// The end of a successful Wi-Fi-only run.
#[derive(Debug, Clone, Serialize, Type)]
pub struct WifiDone {
    /// The device's access point name.
    pub softap: String,
    /// The network it joined.
    pub ssid: String,
    /// The address it reported on that network, when it reported one.
    pub ip: Option<String>,
    /// The session security used (0, 1 or 2).
    pub sec_ver: u32,
    /// The device also serves our certificate endpoint (then a full run gives it one).
    pub has_iot_cred: bool,
}

/// The steps page 3 lists, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum StepId {
    JoinDevice,
    SecureSession,
    Certificate,
    SendCredentials,
    Apply,
    DeviceJoinedWifi,
    HostRestored,
    DeviceOnline,
}

/// A step's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Running,
    Done,
    Failed,
}

/// What the provisioning run streams to page 3.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProgressEvent {
    /// A step changed state; `message` is a short sentence for it (never a secret).
    Step {
        step: StepId,
        state: StepState,
        message: String,
        error: Option<AppError>,
    },
}

/// The end of a successful run.
#[derive(Debug, Clone, Serialize, Type)]
pub struct Provisioned {
    pub serial: String,
    pub cert: CertView,
    pub last_seen: Option<String>,
}

/// A run that stopped (app closed, crash) after the device got its settings: page 3 offers to
/// finish it by checking the device came online.
#[derive(Debug, Clone, Serialize, Type)]
pub struct InterruptedRun {
    pub serial: String,
    pub softap: String,
    pub ssid: Option<String>,
}
