//! The local certificate authority: an ECDSA P-256 key made on first start (`ca.key`, 0600)
//! and its self-signed certificate (`ca.pem`, exported for the app and the devices).

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256, PublicKeyData, RevokedCertParams, SanType, SerialNumber,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::files;
use crate::backend::BackendError;

/// How long device certificates are valid.
pub const DEVICE_CERT_DAYS: i64 = 365;
/// How long the certificate that ends a re-keyed device's old session is valid.
pub const SESSION_TAKER_SECS: i64 = 120;
/// CN of the certificate `provisiond` itself uses on the broker; contains a '.', so no serial
/// can ever be equal to it.
pub const SERVICE_CLIENT_CN: &str = "provisiond.internal";

/// The CA key and what an issuer needs from its certificate.
pub struct LocalCa {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, PEM.
    pub ca_pem: String,
}

/// A freshly signed certificate.
pub struct Signed {
    /// PEM.
    pub pem: String,
    /// DER.
    pub der: Vec<u8>,
    /// Local certificate id: SHA-256 of the DER, hex.
    pub id: String,
    /// The X.509 serial number, hex (what the CRL lists).
    pub serial_hex: String,
    /// End of validity.
    pub not_after: OffsetDateTime,
}

fn internal(e: impl std::fmt::Display) -> BackendError {
    BackendError::Internal(e.to_string())
}

impl LocalCa {
    /// Loads `DIR/ca.key` + `DIR/ca.pem`, or creates them on first start.
    pub fn load_or_create(dir: &Path) -> Result<Self, BackendError> {
        let key_path = dir.join("ca.key");
        let cert_path = dir.join("ca.pem");
        if key_path.exists() {
            let key = KeyPair::from_pem(&std::fs::read_to_string(&key_path).map_err(internal)?)
                .map_err(internal)?;
            let ca_pem = std::fs::read_to_string(&cert_path).map_err(internal)?;
            let issuer = Issuer::from_ca_cert_pem(&ca_pem, key).map_err(internal)?;
            return Ok(Self { issuer, ca_pem });
        }
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(internal)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, "IoT Provisioner local CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::hours(1);
        params.not_after = now + Duration::days(3650);
        params.serial_number = Some(random_serial());
        params.key_identifier_method = KeyIdMethod::Sha256;
        let cert = params.self_signed(&key).map_err(internal)?;
        files::write_secret(&key_path, key.serialize_pem().as_bytes()).map_err(internal)?;
        files::write_public(&cert_path, cert.pem().as_bytes()).map_err(internal)?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            ca_pem: cert.pem(),
        })
    }

    /// Signs a device (client) certificate with CN = `cn` for `public_key`. Nothing from the
    /// CSR but its key and CN is copied, so a device cannot ask for a CA certificate.
    pub fn sign_device(
        &self,
        cn: &str,
        public_key: &impl PublicKeyData,
    ) -> Result<Signed, BackendError> {
        self.sign_client(cn, Duration::days(DEVICE_CERT_DAYS), public_key)
    }

    /// Signs the short-lived client certificate (CN = `cn`, valid [`SESSION_TAKER_SECS`]) with
    /// which the service itself connects to the broker as a device, once, so that mosquitto
    /// ends that device's running session (a client id is held by one connection). Its key
    /// lives only in memory and it is not a device certificate: it is not recorded.
    pub fn sign_session_taker(
        &self,
        cn: &str,
        public_key: &impl PublicKeyData,
    ) -> Result<Signed, BackendError> {
        self.sign_client(cn, Duration::seconds(SESSION_TAKER_SECS), public_key)
    }

    fn sign_client(
        &self,
        cn: &str,
        validity: Duration,
        public_key: &impl PublicKeyData,
    ) -> Result<Signed, BackendError> {
        let mut params = leaf_params(cn, validity);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(params, public_key)
    }

    /// Signs a server certificate for the HTTPS API and the broker.
    pub fn sign_server(
        &self,
        hosts: &[String],
        public_key: &impl PublicKeyData,
    ) -> Result<Signed, BackendError> {
        let mut params = leaf_params("provisiond", Duration::days(DEVICE_CERT_DAYS));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        for h in hosts {
            params.subject_alt_names.push(match h.parse() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName(h.clone().try_into().map_err(internal)?),
            });
        }
        self.sign(params, public_key)
    }

    fn sign(
        &self,
        params: CertificateParams,
        public_key: &impl PublicKeyData,
    ) -> Result<Signed, BackendError> {
        let not_after = params.not_after;
        let serial_hex = hex(&params
            .serial_number
            .as_ref()
            .map(|s| s.to_bytes())
            .unwrap_or_default());
        let cert = params
            .signed_by(public_key, &self.issuer)
            .map_err(internal)?;
        let der = cert.der().to_vec();
        Ok(Signed {
            pem: cert.pem(),
            id: hex(&Sha256::digest(&der)),
            der,
            serial_hex,
            not_after,
        })
    }

    /// A CRL listing `revoked` (serial hex, revocation time), valid for `validity`; the CRL
    /// publisher renews it well before that and on every revocation.
    pub fn crl_pem(
        &self,
        revoked: &[(String, OffsetDateTime)],
        number: u64,
        validity: std::time::Duration,
    ) -> Result<String, BackendError> {
        let now = OffsetDateTime::now_utc();
        let params = CertificateRevocationListParams {
            this_update: now - Duration::minutes(5),
            next_update: now + validity,
            crl_number: SerialNumber::from_slice(&number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|(serial, at)| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&unhex(serial)),
                    revocation_time: *at,
                    reason_code: Some(rcgen::RevocationReason::Superseded),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params
            .signed_by(&self.issuer)
            .map_err(internal)?
            .pem()
            .map_err(internal)
    }
}

fn leaf_params(cn: &str, validity: Duration) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::minutes(5);
    params.not_after = now + validity;
    params.serial_number = Some(random_serial());
    params.use_authority_key_identifier_extension = true;
    params
}

/// 16 random bytes with the top bit clear (a positive INTEGER, RFC 5280 §4.1.2.2).
fn random_serial() -> SerialNumber {
    let mut b = [0u8; 16];
    super::random::fill(&mut b);
    b[0] &= 0x7f;
    b[0] |= 0x01;
    SerialNumber::from_slice(&b)
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// The public key of a validated CSR, in the form rcgen signs.
pub struct CsrKey<'a> {
    /// Raw subjectPublicKey bits.
    pub raw: &'a [u8],
    /// The matching signature algorithm.
    pub alg: &'static rcgen::SignatureAlgorithm,
}

impl PublicKeyData for CsrKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.raw
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.alg
    }
}
