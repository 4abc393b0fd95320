//! The certificate service's logic, independent of HTTP and of the back ends: validate, bind,
//! issue, retire older certificates, answer with everything the device needs.

use std::sync::Arc;

use time::format_description::well_known::Rfc3339;

use crate::backend::{
    BrokerInfo, CertificateAuthority, DeviceStore, IssuedCertificate, LeaseToken, PrivateKeyPem,
};
use crate::csr::ValidatedCsr;
use crate::dto::{CertResponse, DeviceStatus};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::serial::Serial;

/// The MQTT topic prefix: a device may use only `devices/<serial>/#`.
pub const TOPIC_PREFIX: &str = "devices";

/// How long one provisioning may hold a device's lease before another request may take over.
pub const LEASE_SECS: u64 = 60;

/// How the device's key is made.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// The device made the key and sent a CSR (the default; the key never leaves the device).
    Csr(String),
    /// The cloud makes the key (the lab's `GET /cert` shape).
    Cloud,
}

/// The core: owns the two back ends.
#[derive(Clone)]
pub struct CertService {
    store: Arc<dyn DeviceStore>,
    ca: Arc<dyn CertificateAuthority>,
}

impl CertService {
    /// Builds the service over a registry and a CA.
    pub fn new(store: Arc<dyn DeviceStore>, ca: Arc<dyn CertificateAuthority>) -> Self {
        Self { store, ca }
    }

    /// Provisions `sn` for `caller`. Everything the caller can get wrong (serial syntax, CSR)
    /// is checked before the first write.
    pub async fn provision(
        &self,
        caller: &Caller,
        sn: &str,
        key: KeySource,
    ) -> Result<CertResponse, ApiError> {
        let sn = Serial::parse(sn)?;
        let csr = match &key {
            KeySource::Csr(pem) => Some(ValidatedCsr::parse(pem, &sn)?),
            KeySource::Cloud => None,
        };
        let lease = LeaseToken(random_token());
        self.store
            .begin_provisioning(&sn, &caller.user_id, &lease, LEASE_SECS)
            .await?;
        match self.issue_and_retire(&sn, &lease, csr.as_ref()).await {
            Ok((issued, private_key, broker)) => Ok(response(&sn, issued, private_key, broker)),
            Err(e) => {
                if let Err(abort) = self.store.abort_provisioning(&sn, &lease).await {
                    tracing::warn!(%sn, error = %abort, "could not clear the provisioning lease");
                }
                Err(e)
            }
        }
    }

    async fn issue_and_retire(
        &self,
        sn: &Serial,
        lease: &LeaseToken,
        csr: Option<&ValidatedCsr>,
    ) -> Result<(IssuedCertificate, Option<PrivateKeyPem>, BrokerInfo), ApiError> {
        let (issued, private_key) = match csr {
            Some(csr) => (self.ca.issue_from_csr(sn, csr).await?, None),
            None => {
                let (issued, key) = self.ca.issue_with_new_key(sn).await?;
                (issued, Some(key))
            }
        };
        // Retire the older certificates while the lease is still held: once it is released,
        // another request may issue, and its retirement must not race with ours.
        let retired = match self.ca.retire_others(sn, &issued.id).await {
            Ok(r) => r,
            Err(e) => {
                self.discard(sn, &issued).await;
                return Err(e.into());
            }
        };
        if !retired.is_empty() {
            tracing::info!(%sn, retired = retired.len(), "older certificates revoked and deleted");
        }
        if let Err(e) = self.store.finish_provisioning(sn, lease, &issued.id).await {
            self.discard(sn, &issued).await;
            return Err(e.into());
        }
        let broker = self.ca.broker().await?;
        Ok((issued, private_key, broker))
    }

    async fn discard(&self, sn: &Serial, issued: &IssuedCertificate) {
        if let Err(d) = self.ca.discard(sn, &issued.id).await {
            tracing::warn!(%sn, error = %d, "could not discard a certificate that was not recorded");
        }
    }

    /// The device's status, for its owner.
    pub async fn device_status(&self, caller: &Caller, sn: &str) -> Result<DeviceStatus, ApiError> {
        let sn = Serial::parse(sn)?;
        let record = self.store.device(&sn).await?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::UnknownSerial,
                "this serial number is not registered",
            )
        })?;
        if let Some(owner) = &record.owner
            && *owner != caller.user_id
        {
            return Err(crate::backend::StoreError::OwnedByAnotherUser.into());
        }
        let status = match (&record.certificate_id, record.last_seen) {
            (None, _) => "registered",
            (Some(_), Some(_)) => "online",
            (Some(_), None) => "provisioned",
        };
        Ok(DeviceStatus {
            sn: sn.to_string(),
            owner: record.owner.map(|o| o.0),
            certificate_id: record.certificate_id.map(|c| c.0),
            status: status.to_owned(),
            last_seen: record.last_seen.and_then(|t| t.format(&Rfc3339).ok()),
        })
    }
}

fn response(
    sn: &Serial,
    issued: IssuedCertificate,
    private_key: Option<PrivateKeyPem>,
    broker: BrokerInfo,
) -> CertResponse {
    CertResponse {
        certificate_pem: issued.certificate_pem,
        private_key: private_key.map(|k| k.0),
        certificate_id: issued.id.0,
        thing_name: sn.to_string(),
        ca_pem: broker.ca_pem,
        mqtt_host: broker.host,
        mqtt_port: broker.port,
        topic_prefix: TOPIC_PREFIX.to_owned(),
        expires_at: issued.expires_at.format(&Rfc3339).unwrap_or_default(),
    }
}

/// 128 random bits as hex, from the OS (lease tokens; not secrets).
fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    // Two independently keyed SipHashes of the clock: unique per request, no extra crate.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut out = String::with_capacity(32);
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(now);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}
