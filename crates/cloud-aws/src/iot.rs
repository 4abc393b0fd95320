//! AWS IoT Core as the core's `CertificateAuthority`: things, certificates, per-certificate
//! policies, retiring, and the data endpoint.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_iot::Client;
use aws_sdk_iot::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iot::types::CertificateStatus;
use cloud::audit::{Event, SERVICE};
use cloud::backend::{
    BackendError, BrokerInfo, CertificateAuthority, CertificateId, IssuedCertificate, PrivateKeyPem,
};
use cloud::csr::ValidatedCsr;
use cloud::serial::Serial;
use time::OffsetDateTime;
use tokio::sync::OnceCell;

use crate::audit::AuditLines;
use crate::error::backend_error;
use crate::policy::{certificate_id_of, is_own_policy, policy_document, policy_name};

type Result<T, E = BackendError> = std::result::Result<T, E>;

/// The broker's CA for ATS endpoints (`iot:Data-ATS`): what the device must trust.
pub const AMAZON_ROOT_CA_1: &str = include_str!("amazon-root-ca-1.pem");

/// MQTT over TLS with client certificates on AWS IoT Core.
pub const MQTT_PORT: u16 = 8883;

/// Where the new certificate's key comes from.
pub enum KeySource<'a> {
    /// The device made the key and sent a CSR (PEM): the key never leaves the device.
    Csr(&'a str),
    /// The lab's seed mode: AWS makes the key pair and returns the private key once.
    Generated,
}

/// A certificate that is ACTIVE, has its own policy attached and is attached to its thing.
pub struct NewCertificate {
    /// IoT certificate id (64 hex digits).
    pub certificate_id: String,
    /// IoT certificate ARN.
    pub certificate_arn: String,
    /// The certificate, PEM.
    pub certificate_pem: String,
    /// The private key, PEM, only for [`KeySource::Generated`].
    pub private_key: Option<String>,
}

/// IoT Core through the AWS SDK.
pub struct IotCa {
    client: Client,
    endpoint: OnceCell<String>,
    audit: AuditLines,
}

/// AWS detaches things from principals asynchronously, so DeleteCertificate right after
/// DetachThingPrincipal can still see the attachment; it is retried this many times.
const DELETE_ATTEMPTS: u32 = 5;

impl IotCa {
    /// Wraps an IoT client.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            endpoint: OnceCell::new(),
            audit: AuditLines::stdout(),
        }
    }

    /// The same CA, writing its audit lines (revocations) to `audit`.
    pub fn with_audit(mut self, audit: AuditLines) -> Self {
        self.audit = audit;
        self
    }

    /// The ATS data endpoint devices connect to (`DescribeEndpoint iot:Data-ATS`), asked once
    /// per process: it never changes for an account and region.
    pub async fn data_endpoint(&self) -> Result<String> {
        self.endpoint
            .get_or_try_init(|| async {
                let out = self
                    .client
                    .describe_endpoint()
                    .endpoint_type("iot:Data-ATS")
                    .send()
                    .await
                    .map_err(|e| backend_error("iot:DescribeEndpoint", e))?;
                out.endpoint_address
                    .ok_or_else(|| missing("iot:DescribeEndpoint", "endpointAddress"))
            })
            .await
            .cloned()
    }

    /// Creates the thing named `thing` if it does not exist; returns its ARN.
    pub async fn ensure_thing(&self, thing: &str) -> Result<String> {
        match self.client.create_thing().thing_name(thing).send().await {
            Ok(out) => out
                .thing_arn
                .ok_or_else(|| missing("iot:CreateThing", "thingArn")),
            // Only when an existing thing has other attributes (e.g. made by hand).
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_already_exists_exception()) =>
            {
                let out = self
                    .client
                    .describe_thing()
                    .thing_name(thing)
                    .send()
                    .await
                    .map_err(|e| backend_error("iot:DescribeThing", e))?;
                out.thing_arn
                    .ok_or_else(|| missing("iot:DescribeThing", "thingArn"))
            }
            Err(e) => Err(backend_error("iot:CreateThing", e)),
        }
    }

    /// Makes an ACTIVE certificate for `thing`, gives it its own policy and attaches it to the
    /// thing. If a later step fails, the new certificate is retired again so nothing is left
    /// half made.
    pub async fn issue(
        &self,
        thing: &str,
        thing_arn: &str,
        key: KeySource<'_>,
    ) -> Result<NewCertificate> {
        let document =
            policy_document(thing_arn, thing).map_err(|e| BackendError::Internal(e.to_string()))?;
        let cert = self.create_certificate(key).await?;
        let attached = async {
            let name = policy_name(thing, &cert.certificate_id);
            self.client
                .create_policy()
                .policy_name(&name)
                .policy_document(&document)
                .send()
                .await
                .map_err(|e| backend_error("iot:CreatePolicy", e))?;
            self.client
                .attach_policy()
                .policy_name(&name)
                .target(&cert.certificate_arn)
                .send()
                .await
                .map_err(|e| backend_error("iot:AttachPolicy", e))?;
            self.client
                .attach_thing_principal()
                .thing_name(thing)
                .principal(&cert.certificate_arn)
                .send()
                .await
                .map_err(|e| backend_error("iot:AttachThingPrincipal", e))?;
            Ok::<_, BackendError>(())
        }
        .await;
        if let Err(err) = attached {
            // Best effort: the original error is the one worth reporting.
            let _ = self.retire(thing, &cert.certificate_arn).await;
            return Err(err);
        }
        Ok(cert)
    }

    async fn create_certificate(&self, key: KeySource<'_>) -> Result<NewCertificate> {
        let (arn, id, pem, private_key) = match key {
            KeySource::Csr(csr) => {
                let out = self
                    .client
                    .create_certificate_from_csr()
                    .certificate_signing_request(csr)
                    .set_as_active(true)
                    .send()
                    .await
                    .map_err(|e| backend_error("iot:CreateCertificateFromCsr", e))?;
                (
                    out.certificate_arn,
                    out.certificate_id,
                    out.certificate_pem,
                    None,
                )
            }
            KeySource::Generated => {
                let out = self
                    .client
                    .create_keys_and_certificate()
                    .set_as_active(true)
                    .send()
                    .await
                    .map_err(|e| backend_error("iot:CreateKeysAndCertificate", e))?;
                let key = out
                    .key_pair
                    .and_then(|k| k.private_key)
                    .ok_or_else(|| missing("iot:CreateKeysAndCertificate", "keyPair.PrivateKey"))?;
                (
                    out.certificate_arn,
                    out.certificate_id,
                    out.certificate_pem,
                    Some(key),
                )
            }
        };
        Ok(NewCertificate {
            certificate_arn: arn
                .ok_or_else(|| missing("iot:CreateCertificate", "certificateArn"))?,
            certificate_id: id.ok_or_else(|| missing("iot:CreateCertificate", "certificateId"))?,
            certificate_pem: pem
                .ok_or_else(|| missing("iot:CreateCertificate", "certificatePem"))?,
            private_key,
        })
    }

    /// Certificate ARNs attached to `thing` (none if the thing does not exist).
    pub async fn thing_certificates(&self, thing: &str) -> Result<Vec<String>> {
        let mut arns = Vec::new();
        let mut pages = self
            .client
            .list_thing_principals()
            .thing_name(thing)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => arns.extend(
                    page.principals
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|p| p.contains(":cert/")),
                ),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception()) =>
                {
                    return Ok(Vec::new());
                }
                Err(e) => return Err(backend_error("iot:ListThingPrincipals", e)),
            }
        }
        Ok(arns)
    }

    /// Detaches a certificate from `thing` and from its policies (deleting the policies this
    /// service made), revokes it and deletes it. Returns its id.
    pub async fn retire(&self, thing: &str, certificate_arn: &str) -> Result<String> {
        let id = certificate_id_of(certificate_arn)
            .ok_or_else(|| {
                BackendError::Internal(format!("not a certificate ARN: {certificate_arn}"))
            })?
            .to_owned();
        tolerate_not_found(
            self.client
                .detach_thing_principal()
                .thing_name(thing)
                .principal(certificate_arn)
                .send()
                .await,
        )
        .map_err(|e| backend_error("iot:DetachThingPrincipal", e))?;
        for policy in self.attached_policies(certificate_arn).await? {
            tolerate_not_found(
                self.client
                    .detach_policy()
                    .policy_name(&policy)
                    .target(certificate_arn)
                    .send()
                    .await,
            )
            .map_err(|e| backend_error("iot:DetachPolicy", e))?;
            if is_own_policy(&policy, thing) {
                tolerate_not_found(
                    self.client
                        .delete_policy()
                        .policy_name(&policy)
                        .send()
                        .await,
                )
                .map_err(|e| backend_error("iot:DeletePolicy", e))?;
            }
        }
        self.revoke_and_delete(&id).await?;
        Ok(id)
    }

    async fn revoke_and_delete(&self, id: &str) -> Result<()> {
        // REVOKED rather than INACTIVE: a revoked certificate can never be reactivated.
        let revoked = self
            .client
            .update_certificate()
            .certificate_id(id)
            .new_status(CertificateStatus::Revoked)
            .send()
            .await;
        match revoked {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(());
            }
            Err(e) => return Err(backend_error("iot:UpdateCertificate", e)),
        }
        self.delete_certificate(id).await
    }

    async fn attached_policies(&self, target: &str) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut pages = self
            .client
            .list_attached_policies()
            .target(target)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| backend_error("iot:ListAttachedPolicies", e))?;
            names.extend(
                page.policies
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| p.policy_name),
            );
        }
        Ok(names)
    }

    async fn delete_certificate(&self, id: &str) -> Result<()> {
        let mut delay = Duration::from_millis(100);
        for attempt in 1..=DELETE_ATTEMPTS {
            match self
                .client
                .delete_certificate()
                .certificate_id(id)
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception()) =>
                {
                    return Ok(());
                }
                Err(e)
                    if attempt < DELETE_ATTEMPTS
                        && e.as_service_error()
                            .is_some_and(|s| s.is_delete_conflict_exception()) =>
                {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => return Err(backend_error("iot:DeleteCertificate", e)),
            }
        }
        unreachable!("the last attempt returns")
    }

    /// Status of a certificate (`ACTIVE`, `REVOKED`, ...), `None` if it does not exist.
    pub async fn certificate_status(&self, id: &str) -> Result<Option<String>> {
        match self
            .client
            .describe_certificate()
            .certificate_id(id)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .certificate_description
                .and_then(|d| d.status)
                .map(|s| s.as_str().to_owned())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(backend_error("iot:DescribeCertificate", e)),
        }
    }

    /// Names of the policies attached to a certificate.
    pub async fn certificate_policies(&self, certificate_arn: &str) -> Result<Vec<String>> {
        self.attached_policies(certificate_arn).await
    }

    /// A policy's document, `None` if the policy does not exist.
    pub async fn policy_document(&self, name: &str) -> Result<Option<String>> {
        match self.client.get_policy().policy_name(name).send().await {
            Ok(out) => Ok(out.policy_document),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(backend_error("iot:GetPolicy", e)),
        }
    }
}

#[async_trait]
impl CertificateAuthority for IotCa {
    async fn issue_from_csr(
        &self,
        thing: &Serial,
        csr: &ValidatedCsr,
    ) -> Result<IssuedCertificate> {
        let thing_arn = self.ensure_thing(thing.as_str()).await?;
        let new = self
            .issue(thing.as_str(), &thing_arn, KeySource::Csr(&csr.pem))
            .await?;
        issued(new)
    }

    async fn issue_with_new_key(
        &self,
        thing: &Serial,
    ) -> Result<(IssuedCertificate, PrivateKeyPem)> {
        let thing_arn = self.ensure_thing(thing.as_str()).await?;
        let mut new = self
            .issue(thing.as_str(), &thing_arn, KeySource::Generated)
            .await?;
        let key = new.private_key.take().map(PrivateKeyPem);
        let key =
            key.ok_or_else(|| missing("iot:CreateKeysAndCertificate", "keyPair.PrivateKey"))?;
        Ok((issued(new)?, key))
    }

    async fn retire_others(
        &self,
        thing: &Serial,
        keep: &CertificateId,
    ) -> Result<Vec<CertificateId>> {
        let mut retired = Vec::new();
        for arn in self.thing_certificates(thing.as_str()).await? {
            if certificate_id_of(&arn) != Some(keep.0.as_str()) {
                let id = CertificateId(self.retire(thing.as_str(), &arn).await?);
                self.audit
                    .record(&Event::revoke(SERVICE, thing, &id, "re-key", Some(keep)));
                retired.push(id);
            }
        }
        Ok(retired)
    }

    async fn discard(&self, thing: &Serial, certificate: &CertificateId) -> Result<()> {
        let attached = self.thing_certificates(thing.as_str()).await?;
        match attached
            .iter()
            .find(|arn| certificate_id_of(arn) == Some(certificate.0.as_str()))
        {
            Some(arn) => self.retire(thing.as_str(), arn).await.map(drop),
            // Not attached (any more): revoking and deleting needs only the id.
            None => self.revoke_and_delete(&certificate.0).await,
        }?;
        self.audit.record(&Event::revoke(
            SERVICE,
            thing,
            certificate,
            "lease_lost",
            None,
        ));
        Ok(())
    }

    async fn broker(&self) -> Result<BrokerInfo> {
        Ok(BrokerInfo {
            host: self.data_endpoint().await?,
            port: MQTT_PORT,
            ca_pem: AMAZON_ROOT_CA_1.to_owned(),
        })
    }
}

fn issued(new: NewCertificate) -> Result<IssuedCertificate> {
    let expires_at = not_after(&new.certificate_pem)?;
    Ok(IssuedCertificate {
        id: CertificateId(new.certificate_id),
        certificate_pem: new.certificate_pem,
        expires_at,
    })
}

/// End of validity of a PEM certificate (AWS does not return it with the certificate).
fn not_after(pem: &str) -> Result<OffsetDateTime> {
    let bad =
        |what: &str| BackendError::Internal(format!("AWS returned a certificate that {what}"));
    let (_, pem) =
        x509_parser::pem::parse_x509_pem(pem.as_bytes()).map_err(|_| bad("is not PEM"))?;
    let cert = pem.parse_x509().map_err(|_| bad("does not parse"))?;
    Ok(cert.validity().not_after.to_datetime())
}

fn missing(operation: &str, field: &str) -> BackendError {
    BackendError::Internal(format!("AWS {operation} answered without {field}"))
}

/// Turns a "does not exist" answer into success: retiring is idempotent, and a retry after a
/// partial failure must not stop at what the first attempt already removed.
fn tolerate_not_found<O, E: ProvideErrorMetadata, R>(
    result: std::result::Result<O, SdkError<E, R>>,
) -> std::result::Result<(), SdkError<E, R>> {
    match result {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error().and_then(|s| s.code()) == Some("ResourceNotFoundException") =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}
