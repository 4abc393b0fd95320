//! Windows: `netsh wlan` with a temporary, XML-escaped profile file that is deleted right
//! after it is added (the password is never on a command line). UNTESTED: no Windows CI.

use std::process::Command;

use tokio::sync::Mutex;

use super::{DeviceAp, Link};
use crate::error::{Error, ErrorCode, Result};

/// The Windows WLAN link (netsh).
#[derive(Default)]
pub struct WindowsLink {
    previous: Mutex<Option<String>>,
    joined: Mutex<Option<String>>,
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn netsh(args: &[&str]) -> Result<String> {
    let out = Command::new("netsh")
        .args(args)
        .output()
        .map_err(|e| Error::new(ErrorCode::Link, format!("netsh failed to start: {e}")))?;
    if !out.status.success() {
        return Err(Error::new(
            ErrorCode::Link,
            format!(
                "netsh {} failed: {}",
                args.first().copied().unwrap_or(""),
                String::from_utf8_lossy(&out.stdout).trim()
            ),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn current_profile() -> Option<String> {
    let out = netsh(&["wlan", "show", "interfaces"]).ok()?;
    // "    Profile                : HomeNet" (the label is not translated by netsh).
    out.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim() == "Profile")
        .map(|(_, v)| v.trim().to_owned())
}

#[async_trait::async_trait]
impl Link for WindowsLink {
    fn name(&self) -> &'static str {
        "windows-wlan"
    }

    async fn join(&self, ap: &DeviceAp) -> Result<()> {
        *self.previous.lock().await = current_profile();
        let name = format!("iotp-{}", ap.ssid);
        let ssid = xml_escape(&ap.ssid);
        let security = match ap.password.as_ref().filter(|p| !p.is_open()) {
            Some(p) => format!(
                "<authEncryption><authentication>WPA2PSK</authentication><encryption>AES</encryption><useOneX>false</useOneX></authEncryption><sharedKey><keyType>passPhrase</keyType><protected>false</protected><keyMaterial>{}</keyMaterial></sharedKey>",
                xml_escape(p.expose())
            ),
            None => "<authEncryption><authentication>open</authentication><encryption>none</encryption><useOneX>false</useOneX></authEncryption>".to_owned(),
        };
        let xml = format!(
            "<?xml version=\"1.0\"?><WLANProfile xmlns=\"http://www.microsoft.com/networking/WLAN/profile/v1\"><name>{}</name><SSIDConfig><SSID><name>{ssid}</name></SSID></SSIDConfig><connectionType>ESS</connectionType><connectionMode>manual</connectionMode><MSM><security>{security}</security></MSM></WLANProfile>",
            xml_escape(&name)
        );
        let file = tempfile::Builder::new()
            .prefix("iotp-")
            .suffix(".xml")
            .tempfile()
            .map_err(|e| Error::storage("temporary profile", e))?;
        std::fs::write(file.path(), xml).map_err(|e| Error::storage("temporary profile", e))?;
        let path = file.path().to_string_lossy().into_owned();
        let added = netsh(&[
            "wlan",
            "add",
            "profile",
            &format!("filename={path}"),
            "user=current",
        ]);
        drop(file);
        added?;
        *self.joined.lock().await = Some(name.clone());
        netsh(&["wlan", "connect", &format!("name={name}")])?;
        Ok(())
    }

    async fn restore(&self) -> Result<()> {
        if let Some(name) = self.joined.lock().await.take() {
            let _ = netsh(&["wlan", "delete", "profile", &format!("name={name}")]);
        }
        if let Some(prev) = self.previous.lock().await.take() {
            netsh(&["wlan", "connect", &format!("name={prev}")])?;
        }
        Ok(())
    }
}
