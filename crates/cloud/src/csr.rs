//! CSR validation, done by the core before any back end is touched: the PEM parses, the
//! self-signature verifies, the subject CN is the serial, the key is P-256 or RSA-2048.

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

use crate::serial::Serial;

/// Longest CSR PEM accepted (an RSA-2048 CSR is about 1 KB).
pub const MAX_CSR_LEN: usize = 16 * 1024;

/// The key algorithm of a CSR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA over NIST P-256.
    P256,
    /// RSA with a 2048-bit modulus.
    Rsa2048,
}

/// A CSR that passed every check, ready for a CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedCsr {
    /// The CSR as PEM (what AWS `CreateCertificateFromCsr` takes).
    pub pem: String,
    /// The CSR as DER.
    pub der: Vec<u8>,
    /// Its key type.
    pub key: KeyKind,
    /// The raw subjectPublicKey bits (EC point or PKCS#1 RSA key), for a local CA.
    pub public_key: Vec<u8>,
}

/// Why a CSR is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrError {
    /// Not a PEM/DER PKCS#10 request.
    #[error("the CSR cannot be parsed: {0}")]
    Malformed(String),
    /// The request's signature does not verify with its own key.
    #[error("the CSR's signature does not verify")]
    BadSignature,
    /// The subject CN is not the serial.
    #[error("the CSR's subject CN is {found:?}, it must be the serial number {expected:?}")]
    SubjectMismatch {
        /// The serial.
        expected: String,
        /// The CN found (empty when absent).
        found: String,
    },
    /// Not P-256 or RSA-2048.
    #[error("the CSR's key is {0}; only ECDSA P-256 and RSA-2048 are accepted")]
    KeyType(String),
}

impl ValidatedCsr {
    /// Validates a PEM CSR for `serial`.
    pub fn parse(pem_text: &str, serial: &Serial) -> Result<Self, CsrError> {
        if pem_text.len() > MAX_CSR_LEN {
            return Err(CsrError::Malformed("longer than 16 KiB".into()));
        }
        let der = pem_to_der(pem_text)?;
        let (rest, csr) = X509CertificationRequest::from_der(&der)
            .map_err(|e| CsrError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CsrError::Malformed(
                "trailing bytes after the request".into(),
            ));
        }
        let info = &csr.certification_request_info;
        let key = key_kind(info)?;
        csr.verify_signature().map_err(|_| CsrError::BadSignature)?;
        let cns: Vec<_> = info.subject.iter_common_name().collect();
        let found = match cns.as_slice() {
            [one] => one.as_str().unwrap_or_default().to_owned(),
            _ => String::new(),
        };
        if found != serial.as_str() {
            return Err(CsrError::SubjectMismatch {
                expected: serial.to_string(),
                found,
            });
        }
        let public_key = info.subject_pki.subject_public_key.data.to_vec();
        Ok(Self {
            pem: pem_text.trim().to_owned() + "\n",
            der,
            key,
            public_key,
        })
    }
}

fn key_kind(
    info: &x509_parser::certification_request::X509CertificationRequestInfo<'_>,
) -> Result<KeyKind, CsrError> {
    let spki = &info.subject_pki;
    let alg = &spki.algorithm.algorithm;
    if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        return match curve {
            Some(c) if c == OID_EC_P256 => Ok(KeyKind::P256),
            Some(c) => Err(CsrError::KeyType(format!("EC on curve {c}"))),
            None => Err(CsrError::KeyType("EC without a named curve".into())),
        };
    }
    if *alg == OID_PKCS1_RSAENCRYPTION {
        return match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) if rsa.key_size() == 2048 => Ok(KeyKind::Rsa2048),
            Ok(PublicKey::RSA(rsa)) => Err(CsrError::KeyType(format!("RSA-{}", rsa.key_size()))),
            _ => Err(CsrError::Malformed("unreadable RSA key".into())),
        };
    }
    Err(CsrError::KeyType(format!("algorithm {alg}")))
}

fn pem_to_der(text: &str) -> Result<Vec<u8>, CsrError> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(text.trim().as_bytes())
        .map_err(|e| CsrError::Malformed(format!("not PEM: {e}")))?;
    if pem.label != "CERTIFICATE REQUEST" && pem.label != "NEW CERTIFICATE REQUEST" {
        return Err(CsrError::Malformed(format!(
            "PEM label is {:?}, expected CERTIFICATE REQUEST",
            pem.label
        )));
    }
    Ok(pem.contents)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use rcgen::{
        CertificateParams, DnType, KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384,
        PKCS_ED25519, PKCS_RSA_SHA256, RsaKeySize, SignatureAlgorithm,
    };

    use super::*;

    fn csr_for(cn: Option<&str>, key: &KeyPair) -> String {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(cn) = cn {
            params.distinguished_name.push(DnType::CommonName, cn);
        }
        params.serialize_request(key).unwrap().pem().unwrap()
    }

    fn key(alg: &'static SignatureAlgorithm) -> KeyPair {
        KeyPair::generate_for(alg).unwrap()
    }

    fn pem(der: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
            lines.join("\n")
        )
    }

    fn check(csr: &str, expected: Result<KeyKind, &str>) {
        let sn = Serial::parse("SN-0001").unwrap();
        let got = ValidatedCsr::parse(csr, &sn);
        match (got, expected) {
            (Ok(v), Ok(k)) => assert_eq!(v.key, k),
            (Err(e), Err(want)) => {
                let kind = match e {
                    CsrError::Malformed(_) => "malformed",
                    CsrError::BadSignature => "signature",
                    CsrError::SubjectMismatch { .. } => "subject",
                    CsrError::KeyType(_) => "key",
                };
                assert_eq!(kind, want, "error was {e}");
            }
            (got, want) => panic!("got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn csr_validation() {
        let p256 = key(&PKCS_ECDSA_P256_SHA256);
        check(&csr_for(Some("SN-0001"), &p256), Ok(KeyKind::P256));
        let rsa = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048).unwrap();
        check(&csr_for(Some("SN-0001"), &rsa), Ok(KeyKind::Rsa2048));
        let rsa3072 = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_3072).unwrap();
        check(&csr_for(Some("SN-0001"), &rsa3072), Err("key"));
        check(
            &csr_for(Some("SN-0001"), &key(&PKCS_ECDSA_P384_SHA384)),
            Err("key"),
        );
        check(&csr_for(Some("SN-0001"), &key(&PKCS_ED25519)), Err("key"));
        check(&csr_for(Some("SN-0002"), &p256), Err("subject"));
        check(&csr_for(Some("sn-0001"), &p256), Err("subject"));
        check(&csr_for(None, &p256), Err("subject"));
        check("not a csr", Err("malformed"));
        check("", Err("malformed"));
        let cert_label =
            csr_for(Some("SN-0001"), &p256).replace("CERTIFICATE REQUEST", "CERTIFICATE");
        check(&cert_label, Err("malformed"));
        check(&"A".repeat(MAX_CSR_LEN + 1), Err("malformed"));

        // Flip one bit of the signature: still parses, no longer verifies.
        let good = csr_for(Some("SN-0001"), &p256);
        let (_, parsed) = x509_parser::pem::parse_x509_pem(good.as_bytes()).unwrap();
        let mut der = parsed.contents.clone();
        let last = der.len() - 3;
        der[last] ^= 0x01;
        check(&pem(&der), Err("signature"));
        // Change the subject under the signature: the CN says SN-0001 but it is not signed.
        let other = csr_for(Some("SN-0009"), &p256);
        let (_, other) = x509_parser::pem::parse_x509_pem(other.as_bytes()).unwrap();
        let mut forged = other.contents.clone();
        let at = forged.windows(7).position(|w| w == b"SN-0009").unwrap();
        forged[at + 6] = b'1';
        check(&pem(&forged), Err("signature"));
    }
}
