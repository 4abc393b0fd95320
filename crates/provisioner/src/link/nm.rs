//! Linux: NetworkManager over D-Bus (zbus). Remembers the Wi-Fi device's active connection,
//! joins the device's AP with a temporary connection (the password goes over D-Bus, never
//! argv), and restores the previous connection afterwards. A marker file in the state dir
//! (no secrets in it) records what to undo, so a crash mid-provisioning is repaired by
//! [`NmLink::recover`] at the next start.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use zbus::zvariant::{OwnedObjectPath, Value};

use super::{DeviceAp, Link};
use crate::error::{Error, ErrorCode, Result};

const NM: &str = "org.freedesktop.NetworkManager";
const NM_PATH: &str = "/org/freedesktop/NetworkManager";
const DEVICE: &str = "org.freedesktop.NetworkManager.Device";
const WIRELESS: &str = "org.freedesktop.NetworkManager.Device.Wireless";
const AP: &str = "org.freedesktop.NetworkManager.AccessPoint";
const ACTIVE: &str = "org.freedesktop.NetworkManager.Connection.Active";
const CONNECTION: &str = "org.freedesktop.NetworkManager.Settings.Connection";
const DEVICE_TYPE_WIFI: u32 = 2;
const ACTIVE_STATE_ACTIVATED: u32 = 2;
const ACTIVE_STATE_DEACTIVATED: u32 = 4;

/// What to undo after a join; written before the join, removed after the restore.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RestoreMarker {
    /// The Wi-Fi device.
    pub device: String,
    /// Settings path of the connection that was active before, if any.
    pub previous: Option<String>,
    /// Settings path of our temporary connection, once created.
    pub temporary: Option<String>,
    /// The device's SoftAP name (for messages).
    pub softap: String,
}

/// The NetworkManager link.
pub struct NmLink {
    conn: zbus::Connection,
    marker_path: PathBuf,
    join_timeout: Duration,
    state: Mutex<Option<RestoreMarker>>,
}

fn dbus_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::Link,
        format!(
            "NetworkManager could not {what} ({e}); is NetworkManager running? Otherwise use the manual link mode."
        ),
    )
}

fn path(p: &str) -> Result<OwnedObjectPath> {
    OwnedObjectPath::try_from(p.to_owned()).map_err(|e| dbus_err("use an object path", e))
}

impl NmLink {
    /// Connects to the system bus.
    pub async fn system(state_dir: PathBuf) -> Result<Self> {
        let conn = zbus::Connection::system()
            .await
            .map_err(|e| dbus_err("be reached on the system bus", e))?;
        Ok(Self::with_connection(conn, state_dir))
    }

    /// Connects to the bus at `address` (a private bus in tests).
    pub async fn at_address(address: &str, state_dir: PathBuf) -> Result<Self> {
        let conn = zbus::connection::Builder::address(address)
            .map_err(|e| dbus_err("parse the bus address", e))?
            .build()
            .await
            .map_err(|e| dbus_err("be reached", e))?;
        Ok(Self::with_connection(conn, state_dir))
    }

    fn with_connection(conn: zbus::Connection, state_dir: PathBuf) -> Self {
        Self {
            conn,
            marker_path: state_dir.join("link-restore.json"),
            join_timeout: Duration::from_secs(30),
            state: Mutex::new(None),
        }
    }

    /// Changes how long a join may take (scan + activation).
    pub fn with_join_timeout(mut self, timeout: Duration) -> Self {
        self.join_timeout = timeout;
        self
    }

    /// Where the restore marker lives.
    pub fn marker_path(&self) -> &std::path::Path {
        &self.marker_path
    }

    async fn proxy(&self, obj: &str, iface: &'static str) -> Result<zbus::Proxy<'static>> {
        zbus::proxy::Builder::new(&self.conn)
            .destination(NM)
            .and_then(|b| b.path(obj.to_owned()))
            .and_then(|b| b.interface(iface))
            .map(|b| b.cache_properties(zbus::proxy::CacheProperties::No))
            .map_err(|e| dbus_err("build a proxy", e))?
            .build()
            .await
            .map_err(|e| dbus_err("build a proxy", e))
    }

    async fn prop<T>(&self, obj: &str, iface: &'static str, name: &str) -> Result<T>
    where
        T: TryFrom<zbus::zvariant::OwnedValue>,
        T::Error: Into<zbus::Error>,
    {
        self.proxy(obj, iface)
            .await?
            .get_property::<T>(name)
            .await
            .map_err(|e| dbus_err(&format!("read {name}"), e))
    }

    async fn wifi_device(&self) -> Result<String> {
        let nm = self.proxy(NM_PATH, NM).await?;
        let devices: Vec<OwnedObjectPath> = nm
            .call("GetDevices", &())
            .await
            .map_err(|e| dbus_err("list devices", e))?;
        for d in devices {
            let kind: u32 = self.prop(d.as_str(), DEVICE, "DeviceType").await?;
            if kind == DEVICE_TYPE_WIFI {
                return Ok(d.as_str().to_owned());
            }
        }
        Err(Error::new(
            ErrorCode::Link,
            "This computer has no Wi-Fi device that NetworkManager manages: use the manual link mode with another network.",
        ))
    }

    async fn find_ap(&self, device: &str, ssid: &str) -> Result<String> {
        let wifi = self.proxy(device, WIRELESS).await?;
        let deadline = Instant::now() + self.join_timeout;
        let mut scanned = false;
        loop {
            let aps: Vec<OwnedObjectPath> = wifi
                .call("GetAllAccessPoints", &())
                .await
                .map_err(|e| dbus_err("list access points", e))?;
            for ap in aps {
                let name: Vec<u8> = self.prop(ap.as_str(), AP, "Ssid").await?;
                if name == ssid.as_bytes() {
                    return Ok(ap.as_str().to_owned());
                }
            }
            if !scanned {
                let opts: HashMap<&str, Value> = HashMap::new();
                // A refused scan (rate limit) is fine: NetworkManager scans by itself too.
                let _ = wifi.call::<_, _, ()>("RequestScan", &(opts,)).await;
                scanned = true;
            }
            if Instant::now() >= deadline {
                return Err(Error::new(
                    ErrorCode::Link,
                    format!(
                        "The device's network \"{ssid}\" is not visible: check that the device is in provisioning mode and close to this computer."
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn write_marker(&self, m: &RestoreMarker) -> Result<()> {
        if let Some(dir) = self.marker_path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| Error::storage(&dir.display().to_string(), e))?;
        }
        let tmp = self.marker_path.with_extension("tmp");
        tokio::fs::write(&tmp, serde_json::to_vec(m).expect("marker serializes"))
            .await
            .and(tokio::fs::rename(&tmp, &self.marker_path).await)
            .map_err(|e| Error::storage(&self.marker_path.display().to_string(), e))
    }

    async fn add_and_activate(
        &self,
        settings: HashMap<&str, HashMap<&str, Value<'_>>>,
        device: &str,
        ap: &str,
    ) -> Result<(OwnedObjectPath, OwnedObjectPath)> {
        let nm = self.proxy(NM_PATH, NM).await?;
        let dev = path(device)?;
        let ap = path(ap)?;
        // Version 2 keeps the temporary profile (and its password) in memory only.
        let mut opts: HashMap<&str, Value> = HashMap::new();
        opts.insert("persist", Value::from("volatile"));
        let v2: zbus::Result<(
            OwnedObjectPath,
            OwnedObjectPath,
            HashMap<String, zbus::zvariant::OwnedValue>,
        )> = nm
            .call("AddAndActivateConnection2", &(&settings, &dev, &ap, opts))
            .await;
        match v2 {
            Ok((conn, active, _)) => Ok((conn, active)),
            Err(zbus::Error::MethodError(name, _, _))
                if name.as_str() == "org.freedesktop.DBus.Error.UnknownMethod" =>
            {
                nm.call("AddAndActivateConnection", &(&settings, &dev, &ap))
                    .await
                    .map_err(|e| dbus_err("join the device's network", e))
            }
            Err(e) => Err(dbus_err("join the device's network", e)),
        }
    }

    async fn wait_activated(&self, active: &str, ssid: &str) -> Result<()> {
        let deadline = Instant::now() + self.join_timeout;
        loop {
            let state: u32 = self.prop(active, ACTIVE, "State").await?;
            match state {
                ACTIVE_STATE_ACTIVATED => return Ok(()),
                ACTIVE_STATE_DEACTIVATED => {
                    return Err(Error::new(
                        ErrorCode::Link,
                        format!(
                            "This computer could not join \"{ssid}\": check the SoftAP password on the device's label."
                        ),
                    ));
                }
                _ if Instant::now() >= deadline => {
                    return Err(Error::new(
                        ErrorCode::Link,
                        format!(
                            "Joining \"{ssid}\" took too long: move closer to the device and try again."
                        ),
                    ));
                }
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    async fn undo(&self, m: &RestoreMarker) -> Result<()> {
        let nm = self.proxy(NM_PATH, NM).await?;
        // Drop our temporary profile first (this deactivates it), then bring back the old one.
        if let Some(tmp) = &m.temporary {
            if let Ok(c) = self.proxy(tmp, CONNECTION).await {
                // Already gone (volatile profiles vanish when deactivated) is fine.
                let _ = c.call::<_, _, ()>("Delete", &()).await;
            }
        }
        match &m.previous {
            Some(prev) => {
                let r: zbus::Result<OwnedObjectPath> = nm
                    .call(
                        "ActivateConnection",
                        &(path(prev)?, path(&m.device)?, path("/")?),
                    )
                    .await;
                r.map_err(|e| dbus_err("reconnect to the previous network", e))?;
            }
            None => {
                let dev = self.proxy(&m.device, DEVICE).await?;
                let _ = dev.call::<_, _, ()>("Disconnect", &()).await;
            }
        }
        match tokio::fs::remove_file(&self.marker_path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::storage(&self.marker_path.display().to_string(), e)),
        }
    }

    /// Repairs the network after a crash: if a restore marker is left from an earlier run,
    /// goes back to the network recorded in it. Returns whether anything was restored.
    pub async fn recover(&self) -> Result<bool> {
        let bytes = match tokio::fs::read(&self.marker_path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::storage(&self.marker_path.display().to_string(), e)),
        };
        let Ok(marker) = serde_json::from_slice::<RestoreMarker>(&bytes) else {
            // A torn marker cannot be acted on; dropping it beats failing every start.
            let _ = tokio::fs::remove_file(&self.marker_path).await;
            return Ok(false);
        };
        tracing::warn!(softap = %marker.softap, "restoring the network left by an interrupted run");
        self.undo(&marker).await?;
        Ok(true)
    }
}

#[async_trait::async_trait]
impl Link for NmLink {
    fn name(&self) -> &'static str {
        "networkmanager"
    }

    async fn join(&self, ap: &DeviceAp) -> Result<()> {
        let mut state = self.state.lock().await;
        let device = self.wifi_device().await?;
        let active: OwnedObjectPath = self.prop(&device, DEVICE, "ActiveConnection").await?;
        let previous = if active.as_str() == "/" {
            None
        } else {
            let c: OwnedObjectPath = self.prop(active.as_str(), ACTIVE, "Connection").await?;
            Some(c.as_str().to_owned())
        };
        // A join while already joined keeps the first "previous": that is the home network.
        let mut marker = match state.take() {
            Some(m) => m,
            None => RestoreMarker {
                device: device.clone(),
                previous,
                temporary: None,
                softap: ap.ssid.clone(),
            },
        };
        // Find the AP before touching anything, so a device out of range changes nothing.
        let ap_path = self.find_ap(&device, &ap.ssid).await?;
        self.write_marker(&marker).await?;

        let mut connection: HashMap<&str, Value> = HashMap::new();
        connection.insert("id", Value::from(format!("iotp-{}", ap.ssid)));
        connection.insert("type", Value::from("802-11-wireless"));
        connection.insert("autoconnect", Value::from(false));
        let mut wireless: HashMap<&str, Value> = HashMap::new();
        wireless.insert("ssid", Value::from(ap.ssid.as_bytes().to_vec()));
        wireless.insert("mode", Value::from("infrastructure"));
        let mut settings: HashMap<&str, HashMap<&str, Value>> = HashMap::new();
        if let Some(pw) = ap.password.as_ref().filter(|p| !p.is_open()) {
            let mut sec: HashMap<&str, Value> = HashMap::new();
            sec.insert("key-mgmt", Value::from("wpa-psk"));
            sec.insert("psk", Value::from(pw.expose()));
            settings.insert("802-11-wireless-security", sec);
            wireless.insert("security", Value::from("802-11-wireless-security"));
        }
        settings.insert("connection", connection);
        settings.insert("802-11-wireless", wireless);

        let result = self.add_and_activate(settings, &device, &ap_path).await;
        let (conn, active) = match result {
            Ok(x) => x,
            Err(e) => {
                let _ = self.undo(&marker).await;
                return Err(e);
            }
        };
        marker.temporary = Some(conn.as_str().to_owned());
        self.write_marker(&marker).await?;
        *state = Some(marker.clone());
        if let Err(e) = self.wait_activated(active.as_str(), &ap.ssid).await {
            let _ = self.undo(&marker).await;
            *state = None;
            return Err(e);
        }
        Ok(())
    }

    async fn restore(&self) -> Result<()> {
        let mut state = self.state.lock().await;
        if let Some(m) = state.take() {
            if let Err(e) = self.undo(&m).await {
                *state = Some(m);
                return Err(e);
            }
        }
        Ok(())
    }
}
