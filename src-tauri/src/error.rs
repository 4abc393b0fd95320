//! The one error type that crosses into the web view: `{code, message}`.
//! The UI switches on `code` (never on the text) to decide what to show and which page fixes it.
//! The codes are the core's own ([`provisioner::ErrorCode`]) plus the two only the shell has.

use serde::Serialize;
use specta::Type;

pub use provisioner::ErrorCode;

/// Failures only the desktop shell has (the core knows nothing of its settings store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ShellCode {
    /// The app's settings could not be read or written.
    Settings,
    /// A failure the app did not expect. The UI gives this code to a rejection that is not an
    /// `AppError` (a framework failure), so it is part of the contract though Rust never sends it.
    #[allow(
        dead_code,
        reason = "made by the UI (errors.ts), declared here for the bindings"
    )]
    Internal,
}

/// What the UI switches on: a core code or a shell code, serialized as the bare snake_case
/// name either way (the two sets do not overlap; a test checks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(untagged)]
pub enum AppErrorCode {
    /// One of the core's codes, passed through unchanged.
    Core(ErrorCode),
    /// One of the shell's own.
    Shell(ShellCode),
}

impl From<ErrorCode> for AppErrorCode {
    fn from(c: ErrorCode) -> Self {
        Self::Core(c)
    }
}

impl From<ShellCode> for AppErrorCode {
    fn from(c: ShellCode) -> Self {
        Self::Shell(c)
    }
}

/// The error every command returns.
#[derive(Debug, Clone, Serialize, Type)]
pub struct AppError {
    /// What the UI switches on.
    pub code: AppErrorCode,
    /// A sentence for a person: what happened and what to do.
    pub message: String,
}

impl AppError {
    /// An error with its code and human message.
    pub fn new(code: impl Into<AppErrorCode>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

/// What every command returns.
pub type CmdResult<T> = Result<T, AppError>;

impl From<provisioner::Error> for AppError {
    fn from(e: provisioner::Error) -> Self {
        Self::new(e.code, e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_bare_names() {
        let core = AppError::new(ErrorCode::WifiAuthFailed, "x");
        let shell = AppError::new(ShellCode::Settings, "y");
        assert_eq!(
            serde_json::to_value(&core).unwrap(),
            serde_json::json!({"code": "wifi_auth_failed", "message": "x"})
        );
        assert_eq!(
            serde_json::to_value(&shell).unwrap(),
            serde_json::json!({"code": "settings", "message": "y"})
        );
    }

    #[test]
    fn shell_codes_do_not_shadow_core_codes() {
        for shell in [ShellCode::Settings, ShellCode::Internal] {
            let name = serde_json::to_value(shell).unwrap();
            let as_core: Result<ErrorCode, _> = serde_json::from_value(name.clone());
            assert!(as_core.is_err(), "{name} is also a core code");
        }
    }
}
