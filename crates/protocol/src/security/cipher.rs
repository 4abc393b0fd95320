//! The established session's cipher, shared by both roles.

use aes::Aes256;
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use ctr::Ctr128BE;
use ctr::cipher::StreamCipher;

use crate::endpoints::MAX_BODY;

/// AES-256-CTR as security 1 uses it (big-endian 128-bit counter).
pub(crate) type Sec1Ctr = Ctr128BE<Aes256>;

/// Length of the AES-GCM tag appended to every security 2 message.
pub const GCM_TAG_LEN: usize = 16;

/// Why a session could not encrypt or decrypt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// No session is established yet.
    NotEstablished,
    /// Input or output would exceed [`MAX_BODY`].
    TooLarge,
    /// The ciphertext failed authentication (security 2) or is too short to hold a tag.
    Authentication,
    /// The security 2 nonce counter wrapped; a new session is needed.
    NonceExhausted,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotEstablished => "no secure session established",
            Self::TooLarge => "message larger than the 4096-byte body limit",
            Self::Authentication => "message failed authentication (wrong session or tampered)",
            Self::NonceExhausted => "session nonce counter exhausted; start a new session",
        })
    }
}

impl core::error::Error for CryptoError {}

enum Inner {
    Plain,
    /// One keystream for both directions: requests and responses are strictly sequential, so
    /// both peers consume it in the same order.
    Ctr(Box<Sec1Ctr>),
    Gcm {
        aead: Box<Aes256Gcm>,
        nonce: [u8; 12],
        counter: bool,
    },
}

/// An established session: encrypts and decrypts endpoint bodies.
///
/// Both roles use the same type; the device decrypts a request then encrypts its response, the
/// client encrypts then decrypts, so the shared security 1 keystream and the single security 2
/// nonce counter stay in step.
pub struct Session {
    inner: Inner,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.inner {
            Inner::Plain => "sec0",
            Inner::Ctr(_) => "sec1",
            Inner::Gcm { .. } => "sec2",
        };
        f.debug_struct("Session")
            .field("security", &kind)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn plain() -> Self {
        Self {
            inner: Inner::Plain,
        }
    }

    pub(crate) fn ctr(ctr: Sec1Ctr) -> Self {
        Self {
            inner: Inner::Ctr(Box::new(ctr)),
        }
    }

    /// `counter` enables the `sec_patch_ver` >= 1 nonce counter in bytes 8..12.
    pub(crate) fn gcm(key: &[u8; 32], nonce: [u8; 12], counter: bool) -> Self {
        Self {
            inner: Inner::Gcm {
                aead: Box::new(Aes256Gcm::new(key.into())),
                nonce,
                counter,
            },
        }
    }

    /// Security level of this session (0, 1 or 2).
    pub fn sec_ver(&self) -> u32 {
        match self.inner {
            Inner::Plain => 0,
            Inner::Ctr(_) => 1,
            Inner::Gcm { .. } => 2,
        }
    }

    /// Encrypts one body. On error nothing changed.
    pub fn encrypt(&mut self, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &mut self.inner {
            Inner::Plain => {
                check_len(plain.len())?;
                Ok(plain.to_vec())
            }
            Inner::Ctr(ctr) => {
                check_len(plain.len())?;
                let mut buf = plain.to_vec();
                ctr.apply_keystream(&mut buf);
                Ok(buf)
            }
            Inner::Gcm {
                aead,
                nonce,
                counter,
            } => {
                check_len(plain.len() + GCM_TAG_LEN)?;
                check_counter(nonce, *counter)?;
                let out = aead
                    .encrypt((&*nonce).into(), plain)
                    .map_err(|_| CryptoError::Authentication)?;
                advance(nonce, *counter);
                Ok(out)
            }
        }
    }

    /// Decrypts one body. On error nothing changed (for security 2 the nonce counter only
    /// advances on success, as ESP-IDF does).
    pub fn decrypt(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        check_len(data.len())?;
        match &mut self.inner {
            Inner::Plain => Ok(data.to_vec()),
            Inner::Ctr(ctr) => {
                let mut buf = data.to_vec();
                ctr.apply_keystream(&mut buf);
                Ok(buf)
            }
            Inner::Gcm {
                aead,
                nonce,
                counter,
            } => {
                if data.len() < GCM_TAG_LEN {
                    return Err(CryptoError::Authentication);
                }
                check_counter(nonce, *counter)?;
                let out = aead
                    .decrypt((&*nonce).into(), data)
                    .map_err(|_| CryptoError::Authentication)?;
                advance(nonce, *counter);
                Ok(out)
            }
        }
    }
}

fn check_len(len: usize) -> Result<(), CryptoError> {
    if len > MAX_BODY {
        Err(CryptoError::TooLarge)
    } else {
        Ok(())
    }
}

fn counter_of(nonce: &[u8; 12]) -> u32 {
    u32::from_be_bytes([nonce[8], nonce[9], nonce[10], nonce[11]])
}

/// ESP-IDF refuses to use a counter of 0 (it starts at 1), which is also how a wrap shows.
fn check_counter(nonce: &[u8; 12], counter: bool) -> Result<(), CryptoError> {
    if counter && counter_of(nonce) == 0 {
        Err(CryptoError::NonceExhausted)
    } else {
        Ok(())
    }
}

fn advance(nonce: &mut [u8; 12], counter: bool) {
    if counter {
        let next = counter_of(nonce).wrapping_add(1);
        nonce[8..12].copy_from_slice(&next.to_be_bytes());
    }
}
