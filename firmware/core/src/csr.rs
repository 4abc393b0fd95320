//! Device key generation and the PKCS#10 request the cloud signs (subject CN = serial).
//!
//! The request is assembled by hand from x509-cert's types (its builder needs `std`).

use alloc::format;
use alloc::string::String;
use core::str::FromStr;

use p256::ecdsa::{DerSignature, SigningKey, signature::Signer};
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use x509_cert::der::asn1::BitString;
use x509_cert::der::{Encode, EncodePem};
use x509_cert::name::Name;
use x509_cert::request::{CertReq, CertReqInfo, Version};
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use zeroize::Zeroizing;

use crate::hal::Entropy;
use crate::rng::EntropyRng;

/// `ecdsa-with-SHA256` (RFC 5758).
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// Why a CSR could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsrError {
    /// The serial does not form a valid subject name.
    Subject,
    /// Encoding or signing failed.
    Build,
}

/// Generates a fresh P-256 key; returns its secret scalar.
pub fn generate_key<E: Entropy + ?Sized>(entropy: &mut E) -> Zeroizing<[u8; 32]> {
    let key = SigningKey::random(&mut EntropyRng(entropy));
    Zeroizing::new(key.to_bytes().into())
}

fn signing_key(secret: &[u8; 32]) -> Result<SigningKey, CsrError> {
    SigningKey::from_bytes(secret.into()).map_err(|_| CsrError::Build)
}

/// The SubjectPublicKeyInfo of the key with this secret scalar (DER).
pub fn public_key_der(secret: &[u8; 32]) -> Result<alloc::vec::Vec<u8>, CsrError> {
    let key = signing_key(secret)?;
    let spki =
        SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).map_err(|_| CsrError::Build)?;
    spki.to_der().map_err(|_| CsrError::Build)
}

/// A PEM CSR with subject `CN=<serial>`, signed by the key with this secret scalar.
pub fn build_csr(serial: &str, secret: &[u8; 32]) -> Result<String, CsrError> {
    if serial.is_empty()
        || !serial
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(CsrError::Subject);
    }
    let subject = Name::from_str(&format!("CN={serial}")).map_err(|_| CsrError::Subject)?;
    let key = signing_key(secret)?;
    let public_key =
        SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).map_err(|_| CsrError::Build)?;
    let info = CertReqInfo {
        version: Version::V1,
        subject,
        public_key,
        attributes: Default::default(),
    };
    let tbs = info.to_der().map_err(|_| CsrError::Build)?;
    let sig: DerSignature = key.try_sign(&tbs).map_err(|_| CsrError::Build)?;
    let req = CertReq {
        info,
        algorithm: AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        },
        signature: BitString::from_bytes(sig.as_bytes()).map_err(|_| CsrError::Build)?,
    };
    req.to_pem(LineEnding::LF).map_err(|_| CsrError::Build)
}

/// PKCS#8 PEM of the key, for the TLS stack on this device only.
pub fn key_pkcs8_pem(secret: &[u8; 32]) -> Result<Zeroizing<String>, CsrError> {
    let key = signing_key(secret)?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| CsrError::Build)?;
    Ok(Zeroizing::new(String::from(pem.as_str())))
}
