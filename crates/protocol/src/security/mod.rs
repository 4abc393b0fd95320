//! Session security for the `prov-session` endpoint, both roles.
//!
//! - Security 0: plaintext.
//! - Security 1: X25519, shared key XOR SHA-256(PoP), AES-256-CTR with the device's 16-byte
//!   random as initial counter and one keystream for both directions.
//! - Security 2: SRP6a (RFC 5054 3072-bit group, g = 5, SHA-512), AES-256-GCM keyed with the
//!   first 32 bytes of K = SHA-512(S), nonce from the device, big-endian counter in nonce bytes
//!   8..12 when `sec_patch_ver` >= 1.
//!
//! The device side is [`device::DeviceSession`]; the client side starts with
//! [`client::start`]; both end in a [`Session`].

mod cipher;
pub mod client;
pub mod device;
pub mod manufacture;
mod sec1;
mod sec2;
mod wire;

pub use cipher::{CryptoError, GCM_TAG_LEN, Session};

/// Username ESP-IDF's tools use for security 2 unless told otherwise.
pub const DEFAULT_SEC2_USERNAME: &str = "wifiprov";
