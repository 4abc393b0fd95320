//! The serial registry and device bindings in DynamoDB: `cloud::backend::DeviceStore` over
//! the lab's table `DSN` (key `sn`), plus `DSN_last_seen`, which the IoT rule writes.
//!
//! An item in `DSN` exists for every registered serial (the lab's items hold only `sn`). This
//! service adds `owner` (the Cognito `sub` of the first user who provisioned the device),
//! `certificateId`, `status`, `provisionedAt`, and while a certificate is being made a lease
//! (`leaseToken`, `leaseUntil`, seconds since the epoch). Taking and returning the lease are
//! single conditional writes: of two simultaneous requests for one serial exactly one gets
//! the lease, so exactly one certificate ends up active. `claimLease` is the lease token of
//! the provisioning that bound the current owner (set with `owner`, removed with it), so the
//! write that binds a device knows it did and writes the claim's audit line.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use cloud::audit::Event;
use cloud::backend::{
    BackendError, CertificateId, DeviceRecord, DeviceStore, LeaseToken, StoreError, lease_refusal,
};
use cloud::identity::UserId;
use cloud::serial::Serial;
use time::OffsetDateTime;

use crate::audit::AuditLines;
use crate::error::backend_error;

/// Values of the `status` attribute (informational: the core derives the API's status from
/// the certificate id and last_seen).
pub mod status {
    /// Registered, never provisioned (or released).
    pub const REGISTERED: &str = "registered";
    /// Has an active certificate.
    pub const PROVISIONED: &str = "provisioned";
}

/// DynamoDB tables of the service.
pub struct DynamoStore {
    client: Client,
    table: String,
    last_seen_table: String,
    audit: AuditLines,
}

impl DynamoStore {
    /// Uses `table` (the template's `DSN`) and `last_seen_table` (`DSN_last_seen`).
    pub fn new(
        client: Client,
        table: impl Into<String>,
        last_seen_table: impl Into<String>,
    ) -> Self {
        Self {
            client,
            table: table.into(),
            last_seen_table: last_seen_table.into(),
            audit: AuditLines::stdout(),
        }
    }

    /// The same store, writing its audit lines (claims, issuances, admin changes) to `audit`.
    pub fn with_audit(mut self, audit: AuditLines) -> Self {
        self.audit = audit;
        self
    }

    /// Admin: registers a serial; `false` if it was already registered (its item is kept).
    pub async fn register(&self, sn: &Serial) -> Result<bool, BackendError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("sn", s(sn.as_str()))
            .item("status", s(status::REGISTERED))
            .condition_expression("attribute_not_exists(sn)")
            .send()
            .await;
        let added = conditional(put.map(drop), "dynamodb:PutItem")?;
        if added {
            self.audit.record(&Event::serial_add(sn));
        }
        Ok(added)
    }

    /// Admin: unbinds the device (the next user to provision it owns it) and forgets its
    /// certificate id; the next provisioning retires the certificate. `false` if the serial
    /// is not registered.
    pub async fn release(&self, sn: &Serial) -> Result<bool, BackendError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("sn", s(sn.as_str()))
            .update_expression("SET #status = :registered REMOVE #owner, #claim, #cert, #at")
            .condition_expression("attribute_exists(sn)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#claim", "claimLease")
            .expression_attribute_names("#cert", "certificateId")
            .expression_attribute_names("#at", "provisionedAt")
            .expression_attribute_values(":registered", s(status::REGISTERED))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match update {
            Ok(out) => {
                let old = out.attributes.unwrap_or_default();
                let previous = old.get("owner").and_then(|v| v.as_s().ok());
                self.audit
                    .record(&Event::transfer(sn, previous.map(String::as_str)));
                Ok(true)
            }
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(backend_error("dynamodb:UpdateItem", e)),
        }
    }

    /// Writes a hello the way the IoT rule does (`lastSeen` in ms since the epoch, and
    /// `certificateId` from `principal()`: the certificate the device connected with). For
    /// tests and tools: the rule engine itself is not part of any local AWS emulation.
    pub async fn record_seen(
        &self,
        sn: &Serial,
        certificate: &CertificateId,
        at_ms: u64,
    ) -> Result<(), BackendError> {
        self.client
            .put_item()
            .table_name(&self.last_seen_table)
            .item("sn", s(sn.as_str()))
            .item("lastSeen", AttributeValue::N(at_ms.to_string()))
            .item("certificateId", s(&certificate.0))
            .send()
            .await
            .map_err(|e| backend_error("dynamodb:PutItem", e))?;
        Ok(())
    }

    /// When the device last said hello with its current certificate. A hello sent with any
    /// other certificate (the one a re-key replaced, still connected or delivered late by the
    /// rule) or with none recorded does not count: the app's online check must prove that the
    /// new certificate works.
    async fn last_seen(
        &self,
        sn: &Serial,
        current: Option<&CertificateId>,
    ) -> Result<Option<OffsetDateTime>, BackendError> {
        let Some(current) = current else {
            return Ok(None);
        };
        let out = self
            .client
            .get_item()
            .table_name(&self.last_seen_table)
            .key("sn", s(sn.as_str()))
            .send()
            .await
            .map_err(|e| backend_error("dynamodb:GetItem", e))?;
        let Some(item) = out.item.as_ref() else {
            return Ok(None);
        };
        let seen_with = item.get("certificateId").and_then(|v| v.as_s().ok());
        if seen_with != Some(&current.0) {
            return Ok(None);
        }
        let Some(value) = item.get("lastSeen") else {
            return Ok(None);
        };
        let ms: i128 = match value {
            AttributeValue::N(v) => v
                .parse()
                .map_err(|_| internal(format!("lastSeen of {sn} is not a number")))?,
            _ => return Err(internal(format!("lastSeen of {sn} is not a number"))),
        };
        OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000)
            .map(Some)
            .map_err(|_| internal(format!("lastSeen of {sn} is out of range")))
    }

    async fn item(
        &self,
        sn: &Serial,
    ) -> Result<Option<HashMap<String, AttributeValue>>, BackendError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("sn", s(sn.as_str()))
            // Strongly consistent: it decides who owns a device.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend_error("dynamodb:GetItem", e))?;
        Ok(out.item)
    }
}

#[async_trait]
impl DeviceStore for DynamoStore {
    async fn device(&self, sn: &Serial) -> Result<Option<DeviceRecord>, BackendError> {
        let Some(item) = self.item(sn).await? else {
            return Ok(None);
        };
        let mut record = record(sn, &item)?;
        record.last_seen = self.last_seen(sn, record.certificate_id.as_ref()).await?;
        Ok(Some(record))
    }

    async fn begin_provisioning(
        &self,
        sn: &Serial,
        owner: &UserId,
        lease: &LeaseToken,
        lease_secs: u64,
    ) -> Result<DeviceRecord, StoreError> {
        let now = now_secs();
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("sn", s(sn.as_str()))
            .update_expression(
                "SET #owner = if_not_exists(#owner, :user), #claim = if_not_exists(#claim, :token), \
                 #token = :token, #until = :until",
            )
            .condition_expression(
                "attribute_exists(sn) AND (attribute_not_exists(#owner) OR #owner = :user) \
                 AND (attribute_not_exists(#until) OR #until <= :now)",
            )
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#claim", "claimLease")
            .expression_attribute_names("#token", "leaseToken")
            .expression_attribute_names("#until", "leaseUntil")
            .expression_attribute_values(":user", s(&owner.0))
            .expression_attribute_values(":token", s(&lease.0))
            .expression_attribute_values(
                ":until",
                AttributeValue::N((now + lease_secs).to_string()),
            )
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match update {
            Ok(out) => {
                // The item as our write left it must name us as owner and lease holder. On
                // DynamoDB the conditional write guarantees it; checking again costs nothing
                // and keeps an emulator without per-item atomicity (moto's threaded server)
                // from letting a racing second user through.
                let item = out.attributes.unwrap_or_default();
                let held =
                    matches!(item.get("leaseToken"), Some(AttributeValue::S(t)) if *t == lease.0);
                let record = record(sn, &item)?;
                if record.owner.as_ref() == Some(owner) && held {
                    let claimed = matches!(item.get("claimLease"), Some(AttributeValue::S(t)) if *t == lease.0);
                    if claimed {
                        self.audit.record(&Event::claim(owner, sn));
                    }
                    return Ok(record);
                }
                self.release_lease(sn, lease).await?;
                match &record.owner {
                    Some(o) if o != owner => Err(StoreError::OwnedByAnotherUser),
                    _ => Err(StoreError::Busy),
                }
            }
            Err(e) if is_condition_failure(&e) => {
                // One of three conditions failed; the item says which. If it has changed
                // since and would pass now, another request was there first: busy.
                let Some(item) = self.item(sn).await? else {
                    return Err(StoreError::UnknownSerial);
                };
                let stored = record(sn, &item)?;
                let until = match item.get("leaseUntil") {
                    Some(AttributeValue::N(n)) => n.parse().ok(),
                    _ => None,
                };
                let owner_now = stored.owner.as_ref().map(|o| o.0.as_str());
                Err(lease_refusal(owner_now, until, owner, now).unwrap_or(StoreError::Busy))
            }
            Err(e) => Err(backend_error("dynamodb:UpdateItem", e).into()),
        }
    }

    async fn finish_provisioning(
        &self,
        sn: &Serial,
        lease: &LeaseToken,
        certificate: &CertificateId,
    ) -> Result<(), StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("sn", s(sn.as_str()))
            // The lease stays (the core retires the older certificates under it, then releases
            // it); an expired one may already belong to another request.
            .update_expression("SET #cert = :cert, #status = :provisioned, #at = :now")
            .condition_expression("#token = :token AND #until > :now")
            .expression_attribute_names("#cert", "certificateId")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#at", "provisionedAt")
            .expression_attribute_names("#token", "leaseToken")
            .expression_attribute_names("#until", "leaseUntil")
            .expression_attribute_values(":cert", s(&certificate.0))
            .expression_attribute_values(":provisioned", s(status::PROVISIONED))
            .expression_attribute_values(":now", AttributeValue::N(now_secs().to_string()))
            .expression_attribute_values(":token", s(&lease.0))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match update {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                let owner = item.get("owner").and_then(|v| v.as_s().ok());
                self.audit.record(&Event::issue(
                    owner.map_or("", String::as_str),
                    sn,
                    certificate,
                ));
                Ok(())
            }
            Err(e) if is_condition_failure(&e) => Err(StoreError::LeaseLost),
            Err(e) => Err(backend_error("dynamodb:UpdateItem", e).into()),
        }
    }

    async fn release_lease(&self, sn: &Serial, lease: &LeaseToken) -> Result<(), BackendError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("sn", s(sn.as_str()))
            .update_expression("REMOVE #token, #until")
            .condition_expression("#token = :token")
            .expression_attribute_names("#token", "leaseToken")
            .expression_attribute_names("#until", "leaseUntil")
            .expression_attribute_values(":token", s(&lease.0))
            .send()
            .await;
        // Not holding the lease any more is fine: there is nothing to give back.
        conditional(update.map(drop), "dynamodb:UpdateItem").map(drop)
    }
}

fn is_condition_failure<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error().and_then(|e| e.code()) == Some("ConditionalCheckFailedException")
}

/// `Ok(true)` if the write happened, `Ok(false)` if its condition did not hold.
fn conditional<E, R>(
    result: Result<(), SdkError<E, R>>,
    operation: &'static str,
) -> Result<bool, BackendError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match result {
        Ok(()) => Ok(true),
        Err(e) if is_condition_failure(&e) => Ok(false),
        Err(e) => Err(backend_error(operation, e)),
    }
}

fn record(
    sn: &Serial,
    item: &HashMap<String, AttributeValue>,
) -> Result<DeviceRecord, BackendError> {
    let text = |name: &str| match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::S(v)) => Ok(Some(v.clone())),
        Some(_) => Err(internal(format!(
            "attribute {name} of {sn} is not a string"
        ))),
    };
    Ok(DeviceRecord {
        sn: sn.clone(),
        owner: text("owner")?.map(UserId),
        certificate_id: text("certificateId")?.map(CertificateId),
        last_seen: None,
    })
}

fn internal(message: String) -> BackendError {
    BackendError::Internal(message)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}
