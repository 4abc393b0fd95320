//! `DeviceStore` over SQLite, plus the admin operations on serials and devices.

use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

use super::audit;
use super::db::{Db, db_err, now_secs};
use crate::audit::Event;
use crate::backend::{
    BackendError, CertificateId, DeviceRecord, DeviceStore, LeaseToken, StoreError, lease_refusal,
};
use crate::identity::UserId;
use crate::serial::Serial;

/// The registry in SQLite.
#[derive(Clone)]
pub struct SqliteStore {
    db: Arc<Db>,
}

/// One row of `device list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceRow {
    /// Serial.
    pub sn: String,
    /// Owner, if bound.
    pub owner: Option<String>,
    /// Active certificate id.
    pub certificate_id: Option<String>,
    /// Last hello, Unix seconds.
    pub last_seen: Option<i64>,
}

impl SqliteStore {
    /// Wraps the database.
    pub fn new(db: Arc<Db>) -> Self {
        Self { db }
    }

    /// Registers a serial (admin); `false` if it was already registered.
    pub fn add_serial(&self, sn: &Serial) -> Result<bool, BackendError> {
        Ok(self.add_serials(std::slice::from_ref(sn))? == 1)
    }

    /// Registers many serials in one transaction (admin), each new one with its audit entry;
    /// returns how many were new.
    pub fn add_serials(&self, sns: &[Serial]) -> Result<usize, BackendError> {
        let mut conn = self.db.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let mut added = 0;
        {
            let mut stmt = tx
                .prepare("INSERT OR IGNORE INTO devices (sn, added_at) VALUES (?1, ?2)")
                .map_err(db_err)?;
            let now = now_secs();
            for sn in sns {
                if stmt.execute(params![sn.as_str(), now]).map_err(db_err)? == 1 {
                    audit::append(&tx, &Event::serial_add(sn))?;
                    added += 1;
                }
            }
        }
        tx.commit().map_err(db_err)?;
        Ok(added)
    }

    /// Every device, ordered by serial.
    pub fn list(&self) -> Result<Vec<DeviceRow>, BackendError> {
        let conn = self.db.conn();
        let mut stmt = conn
            .prepare("SELECT sn, owner, certificate_id, last_seen FROM devices ORDER BY sn")
            .map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DeviceRow {
                    sn: r.get(0)?,
                    owner: r.get(1)?,
                    certificate_id: r.get(2)?,
                    last_seen: r.get(3)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    /// Unbinds a device from its owner (admin), with its audit entry. `false` if the serial
    /// is unknown.
    pub fn release(&self, sn: &Serial) -> Result<bool, BackendError> {
        let mut conn = self.db.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let previous: Option<Option<String>> = tx
            .query_row(
                "SELECT owner FROM devices WHERE sn = ?1",
                params![sn.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        let Some(previous) = previous else {
            return Ok(false);
        };
        tx.execute(
            "UPDATE devices SET owner = NULL, lease = NULL, lease_until = NULL WHERE sn = ?1",
            params![sn.as_str()],
        )
        .map_err(db_err)?;
        audit::append(&tx, &Event::transfer(sn, previous.as_deref()))?;
        tx.commit().map_err(db_err)?;
        Ok(true)
    }

    /// Records a hello from the device.
    pub fn record_seen(&self, sn: &Serial, at: OffsetDateTime) -> Result<bool, BackendError> {
        let n = self
            .db
            .conn()
            .execute(
                "UPDATE devices SET last_seen = ?2 WHERE sn = ?1",
                params![sn.as_str(), at.unix_timestamp()],
            )
            .map_err(db_err)?;
        Ok(n == 1)
    }
}

fn ts(secs: Option<i64>) -> Option<OffsetDateTime> {
    secs.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
}

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn device(&self, sn: &Serial) -> Result<Option<DeviceRecord>, BackendError> {
        let conn = self.db.conn();
        conn.query_row(
            "SELECT owner, certificate_id, last_seen FROM devices WHERE sn = ?1",
            params![sn.as_str()],
            |r| {
                Ok(DeviceRecord {
                    sn: sn.clone(),
                    owner: r.get::<_, Option<String>>(0)?.map(UserId),
                    certificate_id: r.get::<_, Option<String>>(1)?.map(CertificateId),
                    last_seen: ts(r.get(2)?),
                })
            },
        )
        .optional()
        .map_err(db_err)
    }

    async fn begin_provisioning(
        &self,
        sn: &Serial,
        owner: &UserId,
        lease: &LeaseToken,
        lease_secs: u64,
    ) -> Result<DeviceRecord, StoreError> {
        let (sn, owner, lease) = (sn.clone(), owner.clone(), lease.clone());
        // The writer's batch transaction is IMMEDIATE: this read-check-write is atomic.
        self.db
            .write(move |tx| {
                let now = now_secs();
                let row = tx
                    .query_row(
                        "SELECT owner, certificate_id, last_seen, lease, lease_until
                         FROM devices WHERE sn = ?1",
                        params![sn.as_str()],
                        |r| {
                            Ok((
                                r.get::<_, Option<String>>(0)?,
                                r.get::<_, Option<String>>(1)?,
                                r.get::<_, Option<i64>>(2)?,
                                r.get::<_, Option<String>>(3)?,
                                r.get::<_, Option<i64>>(4)?,
                            ))
                        },
                    )
                    .optional()
                    .map_err(db_err)?;
                let Some((cur_owner, cert, last_seen, cur_lease, lease_until)) = row else {
                    return Ok(Err(StoreError::UnknownSerial));
                };
                let until = cur_lease
                    .and(lease_until)
                    .map(|u| u64::try_from(u).unwrap_or(0));
                if let Some(refusal) =
                    lease_refusal(cur_owner.as_deref(), until, &owner, now as u64)
                {
                    return Ok(Err(refusal));
                }
                tx.execute(
                    "UPDATE devices SET owner = ?2, lease = ?3, lease_until = ?4 WHERE sn = ?1",
                    params![sn.as_str(), owner.0, lease.0, now + lease_secs as i64],
                )
                .map_err(db_err)?;
                if cur_owner.is_none() {
                    audit::append(tx, &Event::claim(&owner, &sn))?;
                }
                Ok(Ok(DeviceRecord {
                    sn: sn.clone(),
                    owner: Some(owner.clone()),
                    certificate_id: cert.map(CertificateId),
                    last_seen: ts(last_seen),
                }))
            })
            .await?
    }

    async fn finish_provisioning(
        &self,
        sn: &Serial,
        lease: &LeaseToken,
        certificate: &CertificateId,
    ) -> Result<(), StoreError> {
        let (sn, lease, certificate) = (sn.clone(), lease.clone(), certificate.clone());
        // A new certificate has not said hello yet: last_seen restarts with it. The lease
        // stays until `release_lease`, after the older certificates are retired.
        let committed = self
            .db
            .write(move |tx| {
                let owner: Option<Option<String>> = tx
                    .query_row(
                        "UPDATE devices SET certificate_id = ?3, last_seen = NULL
                         WHERE sn = ?1 AND lease = ?2 AND lease_until > ?4
                         RETURNING owner",
                        params![sn.as_str(), lease.0, certificate.0, now_secs()],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(db_err)?;
                let Some(owner) = owner else {
                    return Ok(false);
                };
                let owner = owner.unwrap_or_default();
                audit::append(tx, &Event::issue(&owner, &sn, &certificate))?;
                Ok(true)
            })
            .await?;
        if committed {
            Ok(())
        } else {
            Err(StoreError::LeaseLost)
        }
    }

    async fn release_lease(&self, sn: &Serial, lease: &LeaseToken) -> Result<(), BackendError> {
        let (sn, lease) = (sn.clone(), lease.clone());
        self.db
            .write(move |tx| {
                tx.execute(
                    "UPDATE devices SET lease = NULL, lease_until = NULL
                     WHERE sn = ?1 AND lease = ?2",
                    params![sn.as_str(), lease.0],
                )
                .map_err(db_err)
            })
            .await?;
        Ok(())
    }
}
