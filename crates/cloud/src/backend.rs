//! The back-end seams of the certificate service. The core (`service`) and the router only
//! talk to these traits, so the same code runs over SQLite + a local CA (`provisiond`) and
//! over DynamoDB + AWS IoT (crate `cloud-aws`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::csr::ValidatedCsr;
use crate::identity::UserId;
use crate::serial::Serial;

/// A failure of the storage or CA itself (not of the caller's request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// Transient: the caller may retry (maps to 503 `unavailable`).
    #[error("back end unavailable: {0}")]
    Unavailable(String),
    /// Permanent or unexpected (maps to 500 `internal`). The text is logged and returned, so it
    /// must not contain secrets.
    #[error("back end failure: {0}")]
    Internal(String),
}

/// Outcome of the conditional writes of [`DeviceStore`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The serial is not registered (403 `unknown_serial`).
    #[error("unknown serial")]
    UnknownSerial,
    /// The device is bound to another user (403 `device_owned_by_another_user`).
    #[error("device owned by another user")]
    OwnedByAnotherUser,
    /// An unexpired lease of another request exists (409 `provisioning_in_progress`).
    #[error("provisioning in progress")]
    Busy,
    /// `finish_provisioning` found a different lease or an expired one (the request took
    /// longer than its lease; another request may have taken over).
    #[error("lease lost")]
    LeaseLost,
    /// The store itself failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Certificate id as the CA names it (AWS: the 64-hex certificate id; local: SHA-256 of the DER).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CertificateId(pub String);

/// A random token naming one provisioning attempt; guards the device record against two
/// concurrent requests (the DynamoDB conditional write / the SQLite transaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseToken(pub String);

/// What the registry knows about a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The serial (registry key, thing name).
    pub sn: Serial,
    /// The user the device is bound to, if any.
    pub owner: Option<UserId>,
    /// The single active certificate, if the device was provisioned.
    pub certificate_id: Option<CertificateId>,
    /// When the device last said hello over MQTT.
    pub last_seen: Option<OffsetDateTime>,
}

/// The device registry (lab: DynamoDB table `DSN`, key `sn`).
///
/// Contract: `begin_provisioning` and `finish_provisioning` are each one atomic conditional
/// write. From `begin_provisioning` until `release_lease` the caller holds a lease, so two
/// simultaneous provisionings of one serial cannot both issue and retire certificates: the
/// second gets [`StoreError::Busy`]. A lease older than `lease_secs` counts as expired (a
/// crashed request must not lock the device forever): another request may take it, and its
/// holder may no longer commit a certificate with it.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Reads a device record; `None` when the serial is not registered.
    async fn device(&self, sn: &Serial) -> Result<Option<DeviceRecord>, BackendError>;

    /// Atomically: the serial must be registered, unowned or owned by `owner`, and carry no
    /// unexpired lease; then set `owner` (binding the device to its first user) and store
    /// `lease`. Returns the record as it was before the write (with the owner set).
    async fn begin_provisioning(
        &self,
        sn: &Serial,
        owner: &UserId,
        lease: &LeaseToken,
        lease_secs: u64,
    ) -> Result<DeviceRecord, StoreError>;

    /// Atomically: if the record still holds `lease` and the lease has not expired, make
    /// `certificate` the device's active certificate (and restart `last_seen` with it);
    /// otherwise [`StoreError::LeaseLost`]. The lease stays held: the caller retires the older
    /// certificates under it, then calls `release_lease`.
    async fn finish_provisioning(
        &self,
        sn: &Serial,
        lease: &LeaseToken,
        certificate: &CertificateId,
    ) -> Result<(), StoreError>;

    /// Clears `lease` if the record still holds it (at the end of a provisioning, failed or
    /// not). Best effort: a lease left behind expires.
    async fn release_lease(&self, sn: &Serial, lease: &LeaseToken) -> Result<(), BackendError>;
}

/// The ownership and lease rule every [`DeviceStore`] applies in `begin_provisioning`: why
/// `user` may not start provisioning a registered device whose stored owner and lease expiry
/// (seconds since the epoch) are these, at `now`; `None` when it may. The SQLite store applies
/// it inside its transaction; the DynamoDB store states it as a condition expression and uses
/// this to name the condition that failed.
pub fn lease_refusal(
    owner: Option<&str>,
    lease_until: Option<u64>,
    user: &UserId,
    now: u64,
) -> Option<StoreError> {
    if owner.is_some_and(|o| o != user.0) {
        Some(StoreError::OwnedByAnotherUser)
    } else if lease_until.is_some_and(|until| until > now) {
        Some(StoreError::Busy)
    } else {
        None
    }
}

/// A certificate the CA issued and activated for a thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// The CA's id of the certificate.
    pub id: CertificateId,
    /// The device certificate, PEM.
    pub certificate_pem: String,
    /// End of validity.
    pub expires_at: OffsetDateTime,
}

/// A private key made by the cloud (seed-compatible mode only). Its `Debug` hides the key.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKeyPem(pub String);

impl std::fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKeyPem(<redacted>)")
    }
}

/// Where the device connects and what it must trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    /// MQTT host name (AWS: the `iot:Data-ATS` endpoint).
    pub host: String,
    /// MQTT port (8883).
    pub port: u16,
    /// PEM of the CA(s) the device must trust for the broker's server certificate.
    pub ca_pem: String,
}

/// Certificate authority + thing management (AWS IoT Core, or the local CA + mosquitto).
///
/// Every `issue_*` method leaves the thing existing, the new certificate ACTIVE, attached to
/// the thing and to the thing's least-privilege policy (client id = thing name; publish,
/// subscribe, receive only under `devices/<thing>/`). The core calls them only while it holds
/// the device's lease.
#[async_trait]
pub trait CertificateAuthority: Send + Sync {
    /// Signs the device's CSR (already validated by the core: signature, CN = serial, key type).
    async fn issue_from_csr(
        &self,
        thing: &Serial,
        csr: &ValidatedCsr,
    ) -> Result<IssuedCertificate, BackendError>;

    /// Seed-compatible mode: makes a key pair in the cloud and certifies it.
    async fn issue_with_new_key(
        &self,
        thing: &Serial,
    ) -> Result<(IssuedCertificate, PrivateKeyPem), BackendError>;

    /// Detaches, revokes and deletes every certificate of `thing` except `keep`, together
    /// with its policy attachments (and the policies only those certificates used).
    /// Returns the ids retired. Called only once `keep` is committed as the device's
    /// certificate, under the lease; a CA that can check it in the same transaction (the
    /// local one) retires nothing when the device record names another certificate by then.
    async fn retire_others(
        &self,
        thing: &Serial,
        keep: &CertificateId,
    ) -> Result<Vec<CertificateId>, BackendError>;

    /// Undoes an issuance whose lease was lost: revoke and delete `certificate`.
    async fn discard(
        &self,
        thing: &Serial,
        certificate: &CertificateId,
    ) -> Result<(), BackendError>;

    /// The broker the devices use.
    async fn broker(&self) -> Result<BrokerInfo, BackendError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_rule() {
        let alice = UserId("alice".into());
        assert_eq!(lease_refusal(None, None, &alice, 100), None);
        assert_eq!(lease_refusal(Some("alice"), Some(100), &alice, 100), None);
        assert_eq!(
            lease_refusal(Some("alice"), Some(101), &alice, 100),
            Some(StoreError::Busy)
        );
        assert_eq!(
            lease_refusal(None, Some(101), &alice, 100),
            Some(StoreError::Busy)
        );
        // Ownership is decided before the lease: another user's device is never "busy".
        assert_eq!(
            lease_refusal(Some("bob"), Some(101), &alice, 100),
            Some(StoreError::OwnedByAnotherUser)
        );
    }
}
