//! What pages 1 and 3 show about a certificate that only the PEM tells: its SHA-256
//! fingerprint (over the DER, as `openssl x509 -fingerprint -sha256` prints it) and its expiry.

use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use x509_parser::pem::parse_x509_pem;

/// Fingerprint and expiry of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    /// Upper-case hex bytes joined by colons.
    pub fingerprint_sha256: String,
    /// `notAfter`, RFC 3339 (UTC).
    pub expires_at: String,
}

/// Reads the first certificate of a PEM; `None` when it is not a parseable certificate (the
/// page then says "not reported" rather than showing something wrong).
pub fn facts(pem: &str) -> Option<CertFacts> {
    let (_, pem) = parse_x509_pem(pem.as_bytes()).ok()?;
    if pem.label != "CERTIFICATE" {
        return None;
    }
    let cert = pem.parse_x509().ok()?;
    let fingerprint_sha256 = Sha256::digest(&pem.contents)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let expires_at = cert
        .validity()
        .not_after
        .to_datetime()
        .format(&Rfc3339)
        .ok()?;
    Some(CertFacts {
        fingerprint_sha256,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made with `openssl req` + `openssl x509 -req -days 3650`; the expected values are what
    /// `openssl x509 -noout -fingerprint -sha256 -enddate` printed for it.
    const KAT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBDjCBtAIBBzAKBggqhkjOPQQDAjATMREwDwYDVQQDDAhLQVQtMDAwMTAeFw0y
NjExMzAwMzI5NDFaFw0zNjExMjcwMzI5NDFaMBMxETAPBgNVBAMMCEtBVC0wMDAx
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEixzeCv2FMYSXnAxlteyivK4ybao7
C2KAHFfRau8Ndmiyr0bUZyjuinQ9fSnrVwuVtlNWSNSWWhjflYCfUm6G5jAKBggq
hkjOPQQDAgNJADBGAiEA+pBzAQhYJv78O8u8hKsrk7Xg5QpSxrJeGxAUOmzFcFMC
IQC3+47qOS/fwQpq3mRlB6SUPMcTSyiYS2A3Gm/3KDr3/A==
-----END CERTIFICATE-----
";

    #[test]
    fn fingerprint_and_expiry_match_openssl() {
        let f = facts(KAT_PEM).unwrap();
        assert_eq!(
            f.fingerprint_sha256,
            "E7:42:CB:25:FD:81:36:BD:34:28:40:9C:EA:DB:2F:AD:C6:28:D9:D7:79:B9:9F:7C:9E:88:C1:43:30:9C:48:31"
        );
        // notAfter=Nov 27 03:29:41 2036 GMT
        assert_eq!(f.expires_at, "2036-11-27T03:29:41Z");
    }

    #[test]
    fn anything_else_gives_no_facts() {
        for bad in [
            "",
            "not a pem",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            assert_eq!(facts(bad), None, "{bad:?}");
        }
    }
}
