//! The certificate service's logic, independent of HTTP and of the back ends: validate, bind,
//! issue, commit the new certificate, then retire the older ones, answer with everything the
//! device needs.

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
    lease_secs: u64,
}

impl CertService {
    /// Builds the service over a registry and a CA.
    pub fn new(store: Arc<dyn DeviceStore>, ca: Arc<dyn CertificateAuthority>) -> Self {
        Self {
            store,
            ca,
            lease_secs: LEASE_SECS,
        }
    }

    /// The same service with another lease length (provisiond's
    /// `PROVISIOND_LEASE_SECS`, which tests shorten to make a request outlive its lease).
    pub fn with_lease_secs(mut self, lease_secs: u64) -> Self {
        self.lease_secs = lease_secs;
        self
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
        // Asked first: once a certificate is committed, nothing may fail the answer.
        let broker = self.ca.broker().await?;
        let lease = LeaseToken(random_token());
        self.store
            .begin_provisioning(&sn, &caller.user_id, &lease, self.lease_secs)
            .await?;
        let result = self.issue_and_retire(&sn, &lease, csr.as_ref()).await;
        if let Err(e) = self.store.release_lease(&sn, &lease).await {
            tracing::warn!(%sn, error = %e, "could not clear the provisioning lease");
        }
        let (issued, private_key) = result?;
        Ok(response(&sn, issued, private_key, broker))
    }

    /// Issues, commits the new certificate as the device's (it is in force from then on: the
    /// CA made it active, and no CRL lists it), and only then retires the older ones. A lease
    /// lost before the commit discards the new certificate and leaves the old ones as they
    /// were; a failure of the retirement (the broker not reloading, the CA down) leaves the
    /// older certificates for the next provisioning to retire and never costs the new one.
    async fn issue_and_retire(
        &self,
        sn: &Serial,
        lease: &LeaseToken,
        csr: Option<&ValidatedCsr>,
    ) -> Result<(IssuedCertificate, Option<PrivateKeyPem>), ApiError> {
        let (issued, private_key) = match csr {
            Some(csr) => (self.ca.issue_from_csr(sn, csr).await?, None),
            None => {
                let (issued, key) = self.ca.issue_with_new_key(sn).await?;
                (issued, Some(key))
            }
        };
        if let Err(e) = self.store.finish_provisioning(sn, lease, &issued.id).await {
            self.discard(sn, &issued).await;
            return Err(e.into());
        }
        match self.ca.retire_others(sn, &issued.id).await {
            Ok(retired) if !retired.is_empty() => {
                tracing::info!(%sn, retired = retired.len(), "older certificates revoked and deleted");
            }
            Ok(_) => {}
            Err(e) => tracing::error!(
                %sn,
                error = %e,
                "the new certificate is in force; the older ones are retired by the next provisioning"
            ),
        }
        Ok((issued, private_key))
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
