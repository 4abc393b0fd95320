//! `CertificateAuthority` over the local CA: certificates recorded in SQLite (durable before
//! the answer), revocations published as a CRL by the one CRL writer ([`super::crl`]), and the
//! MQTT session of a re-keyed device's older certificate ended ([`LocalAuthority::retire_others`]).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256};
use rumqttc::{AsyncClient, MqttOptions, Outgoing, Packet, TlsConfiguration, Transport};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

use super::audit;
use super::ca::{CsrKey, LocalCa, Signed};
use super::crl::{Apply, CrlPublisher};
use super::db::{Db, db_err, now_secs};
use crate::audit::{ADMIN, Event, SERVICE};
use crate::backend::{
    BackendError, BrokerInfo, CertificateAuthority, CertificateId, IssuedCertificate, PrivateKeyPem,
};
use crate::csr::{KeyKind, ValidatedCsr};
use crate::serial::Serial;

/// The local CA as the service's certificate authority.
pub struct LocalAuthority {
    ca: Arc<LocalCa>,
    db: Arc<Db>,
    crl: CrlPublisher,
    info: BrokerInfo,
    broker: BrokerAddr,
}

/// Where the service itself reaches the broker (the public address in [`BrokerInfo`] may be
/// one only devices can use).
#[derive(Clone, Debug)]
pub struct BrokerAddr {
    /// Host or address.
    pub host: String,
    /// MQTT over TLS port.
    pub port: u16,
}

/// How long ending an old session may take before the re-key answers without it.
const TAKE_OVER_WAIT: Duration = Duration::from_secs(5);

impl LocalAuthority {
    /// Builds it; `crl` publishes after every revocation; `broker` is where old sessions are
    /// ended.
    pub fn new(
        ca: Arc<LocalCa>,
        db: Arc<Db>,
        crl: CrlPublisher,
        info: BrokerInfo,
        broker: BrokerAddr,
    ) -> Self {
        Self {
            ca,
            db,
            crl,
            info,
            broker,
        }
    }

    /// Ends the MQTT session device `sn` holds with a certificate that was just revoked.
    /// The broker names each client by its certificate's CN (`use_username_as_clientid`) and
    /// keeps one connection per client id, so connecting once as `sn` (with a two-minute
    /// certificate of the service's own, see [`LocalCa::sign_session_taker`]) makes mosquitto
    /// close the device's old connection; then this one disconnects. The CRL naming the old
    /// certificate is applied before, so the old connection cannot come back. Called before
    /// the re-key answers: the device can then only connect with the new certificate after
    /// this, and its new session is never the one ended.
    async fn take_over_session(&self, sn: &Serial) -> Result<(), BackendError> {
        let err = |what: &str, e: &dyn std::fmt::Display| {
            BackendError::Unavailable(format!("ending the old MQTT session of {sn}: {what}: {e}"))
        };
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| err("key", &e))?;
        let cert = self.ca.sign_session_taker(sn.as_str(), &key)?;
        let tls = super::tls::client_config(
            super::tls::pem_der(&self.ca.ca_pem)?,
            cert.der,
            key.serialize_der(),
        )?;
        let mut opts = MqttOptions::new(sn.as_str(), self.broker.host.clone(), self.broker.port);
        opts.set_clean_session(true);
        opts.set_keep_alive(Duration::from_secs(10));
        opts.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls)));
        let (client, mut events) = AsyncClient::new(opts, 4);
        let session = async {
            let mut asked = false;
            loop {
                match events.poll().await {
                    Ok(rumqttc::Event::Incoming(Packet::ConnAck(ack))) => {
                        if ack.code != rumqttc::ConnectReturnCode::Success {
                            return Err(err("refused", &format!("{:?}", ack.code)));
                        }
                        client
                            .disconnect()
                            .await
                            .map_err(|e| err("disconnect", &e))?;
                        asked = true;
                    }
                    Ok(rumqttc::Event::Outgoing(Outgoing::Disconnect)) => return Ok(()),
                    Ok(_) => {}
                    // The broker closing after our DISCONNECT is the end we asked for.
                    Err(_) if asked => return Ok(()),
                    Err(e) => return Err(err("connect", &e)),
                }
            }
        };
        tokio::time::timeout(TAKE_OVER_WAIT, session)
            .await
            .map_err(|_| err("no answer", &"timed out"))?
    }

    async fn record(
        &self,
        sn: &Serial,
        signed: &Signed,
    ) -> Result<IssuedCertificate, BackendError> {
        let (sn_s, id, serial_hex, pem) = (
            sn.as_str().to_owned(),
            signed.id.clone(),
            signed.serial_hex.clone(),
            signed.pem.clone(),
        );
        let not_after = signed.not_after.unix_timestamp();
        self.db
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO certificates (id, sn, serial_hex, pem, status, issued_at, not_after)
                     VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?6)",
                    params![id, sn_s, serial_hex, pem, now_secs(), not_after],
                )
                .map_err(db_err)
            })
            .await?;
        Ok(IssuedCertificate {
            id: CertificateId(signed.id.clone()),
            certificate_pem: signed.pem.clone(),
            expires_at: signed.not_after,
        })
    }

    /// Revokes (durably) and asks for the CRL. The revocation is the commitment: a CRL that
    /// is late or fails is retried by the publisher, never undone here.
    async fn revoke_and_publish(
        &self,
        sn: &Serial,
        keep: Option<&CertificateId>,
        only: Option<&CertificateId>,
    ) -> Result<Vec<CertificateId>, BackendError> {
        let (sn, keep, only) = (sn.clone(), keep.cloned(), only.cloned());
        let reason = if keep.is_some() {
            "re-key"
        } else {
            "lease_lost"
        };
        let ids = self
            .db
            .write(move |tx| revoke_in(tx, &sn, keep.as_ref(), only.as_ref(), (SERVICE, reason)))
            .await?;
        if !ids.is_empty()
            && let Err(e) = self.crl.publish(Apply::Reload).await
        {
            tracing::warn!(error = %e, "the CRL listing a revocation is not applied yet");
        }
        Ok(ids)
    }
}

/// Revokes the given certificates of `sn` (or all its active ones when `only` is None,
/// except `keep`): status revoked, PEM deleted, kept only as a CRL entry. Returns the ids.
/// (The admin CLI's path, audited as the admin's; the server revokes through the
/// group-commit writer.)
pub fn revoke(
    db: &Db,
    sn: &Serial,
    keep: Option<&CertificateId>,
    only: Option<&CertificateId>,
) -> Result<Vec<CertificateId>, BackendError> {
    let mut conn = db.conn();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let ids = revoke_in(&tx, sn, keep, only, (ADMIN, "admin"))?;
    tx.commit().map_err(db_err)?;
    Ok(ids)
}

/// [`revoke`] inside the caller's transaction, each revocation with its audit entry by
/// `actor` for `reason`. With `keep`, nothing is revoked unless the device record still names
/// `keep`: a later provisioning that committed another certificate retires `keep` and the
/// older ones itself, and must not lose its own to ours.
fn revoke_in(
    tx: &Connection,
    sn: &Serial,
    keep: Option<&CertificateId>,
    only: Option<&CertificateId>,
    (actor, reason): (&str, &str),
) -> Result<Vec<CertificateId>, BackendError> {
    if let Some(keep) = keep {
        let current: Option<String> = tx
            .query_row(
                "SELECT certificate_id FROM devices WHERE sn = ?1",
                params![sn.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?
            .flatten();
        if current.as_deref() != Some(keep.0.as_str()) {
            return Ok(Vec::new());
        }
    }
    let ids: Vec<String> = {
        let mut stmt = tx
            .prepare("SELECT id FROM certificates WHERE sn = ?1 AND status = 'active'")
            .map_err(db_err)?;
        let rows = stmt
            .query_map(params![sn.as_str()], |r| r.get::<_, String>(0))
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?
            .into_iter()
            .filter(|id| keep.is_none_or(|k| k.0 != *id))
            .filter(|id| only.is_none_or(|o| o.0 == *id))
            .collect()
    };
    let now = now_secs();
    for id in &ids {
        tx.execute(
            "UPDATE certificates SET status = 'revoked', revoked_at = ?2, pem = NULL WHERE id = ?1",
            params![id, now],
        )
        .map_err(db_err)?;
        tx.execute(
            "UPDATE devices SET certificate_id = NULL WHERE sn = ?1 AND certificate_id = ?2",
            params![sn.as_str(), id],
        )
        .map_err(db_err)?;
        let id = CertificateId(id.clone());
        audit::append(tx, &Event::revoke(actor, sn, &id, reason, keep))?;
    }
    Ok(ids.into_iter().map(CertificateId).collect())
}

/// Rewrites `DIR/crl.pem` from every revoked, unexpired certificate, valid for `validity`.
pub fn publish_crl(
    db: &Db,
    ca: &LocalCa,
    dir: &std::path::Path,
    validity: std::time::Duration,
) -> Result<(), BackendError> {
    let revoked: Vec<(String, OffsetDateTime)> = {
        let conn = db.conn();
        let mut stmt = conn
            .prepare(
                "SELECT serial_hex, revoked_at FROM certificates
                 WHERE status = 'revoked' AND not_after > ?1 ORDER BY revoked_at",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map(params![now_secs()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?
            .into_iter()
            .map(|(s, t)| {
                (
                    s,
                    OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH),
                )
            })
            .collect()
    };
    let number = db.next_counter("crl_number")? as u64;
    let pem = ca.crl_pem(&revoked, number, validity)?;
    super::files::write_public(&dir.join("crl.pem"), pem.as_bytes())
        .map_err(|e| BackendError::Internal(format!("writing the CRL: {e}")))
}

#[async_trait]
impl CertificateAuthority for LocalAuthority {
    async fn issue_from_csr(
        &self,
        thing: &Serial,
        csr: &ValidatedCsr,
    ) -> Result<IssuedCertificate, BackendError> {
        let alg = match csr.key {
            KeyKind::P256 => &PKCS_ECDSA_P256_SHA256,
            KeyKind::Rsa2048 => &PKCS_RSA_SHA256,
        };
        let key = CsrKey {
            raw: &csr.public_key,
            alg,
        };
        let signed = self.ca.sign_device(thing.as_str(), &key)?;
        self.record(thing, &signed).await
    }

    async fn issue_with_new_key(
        &self,
        thing: &Serial,
    ) -> Result<(IssuedCertificate, PrivateKeyPem), BackendError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
            .map_err(|e| BackendError::Internal(e.to_string()))?;
        let signed = self.ca.sign_device(thing.as_str(), &key)?;
        let issued = self.record(thing, &signed).await?;
        Ok((issued, PrivateKeyPem(key.serialize_pem())))
    }

    async fn retire_others(
        &self,
        thing: &Serial,
        keep: &CertificateId,
    ) -> Result<Vec<CertificateId>, BackendError> {
        let retired = self.revoke_and_publish(thing, Some(keep), None).await?;
        if !retired.is_empty()
            && let Err(e) = self.take_over_session(thing).await
        {
            tracing::warn!(%thing, error = %e, "a revoked certificate's session may still be open");
        }
        Ok(retired)
    }

    async fn discard(
        &self,
        thing: &Serial,
        certificate: &CertificateId,
    ) -> Result<(), BackendError> {
        self.revoke_and_publish(thing, None, Some(certificate))
            .await
            .map(drop)
    }

    async fn broker(&self) -> Result<BrokerInfo, BackendError> {
        Ok(self.info.clone())
    }
}
