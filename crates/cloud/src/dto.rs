//! Request and response bodies of the HTTP API (camelCase on the wire, as the lab's app used).

use serde::{Deserialize, Serialize};

/// Query of `GET /cert`: `?sn=` (the lab's mapping template used `SN`; both are accepted).
#[derive(Debug, Clone, Deserialize)]
pub struct CertQuery {
    /// The serial, unvalidated.
    #[serde(alias = "SN")]
    pub sn: String,
}

/// Body of `POST /cert`.
#[derive(Debug, Clone, Deserialize)]
pub struct CsrRequest {
    /// The serial, unvalidated.
    pub sn: String,
    /// PKCS#10 request, PEM; CN = serial; P-256 or RSA-2048.
    pub csr: String,
}

/// Response of `GET /cert` and `POST /cert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertResponse {
    /// The device certificate, PEM.
    pub certificate_pem: String,
    /// Cloud-made private key, PKCS#8 PEM: present only for `GET /cert` (seed mode).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub private_key: Option<String>,
    /// The CA's id of the certificate.
    pub certificate_id: String,
    /// The IoT thing name (= serial = MQTT client id).
    pub thing_name: String,
    /// PEM of the CA the device must trust for the broker.
    pub ca_pem: String,
    /// MQTT host.
    pub mqtt_host: String,
    /// MQTT port.
    pub mqtt_port: u16,
    /// Topic prefix: the device may use only `<topicPrefix>/<thingName>/#`.
    pub topic_prefix: String,
    /// End of validity, RFC 3339.
    pub expires_at: String,
}

/// Response of `GET /devices/{sn}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceStatus {
    /// The serial.
    pub sn: String,
    /// User id of the owner, or null while unbound.
    pub owner: Option<String>,
    /// The active certificate, or null before the first provisioning.
    pub certificate_id: Option<String>,
    /// `registered` (no certificate yet), `provisioned` (certificate issued, never seen) or
    /// `online` (said hello since its certificate was issued; see `lastSeen`).
    pub status: String,
    /// Last hello, RFC 3339, or null.
    pub last_seen: Option<String>,
}

/// Body of `POST /auth/signup` and `POST /auth/signin`.
#[derive(Debug, Clone, Deserialize)]
pub struct Credentials {
    /// E-mail address (the account name).
    pub email: String,
    /// Password (8..=256 characters); never logged.
    pub password: String,
}

/// Body of `POST /auth/confirm`.
#[derive(Debug, Clone, Deserialize)]
pub struct ConfirmRequest {
    /// E-mail address.
    pub email: String,
    /// The one-time code (`provisiond user code EMAIL` shows it).
    pub code: String,
}

/// Body of `POST /auth/resend` and `POST /auth/forgot`.
#[derive(Debug, Clone, Deserialize)]
pub struct EmailRequest {
    /// E-mail address.
    pub email: String,
}

/// Body of `POST /auth/confirm-forgot`.
#[derive(Debug, Clone, Deserialize)]
pub struct ResetRequest {
    /// E-mail address.
    pub email: String,
    /// The reset code (`provisiond user code EMAIL` shows it).
    pub code: String,
    /// The new password (8..=256 characters); never logged.
    pub password: String,
}

/// Body of `POST /auth/refresh`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    /// The refresh token from sign-in.
    pub refresh_token: String,
}

/// Tokens returned by sign-in and refresh.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    /// ES256 JWT to send as `Authorization: Bearer`.
    pub id_token: String,
    /// Opaque token for `POST /auth/refresh`.
    pub refresh_token: String,
    /// Seconds until `idToken` expires.
    pub expires_in: u64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Response of the account operations that return no tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountStatus {
    /// `confirmation_required`, `confirmed`, `signed_out`, `code_sent` or `password_changed`.
    pub status: String,
}
