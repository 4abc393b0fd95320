//! The one error type that crosses into the web view: `{code, message}`.
//! The UI switches on `code` (never on the text) to decide what to show and which page fixes it.

use serde::Serialize;
use specta::Type;

/// What went wrong, as far as the UI needs to know to react (mirrors the core's codes,
/// plus two of the shell's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A field failed validation; the message says which and why.
    InvalidInput,
    /// No provisioning service is configured.
    NotConfigured,
    /// The call needs a signed-in user.
    NotSignedIn,
    /// Wrong e-mail or password.
    BadCredentials,
    /// The account waits for its e-mailed code.
    UserNotConfirmed,
    /// Sign-up with an e-mail that has an account.
    UserExists,
    /// Wrong or expired confirmation or reset code.
    BadCode,
    /// The password does not meet the service's policy.
    WeakPassword,
    /// The sign-in expired and could not be refreshed.
    SessionExpired,
    /// The service refused (the serial belongs to another account, ...).
    Forbidden,
    /// Unknown serial or device.
    NotFound,
    /// The service answered with another error.
    Server,
    /// The service or the device could not be reached.
    Unreachable,
    /// The device refused the proof-of-possession code.
    WrongPop,
    /// The device offers only an unencrypted session.
    InsecureDevice,
    /// The device broke the protocol.
    Protocol,
    /// The device could not join: wrong passphrase.
    WifiAuthFailed,
    /// The device could not find the network.
    WifiNotFound,
    /// The device did not come online in time.
    DeviceOffline,
    /// Joining or leaving the device's access point failed.
    Link,
    /// Local storage (config, keyring) failed.
    Storage,
    /// The run was cancelled.
    Cancelled,
    /// The app's settings could not be read or written.
    Settings,
    /// A failure the app did not expect.
    Internal,
}

/// The error every command returns.
#[derive(Debug, Clone, Serialize, Type)]
pub struct AppError {
    /// What the UI switches on.
    pub code: ErrorCode,
    /// A sentence for a person: what happened and what to do.
    pub message: String,
}

impl AppError {
    /// An error with its code and human message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// What every command returns.
pub type CmdResult<T> = Result<T, AppError>;

impl From<provisioner::Error> for AppError {
    fn from(e: provisioner::Error) -> Self {
        use provisioner::ErrorCode as C;
        let code = match e.code {
            C::InvalidInput => ErrorCode::InvalidInput,
            C::NotConfigured => ErrorCode::NotConfigured,
            C::NotSignedIn => ErrorCode::NotSignedIn,
            C::BadCredentials => ErrorCode::BadCredentials,
            C::UserNotConfirmed => ErrorCode::UserNotConfirmed,
            C::UserExists => ErrorCode::UserExists,
            C::BadCode => ErrorCode::BadCode,
            C::WeakPassword => ErrorCode::WeakPassword,
            C::SessionExpired => ErrorCode::SessionExpired,
            C::Forbidden => ErrorCode::Forbidden,
            C::NotFound => ErrorCode::NotFound,
            C::Server => ErrorCode::Server,
            C::Unreachable => ErrorCode::Unreachable,
            C::WrongPop => ErrorCode::WrongPop,
            C::InsecureDevice => ErrorCode::InsecureDevice,
            C::Protocol => ErrorCode::Protocol,
            C::WifiAuthFailed => ErrorCode::WifiAuthFailed,
            C::WifiNotFound => ErrorCode::WifiNotFound,
            C::DeviceOffline => ErrorCode::DeviceOffline,
            C::Link => ErrorCode::Link,
            C::Storage => ErrorCode::Storage,
            C::Cancelled => ErrorCode::Cancelled,
            _ => ErrorCode::Internal,
        };
        Self::new(code, e.message)
    }
}
