//! The factory partition: what the production line writes into each device's flash (serial,
//! model, and the session security: the sec2 salt + verifier, or the sec1 proof of
//! possession), so no device identity or secret is compiled into the firmware.
//!
//! Layout (all lengths in bytes, integers little-endian):
//! `"IOTPFAC1" | version u8 = 1 | level u8 (0..=2) | serial len u8 | serial | model len u8 |
//! model | secret part | SHA-256 of everything before it`, where the secret part is empty for
//! security 0, `pop len u8 | pop` for security 1 and `salt len u8 | salt | verifier len u16 |
//! verifier` for security 2. Bytes after the digest (erased flash) are ignored.

use alloc::string::String;
use alloc::vec::Vec;

use protocol::security::device::DeviceSecurity;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::device::DeviceConfig;

/// First bytes of a factory partition.
pub const MAGIC: &[u8; 8] = b"IOTPFAC1";
const VERSION: u8 = 1;

/// The session security the factory set up.
#[derive(Clone, PartialEq, Eq)]
pub enum FactorySecurity {
    /// No session security (development only).
    Sec0,
    /// Security 1: the proof of possession itself.
    Sec1 {
        /// Proof of possession (the label code).
        pop: Zeroizing<Vec<u8>>,
    },
    /// Security 2: SRP6a salt and verifier; the device never knows the PoP.
    Sec2 {
        /// SRP salt.
        salt: Vec<u8>,
        /// SRP verifier `g^x mod N`.
        verifier: Vec<u8>,
    },
}

impl core::fmt::Debug for FactorySecurity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Sec0 => "Sec0",
            Self::Sec1 { .. } => "Sec1 { pop: <redacted> }",
            Self::Sec2 { .. } => "Sec2 { salt, verifier }",
        })
    }
}

/// One device's factory data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactoryData {
    /// Serial number (thing name, MQTT client id).
    pub serial: String,
    /// Model name reported in device info.
    pub model: String,
    /// Session security.
    pub security: FactorySecurity,
}

/// Why a factory partition was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactoryError {
    /// No factory data (erased or foreign partition).
    NoMagic,
    /// A format version this firmware does not know.
    Version(u8),
    /// Truncated, an unknown security level, or text that is not UTF-8.
    Malformed,
    /// The digest does not match: the partition is corrupt.
    Digest,
    /// The sec2 verifier or salt is unusable.
    BadSecurity,
    /// A field is too long for its length prefix.
    TooLong,
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], FactoryError> {
    if bytes.len() < n {
        return Err(FactoryError::Malformed);
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

fn take_short<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8], FactoryError> {
    let n = usize::from(take(bytes, 1)?[0]);
    take(bytes, n)
}

fn take_text(bytes: &mut &[u8]) -> Result<String, FactoryError> {
    core::str::from_utf8(take_short(bytes)?)
        .map(String::from)
        .map_err(|_| FactoryError::Malformed)
}

fn push_short(out: &mut Vec<u8>, field: &[u8]) -> Result<(), FactoryError> {
    out.push(u8::try_from(field.len()).map_err(|_| FactoryError::TooLong)?);
    out.extend_from_slice(field);
    Ok(())
}

impl FactoryData {
    /// The partition image (what the production line writes).
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>, FactoryError> {
        let mut out = Zeroizing::new(Vec::with_capacity(512));
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(match self.security {
            FactorySecurity::Sec0 => 0,
            FactorySecurity::Sec1 { .. } => 1,
            FactorySecurity::Sec2 { .. } => 2,
        });
        push_short(&mut out, self.serial.as_bytes())?;
        push_short(&mut out, self.model.as_bytes())?;
        match &self.security {
            FactorySecurity::Sec0 => {}
            FactorySecurity::Sec1 { pop } => push_short(&mut out, pop)?,
            FactorySecurity::Sec2 { salt, verifier } => {
                push_short(&mut out, salt)?;
                let n = u16::try_from(verifier.len()).map_err(|_| FactoryError::TooLong)?;
                out.extend_from_slice(&n.to_le_bytes());
                out.extend_from_slice(verifier);
            }
        }
        let digest = Sha256::digest(&out[..]);
        out.extend_from_slice(&digest);
        Ok(out)
    }

    /// Reads a factory partition (trailing erased bytes allowed).
    pub fn parse(partition: &[u8]) -> Result<Self, FactoryError> {
        let mut rest = partition;
        if take(&mut rest, MAGIC.len()).map_err(|_| FactoryError::NoMagic)? != MAGIC {
            return Err(FactoryError::NoMagic);
        }
        let version = take(&mut rest, 1)?[0];
        if version != VERSION {
            return Err(FactoryError::Version(version));
        }
        let level = take(&mut rest, 1)?[0];
        let serial = take_text(&mut rest)?;
        let model = take_text(&mut rest)?;
        let security = match level {
            0 => FactorySecurity::Sec0,
            1 => FactorySecurity::Sec1 {
                pop: Zeroizing::new(take_short(&mut rest)?.to_vec()),
            },
            2 => {
                let salt = take_short(&mut rest)?.to_vec();
                let n = take(&mut rest, 2)?;
                let n = usize::from(u16::from_le_bytes([n[0], n[1]]));
                let verifier = take(&mut rest, n)?.to_vec();
                FactorySecurity::Sec2 { salt, verifier }
            }
            _ => return Err(FactoryError::Malformed),
        };
        let body_len = partition.len() - rest.len();
        let digest = take(&mut rest, 32)?;
        if Sha256::digest(&partition[..body_len])[..] != *digest {
            return Err(FactoryError::Digest);
        }
        if serial.is_empty() {
            return Err(FactoryError::Malformed);
        }
        Ok(Self {
            serial,
            model,
            security,
        })
    }

    /// The device configuration for this identity, with the default timings.
    pub fn into_config(self) -> Result<DeviceConfig, FactoryError> {
        let security = match &self.security {
            FactorySecurity::Sec0 => DeviceSecurity::Sec0,
            FactorySecurity::Sec1 { pop } => DeviceSecurity::sec1(pop),
            FactorySecurity::Sec2 { salt, verifier } => {
                DeviceSecurity::sec2(salt, verifier).map_err(|_| FactoryError::BadSecurity)?
            }
        };
        let mut config = DeviceConfig::new(&self.serial, security);
        config.model = self.model;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sec2() -> FactoryData {
        FactoryData {
            serial: String::from("SN-0001"),
            model: String::from("iotp-qemu"),
            security: FactorySecurity::Sec2 {
                salt: vec![7; 16],
                verifier: vec![3; 384],
            },
        }
    }

    #[test]
    fn every_level_round_trips_with_erased_flash_after_it() {
        let sec1 = FactoryData {
            security: FactorySecurity::Sec1 {
                pop: Zeroizing::new(b"abcd1234".to_vec()),
            },
            ..sec2()
        };
        let sec0 = FactoryData {
            security: FactorySecurity::Sec0,
            ..sec2()
        };
        for data in [sec0, sec1, sec2()] {
            let mut image = data.encode().unwrap().to_vec();
            image.resize(4096, 0xFF);
            assert_eq!(FactoryData::parse(&image).unwrap(), data);
        }
    }

    #[test]
    fn a_corrupt_truncated_or_blank_partition_is_refused() {
        let image = sec2().encode().unwrap();
        for i in 8..image.len() {
            let mut bad = image.to_vec();
            bad[i] ^= 1;
            assert!(FactoryData::parse(&bad).is_err(), "flipped byte {i}");
        }
        for n in 0..image.len() {
            assert!(FactoryData::parse(&image[..n]).is_err(), "cut at {n}");
        }
        assert_eq!(
            FactoryData::parse(&[0xFF; 4096]),
            Err(FactoryError::NoMagic)
        );
    }

    #[test]
    fn the_pop_never_shows_in_debug_output() {
        let data = FactoryData {
            security: FactorySecurity::Sec1 {
                pop: Zeroizing::new(b"s3cret-pop".to_vec()),
            },
            ..sec2()
        };
        assert!(!alloc::format!("{data:?}").contains("s3cret"));
    }
}
