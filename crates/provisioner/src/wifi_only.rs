//! Wi-Fi only, the way Espressif's own apps provision a stock ESP-IDF `wifi_prov_mgr` device:
//! session, `SetConfig`, `ApplyConfig`, `GetStatus` until the device says, back to the host's
//! network. No account, no certificate, no journal (nothing is left to resume: a crash before
//! the verdict is simply run again).

use serde::Serialize;

use crate::error::Result;
use crate::validate::{Passphrase, Pop, Ssid};
use crate::wizard::{DeviceCtx, JoinEvidence, Step, wait_joined};

/// The result of a Wi-Fi-only run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WifiProvisioned {
    /// The device's SoftAP name.
    pub softap: String,
    /// The network it was given.
    pub ssid: String,
    /// The session security used.
    pub sec_ver: u32,
    /// Whether the device also serves our `iot-cred` endpoint (then it has no certificate
    /// yet: a full run would give it one).
    pub has_iot_cred: bool,
    /// How the join was confirmed.
    pub joined: JoinEvidence,
}

/// Runs the Wi-Fi-only flow on `dev`; the host is back on its network when this returns.
pub(crate) async fn run(
    dev: &DeviceCtx<'_>,
    pop: &Pop,
    ssid: &Ssid,
    passphrase: &Passphrase,
) -> Result<WifiProvisioned> {
    dev.join_device().await?;
    let result = async {
        let mut session = dev
            .step(
                Step::SecureSession,
                "Opening a secure session",
                dev.open_session(pop),
            )
            .await?;
        dev.step(
            Step::SendCredentials,
            "Sending the Wi-Fi settings",
            session.set_wifi(ssid, passphrase),
        )
        .await?;
        let applied = dev.apply(&mut session).await?;
        let joined = wait_joined(dev, &mut session, ssid.as_str(), pop, applied).await?;
        Ok(WifiProvisioned {
            softap: dev.ap.ssid.clone(),
            ssid: ssid.to_string(),
            sec_ver: session.sec_ver(),
            has_iot_cred: session.has_iot_cred(),
            joined,
        })
    }
    .await;
    let restored = dev.restore_host().await;
    let done = result?;
    restored?;
    Ok(done)
}
