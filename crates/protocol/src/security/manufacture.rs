//! Factory-time helpers: the security 2 salt and verifier made from the label's PoP, so the
//! device never stores the PoP itself.

use alloc::vec::Vec;
use rand_core::CryptoRng;
use sha2::Sha512;

/// Salt length ESP-IDF uses.
pub const SALT_LEN: usize = 16;

/// Salt and verifier for security 2.
#[derive(Clone, PartialEq, Eq)]
pub struct Sec2Credentials {
    /// Random salt; its first byte is never zero, because esp_prov hashes the salt as an
    /// integer (dropping leading zeros) while ESP-IDF hashes the bytes.
    pub salt: Vec<u8>,
    /// `v = g^x mod N`, big-endian without leading zeros.
    pub verifier: Vec<u8>,
}

impl core::fmt::Debug for Sec2Credentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Sec2Credentials { .. }")
    }
}

/// Makes a fresh salt and the verifier for `username` / `pop`.
pub fn sec2_credentials(
    username: &[u8],
    pop: &[u8],
    rng: &mut (impl CryptoRng + ?Sized),
) -> Sec2Credentials {
    let mut salt = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    if salt[0] == 0 {
        salt[0] = 1;
    }
    Sec2Credentials {
        verifier: sec2_verifier(username, pop, &salt),
        salt: salt.to_vec(),
    }
}

/// The verifier for a given salt: `g^H(salt | H(username ":" pop)) mod N`.
pub fn sec2_verifier(username: &[u8], pop: &[u8], salt: &[u8]) -> Vec<u8> {
    srp::ClientG3072::<Sha512>::new().compute_verifier(username, pop, salt)
}
