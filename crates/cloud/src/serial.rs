//! Serial numbers: the one identifier shared by the registry, the IoT thing, the MQTT client id
//! and the topic prefix, so it is validated once, here, before anything touches a back end.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Shortest serial accepted.
pub const MIN_LEN: usize = 4;
/// Longest serial accepted (fits IoT thing names, MQTT client ids and SoftAP names).
pub const MAX_LEN: usize = 32;

/// A validated serial number: 4..=32 characters of `[A-Za-z0-9_-]`, starting with a letter or
/// digit. Constructing one is the only way to reach the registry, so a topic filter or a
/// policy can never receive `+`, `#`, `/` or an empty name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Serial(String);

/// Why a string is not a serial.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    /// Too short or too long.
    #[error("a serial number has {MIN_LEN} to {MAX_LEN} characters, this one has {0}")]
    Length(usize),
    /// Contains a character outside `[A-Za-z0-9_-]`.
    #[error("a serial number may contain only letters, digits, '_' and '-'")]
    Character,
    /// Starts with `_` or `-`.
    #[error("a serial number must start with a letter or a digit")]
    Start,
}

impl Serial {
    /// Validates `s` as a serial number.
    pub fn parse(s: &str) -> Result<Self, SerialError> {
        let len = s.chars().count();
        if !(MIN_LEN..=MAX_LEN).contains(&len) {
            return Err(SerialError::Length(len));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(SerialError::Character);
        }
        if !s.as_bytes()[0].is_ascii_alphanumeric() {
            return Err(SerialError::Start);
        }
        Ok(Self(s.to_owned()))
    }

    /// The serial as text (also the thing name and MQTT client id).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Serial {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Serial::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<(), SerialError>) {
        assert_eq!(
            Serial::parse(input).map(|_| ()),
            expected,
            "input {input:?}"
        );
    }

    #[test]
    fn serial_syntax() {
        check("AB12", Ok(()));
        check("sn-0001_a", Ok(()));
        check(&"a".repeat(32), Ok(()));
        check("abc", Err(SerialError::Length(3)));
        check(&"a".repeat(33), Err(SerialError::Length(33)));
        check("", Err(SerialError::Length(0)));
        check("-abc", Err(SerialError::Start));
        check("_abc", Err(SerialError::Start));
        check("ab/cd", Err(SerialError::Character));
        check("ab+cd", Err(SerialError::Character));
        check("ab#cd", Err(SerialError::Character));
        check("ab cd", Err(SerialError::Character));
        check("abcé", Err(SerialError::Character));
    }
}
