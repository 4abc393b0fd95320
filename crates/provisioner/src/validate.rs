//! Raw user input becomes a validated type here, before any network call.
//!
//! Each type can only be built through its `parse`, so a function that takes a [`Serial`]
//! never sees an unchecked string. Messages say what is wrong and never echo a passphrase.

use crate::error::{Error, Result};
use zeroize::Zeroize;

/// A device serial number: 4..=32 chars of `[A-Za-z0-9_-]`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(String);

impl Serial {
    /// Checks a serial number (surrounding whitespace is ignored).
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        let n = s.chars().count();
        if !(4..=32).contains(&n) {
            return Err(Error::invalid(format!(
                "The serial number must be 4 to 32 characters long; \"{}\" has {n}.",
                s.escape_debug()
            )));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(Error::invalid(format!(
                "The serial number may contain only letters, digits, '_' and '-'; '{}' is not allowed.",
                c.escape_debug()
            )));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                "The serial number must start with a letter or a digit.",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The serial as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The default SoftAP name: `PROV_` + the last 4 characters, upper-cased.
    pub fn default_softap(&self) -> String {
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("PROV_{}", tail.to_ascii_uppercase())
    }
}

impl std::fmt::Display for Serial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Wi-Fi network name: 1 to 32 bytes (any bytes, as 802.11 allows; we take UTF-8 text).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ssid(String);

impl Ssid {
    /// Checks an SSID. Whitespace is kept: it is part of the name.
    pub fn parse(raw: &str) -> Result<Self> {
        let n = raw.len();
        if n == 0 {
            return Err(Error::invalid(
                "Choose a Wi-Fi network: the network name is empty.",
            ));
        }
        if n > 32 {
            return Err(Error::invalid(format!(
                "A Wi-Fi network name is at most 32 bytes; this one has {n}."
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The SSID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Ssid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A WPA2 passphrase (8..=63 printable ASCII characters, or 64 hex digits), or none for an
/// open network. Its `Debug` never shows it and it is wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Passphrase(String);

impl Passphrase {
    /// Checks a passphrase. An empty string means an open network.
    pub fn parse(raw: &str) -> Result<Self> {
        if raw.is_empty() {
            return Ok(Self(String::new()));
        }
        let n = raw.chars().count();
        if n == 64 {
            if raw.chars().all(|c| c.is_ascii_hexdigit()) {
                return Ok(Self(raw.to_owned()));
            }
            return Err(Error::invalid(
                "A 64-character Wi-Fi key must be hexadecimal (0-9, a-f); a passphrase has at most 63 characters.",
            ));
        }
        if !(8..=63).contains(&n) {
            return Err(Error::invalid(format!(
                "A Wi-Fi passphrase has 8 to 63 characters; this one has {n}."
            )));
        }
        if !raw.chars().all(|c| (' '..='~').contains(&c)) {
            return Err(Error::invalid(
                "A Wi-Fi passphrase may contain only printable ASCII characters.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// True for an open network (no passphrase).
    pub fn is_open(&self) -> bool {
        self.0.is_empty()
    }

    /// The secret itself: only for handing it to the device or the OS, never for logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "Passphrase(open)"
        } else {
            "Passphrase(***)"
        })
    }
}

impl Drop for Passphrase {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The device's proof-of-possession code (printed on it). Never logged, wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Pop(String);

impl Pop {
    /// Checks a PoP: 1..=64 printable characters without surrounding whitespace.
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(Error::invalid(
                "Enter the proof-of-possession code printed on the device.",
            ));
        }
        if s.len() > 64 || s.chars().any(|c| c.is_control()) {
            return Err(Error::invalid(
                "The proof-of-possession code looks wrong: check the code printed on the device.",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The secret itself, for the handshake only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Pop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pop(***)")
    }
}

impl Drop for Pop {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// An e-mail address, checked only for shape (the service decides the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Checks that there is one '@' with text on both sides and no whitespace.
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        let ok = s.len() <= 254
            && !s.chars().any(char::is_whitespace)
            && matches!(s.split_once('@'), Some((a, b)) if !a.is_empty() && b.contains('.') && !b.contains('@'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(Error::invalid(format!(
                "\"{}\" is not an e-mail address.",
                s.escape_debug()
            )))
        }
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn check<T>(r: Result<T>, ok: bool, needle: &str) {
        match r {
            Ok(_) => assert!(ok, "expected an error containing {needle:?}"),
            Err(e) => {
                assert!(!ok, "unexpected error {e}");
                assert_eq!(e.code, ErrorCode::InvalidInput);
                assert!(
                    e.message.contains(needle),
                    "{:?} lacks {needle:?}",
                    e.message
                );
            }
        }
    }

    #[test]
    fn serials() {
        check(Serial::parse("SN-0001"), true, "");
        check(Serial::parse("  ab_c "), true, "");
        check(Serial::parse(&"a".repeat(32)), true, "");
        check(Serial::parse("abc"), false, "4 to 32");
        check(Serial::parse(&"a".repeat(33)), false, "has 33");
        check(Serial::parse("_abc"), false, "start with");
        check(Serial::parse("ab c1"), false, "' '");
        check(Serial::parse("abcé1"), false, "'é'");
        check(Serial::parse("ab/../c"), false, "'/'");
    }

    #[test]
    fn softap_name_uses_last_four_upper() {
        assert_eq!(
            Serial::parse("sn-00ab12").unwrap().default_softap(),
            "PROV_AB12"
        );
    }

    #[test]
    fn ssids() {
        check(Ssid::parse("HomeWiFi"), true, "");
        check(Ssid::parse(&"x".repeat(32)), true, "");
        check(Ssid::parse(""), false, "empty");
        check(Ssid::parse(&"x".repeat(33)), false, "33");
        // 11 three-byte characters = 33 bytes: bytes count, not characters.
        check(Ssid::parse(&"€".repeat(11)), false, "33");
    }

    #[test]
    fn passphrases() {
        check(Passphrase::parse(""), true, "");
        check(Passphrase::parse("12345678"), true, "");
        check(Passphrase::parse(&"p".repeat(63)), true, "");
        check(Passphrase::parse(&"aB01".repeat(16)), true, "");
        check(Passphrase::parse("short"), false, "has 5");
        check(Passphrase::parse(&"z".repeat(64)), false, "hexadecimal");
        check(Passphrase::parse(&"p".repeat(65)), false, "has 65");
        check(Passphrase::parse("pässwörd1"), false, "printable ASCII");
    }

    #[test]
    fn secrets_do_not_show_in_debug_or_errors() {
        let p = Passphrase::parse("correct horse").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
        let e = Passphrase::parse("secret!").unwrap_err();
        assert!(!e.message.contains("secret!"));
        assert!(!format!("{:?}", Pop::parse("abcd1234").unwrap()).contains("abcd"));
    }

    #[test]
    fn emails() {
        check(Email::parse("a@b.io"), true, "");
        check(Email::parse("a@b"), false, "not an e-mail");
        check(Email::parse("a b@c.d"), false, "not an e-mail");
    }
}
