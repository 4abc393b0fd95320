//! The seed lab's legacy mode as one flow: a certificate with a cloud-made key, the device's
//! network joined, key + certificate + Wi-Fi pushed through the one-shot TLS server the lab
//! firmware connects to, the network restored, and the device's first message awaited.
//! Explicit opt-in only: see [`LEGACY_WARNING`].

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::device::legacy::{LEGACY_LISTEN, LEGACY_WARNING, LegacyServer};
use crate::error::{Error, ErrorCode, Result};
use crate::validate::{Passphrase, Serial, Ssid};
use crate::wizard::{Ctx, JoinEvidence, Online, Step, last_seen_before, wait_online};

/// How to run the legacy mode.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LegacyOptions {
    /// Where the TLS server listens for the device (port [`crate::device::legacy::LEGACY_PORT`] on a real SoftAP).
    pub listen: SocketAddr,
    /// The user read [`LEGACY_WARNING`] and chose this mode; nothing is sent without it.
    pub accept_risk: bool,
    /// How long to wait for the device to connect.
    pub wait_secs: u64,
}

impl Default for LegacyOptions {
    fn default() -> Self {
        Self {
            listen: LEGACY_LISTEN,
            accept_risk: false,
            wait_secs: 60,
        }
    }
}

/// Refuses unless the risk was accepted explicitly.
pub fn check_consent(opts: &LegacyOptions) -> Result<()> {
    if opts.accept_risk {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "Legacy mode must be chosen explicitly (provision run --legacy). {LEGACY_WARNING}"
        )))
    }
}

/// Runs the legacy flow for `serial` (input already validated, consent checked).
pub async fn run(
    ctx: Ctx<'_>,
    serial: &Serial,
    ssid: &Ssid,
    passphrase: &Passphrase,
    opts: &LegacyOptions,
    online_timeout: Duration,
) -> Result<Online> {
    check_consent(opts)?;
    ctx.auth.id_token().await?;
    let before = last_seen_before(&ctx, serial).await?;
    let bundle = ctx
        .step(
            Step::Certificate,
            "Getting the device's key and certificate",
            ctx.auth.with_token(|t| {
                let (cloud, serial) = (ctx.cloud, serial.clone());
                async move { cloud.cert_with_key(&t, &serial).await }
            }),
        )
        .await?;
    let key = bundle
        .private_key
        .as_ref()
        .ok_or_else(|| Error::new(ErrorCode::Server, "The service returned no private key."))?;
    // Listen before joining: the lab firmware connects as soon as the host is on its network.
    let server = LegacyServer::bind(opts.listen).await?;
    ctx.join_device().await?;
    let sent = ctx
        .step(
            Step::SendCredentials,
            "Sending the credentials (legacy mode, unauthenticated)",
            server.push(
                key.expose(),
                &bundle.certificate_pem,
                ssid,
                passphrase,
                Duration::from_secs(opts.wait_secs),
            ),
        )
        .await;
    let restored = ctx.restore_host().await;
    sent?;
    restored?;
    let joined = JoinEvidence::NotReported;
    let record = wait_online(&ctx, serial, before.as_deref(), online_timeout, &joined).await?;
    Ok(Online {
        serial: serial.to_string(),
        certificate_id: bundle.certificate_id.clone(),
        thing_name: serial.to_string(),
        last_seen: record.last_seen,
        joined,
        certificate_pem: Some(bundle.certificate_pem.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_sent_without_explicit_consent() {
        let e = check_consent(&LegacyOptions::default()).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(e.message.contains(LEGACY_WARNING));
        assert!(e.message.contains("--legacy"));
        let ok = LegacyOptions {
            accept_risk: true,
            ..LegacyOptions::default()
        };
        assert!(check_consent(&ok).is_ok());
        assert_eq!(
            LegacyOptions::default().listen.port(),
            crate::device::legacy::LEGACY_PORT
        );
    }
}
