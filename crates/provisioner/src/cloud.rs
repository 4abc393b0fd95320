//! Client of the provisioning API (`/cert`, `/devices/{sn}`), on AWS or self-hosted.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::error::{Error, ErrorCode, Result};
use crate::http::Api;
use crate::validate::Serial;

/// A cloud-generated private key (seed-compatible mode). `Debug` hides it; wiped on drop;
/// never written to disk by this crate.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct PrivateKeyPem(String);

impl PrivateKeyPem {
    /// The PEM text, only to hand it to the device.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKeyPem(***)")
    }
}

impl Drop for PrivateKeyPem {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// What the service returns with a certificate: everything the device needs to reach the
/// broker.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CertBundle {
    /// The device certificate (PEM).
    pub certificate_pem: String,
    /// The service's id for it.
    #[serde(default)]
    pub certificate_id: String,
    /// Thing name (= serial).
    #[serde(default)]
    pub thing_name: String,
    /// CA the device must trust for the broker (PEM).
    #[serde(default)]
    pub ca_pem: String,
    /// Broker host name.
    #[serde(default)]
    pub mqtt_host: String,
    /// Broker port.
    #[serde(default)]
    pub mqtt_port: u16,
    /// Topic prefix (`devices`).
    #[serde(default)]
    pub topic_prefix: String,
    /// Certificate expiry (RFC 3339), if given.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Only in key-delivery mode; never serialized back out.
    #[serde(default, skip_serializing)]
    pub private_key: Option<PrivateKeyPem>,
}

/// The service's view of a device.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRecord {
    /// Serial.
    pub sn: String,
    /// Owner's account, if bound.
    #[serde(default)]
    pub owner: Option<String>,
    /// Current certificate id.
    #[serde(default)]
    pub certificate_id: Option<String>,
    /// Service-side status (`registered`, `provisioned`, `online`, ...).
    #[serde(default)]
    pub status: Option<String>,
    /// Last message from the device (RFC 3339), if any.
    #[serde(default)]
    pub last_seen: Option<String>,
}

/// The provisioning API.
#[derive(Clone, Debug)]
pub struct CloudClient {
    api: Api,
}

#[derive(Serialize)]
struct CsrRequest<'a> {
    sn: &'a str,
    csr: &'a str,
}

impl CloudClient {
    /// A client over this HTTP API.
    pub fn new(api: Api) -> Self {
        Self { api }
    }

    /// The underlying HTTP API (the self-hosted auth provider shares it).
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// A certificate for the key the device generated (the CSR's): the key never leaves it.
    pub async fn cert_from_csr(
        &self,
        token: &str,
        serial: &Serial,
        csr_pem: &str,
    ) -> Result<CertBundle> {
        let b: CertBundle = self
            .api
            .call(
                Method::POST,
                "/cert",
                Some(&CsrRequest {
                    sn: serial.as_str(),
                    csr: csr_pem,
                }),
                Some(token),
            )
            .await
            .map_err(|e| explain(e, serial))?;
        check_bundle(b, false)
    }

    /// A certificate plus a cloud-generated private key (the seed lab's mode).
    pub async fn cert_with_key(&self, token: &str, serial: &Serial) -> Result<CertBundle> {
        let path = format!("/cert?sn={}", serial.as_str());
        let b: CertBundle = self
            .api
            .call::<(), _>(Method::GET, &path, None, Some(token))
            .await
            .map_err(|e| explain(e, serial))?;
        check_bundle(b, true)
    }

    /// The service's record of a device (owner, status, last seen).
    pub async fn device(&self, token: &str, serial: &Serial) -> Result<DeviceRecord> {
        self.api
            .call::<(), _>(
                Method::GET,
                &format!("/devices/{}", serial.as_str()),
                None,
                Some(token),
            )
            .await
            .map_err(|e| explain(e, serial))
    }
}

fn explain(e: Error, serial: &Serial) -> Error {
    match e.code {
        ErrorCode::SerialNotRegistered => Error::new(
            e.code,
            format!(
                "The serial number {serial} is not registered with the service: check the number printed on the device."
            ),
        ),
        ErrorCode::SerialOwnedByOther => Error::new(
            e.code,
            format!(
                "The device {serial} is registered to another account: sign in with that account or ask the administrator to release it."
            ),
        ),
        _ => e,
    }
}

fn check_bundle(b: CertBundle, want_key: bool) -> Result<CertBundle> {
    if !b.certificate_pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(Error::new(
            ErrorCode::Server,
            "The service returned no certificate.",
        ));
    }
    if want_key && b.private_key.is_none() {
        return Err(Error::new(
            ErrorCode::Server,
            "The service returned no private key.",
        ));
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_hides_and_never_reserializes_the_key() {
        let b: CertBundle = serde_json::from_str(
            r#"{"certificatePem":"-----BEGIN CERTIFICATE-----x","privateKey":"-----BEGIN PRIVATE KEY-----secret","mqttPort":8883}"#,
        )
        .unwrap();
        assert!(!format!("{b:?}").contains("secret"));
        assert!(!serde_json::to_string(&b).unwrap().contains("secret"));
        assert_eq!(
            b.private_key.as_ref().unwrap().expose(),
            "-----BEGIN PRIVATE KEY-----secret"
        );
        assert!(check_bundle(b, true).is_ok());
        let no_cert: CertBundle = serde_json::from_str(r#"{"certificatePem":""}"#).unwrap();
        assert_eq!(
            check_bundle(no_cert, false).unwrap_err().code,
            ErrorCode::Server
        );
    }
}
