//! The `--radio` JSON file: the access points the simulated radio sees.

use std::path::Path;

use anyhow::{Context, bail};
use firmware_core::hal::AuthMode;
use firmware_core::sim_radio::SimAp;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    access_points: Vec<Ap>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Ap {
    ssid: String,
    passphrase: Option<String>,
    channel: u8,
    rssi: i8,
    auth: String,
    bssid: Option<String>,
    join_delay_ms: Option<u64>,
}

fn auth(s: &str) -> anyhow::Result<AuthMode> {
    Ok(
        match s.to_ascii_lowercase().replace(['-', '_', '/'], "").as_str() {
            "open" => AuthMode::Open,
            "wep" => AuthMode::Wep,
            "wpapsk" | "wpa" => AuthMode::WpaPsk,
            "wpa2psk" | "wpa2" => AuthMode::Wpa2Psk,
            "wpawpa2psk" | "wpawpa2" => AuthMode::WpaWpa2Psk,
            "wpa2enterprise" => AuthMode::Wpa2Enterprise,
            "wpa3psk" | "wpa3" => AuthMode::Wpa3Psk,
            "wpa2wpa3psk" | "wpa2wpa3" => AuthMode::Wpa2Wpa3Psk,
            other => bail!(
                "unknown auth mode {other:?} (open, wep, wpa, wpa2, wpa_wpa2, wpa2_enterprise, wpa3, wpa2_wpa3)"
            ),
        },
    )
}

fn bssid(s: &str) -> anyhow::Result<[u8; 6]> {
    let parts: Vec<u8> = s
        .split(':')
        .map(|p| u8::from_str_radix(p, 16))
        .collect::<Result<_, _>>()
        .context("bssid must be aa:bb:cc:dd:ee:ff")?;
    parts
        .try_into()
        .map_err(|_| anyhow::anyhow!("bssid must have 6 bytes"))
}

/// Reads and validates a radio environment file.
pub fn load(path: &Path) -> anyhow::Result<Vec<SimAp>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading radio file {}", path.display()))?;
    let file: File = serde_json::from_str(&text)
        .with_context(|| format!("parsing radio file {}", path.display()))?;
    file.access_points
        .into_iter()
        .enumerate()
        .map(|(i, ap)| {
            if ap.ssid.is_empty() || ap.ssid.len() > 32 {
                bail!("access point {i}: ssid must be 1..=32 bytes");
            }
            let auth = auth(&ap.auth).with_context(|| format!("access point {i}"))?;
            if (auth == AuthMode::Open) != ap.passphrase.is_none() {
                bail!("access point {i}: an open network has passphrase null, a protected one a passphrase");
            }
            Ok(SimAp {
                ssid: ap.ssid,
                passphrase: ap.passphrase,
                channel: ap.channel,
                rssi: ap.rssi,
                auth,
                bssid: match ap.bssid {
                    Some(b) => bssid(&b).with_context(|| format!("access point {i}"))?,
                    None => [0x02, 0x10, 0, 0, 0, i as u8],
                },
                join_delay_ms: ap.join_delay_ms,
            })
        })
        .collect()
}
