//! Getting the host onto the device's SoftAP and back onto its previous network.
//!
//! Modes: NetworkManager over D-Bus (Linux), Windows (netsh, untested), `manual` (the user
//! joins; we wait until the device answers) and `direct` (no join: simulator or wired).

mod manual;
mod nm;
#[cfg(windows)]
mod windows;

pub use manual::{DirectLink, ManualLink};
pub use nm::NmLink;
#[cfg(windows)]
pub use windows::WindowsLink;

use crate::error::Result;
use crate::validate::Passphrase;

/// The device's access point.
#[derive(Debug, Clone)]
pub struct DeviceAp {
    /// SoftAP name (`PROV_xxxx`).
    pub ssid: String,
    /// WPA2 password of the SoftAP, if it is not open.
    pub password: Option<Passphrase>,
}

/// A way of reaching the device's network.
#[async_trait::async_trait]
pub trait Link: Send + Sync {
    /// Short name for progress messages.
    fn name(&self) -> &'static str;
    /// Joins the device's network (remembering the current one first).
    async fn join(&self, ap: &DeviceAp) -> Result<()>;
    /// Puts the host back on the network it was on before `join`. Safe to call twice.
    async fn restore(&self) -> Result<()>;
}

/// Which link to use, as chosen on the command line or in the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkMode {
    /// The OS Wi-Fi stack joins the AP (NetworkManager on Linux, WLAN on Windows).
    Auto,
    /// The user joins the AP by hand; we wait for the device to answer.
    Manual,
    /// No joining at all (simulator, wired, or the host already on the device's network).
    Direct,
}
