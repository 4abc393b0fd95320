//! Which session security a run insists on. The level comes from the user or the device's QR
//! code / label (out of band), never from the device's `proto-ver` answer, which anyone in
//! radio range can forge: a device that asks for less than expected is refused.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};

/// The lowest security a session may use: 2 unless the user chose less explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicy {
    level: u32,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self::SEC2
    }
}

/// Shown (CLI) or logged whenever a run accepts a level below 2.
pub const LOW_SECURITY_WARNING: &str = "security 1 protects the session only with the short proof-of-possession code: one recorded handshake lets someone nearby guess it offline and read the Wi-Fi passphrase. Use it only for devices whose firmware offers nothing better.";

impl SecurityPolicy {
    /// Security 2 (SRP6a + AES-GCM), the default.
    pub const SEC2: Self = Self { level: 2 };

    /// The level the user (or the QR code) chose; `None` is the default, 2. Level 0 also needs
    /// `allow_sec0`, the explicit "no encryption" consent.
    pub fn chosen(level: Option<u32>, allow_sec0: bool) -> Result<Self> {
        match level.unwrap_or(2) {
            0 if !allow_sec0 => Err(Error::new(
                ErrorCode::InsecureDevice,
                "Security 0 sends the Wi-Fi passphrase unencrypted: anyone nearby could read it. Allow it explicitly (--allow-insecure) only for a device on a bench.",
            )),
            l @ 0..=2 => Ok(Self { level: l }),
            l => Err(Error::invalid(format!(
                "Security {l} does not exist: choose 2 (default), or 1 or 0 for old devices."
            ))),
        }
    }

    /// The lowest level accepted.
    pub fn level(self) -> u32 {
        self.level
    }

    /// Whether this accepts less than security 2 (and deserves a warning).
    pub fn is_lowered(self) -> bool {
        self.level < 2
    }

    /// The level to run the handshake at, given what the device's unauthenticated `proto-ver`
    /// offers: the device's when it is at least ours (asking for more costs an attacker
    /// nothing), a refusal when it is less.
    pub fn negotiate(self, offered: u32) -> Result<u32> {
        if offered >= self.level {
            return Ok(offered);
        }
        Err(Error::new(
            ErrorCode::InsecureDevice,
            format!(
                "The device offers security {offered}, but security {} is expected (from your setting or the device's QR code), so nothing was sent to it. A device that asks for less can be an impostor recording the handshake to guess the code offline. Only if you know this device runs old firmware, choose security {offered} explicitly (`--security {offered}`).",
                self.level
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        let def = SecurityPolicy::default();
        assert_eq!(def.level(), 2);
        assert_eq!(def.negotiate(2).unwrap(), 2);
        for offered in [0, 1] {
            let e = def.negotiate(offered).unwrap_err();
            assert_eq!(e.code, ErrorCode::InsecureDevice);
            assert!(e.message.contains(&format!("offers security {offered}")));
            assert!(e.message.contains("security 2 is expected"));
        }
        let one = SecurityPolicy::chosen(Some(1), false).unwrap();
        assert!(one.is_lowered());
        assert_eq!(one.negotiate(1).unwrap(), 1);
        assert_eq!(one.negotiate(2).unwrap(), 2);
        assert_eq!(
            one.negotiate(0).unwrap_err().code,
            ErrorCode::InsecureDevice
        );
        assert_eq!(
            SecurityPolicy::chosen(Some(0), false).unwrap_err().code,
            ErrorCode::InsecureDevice
        );
        assert_eq!(
            SecurityPolicy::chosen(Some(0), true)
                .unwrap()
                .negotiate(0)
                .unwrap(),
            0
        );
        assert_eq!(
            SecurityPolicy::chosen(Some(3), true).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }
}
