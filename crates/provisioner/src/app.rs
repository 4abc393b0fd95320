//! The facade the desktop app and the CLI call: one method per user action, each returning
//! the boundary [`Error`]. Cheap to clone; safe to share between tasks.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use crate::auth::{AuthSession, CognitoAuth, SelfHostedAuth, SignUpNext};
use crate::cloud::{CloudClient, DeviceRecord};
use crate::device::{DeviceInfo, DeviceSession, SecurityPolicy, WifiNetwork};
use crate::error::{Error, ErrorCode, Result};
use crate::http::Api;
use crate::link::{DeviceAp, DirectLink, Link, LinkMode, ManualLink};
use crate::profile::{Backend, Paths, Profile, Profiles};
use crate::secrets::SecretStore;
use crate::validate::{Email, Passphrase, Pop, Serial, Ssid};
use crate::wifi_only::{self, WifiProvisioned};
use crate::wizard::{self, CertMode, Ctx, DeviceCtx, Online, ProgressEvent, SignedIn};

/// The device and how to reach it (raw input; validated by each call).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    /// The device's base URL: `http://192.168.4.1:80` on a real SoftAP.
    pub url: String,
    /// How to reach its network.
    pub link: LinkMode,
    /// The SoftAP name (`PROV_xxxx`).
    pub softap: String,
    /// The SoftAP's WPA2 password, if it has one.
    #[serde(default)]
    pub softap_password: Option<String>,
    /// The proof-of-possession code printed on the device.
    pub pop: String,
    /// Accept an unencrypted (security 0) device.
    #[serde(default)]
    pub allow_sec0: bool,
    /// The security level to insist on, from the user or the device's QR code (`None`: 2).
    /// Never taken from the device's own `proto-ver`.
    #[serde(default)]
    pub security: Option<u32>,
}

impl Target {
    /// The default device address on an ESP-IDF SoftAP.
    pub const SOFTAP_URL: &'static str = "http://192.168.4.1:80";

    /// The lowest session security this target accepts.
    pub fn policy(&self) -> Result<SecurityPolicy> {
        SecurityPolicy::chosen(self.security, self.allow_sec0)
    }
}

/// The QR / label payload: `{"ver","name","pop","transport","security","password"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrPayload {
    /// Format version (`v1`).
    pub ver: String,
    /// SoftAP name.
    pub name: String,
    /// PoP.
    #[serde(default)]
    pub pop: String,
    /// `softap` (BLE is not supported here).
    pub transport: String,
    /// Security scheme.
    #[serde(default)]
    pub security: Option<u32>,
    /// SoftAP password.
    #[serde(default)]
    pub password: Option<String>,
}

impl QrPayload {
    /// Parses the label's QR JSON.
    pub fn parse(text: &str) -> Result<Self> {
        let q: Self = serde_json::from_str(text.trim())
            .map_err(|_| Error::invalid("This QR code is not a provisioning code of a device."))?;
        if q.transport != "softap" {
            return Err(Error::invalid(format!(
                "This device is provisioned over {}; this app supports SoftAP only.",
                q.transport
            )));
        }
        Ok(q)
    }
}

/// Everything one provisioning run needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// Device serial.
    pub serial: String,
    /// The device.
    pub target: Target,
    /// Home network name.
    pub ssid: String,
    /// Home network passphrase (empty for an open network).
    pub passphrase: String,
    /// Where the key comes from.
    #[serde(default)]
    pub cert_mode: CertMode,
    /// How long to wait for the device's first message.
    #[serde(default = "default_online_timeout")]
    pub online_timeout_secs: u64,
}

fn default_online_timeout() -> u64 {
    60
}

struct Backed {
    profile: Profile,
    cloud: CloudClient,
    auth: AuthSession,
}

struct Inner {
    paths: Paths,
    secrets: Arc<dyn SecretStore>,
    notice: Option<String>,
    backend: RwLock<Option<Arc<Backed>>>,
    recovered_link: bool,
}

/// The host core, ready for commands.
#[derive(Clone)]
pub struct Provisioner {
    inner: Arc<Inner>,
}

async fn build_backend(
    profile: &Profile,
    profiles: &Profiles,
    secrets: &Arc<dyn SecretStore>,
) -> Result<Backed> {
    let (cloud, auth): (CloudClient, Arc<dyn crate::auth::Auth>) = match &profile.backend {
        Backend::SelfHosted { url, ca_path } => {
            let api = Api::with_ca_file(url, ca_path.as_deref())?;
            (
                CloudClient::new(api.clone()),
                Arc::new(SelfHostedAuth::new(api)),
            )
        }
        Backend::Aws {
            region,
            client_id,
            api_url,
            cognito_endpoint,
            ..
        } => {
            let secret = profiles.client_secret(profile, &**secrets)?;
            let cognito =
                CognitoAuth::new(region, client_id, secret, cognito_endpoint.as_deref()).await;
            (
                CloudClient::new(Api::new(api_url, None)?),
                Arc::new(cognito),
            )
        }
    };
    Ok(Backed {
        profile: profile.clone(),
        cloud,
        auth: AuthSession::new(auth, secrets.clone(), &profile.backend.token_key()),
    })
}

impl Provisioner {
    /// Opens with the platform's directories and the OS keyring (memory if there is none).
    pub async fn open_default() -> Result<Self> {
        let (secrets, notice) = crate::secrets::open_default();
        Self::open(Paths::platform()?, secrets, notice).await
    }

    /// Opens with explicit directories and secret store. Repairs the network if an earlier
    /// run crashed while on a device's network.
    pub async fn open(
        paths: Paths,
        secrets: Arc<dyn SecretStore>,
        notice: Option<String>,
    ) -> Result<Self> {
        let recovered_link = recover_link(&paths).await;
        let profiles = Profiles::load(&paths)?;
        let backend = match profiles.active() {
            Ok(p) => Some(Arc::new(build_backend(p, &profiles, &secrets).await?)),
            Err(_) => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                paths,
                secrets,
                notice,
                backend: RwLock::new(backend),
                recovered_link,
            }),
        })
    }

    /// Set when secrets cannot outlive this process (no OS keyring).
    pub fn keyring_notice(&self) -> Option<&str> {
        self.inner.notice.as_deref()
    }

    /// Whether opening put the host back on its network after a crashed run.
    pub fn recovered_link(&self) -> bool {
        self.inner.recovered_link
    }

    /// Puts the host back on the network a stopped run left it off (the run's future was
    /// dropped while it was on a device's access point: the app closing, a crash). Reads the
    /// restore marker the link wrote; true if it restored something.
    pub async fn recover_network(&self) -> bool {
        recover_link(&self.inner.paths).await
    }

    /// The directories in use.
    pub fn paths(&self) -> &Paths {
        &self.inner.paths
    }

    async fn backed(&self) -> Result<Arc<Backed>> {
        self.inner.backend.read().await.clone().ok_or_else(|| {
            Error::new(
                ErrorCode::NotConfigured,
                "No backend is configured: choose the provisioning service in the settings (`provision profile`).",
            )
        })
    }

    /// Saves a profile (the client secret goes to the keyring) and switches to it.
    pub async fn set_profile(&self, profile: Profile, client_secret: Option<String>) -> Result<()> {
        let mut profiles = Profiles::load(&self.inner.paths)?;
        profiles.upsert(profile, client_secret.as_deref(), &*self.inner.secrets)?;
        let active = profiles.active()?.clone();
        let b = build_backend(&active, &profiles, &self.inner.secrets).await?;
        *self.inner.backend.write().await = Some(Arc::new(b));
        Ok(())
    }

    /// The active profile.
    pub async fn profile(&self) -> Option<Profile> {
        self.inner
            .backend
            .read()
            .await
            .as_ref()
            .map(|b| b.profile.clone())
    }

    /// Creates an account.
    pub async fn sign_up(&self, email: &str, password: &str) -> Result<SignUpNext> {
        let b = self.backed().await?;
        b.auth
            .provider()
            .sign_up(&Email::parse(email)?, password)
            .await
    }

    /// Confirms an account with the e-mailed code.
    pub async fn confirm_sign_up(&self, email: &str, code: &str) -> Result<()> {
        let b = self.backed().await?;
        b.auth
            .provider()
            .confirm_sign_up(&Email::parse(email)?, code)
            .await
    }

    /// Sends the confirmation code again.
    pub async fn resend_code(&self, email: &str) -> Result<()> {
        let b = self.backed().await?;
        b.auth.provider().resend_code(&Email::parse(email)?).await
    }

    /// Signs in; returns the e-mail.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<String> {
        let b = self.backed().await?;
        b.auth.sign_in(&Email::parse(email)?, password).await
    }

    /// Starts a password reset.
    pub async fn forgot_password(&self, email: &str) -> Result<()> {
        let b = self.backed().await?;
        b.auth
            .provider()
            .forgot_password(&Email::parse(email)?)
            .await
    }

    /// Sets a new password with the reset code.
    pub async fn confirm_forgot_password(
        &self,
        email: &str,
        code: &str,
        new_password: &str,
    ) -> Result<()> {
        let b = self.backed().await?;
        b.auth
            .provider()
            .confirm_forgot_password(&Email::parse(email)?, code, new_password)
            .await
    }

    /// Signs out everywhere and forgets the tokens.
    pub async fn sign_out(&self) -> Result<()> {
        self.backed().await?.auth.sign_out().await
    }

    /// The signed-in account, if any.
    pub async fn current_account(&self) -> Option<String> {
        match self.backed().await {
            Ok(b) => b.auth.whoami().await,
            Err(_) => None,
        }
    }

    /// The service's record of a device.
    pub async fn device_status(&self, serial: &str) -> Result<DeviceRecord> {
        let serial = Serial::parse(serial)?;
        let b = self.backed().await?;
        b.auth
            .with_token(|t| {
                let (cloud, serial) = (b.cloud.clone(), serial.clone());
                async move { cloud.device(&t, &serial).await }
            })
            .await
    }

    /// A certificate for a CSR made elsewhere (e.g. by a factory station).
    pub async fn certificate_for_csr(
        &self,
        serial: &str,
        csr_pem: &str,
    ) -> Result<crate::cloud::CertBundle> {
        let serial = Serial::parse(serial)?;
        if !csr_pem.contains("CERTIFICATE REQUEST") {
            return Err(Error::invalid(
                "This file is not a PEM certificate request (CSR).",
            ));
        }
        let b = self.backed().await?;
        b.auth
            .with_token(|t| {
                let (cloud, serial, csr) = (b.cloud.clone(), serial.clone(), csr_pem.to_owned());
                async move { cloud.cert_from_csr(&t, &serial, &csr).await }
            })
            .await
    }

    async fn link_for(&self, target: &Target) -> Result<Box<dyn Link>> {
        Ok(match target.link {
            LinkMode::Direct => Box::new(DirectLink),
            LinkMode::Manual => Box::new(ManualLink {
                device: device_socket(&target.url)?,
                wait: Duration::from_secs(120),
            }),
            LinkMode::Auto => auto_link(&self.inner.paths).await?,
        })
    }

    /// Joins the device's network, runs `f` on a session, and always restores the network.
    async fn with_device<T>(
        &self,
        target: &Target,
        f: impl AsyncFnOnce(&mut DeviceSession) -> Result<T>,
    ) -> Result<T> {
        let pop = Pop::parse(&target.pop)?;
        let policy = target.policy()?;
        let ap = device_ap(target)?;
        let link = self.link_for(target).await?;
        link.join(&ap).await?;
        let r = async {
            let mut s = DeviceSession::open(&target.url, &pop, policy).await?;
            f(&mut s).await
        }
        .await;
        let restored = link.restore().await;
        let v = r?;
        restored?;
        Ok(v)
    }

    /// The device's identity.
    pub async fn device_info(&self, target: &Target) -> Result<DeviceInfo> {
        self.with_device(target, async |s| s.info().await).await
    }

    /// The networks the device sees.
    pub async fn scan(&self, target: &Target) -> Result<Vec<WifiNetwork>> {
        self.with_device(target, async |s| s.scan().await).await
    }

    /// The whole wizard: certificate, Wi-Fi, apply, restore, online confirmation. Every input
    /// is validated before any network call.
    pub async fn provision(
        &self,
        plan: &Plan,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
    ) -> Result<Online> {
        let serial = Serial::parse(&plan.serial)?;
        let ssid = Ssid::parse(&plan.ssid)?;
        let passphrase = Passphrase::parse(&plan.passphrase)?;
        let pop = Pop::parse(&plan.target.pop)?;
        let security = plan.target.policy()?;
        let ap = device_ap(&plan.target)?;
        let b = self.backed().await?;
        let link = self.link_for(&plan.target).await?;
        let ctx = Ctx {
            cloud: &b.cloud,
            auth: &b.auth,
            device: DeviceCtx {
                link: &*link,
                device_url: &plan.target.url,
                ap,
                security,
                events: on_progress,
            },
            link_mode: plan.target.link,
            cert_mode: plan.cert_mode,
            state_dir: &self.inner.paths.state_dir,
        };
        let signed_in = SignedIn::start(ctx, &serial).await?;
        let connected = signed_in.connect(&pop).await?;
        let ready = connected.certificate(plan.cert_mode).await?;
        let chosen = ready.choose_wifi(ssid, passphrase)?;
        let provisioned = chosen.provision(&pop).await?;
        provisioned
            .confirm_online(Duration::from_secs(plan.online_timeout_secs))
            .await
    }

    /// Wi-Fi only, as Espressif's own apps provision a stock ESP-IDF device: session, Wi-Fi
    /// settings, apply, the device's verdict, back to the host's network. No sign-in, no
    /// certificate; any device takes it, ours too (it then stays without cloud credentials).
    /// Every input is validated before any network call.
    pub async fn provision_wifi(
        &self,
        plan: &WifiPlan,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
    ) -> Result<WifiProvisioned> {
        let ssid = Ssid::parse(&plan.ssid)?;
        let passphrase = Passphrase::parse(&plan.passphrase)?;
        let pop = Pop::parse(&plan.target.pop)?;
        let security = plan.target.policy()?;
        let ap = device_ap(&plan.target)?;
        let link = self.link_for(&plan.target).await?;
        let dev = DeviceCtx {
            link: &*link,
            device_url: &plan.target.url,
            ap,
            security,
            events: on_progress,
        };
        wifi_only::run(&dev, &pop, &ssid, &passphrase).await
    }

    /// The seed lab's legacy mode for devices that run the lab firmware: a cloud-made key and
    /// certificate pushed with the Wi-Fi settings over an unauthenticated TLS stream. Refused
    /// unless `opts.accept_risk` is set after showing [`crate::device::legacy::LEGACY_WARNING`].
    /// Every input is validated before any network call; `plan.cert_mode` is ignored (the
    /// lab firmware cannot make a key).
    pub async fn provision_legacy(
        &self,
        plan: &Plan,
        opts: &crate::legacy_flow::LegacyOptions,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
    ) -> Result<Online> {
        crate::legacy_flow::check_consent(opts)?;
        let serial = Serial::parse(&plan.serial)?;
        let ssid = Ssid::parse(&plan.ssid)?;
        let passphrase = Passphrase::parse(&plan.passphrase)?;
        let ap = device_ap(&plan.target)?;
        let b = self.backed().await?;
        // The lab firmware serves nothing to wait for: with a manual link the user joins its
        // network and the device connecting to our TLS server is the sign that it worked.
        let link: Box<dyn Link> = match plan.target.link {
            LinkMode::Manual => Box::new(DirectLink),
            _ => self.link_for(&plan.target).await?,
        };
        let ctx = Ctx {
            cloud: &b.cloud,
            auth: &b.auth,
            device: DeviceCtx {
                link: &*link,
                device_url: &plan.target.url,
                ap,
                security: SecurityPolicy::SEC2,
                events: on_progress,
            },
            link_mode: plan.target.link,
            cert_mode: CertMode::CloudKey,
            state_dir: &self.inner.paths.state_dir,
        };
        crate::legacy_flow::run(
            ctx,
            &serial,
            &ssid,
            &passphrase,
            opts,
            Duration::from_secs(plan.online_timeout_secs),
        )
        .await
    }

    /// Every run left unfinished by a crash, most advanced first (from the journals).
    pub fn interrupted_runs(&self) -> Vec<wizard::Journal> {
        wizard::Journal::list(&self.inner.paths.state_dir)
    }

    /// The most advanced run left unfinished by a crash, if any (from the journals).
    pub fn interrupted_run(&self) -> Option<wizard::Journal> {
        wizard::Journal::list(&self.inner.paths.state_dir)
            .into_iter()
            .next()
    }

    /// Finishes an interrupted run with no secrets given: works once the device applied its
    /// settings (the service says whether it came online); earlier stages need
    /// [`Provisioner::resume_run`] with the PoP and passphrase.
    pub async fn resume(
        &self,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
        online_timeout: Duration,
    ) -> Result<Online> {
        let req = ResumeRequest {
            online_timeout_secs: online_timeout.as_secs(),
            ..ResumeRequest::default()
        };
        self.resume_run(&req, on_progress).await
    }

    /// Finishes the run left by a crash for `req.serial` (or the most advanced one) from where
    /// it stopped; see [`wizard::resume`]. The journal keeps no secret, so the PoP and the
    /// passphrase come again in `req` when the stage needs them. Input is validated first.
    pub async fn resume_run(
        &self,
        req: &ResumeRequest,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
    ) -> Result<Online> {
        let state_dir = &self.inner.paths.state_dir;
        let journal = match req.serial.as_deref() {
            Some(sn) => wizard::Journal::load(state_dir, Serial::parse(sn)?.as_str()),
            None => self.interrupted_run(),
        }
        .ok_or_else(|| Error::invalid("There is no interrupted run to resume."))?;
        let input = wizard::ResumeInput {
            pop: req.pop.as_deref().map(Pop::parse).transpose()?,
            ssid: req.ssid.as_deref().map(Ssid::parse).transpose()?,
            passphrase: req
                .passphrase
                .as_deref()
                .map(Passphrase::parse)
                .transpose()?,
        };
        let target = Target {
            url: match journal.device_url.as_str() {
                "" => Target::SOFTAP_URL.to_owned(),
                u => u.to_owned(),
            },
            // A journal from before the link was recorded can only finish the online check.
            link: journal.link.unwrap_or(LinkMode::Direct),
            softap: journal.softap.clone(),
            softap_password: None,
            pop: String::new(),
            allow_sec0: journal.allow_sec0,
            security: journal.security,
        };
        let ap = device_ap(&target)?;
        let b = self.backed().await?;
        let link = self.link_for(&target).await?;
        let ctx = Ctx {
            cloud: &b.cloud,
            auth: &b.auth,
            device: DeviceCtx {
                link: &*link,
                device_url: &target.url,
                ap,
                security: target.policy()?,
                events: on_progress,
            },
            link_mode: target.link,
            cert_mode: journal.cert_mode,
            state_dir,
        };
        wizard::resume(
            ctx,
            journal,
            input,
            Duration::from_secs(req.online_timeout_secs),
        )
        .await
    }
}

/// A Wi-Fi-only run: the device and the home network, nothing for the cloud.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WifiPlan {
    /// The device.
    pub target: Target,
    /// Home network name.
    pub ssid: String,
    /// Home network passphrase (empty for an open network).
    pub passphrase: String,
}

/// What finishing an interrupted run needs again: the secrets (never stored) and, if the run
/// stopped before choosing one, the network name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ResumeRequest {
    /// Which run (its serial); the most advanced one when absent.
    #[serde(default)]
    pub serial: Option<String>,
    /// The device's PoP code (needed before the device applied its settings).
    #[serde(default)]
    pub pop: Option<String>,
    /// The home network's name, if the run had not chosen it yet.
    #[serde(default)]
    pub ssid: Option<String>,
    /// Its passphrase (needed before the device applied its settings).
    #[serde(default)]
    pub passphrase: Option<String>,
    /// How long to wait for the device's first message.
    #[serde(default = "default_online_timeout")]
    pub online_timeout_secs: u64,
}

fn device_ap(target: &Target) -> Result<DeviceAp> {
    let ssid = Ssid::parse(&target.softap)
        .map_err(|e| Error::invalid(format!("Device network name: {}", e.message)))?;
    let password = match target.softap_password.as_deref() {
        None | Some("") => None,
        Some(p) => Some(
            Passphrase::parse(p)
                .map_err(|e| Error::invalid(format!("Device network password: {}", e.message)))?,
        ),
    };
    Ok(DeviceAp {
        ssid: ssid.to_string(),
        password,
    })
}

fn device_socket(url: &str) -> Result<std::net::SocketAddr> {
    let u = url::Url::parse(url)
        .map_err(|e| Error::invalid(format!("\"{url}\" is not a device address: {e}.")))?;
    let host = u.host_str().unwrap_or_default();
    let port = u.port_or_known_default().unwrap_or(80);
    format!("{host}:{port}").parse().map_err(|_| {
        Error::invalid(format!(
            "The device address must be an IP address and port, not \"{url}\"."
        ))
    })
}

#[cfg(target_os = "linux")]
async fn auto_link(paths: &Paths) -> Result<Box<dyn Link>> {
    Ok(Box::new(
        crate::link::NmLink::system(paths.state_dir.clone()).await?,
    ))
}

#[cfg(windows)]
async fn auto_link(_paths: &Paths) -> Result<Box<dyn Link>> {
    Ok(Box::new(crate::link::WindowsLink::default()))
}

#[cfg(not(any(target_os = "linux", windows)))]
async fn auto_link(_paths: &Paths) -> Result<Box<dyn Link>> {
    Err(Error::new(
        ErrorCode::Link,
        "Joining the device's network automatically is not supported on this system: join it yourself and use the manual link mode.",
    ))
}

#[cfg(target_os = "linux")]
async fn recover_link(paths: &Paths) -> bool {
    let marker = paths.state_dir.join("link-restore.json");
    if !marker.exists() {
        return false;
    }
    match crate::link::NmLink::system(paths.state_dir.clone()).await {
        Ok(l) => match l.recover().await {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!(error = %e, "could not restore the network left by an interrupted run");
                false
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "could not restore the network left by an interrupted run");
            false
        }
    }
}

#[cfg(not(target_os = "linux"))]
async fn recover_link(_paths: &Paths) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_payloads() {
        let q = QrPayload::parse(r#"{"ver":"v1","name":"PROV_AB12","pop":"abcd1234","transport":"softap","security":2,"password":""}"#).unwrap();
        assert_eq!(q.name, "PROV_AB12");
        assert_eq!(q.security, Some(2));
        assert!(
            QrPayload::parse(r#"{"ver":"v1","name":"x","transport":"ble"}"#)
                .unwrap_err()
                .message
                .contains("ble")
        );
        assert_eq!(
            QrPayload::parse("hello").unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn device_addresses() {
        assert_eq!(
            device_socket("http://192.168.4.1:80").unwrap().to_string(),
            "192.168.4.1:80"
        );
        assert_eq!(device_socket("http://192.168.4.1").unwrap().port(), 80);
        assert!(device_socket("http://device.local").is_err());
    }

    #[tokio::test]
    async fn bad_input_is_refused_before_any_network_call() {
        let dir = tempfile::tempdir().unwrap();
        let p = Provisioner::open(
            Paths::under(dir.path()),
            Arc::new(crate::secrets::MemoryStore::default()),
            None,
        )
        .await
        .unwrap();
        let plan = |serial: &str, ssid: &str, pass: &str| Plan {
            serial: serial.into(),
            target: Target {
                // Nothing listens here: reaching the network would fail differently.
                url: "http://127.0.0.1:9".into(),
                link: LinkMode::Direct,
                softap: "PROV_0001".into(),
                softap_password: None,
                pop: "abcd1234".into(),
                allow_sec0: false,
                security: None,
            },
            ssid: ssid.into(),
            passphrase: pass.into(),
            cert_mode: CertMode::DeviceCsr,
            online_timeout_secs: 1,
        };
        let quiet = |_: ProgressEvent| {};
        for (pl, needle) in [
            (plan("x", "Home", "password1"), "serial"),
            (plan("SN0001", "", "password1"), "network name"),
            (plan("SN0001", "Home", "short"), "passphrase"),
        ] {
            let e = p.provision(&pl, &quiet).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{e:?}");
            assert!(e.message.contains(needle), "{} lacks {needle}", e.message);
        }
        // Valid input but no profile: says how to configure, still no network.
        let e = p
            .provision(&plan("SN0001", "Home", "password1"), &quiet)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotConfigured);
        assert!(wizard::Journal::list(&dir.path().join("state")).is_empty());
    }
}
