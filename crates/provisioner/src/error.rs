//! The one error type that crosses the crate boundary: `{code, message}`.
//!
//! The UI and the CLI switch on [`ErrorCode`], never on the message text; the message is a
//! sentence a person can act on. It never contains a secret (passphrase, PoP, key, token).

use serde::{Deserialize, Serialize};

/// What went wrong, as a stable machine-readable code (serialized in snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// Input refused before any network call (serial, SSID, passphrase, CSV line, ...).
    InvalidInput,
    /// No backend profile is configured, or the stored profile is unreadable.
    NotConfigured,
    /// An operation needs a signed-in user and there is none.
    NotSignedIn,
    /// Wrong e-mail or password.
    BadCredentials,
    /// The account exists but is not confirmed yet.
    UserNotConfirmed,
    /// Sign-up with an e-mail that already has an account.
    UserExists,
    /// Wrong or expired confirmation / reset code.
    BadCode,
    /// The password does not meet the pool's policy.
    WeakPassword,
    /// The session expired and could not be refreshed: sign in again.
    SessionExpired,
    /// The service refused the request for this user (serial owned by someone else, ...).
    Forbidden,
    /// The serial number is not registered with the service.
    SerialNotRegistered,
    /// The device is bound to another account.
    SerialOwnedByOther,
    /// The resource is not known to the service.
    NotFound,
    /// The service was reached and answered with an error not covered above.
    Server,
    /// The service or device could not be reached (connection, DNS, TLS, timeout).
    Unreachable,
    /// The device refused the proof-of-possession code.
    WrongPop,
    /// The device offers less session security than expected (a downgrade, or sec0 not allowed).
    InsecureDevice,
    /// The device runs stock ESP-IDF provisioning (no `iot_cred`): Wi-Fi settings only.
    WifiOnlyDevice,
    /// The device answered something that does not follow the protocol.
    Protocol,
    /// The device could not join the network: wrong passphrase.
    WifiAuthFailed,
    /// The device could not find the network.
    WifiNotFound,
    /// The device did not come online within the time allowed.
    DeviceOffline,
    /// Joining or leaving the device's access point failed.
    Link,
    /// Local storage (config dir, state dir, keyring) failed.
    Storage,
    /// The operation was cancelled.
    Cancelled,
    /// Too many attempts (sign-in, codes): the service asks to wait before trying again.
    TooManyAttempts,
}

impl ErrorCode {
    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::NotConfigured => "not_configured",
            Self::NotSignedIn => "not_signed_in",
            Self::BadCredentials => "bad_credentials",
            Self::UserNotConfirmed => "user_not_confirmed",
            Self::UserExists => "user_exists",
            Self::BadCode => "bad_code",
            Self::WeakPassword => "weak_password",
            Self::SessionExpired => "session_expired",
            Self::Forbidden => "forbidden",
            Self::SerialNotRegistered => "serial_not_registered",
            Self::SerialOwnedByOther => "serial_owned_by_other",
            Self::NotFound => "not_found",
            Self::Server => "server",
            Self::Unreachable => "unreachable",
            Self::WrongPop => "wrong_pop",
            Self::InsecureDevice => "insecure_device",
            Self::WifiOnlyDevice => "wifi_only_device",
            Self::Protocol => "protocol",
            Self::WifiAuthFailed => "wifi_auth_failed",
            Self::WifiNotFound => "wifi_not_found",
            Self::DeviceOffline => "device_offline",
            Self::Link => "link",
            Self::Storage => "storage",
            Self::Cancelled => "cancelled",
            Self::TooManyAttempts => "too_many_attempts",
        }
    }
}

/// The wizard page (or screen) where the user can fix an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Page {
    /// Sign-in / account screens.
    SignIn,
    /// The serial number / certificate page.
    Cert,
    /// The Wi-Fi network + passphrase page.
    Wifi,
    /// The connect page (device link, PoP).
    Connect,
    /// Settings (backend profile).
    Settings,
}

impl ErrorCode {
    /// Which page fixes this error, so the UI can route a retry there.
    pub fn fix_page(self) -> Page {
        match self {
            Self::NotConfigured | Self::Storage => Page::Settings,
            Self::NotSignedIn
            | Self::BadCredentials
            | Self::UserNotConfirmed
            | Self::UserExists
            | Self::BadCode
            | Self::WeakPassword
            | Self::SessionExpired
            | Self::TooManyAttempts => Page::SignIn,
            Self::SerialNotRegistered
            | Self::SerialOwnedByOther
            | Self::Forbidden
            | Self::NotFound => Page::Cert,
            Self::WifiAuthFailed | Self::WifiNotFound => Page::Wifi,
            Self::InvalidInput
            | Self::Server
            | Self::Unreachable
            | Self::WrongPop
            | Self::InsecureDevice
            | Self::WifiOnlyDevice
            | Self::Protocol
            | Self::DeviceOffline
            | Self::Link
            | Self::Cancelled => Page::Connect,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The boundary error: a code to switch on and an actionable sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// What went wrong.
    pub code: ErrorCode,
    /// What to do about it, for a person.
    pub message: String,
    /// The underlying library's own text (a TLS alert, an OS error), for `--verbose` and the
    /// app's "details" disclosure only: never part of the sentence a person reads first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Error {
    /// An error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            detail: None,
        }
    }

    /// The same error with the library's own text kept apart from the message.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Input refused before any network call.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// Local storage failed.
    pub fn storage(what: &str, err: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Storage, format!("{what}: {err}"))
    }
}

/// Result with the boundary error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
