//! The provisioning flow as typed states:
//! [`SignedIn`] -> [`Connected`] -> [`CertificateReady`] -> [`WifiChosen`] -> [`Provisioned`]
//! -> [`Online`]. Each step consumes the previous state, so steps cannot run out of order.
//! Progress goes to a callback as [`ProgressEvent`]s; a small journal in the state dir (never
//! a key, passphrase, PoP or token) lets a crashed run be resumed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::auth::AuthSession;
use crate::cloud::{CertBundle, CloudClient, DeviceRecord};
use crate::device::{DeviceSession, MqttConfig, PostError, SecurityPolicy, WifiState};
use crate::error::{Error, ErrorCode, Result};
use crate::link::{DeviceAp, Link, LinkMode};
use crate::validate::{Passphrase, Pop, Serial, Ssid};

/// A step of the flow, as shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Joining the device's access point.
    JoinDevice,
    /// Opening the encrypted session with the PoP.
    SecureSession,
    /// Getting the device's certificate from the service.
    Certificate,
    /// Sending Wi-Fi, certificate and MQTT settings.
    SendCredentials,
    /// Asking the device to join the network.
    Apply,
    /// The device reports it joined the network.
    DeviceJoinedWifi,
    /// This computer is back on its previous network.
    HostRestored,
    /// The device's first message reached the service.
    DeviceOnline,
}

/// The state of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StepState {
    /// Started.
    Running,
    /// Finished well.
    Done,
    /// Failed with this error.
    Failed {
        /// Error code.
        code: ErrorCode,
        /// What to do.
        message: String,
    },
}

/// One progress event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressEvent {
    /// Which step.
    pub step: Step,
    /// Its state.
    pub state: StepState,
    /// A short human sentence (no secrets).
    pub message: String,
}

/// Where the certificate's private key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CertMode {
    /// The device makes the key and a CSR; the key never leaves it (default).
    #[default]
    DeviceCsr,
    /// The service makes the key and sends it with the certificate (seed lab compatible).
    CloudKey,
}

/// How far a run got; persisted (without secrets) so a crashed run can be resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Signed in, about to talk to the device.
    SignedIn,
    /// A certificate was issued for the device.
    CertificateReady,
    /// The network was chosen.
    WifiChosen,
    /// Every credential was sent and the device was asked to join; the result is not known.
    Applied,
    /// The device has its credentials and applied them.
    Provisioned,
    /// The service saw the device.
    Online,
}

/// The crash-recovery journal: what a resumed run needs, and nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Device serial.
    pub serial: String,
    /// Its SoftAP name.
    pub softap: String,
    /// The chosen network's name (the passphrase is never stored).
    pub ssid: Option<String>,
    /// Last stage reached.
    pub stage: Stage,
    /// Issued certificate id, once there is one.
    pub certificate_id: Option<String>,
    /// The device's `lastSeen` before this run, to tell a new hello from an old one.
    pub last_seen_before: Option<String>,
    /// The device's base URL.
    #[serde(default)]
    pub device_url: String,
    /// How its network was reached.
    #[serde(default)]
    pub link: Option<LinkMode>,
    /// Whether an unencrypted session was allowed.
    #[serde(default)]
    pub allow_sec0: bool,
    /// The security level the run insisted on (`None`: 2).
    #[serde(default)]
    pub security: Option<u32>,
    /// Where the key came from.
    #[serde(default)]
    pub cert_mode: CertMode,
    /// The certificate issued for the device's own key (CSR mode only), with its CA and broker
    /// settings: all public, and enough to deliver it again after a crash without a new key.
    /// A [`CertBundle`] never serializes a private key.
    #[serde(default)]
    pub certificate: Option<CertBundle>,
}

impl Journal {
    /// The directory holding one journal per device serial. One file per serial (not one per
    /// state dir) so that concurrent runs, e.g. a batch, never overwrite or delete each
    /// other's journal.
    pub fn dir(state_dir: &Path) -> PathBuf {
        state_dir.join("runs")
    }

    /// The journal file of `serial` (a validated serial is a safe file name).
    pub fn path(state_dir: &Path, serial: &str) -> PathBuf {
        Self::dir(state_dir).join(format!("{serial}.json"))
    }

    /// Reads the journal an earlier run left for `serial`.
    pub fn load(state_dir: &Path, serial: &str) -> Option<Self> {
        let bytes = std::fs::read(Self::path(state_dir, serial)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Every journal left by earlier runs, most advanced stage first.
    pub fn list(state_dir: &Path) -> Vec<Self> {
        let Ok(entries) = std::fs::read_dir(Self::dir(state_dir)) else {
            return Vec::new();
        };
        let mut out: Vec<Self> = entries
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok())
            .collect();
        out.sort_by(|a: &Self, b| b.stage.cmp(&a.stage).then(a.serial.cmp(&b.serial)));
        out
    }

    fn save(&self, state_dir: &Path) -> Result<()> {
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let dir = Self::dir(state_dir);
        std::fs::create_dir_all(&dir).map_err(|e| Error::storage(&dir.display().to_string(), e))?;
        let path = Self::path(state_dir, &self.serial);
        // A temporary name of its own per write, so two writers never rename each other's file.
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(".{}.{}.{seq}.tmp", self.serial, std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec(self).expect("journal serializes"))
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                Error::storage(&path.display().to_string(), e)
            })
    }

    /// Removes the journal of `serial` (after success).
    pub fn clear(state_dir: &Path, serial: &str) {
        let _ = std::fs::remove_file(Self::path(state_dir, serial));
    }
}

/// What the flow needs from its surroundings.
pub struct Ctx<'a> {
    /// The provisioning API.
    pub cloud: &'a CloudClient,
    /// The signed-in user.
    pub auth: &'a AuthSession,
    /// The device, its network and the progress sink.
    pub device: DeviceCtx<'a>,
    /// How the device's network is reached (kept in the journal for a resumed run).
    pub link_mode: LinkMode,
    /// Where the key will come from (kept in the journal for a resumed run).
    pub cert_mode: CertMode,
    /// The journal's directory.
    pub state_dir: &'a Path,
}

impl<'a> std::ops::Deref for Ctx<'a> {
    type Target = DeviceCtx<'a>;
    fn deref(&self) -> &DeviceCtx<'a> {
        &self.device
    }
}

/// What talking to a device needs, with no cloud: enough for a Wi-Fi-only run.
pub struct DeviceCtx<'a> {
    /// How to reach the device's network.
    pub link: &'a dyn Link,
    /// The device's base URL.
    pub device_url: &'a str,
    /// The device's access point.
    pub ap: DeviceAp,
    /// The lowest session security accepted (from the user or the QR code).
    pub security: SecurityPolicy,
    /// Progress sink.
    pub events: &'a (dyn Fn(ProgressEvent) + Send + Sync),
}

impl DeviceCtx<'_> {
    pub(crate) fn emit(&self, step: Step, state: StepState, message: impl Into<String>) {
        (self.events)(ProgressEvent {
            step,
            state,
            message: message.into(),
        });
    }

    /// Joins the device's access point, as the `join_device` step.
    pub(crate) async fn join_device(&self) -> Result<()> {
        self.step(
            Step::JoinDevice,
            "Joining the device's network",
            self.link.join(&self.ap),
        )
        .await
    }

    /// Puts the host back on its previous network, as the `host_restored` step.
    pub(crate) async fn restore_host(&self) -> Result<()> {
        self.step(
            Step::HostRestored,
            "Returning to the previous network",
            self.link.restore(),
        )
        .await
    }

    /// Runs `f` as `step`: emits running, then done or failed.
    pub(crate) async fn step<T>(
        &self,
        step: Step,
        what: &str,
        f: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        self.emit(step, StepState::Running, what);
        match f.await {
            Ok(v) => {
                self.emit(step, StepState::Done, what);
                Ok(v)
            }
            Err(e) => {
                self.emit(
                    step,
                    StepState::Failed {
                        code: e.code,
                        message: e.message.clone(),
                    },
                    what,
                );
                Err(e)
            }
        }
    }

    /// Asks the device to join the network, as the `apply` step. False when the device's
    /// access point went away right after the request (it may move to the router's channel at
    /// once): not a failure yet, the verdict is read next.
    pub(crate) async fn apply(&self, session: &mut DeviceSession) -> Result<bool> {
        self.step(
            Step::Apply,
            "Asking the device to join the network",
            async {
                match session.apply().await {
                    Ok(()) => Ok(true),
                    Err(PostError::Unreachable(_)) => Ok(false),
                    Err(e) => Err(e.into_error("prov-config")),
                }
            },
        )
        .await
    }

    pub(crate) async fn open_session(&self, pop: &Pop) -> Result<DeviceSession> {
        DeviceSession::open(self.device_url, pop, self.security).await
    }
}

/// The device's `lastSeen` before a run, to tell its new hello from an old one.
pub(crate) async fn last_seen_before(ctx: &Ctx<'_>, serial: &Serial) -> Result<Option<String>> {
    let record = ctx
        .auth
        .with_token(|t| {
            let cloud = ctx.cloud;
            let serial = serial.clone();
            async move { cloud.device(&t, &serial).await }
        })
        .await;
    match record {
        Ok(r) => Ok(r.last_seen),
        // A device the caller does not own yet has no readable record; fine before binding.
        Err(e)
            if matches!(
                e.code,
                ErrorCode::NotFound | ErrorCode::Forbidden | ErrorCode::SerialOwnedByOther
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Waits (as the `DeviceOnline` step) until the service has seen the device's first message:
/// its `lastSeen` is set and differs from `before`.
pub(crate) async fn wait_online(
    ctx: &Ctx<'_>,
    serial: &Serial,
    before: Option<&str>,
    timeout: Duration,
    joined: &JoinEvidence,
) -> Result<DeviceRecord> {
    ctx.step(Step::DeviceOnline, "Waiting for the device's first message", async {
        let deadline = Instant::now() + timeout;
        loop {
            let r = ctx
                .auth
                .with_token(|t| {
                    let (cloud, serial) = (ctx.cloud, serial.clone());
                    async move { cloud.device(&t, &serial).await }
                })
                .await?;
            if r.last_seen.is_some() && r.last_seen.as_deref() != before {
                return Ok(r);
            }
            if Instant::now() >= deadline {
                let why = match joined {
                    JoinEvidence::LinkDropped => "the link to the device dropped after it got its settings and the service has not heard from it",
                    JoinEvidence::DeviceReported { .. } => "the device joined the network but the service has not heard from it",
                    JoinEvidence::NotReported => "the device got its settings but the service has not heard from it",
                };
                return Err(Error::new(
                    ErrorCode::DeviceOffline,
                    format!("{why} within {} s: check that the network reaches the internet, then look at the device's status light.", timeout.as_secs()),
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

/// Signed in, with a device in mind.
pub struct SignedIn<'a> {
    ctx: Ctx<'a>,
    journal: Journal,
}

/// The host is on the device's network with an encrypted session.
pub struct Connected<'a> {
    ctx: Ctx<'a>,
    journal: Journal,
    session: DeviceSession,
    serial: Serial,
}

/// The device has a certificate waiting for it.
pub struct CertificateReady<'a> {
    ctx: Ctx<'a>,
    journal: Journal,
    session: DeviceSession,
    serial: Serial,
    bundle: CertBundle,
    mode: CertMode,
    /// The certificate already reached the device (a resumed run).
    cert_sent: bool,
}

/// The network is chosen.
pub struct WifiChosen<'a> {
    inner: CertificateReady<'a>,
    ssid: Ssid,
    passphrase: Passphrase,
}

/// The device applied its credentials; the host is back on its network.
pub struct Provisioned<'a> {
    ctx: Ctx<'a>,
    journal: Journal,
    serial: Serial,
    /// The delivered certificate (public), when known.
    certificate_pem: Option<String>,
    /// How the device's connection was confirmed.
    pub joined: JoinEvidence,
}

/// The device reached the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Online {
    /// Serial.
    pub serial: String,
    /// Issued certificate id.
    pub certificate_id: String,
    /// Thing name.
    pub thing_name: String,
    /// `lastSeen` reported by the service.
    pub last_seen: Option<String>,
    /// How the Wi-Fi join was confirmed.
    pub joined: JoinEvidence,
    /// The device's certificate (PEM, public), for its fingerprint and expiry; `None` after a
    /// resumed cloud-key run, whose certificate the journal does not keep.
    pub certificate_pem: Option<String>,
}

/// How we know the device joined the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinEvidence {
    /// The device reported it, with its address.
    DeviceReported {
        /// The device's IPv4 address on the home network.
        ip: String,
    },
    /// The link dropped before the device could report; the service will tell.
    LinkDropped,
    /// The device has no way to report (the seed lab's legacy mode); the service will tell.
    NotReported,
}

impl<'a> SignedIn<'a> {
    /// Starts a flow for `serial`. Checks the user is signed in.
    pub async fn start(ctx: Ctx<'a>, serial: &Serial) -> Result<Self> {
        ctx.auth.id_token().await?;
        let last_seen_before = last_seen_before(&ctx, serial).await?;
        let journal = Journal {
            serial: serial.to_string(),
            softap: ctx.ap.ssid.clone(),
            ssid: None,
            stage: Stage::SignedIn,
            certificate_id: None,
            last_seen_before,
            device_url: ctx.device_url.to_owned(),
            link: Some(ctx.link_mode),
            allow_sec0: ctx.security.level() == 0,
            security: Some(ctx.security.level()),
            cert_mode: ctx.cert_mode,
            certificate: None,
        };
        journal.save(ctx.state_dir)?;
        Ok(Self { ctx, journal })
    }

    /// Joins the device's network and opens the session. On error the host is put back on
    /// its network before returning.
    pub async fn connect(self, pop: &Pop) -> Result<Connected<'a>> {
        let ctx = self.ctx;
        ctx.join_device().await?;
        let opened = ctx
            .step(
                Step::SecureSession,
                "Opening a secure session",
                ctx.open_session(pop),
            )
            .await;
        let mut session = match opened {
            Ok(s) => s,
            Err(e) => {
                let _ = ctx.link.restore().await;
                return Err(e);
            }
        };
        let serial = Serial::parse(&self.journal.serial)?;
        if !session.has_iot_cred() {
            // Nothing was asked of the service yet: leave no run behind to resume.
            let _ = ctx.link.restore().await;
            Journal::clear(ctx.state_dir, serial.as_str());
            let e = wifi_only_error(&ctx.ap.ssid);
            ctx.emit(
                Step::Certificate,
                StepState::Failed {
                    code: e.code,
                    message: e.message.clone(),
                },
                "Getting the device's certificate",
            );
            return Err(e);
        }
        let info = session.info().await;
        match info {
            Ok(i) if i.serial != serial.as_str() => {
                let _ = ctx.link.restore().await;
                return Err(Error::invalid(format!(
                    "This device reports serial {}, not {serial}: check the serial number or the device's network name.",
                    i.serial
                )));
            }
            // Stock devices without our endpoint cannot be checked.
            _ => {}
        }
        Ok(Connected {
            ctx,
            journal: self.journal,
            session,
            serial,
        })
    }
}

/// The refusal of a certificate run for a device without our `iot-cred` endpoint.
pub fn wifi_only_error(softap: &str) -> Error {
    Error::new(
        ErrorCode::WifiOnlyDevice,
        format!(
            "The device on \"{softap}\" is a Wi-Fi-only device: it runs Espressif's stock provisioning, which takes Wi-Fi settings but no certificate, so it cannot connect to the service. Nothing was sent to it. Finish with Wi-Fi only (`provision wifi`, or \"Set up Wi-Fi only\" and \"Finish with Wi-Fi only\" in the app) if that is what you want."
        ),
    )
}

impl<'a> Connected<'a> {
    /// Gets the certificate: from a CSR the device makes, or with a cloud-made key.
    pub async fn certificate(mut self, mode: CertMode) -> Result<CertificateReady<'a>> {
        let ctx = &self.ctx;
        let serial = self.serial.clone();
        let session = &mut self.session;
        let got = ctx
            .step(
                Step::Certificate,
                "Getting the device's certificate",
                async {
                    match mode {
                        CertMode::DeviceCsr => {
                            let csr = session.generate_csr().await?;
                            ctx.auth
                                .with_token(|t| {
                                    let (cloud, serial, csr) =
                                        (ctx.cloud, serial.clone(), csr.clone());
                                    async move { cloud.cert_from_csr(&t, &serial, &csr).await }
                                })
                                .await
                        }
                        CertMode::CloudKey => {
                            ctx.auth
                                .with_token(|t| {
                                    let (cloud, serial) = (ctx.cloud, serial.clone());
                                    async move { cloud.cert_with_key(&t, &serial).await }
                                })
                                .await
                        }
                    }
                },
            )
            .await;
        let bundle = match got {
            Ok(b) => b,
            Err(e) => {
                let _ = self.ctx.link.restore().await;
                return Err(e);
            }
        };
        self.journal.stage = Stage::CertificateReady;
        self.journal.certificate_id = Some(bundle.certificate_id.clone());
        self.journal.cert_mode = mode;
        // A cloud-made certificate is useless without its key, which is never written down.
        self.journal.certificate = (mode == CertMode::DeviceCsr).then(|| bundle.clone());
        self.journal.save(self.ctx.state_dir)?;
        Ok(CertificateReady {
            ctx: self.ctx,
            journal: self.journal,
            session: self.session,
            serial: self.serial,
            bundle,
            mode,
            cert_sent: false,
        })
    }

    /// After a crash: delivers the certificate the journal kept for the device's key. If the
    /// device no longer holds that key (it restarted), a new CSR and certificate are made.
    async fn certificate_again(mut self, bundle: CertBundle) -> Result<CertificateReady<'a>> {
        let sent = self
            .ctx
            .step(
                Step::Certificate,
                "Sending the certificate issued before the interruption",
                self.session.send_certificate(&bundle.certificate_pem),
            )
            .await;
        match sent {
            Ok(()) => Ok(CertificateReady {
                ctx: self.ctx,
                journal: self.journal,
                session: self.session,
                serial: self.serial,
                bundle,
                mode: CertMode::DeviceCsr,
                cert_sent: true,
            }),
            Err(e) if e.code == ErrorCode::Protocol => {
                tracing::info!("the device refused the earlier certificate; making a new one");
                self.certificate(CertMode::DeviceCsr).await
            }
            Err(e) => {
                let _ = self.ctx.link.restore().await;
                Err(e)
            }
        }
    }

    /// The device's scan (the Wi-Fi page's list).
    pub async fn scan(&mut self) -> Result<Vec<crate::device::WifiNetwork>> {
        self.session.scan().await
    }
}

impl<'a> CertificateReady<'a> {
    /// The issued certificate.
    pub fn bundle(&self) -> &CertBundle {
        &self.bundle
    }

    /// The device's scan, to choose from.
    pub async fn scan(&mut self) -> Result<Vec<crate::device::WifiNetwork>> {
        self.session.scan().await
    }

    /// Chooses the home network (already validated).
    pub fn choose_wifi(mut self, ssid: Ssid, passphrase: Passphrase) -> Result<WifiChosen<'a>> {
        self.journal.stage = Stage::WifiChosen;
        self.journal.ssid = Some(ssid.to_string());
        self.journal.save(self.ctx.state_dir)?;
        Ok(WifiChosen {
            inner: self,
            ssid,
            passphrase,
        })
    }
}

/// How long the device gets to join the network.
const JOIN_WAIT: Duration = Duration::from_secs(30);

impl<'a> WifiChosen<'a> {
    /// Sends every credential, applies, and reads the result. When the link drops after apply,
    /// rejoins once to read it; if the device is gone, the verdict is left to the service
    /// ([`JoinEvidence::LinkDropped`]). The host is back on its network when this returns.
    pub async fn provision(self, pop: &Pop) -> Result<Provisioned<'a>> {
        let WifiChosen {
            inner,
            ssid,
            passphrase,
        } = self;
        let CertificateReady {
            ctx,
            mut journal,
            mut session,
            serial,
            bundle,
            mode,
            cert_sent,
        } = inner;
        let result = Self::run(
            &ctx,
            &mut session,
            &mut journal,
            &serial,
            &bundle,
            (mode, cert_sent),
            &ssid,
            &passphrase,
            pop,
        )
        .await;
        let restored = ctx.restore_host().await;
        let joined = result?;
        restored?;
        journal.stage = Stage::Provisioned;
        journal.save(ctx.state_dir)?;
        Ok(Provisioned {
            ctx,
            journal,
            serial,
            certificate_pem: Some(bundle.certificate_pem.clone()),
            joined,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn run(
        ctx: &Ctx<'_>,
        session: &mut DeviceSession,
        journal: &mut Journal,
        serial: &Serial,
        bundle: &CertBundle,
        (mode, cert_sent): (CertMode, bool),
        ssid: &Ssid,
        passphrase: &Passphrase,
        pop: &Pop,
    ) -> Result<JoinEvidence> {
        ctx.step(Step::SendCredentials, "Sending the credentials", async {
            match mode {
                CertMode::DeviceCsr if cert_sent => {}
                CertMode::DeviceCsr => session.send_certificate(&bundle.certificate_pem).await?,
                CertMode::CloudKey => {
                    let key = bundle.private_key.as_ref().ok_or_else(|| {
                        Error::new(ErrorCode::Server, "The service returned no private key.")
                    })?;
                    session
                        .send_seed_credentials(key.expose(), &bundle.certificate_pem)
                        .await?
                }
            }
            session
                .send_mqtt(&MqttConfig {
                    host: bundle.mqtt_host.clone(),
                    port: bundle.mqtt_port,
                    client_id: serial.to_string(),
                    topic_prefix: bundle.topic_prefix.clone(),
                    server_ca_pem: bundle.ca_pem.clone(),
                })
                .await?;
            session.set_wifi(ssid, passphrase).await
        })
        .await?;

        // From here a crash leaves the device with everything: a resumed run only reads the
        // result (or applies again), it never needs the credentials themselves.
        journal.stage = Stage::Applied;
        journal.save(ctx.state_dir)?;
        let applied = ctx.apply(session).await?;
        wait_joined(ctx, session, ssid.as_str(), pop, applied).await
    }
}

/// Waits (as the `DeviceJoinedWifi` step) for the device's verdict on the network `ssid`. When
/// the link is down (`link_up` false, or it drops), rejoins once to read it; if the device is
/// gone, the verdict is left to the service ([`JoinEvidence::LinkDropped`]).
pub(crate) async fn wait_joined(
    ctx: &DeviceCtx<'_>,
    session: &mut DeviceSession,
    ssid: &str,
    pop: &Pop,
    link_up: bool,
) -> Result<JoinEvidence> {
    ctx.step(Step::DeviceJoinedWifi, "Waiting for the device to join the network", async {
        let mut link_up = link_up;
        let mut rejoined = false;
        let deadline = Instant::now() + JOIN_WAIT;
        loop {
            if link_up {
                match session.wifi_status().await {
                    Ok(WifiState::Connected { ip }) => return Ok(JoinEvidence::DeviceReported { ip }),
                    Ok(WifiState::AuthFailed) => {
                        return Err(Error::new(
                            ErrorCode::WifiAuthFailed,
                            format!("The device could not join \"{ssid}\": the passphrase is wrong. Correct it and send it again; no reset is needed."),
                        ));
                    }
                    Ok(WifiState::NotFound) => {
                        return Err(Error::new(
                            ErrorCode::WifiNotFound,
                            format!("The device cannot find \"{ssid}\": check the name and that the router is on and in range of the device."),
                        ));
                    }
                    Ok(WifiState::Connecting | WifiState::Disconnected) => {}
                    Err(PostError::Unreachable(_)) => link_up = false,
                    Err(e) => return Err(e.into_error("prov-config")),
                }
            }
            if !link_up {
                if rejoined {
                    return Ok(JoinEvidence::LinkDropped);
                }
                rejoined = true;
                // Rejoin once to read the result; the old session may be gone with the link.
                if ctx.link.join(&ctx.ap).await.is_err() {
                    return Ok(JoinEvidence::LinkDropped);
                }
                match ctx.open_session(pop).await {
                    Ok(s) => {
                        *session = s;
                        link_up = true;
                    }
                    Err(e) if matches!(e.code, ErrorCode::Unreachable) => return Ok(JoinEvidence::LinkDropped),
                    Err(e) => return Err(e),
                }
                continue;
            }
            if Instant::now() >= deadline {
                return Err(Error::new(
                    ErrorCode::DeviceOffline,
                    format!("The device did not join \"{ssid}\" within {} s: check the router, then try again.", JOIN_WAIT.as_secs()),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
}

impl Provisioned<'_> {
    /// Waits until the service has seen the device's first message (its `lastSeen` changed
    /// since the run started).
    pub async fn confirm_online(self, timeout: Duration) -> Result<Online> {
        let ctx = &self.ctx;
        let serial = self.serial.clone();
        let before = self.journal.last_seen_before.clone();
        let record = wait_online(ctx, &serial, before.as_deref(), timeout, &self.joined).await?;
        let mut journal = self.journal;
        journal.stage = Stage::Online;
        Journal::clear(ctx.state_dir, serial.as_str());
        Ok(Online {
            serial: serial.to_string(),
            certificate_id: journal.certificate_id.unwrap_or_default(),
            thing_name: serial.to_string(),
            last_seen: record.last_seen,
            joined: self.joined,
            certificate_pem: self.certificate_pem,
        })
    }
}

/// What a resumed run is given again: the secrets, which were never written down, and the
/// network name when the run stopped before one was chosen.
#[derive(Default)]
pub struct ResumeInput {
    /// The device's proof-of-possession code.
    pub pop: Option<Pop>,
    /// The home network, overriding the journal's.
    pub ssid: Option<Ssid>,
    /// Its passphrase.
    pub passphrase: Option<Passphrase>,
}

/// Finishes the run `journal` describes from where it stopped. Before the device applied its
/// settings, the session is opened again with the PoP and the run goes on with the
/// certificate kept in the journal (CSR mode: the device still holds its key; if it does not,
/// a new CSR is made) or a new one (cloud-key mode: the key was never kept); the passphrase is
/// asked for again. After apply, the device's verdict is read again (or, without the PoP or
/// when the device has left its network, the service's), then the online check finishes it.
pub async fn resume(
    ctx: Ctx<'_>,
    mut journal: Journal,
    input: ResumeInput,
    timeout: Duration,
) -> Result<Online> {
    let serial = Serial::parse(&journal.serial)?;
    let stage = journal.stage;
    let need = |what: &str| {
        Error::invalid(format!(
            "The run for {serial} stopped before the device applied its settings: resuming it needs {what}, which is never stored."
        ))
    };
    let ResumeInput {
        pop,
        ssid,
        passphrase,
    } = input;
    match stage {
        Stage::Provisioned | Stage::Online => {
            Provisioned {
                certificate_pem: kept_pem(&journal),
                ctx,
                journal,
                serial,
                joined: JoinEvidence::LinkDropped,
            }
            .confirm_online(timeout)
            .await
        }
        Stage::Applied => {
            let joined = match &pop {
                Some(pop) => read_verdict(&ctx, &journal, pop).await?,
                // Without the PoP the device cannot be asked; the service can tell.
                None => JoinEvidence::LinkDropped,
            };
            journal.stage = Stage::Provisioned;
            journal.save(ctx.state_dir)?;
            Provisioned {
                certificate_pem: kept_pem(&journal),
                ctx,
                journal,
                serial,
                joined,
            }
            .confirm_online(timeout)
            .await
        }
        Stage::SignedIn | Stage::CertificateReady | Stage::WifiChosen => {
            let pop = pop.ok_or_else(|| need("the device's PoP code"))?;
            let passphrase = passphrase.ok_or_else(|| need("the network's passphrase"))?;
            let ssid = match (ssid, &journal.ssid) {
                (Some(s), _) => s,
                (None, Some(s)) => Ssid::parse(s)?,
                (None, None) => {
                    return Err(Error::invalid(format!(
                        "The run for {serial} stopped before a Wi-Fi network was chosen: give the network's name (--ssid) to resume it."
                    )));
                }
            };
            let mode = journal.cert_mode;
            let kept = match (stage, mode) {
                (Stage::SignedIn, _) | (_, CertMode::CloudKey) => None,
                _ => journal.certificate.clone(),
            };
            let connected = SignedIn { ctx, journal }.connect(&pop).await?;
            let ready = match kept {
                Some(bundle) => connected.certificate_again(bundle).await?,
                None => connected.certificate(mode).await?,
            };
            ready
                .choose_wifi(ssid, passphrase)?
                .provision(&pop)
                .await?
                .confirm_online(timeout)
                .await
        }
    }
}

/// The certificate the journal kept (CSR mode), for the result.
fn kept_pem(journal: &Journal) -> Option<String> {
    journal
        .certificate
        .as_ref()
        .map(|b| b.certificate_pem.clone())
}

/// After a crash past apply: joins the device again and reads its verdict (applying first
/// if the crash came before the apply request went out). The host is back on its network
/// when this returns.
async fn read_verdict(ctx: &Ctx<'_>, journal: &Journal, pop: &Pop) -> Result<JoinEvidence> {
    let ssid = journal.ssid.clone().unwrap_or_default();
    let opened = match ctx.join_device().await {
        Ok(()) => {
            ctx.step(
                Step::SecureSession,
                "Opening a secure session",
                ctx.open_session(pop),
            )
            .await
        }
        Err(e) => Err(e),
    };
    let verdict = match opened {
        Ok(mut session) => {
            let link_up = match session.wifi_status().await {
                Ok(WifiState::Disconnected) => match session.apply().await {
                    Ok(()) => Ok(true),
                    Err(PostError::Unreachable(_)) => Ok(false),
                    Err(e) => Err(e.into_error("prov-config")),
                },
                _ => Ok(true),
            };
            match link_up {
                Ok(up) => wait_joined(ctx, &mut session, &ssid, pop, up).await,
                Err(e) => Err(e),
            }
        }
        // The device has left its network (it joined, and its AP closed): the service will tell.
        Err(e) if e.code == ErrorCode::Unreachable => Ok(JoinEvidence::LinkDropped),
        Err(e) => Err(e),
    };
    let restored = ctx.restore_host().await;
    let verdict = verdict?;
    restored?;
    Ok(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(serial: &str, stage: Stage) -> Journal {
        Journal {
            serial: serial.into(),
            softap: "PROV_0001".into(),
            ssid: None,
            stage,
            certificate_id: None,
            last_seen_before: None,
            device_url: String::new(),
            link: None,
            allow_sec0: false,
            security: None,
            cert_mode: CertMode::DeviceCsr,
            certificate: None,
        }
    }

    /// The journal is written to disk in clear: even holding a bundle that came with a
    /// cloud-made key, it must not contain the key.
    #[test]
    fn a_journal_never_holds_a_private_key() {
        let dir = tempfile::tempdir().unwrap();
        let bundle: CertBundle = serde_json::from_value(serde_json::json!({
            "certificatePem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "certificateId": "abc",
            "privateKey": "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n",
        }))
        .unwrap();
        assert!(bundle.private_key.is_some());
        let mut j = journal("SN-0001", Stage::CertificateReady);
        j.certificate = Some(bundle);
        j.save(dir.path()).unwrap();
        let text = std::fs::read_to_string(Journal::path(dir.path(), "SN-0001")).unwrap();
        assert!(text.contains("BEGIN CERTIFICATE"));
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        let back = Journal::load(dir.path(), "SN-0001").unwrap();
        assert!(back.certificate.unwrap().private_key.is_none());
    }

    /// Concurrent runs (a batch) write their journals at the same time: no write may fail and
    /// finishing one run must not delete another's journal. With one shared journal file (and
    /// one shared temporary name) renames failed with ENOENT and a batch of 100 lost 4 to 10 runs.
    #[test]
    fn concurrent_runs_keep_their_own_journals() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().to_owned();
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let state = state.clone();
                std::thread::spawn(move || {
                    let sn = format!("SN-{i:04}");
                    for stage in [Stage::SignedIn, Stage::CertificateReady, Stage::WifiChosen] {
                        for _ in 0..20 {
                            journal(&sn, stage).save(&state).unwrap();
                        }
                    }
                    if i % 2 == 0 {
                        Journal::clear(&state, &sn);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let left = Journal::list(&state);
        assert_eq!(left.len(), 8);
        for j in &left {
            assert_eq!(j.stage, Stage::WifiChosen);
            let n: u32 = j.serial[3..].parse().unwrap();
            assert_eq!(n % 2, 1, "{} should have been cleared", j.serial);
            assert_eq!(Journal::load(&state, &j.serial).as_ref(), Some(j));
        }
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(Journal::dir(&state))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 8, "{names:?}");
    }
}
