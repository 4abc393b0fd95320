//! Pages 1-3: check the serial, scan from the device, provision it.

use std::time::Duration;

use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use super::Core;
use crate::dto::{
    CertMode, CertView, DeviceTarget, InterruptedRun, Network, ProgressEvent, ProvisionRequest,
    Provisioned, SerialCheck, StepId, StepState, WifiDone, WifiRequest,
};
use crate::error::{AppError, CmdResult};
use crate::runs::Runs;
use crate::settings::{self, DeviceLinkSetting};
use provisioner::app::{Plan, Target, WifiPlan};
use provisioner::link::LinkMode;
use provisioner::wizard::{self, Step};

/// Page 1: the serial is well-formed, registered, and this account may provision it.
#[tauri::command]
#[specta::specta]
pub async fn check_serial(core: State<'_, Core>, serial: String) -> CmdResult<SerialCheck> {
    let r = core.0.device_status(&serial).await?;
    Ok(SerialCheck {
        serial: r.sn,
        certificate_id: r.certificate_id,
        status: r.status,
        last_seen: r.last_seen,
    })
}

/// Page 2: the networks the device sees (joins its access point and comes back).
#[tauri::command]
#[specta::specta]
pub async fn scan_networks(
    app: AppHandle,
    core: State<'_, Core>,
    runs: State<'_, Runs>,
    device: DeviceTarget,
) -> CmdResult<Vec<Network>> {
    let target = target(&app, device.softap, device.pop)?;
    let list = runs.run(async { Ok(core.0.scan(&target).await?) }).await?;
    Ok(list.into_iter().map(Network::from).collect())
}

/// Page 3: milliseconds left in the device's provisioning window as it answered (count down
/// from the moment this returns); `None` when the device does not say.
#[tauri::command]
#[specta::specta]
pub async fn window_left(
    app: AppHandle,
    core: State<'_, Core>,
    runs: State<'_, Runs>,
    device: DeviceTarget,
) -> CmdResult<Option<u32>> {
    let target = target(&app, device.softap, device.pop)?;
    let info = runs
        .run(async { Ok(core.0.device_info(&target).await?) })
        .await?;
    // u32 milliseconds (49 days) is plenty and stays a plain number in TypeScript.
    Ok(info
        .window_remaining_ms
        .map(|ms| u32::try_from(ms).unwrap_or(u32::MAX)))
}

/// Page 3: the whole run, streaming each step to `on_event`.
#[tauri::command]
#[specta::specta]
pub async fn provision(
    app: AppHandle,
    core: State<'_, Core>,
    runs: State<'_, Runs>,
    request: ProvisionRequest,
    on_event: Channel<ProgressEvent>,
) -> CmdResult<Provisioned> {
    let plan = Plan {
        serial: request.serial,
        target: target(&app, request.softap, request.pop)?,
        ssid: request.ssid,
        passphrase: request.passphrase,
        cert_mode: match request.cert_mode {
            CertMode::DeviceCsr => wizard::CertMode::DeviceCsr,
            CertMode::CloudKey => wizard::CertMode::CloudKey,
        },
        online_timeout_secs: ONLINE_TIMEOUT_SECS,
    };
    let send = forward(on_event);
    // Closing the app stops the run here and restores the network (runs.rs).
    let done = runs.run(async { Ok(core.0.provision(&plan, &send).await?) });
    Ok(done.await?.into())
}

/// Page 3 for a Wi-Fi-only device (Espressif's stock provisioning, no `iot-cred`): session,
/// Wi-Fi settings, the device's verdict, back to the host's network, as Espressif's apps do.
/// Nothing is asked of the service and no certificate is made.
#[tauri::command]
#[specta::specta]
pub async fn provision_wifi(
    app: AppHandle,
    core: State<'_, Core>,
    runs: State<'_, Runs>,
    request: WifiRequest,
    on_event: Channel<ProgressEvent>,
) -> CmdResult<WifiDone> {
    let plan = WifiPlan {
        target: target(&app, request.softap, request.pop)?,
        ssid: request.ssid,
        passphrase: request.passphrase,
    };
    let send = forward(on_event);
    let done = runs
        .run(async { Ok(core.0.provision_wifi(&plan, &send).await?) })
        .await?;
    Ok(WifiDone {
        ip: match done.joined {
            wizard::JoinEvidence::DeviceReported { ip } => Some(ip),
            _ => None,
        },
        softap: done.softap,
        ssid: done.ssid,
        sec_ver: done.sec_ver,
        has_iot_cred: done.has_iot_cred,
    })
}

/// A run interrupted after the device got its settings, if any.
#[tauri::command]
#[specta::specta]
pub async fn interrupted_run(core: State<'_, Core>) -> CmdResult<Option<InterruptedRun>> {
    Ok(core
        .0
        .interrupted_run()
        // From `Applied` on, only the online check is left (`resume` needs no secret).
        .filter(|j| j.stage >= wizard::Stage::Applied)
        .map(|j| InterruptedRun {
            serial: j.serial,
            softap: j.softap,
            ssid: j.ssid,
        }))
}

/// Finishes an interrupted run: only the online confirmation is repeated.
#[tauri::command]
#[specta::specta]
pub async fn resume_run(
    core: State<'_, Core>,
    runs: State<'_, Runs>,
    on_event: Channel<ProgressEvent>,
) -> CmdResult<Provisioned> {
    let send = forward(on_event);
    let wait = Duration::from_secs(ONLINE_TIMEOUT_SECS);
    let done = runs.run(async { Ok(core.0.resume(&send, wait).await?) });
    Ok(done.await?.into())
}

/// The core's progress callback that streams each step to the page's channel.
fn forward(on_event: Channel<ProgressEvent>) -> impl Fn(wizard::ProgressEvent) + Send + Sync {
    move |ev| {
        let _ = on_event.send(ProgressEvent::from(ev));
    }
}

/// How long page 3 waits for the device's first message to reach the service.
const ONLINE_TIMEOUT_SECS: u64 = 60;

/// Where the device is: the settings say SoftAP (real devices) or a direct address.
fn target(app: &AppHandle, softap: String, pop: String) -> CmdResult<Target> {
    let (url, link) = match settings::load(app)?.device_link {
        DeviceLinkSetting::SoftAp => (Target::SOFTAP_URL.to_owned(), LinkMode::Auto),
        DeviceLinkSetting::Direct { address } => (format!("http://{address}"), LinkMode::Direct),
    };
    Ok(Target {
        url,
        link,
        softap,
        softap_password: None,
        pop,
        allow_sec0: false,
        security: None,
    })
}

impl From<provisioner::device::WifiNetwork> for Network {
    fn from(n: provisioner::device::WifiNetwork) -> Self {
        Network {
            ssid: n.ssid,
            rssi: n.rssi,
            channel: n.channel,
            security: security_words(&n.auth),
            secured: n.secure,
        }
    }
}

/// "wpa2_psk" -> "WPA2-PSK", "open" -> "Open".
fn security_words(auth: &str) -> String {
    match auth {
        "open" => "Open".into(),
        other => other.replace('_', "-").to_ascii_uppercase(),
    }
}

impl From<wizard::ProgressEvent> for ProgressEvent {
    fn from(ev: wizard::ProgressEvent) -> Self {
        use wizard::StepState as S;
        let step = match ev.step {
            Step::JoinDevice => StepId::JoinDevice,
            Step::SecureSession => StepId::SecureSession,
            Step::Certificate => StepId::Certificate,
            Step::SendCredentials => StepId::SendCredentials,
            Step::Apply => StepId::Apply,
            Step::DeviceJoinedWifi => StepId::DeviceJoinedWifi,
            Step::HostRestored => StepId::HostRestored,
            Step::DeviceOnline => StepId::DeviceOnline,
        };
        let (state, error) = match ev.state {
            S::Running => (StepState::Running, None),
            S::Done => (StepState::Done, None),
            S::Failed { code, message } => (
                StepState::Failed,
                Some(AppError::from(provisioner::Error::new(code, message))),
            ),
        };
        ProgressEvent::Step {
            step,
            state,
            message: ev.message,
            error,
        }
    }
}

impl From<wizard::Online> for Provisioned {
    fn from(o: wizard::Online) -> Self {
        let facts = o.certificate_pem.as_deref().and_then(crate::cert::facts);
        Provisioned {
            serial: o.serial,
            cert: CertView {
                thing_name: o.thing_name,
                certificate_id: o.certificate_id,
                expires_at: facts.as_ref().map(|f| f.expires_at.clone()),
                fingerprint_sha256: facts.map(|f| f.fingerprint_sha256),
            },
            last_seen: o.last_seen,
        }
    }
}
