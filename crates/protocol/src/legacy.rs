//! The seed lab's legacy device protocol (unauthenticated; explicit legacy mode only).
//!
//! Over one TLS connection, with no acknowledgement, the phone wrote: the private key PEM as a
//! Java `DataOutputStream.writeUTF` string (2-byte big-endian length + modified UTF-8), the
//! certificate PEM the same way, the SSID bytes + NUL, the passphrase bytes + NUL, then closed.
//! [`encode`] produces that byte stream; [`Decoder`] parses it incrementally from arbitrary
//! fragments, as a device reading a socket would.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use zeroize::{Zeroize, Zeroizing};

/// Largest string `writeUTF` can encode (its length prefix is a `u16`).
pub const MAX_UTF: usize = u16::MAX as usize;
/// Longest SSID (IEEE 802.11).
pub const MAX_SSID: usize = 32;
/// Longest WPA passphrase (64 hex digits).
pub const MAX_PASSPHRASE: usize = 64;

/// Everything the legacy stream carries.
#[derive(Clone, PartialEq, Eq)]
pub struct LegacyCredentials {
    /// Private key PEM.
    pub private_key_pem: Zeroizing<String>,
    /// Certificate PEM.
    pub certificate_pem: String,
    /// Network name (raw bytes, no NUL).
    pub ssid: Vec<u8>,
    /// Passphrase (raw bytes, no NUL).
    pub passphrase: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for LegacyCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegacyCredentials")
            .field("ssid", &String::from_utf8_lossy(&self.ssid))
            .finish_non_exhaustive()
    }
}

/// Why the legacy stream could not be produced or parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegacyError {
    /// A PEM string encodes to more than 65535 bytes of modified UTF-8.
    StringTooLong,
    /// The SSID is empty, longer than 32 bytes, or contains a NUL.
    InvalidSsid,
    /// The passphrase is longer than 64 bytes or contains a NUL.
    InvalidPassphrase,
    /// The bytes are not valid modified UTF-8.
    InvalidUtf,
    /// Bytes arrived after the final NUL.
    TrailingData,
    /// The stream ended before all four fields were complete.
    Truncated,
}

impl fmt::Display for LegacyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::StringTooLong => "string longer than 65535 bytes in modified UTF-8",
            Self::InvalidSsid => "SSID must be 1..=32 bytes without NUL",
            Self::InvalidPassphrase => "passphrase must be at most 64 bytes without NUL",
            Self::InvalidUtf => "invalid modified UTF-8",
            Self::TrailingData => "data after the end of the legacy stream",
            Self::Truncated => "legacy stream ended early",
        })
    }
}

impl core::error::Error for LegacyError {}

/// Java's modified UTF-8: NUL as `C0 80`, supplementary characters as two 3-byte surrogates.
pub fn encode_utf(s: &str, out: &mut Vec<u8>) -> Result<(), LegacyError> {
    let mut body = Vec::with_capacity(s.len());
    for unit in s.encode_utf16() {
        match unit {
            0x0001..=0x007F => body.push(unit as u8),
            0x0000 | 0x0080..=0x07FF => {
                body.push(0xC0 | (unit >> 6) as u8);
                body.push(0x80 | (unit & 0x3F) as u8);
            }
            _ => {
                body.push(0xE0 | (unit >> 12) as u8);
                body.push(0x80 | ((unit >> 6) & 0x3F) as u8);
                body.push(0x80 | (unit & 0x3F) as u8);
            }
        }
    }
    let len = u16::try_from(body.len()).map_err(|_| LegacyError::StringTooLong)?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&body);
    body.zeroize();
    Ok(())
}

/// Decodes a modified UTF-8 body (without its length prefix).
pub fn decode_utf(bytes: &[u8]) -> Result<String, LegacyError> {
    let mut units: Vec<u16> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b0 = bytes[i];
        let cont = |k: usize| -> Result<u16, LegacyError> {
            match bytes.get(i + k) {
                Some(&b) if b & 0xC0 == 0x80 => Ok(u16::from(b & 0x3F)),
                _ => Err(LegacyError::InvalidUtf),
            }
        };
        if b0 & 0x80 == 0 {
            // Modified UTF-8 never contains a raw NUL.
            if b0 == 0 {
                return Err(LegacyError::InvalidUtf);
            }
            units.push(u16::from(b0));
            i += 1;
        } else if b0 & 0xE0 == 0xC0 {
            let u = (u16::from(b0 & 0x1F) << 6) | cont(1)?;
            // Overlong forms are invalid, except C0 80 which is how NUL is written.
            if u < 0x80 && u != 0 {
                return Err(LegacyError::InvalidUtf);
            }
            units.push(u);
            i += 2;
        } else if b0 & 0xF0 == 0xE0 {
            let u = (u16::from(b0 & 0x0F) << 12) | (cont(1)? << 6) | cont(2)?;
            if u < 0x800 {
                return Err(LegacyError::InvalidUtf);
            }
            units.push(u);
            i += 3;
        } else {
            return Err(LegacyError::InvalidUtf);
        }
    }
    let s: Result<String, _> = char::decode_utf16(units.iter().copied()).collect();
    units.zeroize();
    s.map_err(|_| LegacyError::InvalidUtf)
}

/// Builds the whole legacy stream.
pub fn encode(creds: &LegacyCredentials) -> Result<Zeroizing<Vec<u8>>, LegacyError> {
    check_ssid(&creds.ssid)?;
    check_passphrase(&creds.passphrase)?;
    let mut out = Zeroizing::new(Vec::new());
    encode_utf(&creds.private_key_pem, &mut out)?;
    encode_utf(&creds.certificate_pem, &mut out)?;
    out.extend_from_slice(&creds.ssid);
    out.push(0);
    out.extend_from_slice(&creds.passphrase);
    out.push(0);
    Ok(out)
}

fn check_ssid(ssid: &[u8]) -> Result<(), LegacyError> {
    if ssid.is_empty() || ssid.len() > MAX_SSID || ssid.contains(&0) {
        Err(LegacyError::InvalidSsid)
    } else {
        Ok(())
    }
}

fn check_passphrase(p: &[u8]) -> Result<(), LegacyError> {
    if p.len() > MAX_PASSPHRASE || p.contains(&0) {
        Err(LegacyError::InvalidPassphrase)
    } else {
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Key,
    Cert,
    Ssid,
    Passphrase,
    Done,
}

/// Incremental parser of the legacy stream. Feed it whatever the socket returns; after the
/// peer closed, call [`Decoder::finish`]. Errors are sticky: after one, every call fails.
pub struct Decoder {
    field: Field,
    /// Bytes of the current field collected so far (length prefix included for PEMs).
    buf: Zeroizing<Vec<u8>>,
    key: Option<Zeroizing<String>>,
    cert: Option<String>,
    ssid: Option<Vec<u8>>,
    passphrase: Option<Zeroizing<Vec<u8>>>,
    error: Option<LegacyError>,
}

impl fmt::Debug for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("field", &self.field)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self {
            field: Field::Key,
            buf: Zeroizing::new(Vec::new()),
            key: None,
            cert: None,
            ssid: None,
            passphrase: None,
            error: None,
        }
    }

    /// Whether all four fields have been read.
    pub fn is_complete(&self) -> bool {
        self.field == Field::Done
    }

    /// Consumes the next fragment of the stream.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), LegacyError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        while !data.is_empty() {
            match self.step(&mut data) {
                Ok(()) => {}
                Err(e) => {
                    self.error = Some(e);
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn step(&mut self, data: &mut &[u8]) -> Result<(), LegacyError> {
        match self.field {
            Field::Key | Field::Cert => {
                // Length prefix first, then the body.
                let need = if self.buf.len() < 2 {
                    2 - self.buf.len()
                } else {
                    2 + usize::from(u16::from_be_bytes([self.buf[0], self.buf[1]])) - self.buf.len()
                };
                let take = need.min(data.len());
                self.buf.extend_from_slice(&data[..take]);
                *data = &data[take..];
                if self.buf.len() >= 2 {
                    let len = usize::from(u16::from_be_bytes([self.buf[0], self.buf[1]]));
                    if self.buf.len() == 2 + len {
                        let s = decode_utf(&self.buf[2..])?;
                        self.buf.clear();
                        if self.field == Field::Key {
                            self.key = Some(Zeroizing::new(s));
                            self.field = Field::Cert;
                        } else {
                            self.cert = Some(s);
                            self.field = Field::Ssid;
                        }
                    }
                }
                Ok(())
            }
            Field::Ssid | Field::Passphrase => {
                let limit = if self.field == Field::Ssid {
                    MAX_SSID
                } else {
                    MAX_PASSPHRASE
                };
                match data.iter().position(|&b| b == 0) {
                    Some(pos) => {
                        self.buf.extend_from_slice(&data[..pos]);
                        *data = &data[pos + 1..];
                        let value = core::mem::take(&mut *self.buf);
                        if self.field == Field::Ssid {
                            check_ssid(&value)?;
                            self.ssid = Some(value);
                            self.field = Field::Passphrase;
                        } else {
                            check_passphrase(&value)?;
                            self.passphrase = Some(Zeroizing::new(value));
                            self.field = Field::Done;
                        }
                        Ok(())
                    }
                    None => {
                        self.buf.extend_from_slice(data);
                        *data = &[];
                        if self.buf.len() > limit {
                            Err(if self.field == Field::Ssid {
                                LegacyError::InvalidSsid
                            } else {
                                LegacyError::InvalidPassphrase
                            })
                        } else {
                            Ok(())
                        }
                    }
                }
            }
            Field::Done => Err(LegacyError::TrailingData),
        }
    }

    /// Ends the stream (the peer closed) and returns the credentials.
    pub fn finish(mut self) -> Result<LegacyCredentials, LegacyError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match (
            self.key.take(),
            self.cert.take(),
            self.ssid.take(),
            self.passphrase.take(),
        ) {
            (Some(private_key_pem), Some(certificate_pem), Some(ssid), Some(passphrase)) => {
                Ok(LegacyCredentials {
                    private_key_pem,
                    certificate_pem,
                    ssid,
                    passphrase,
                })
            }
            _ => Err(LegacyError::Truncated),
        }
    }
}
