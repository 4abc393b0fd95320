//! The NetworkManager link against python-dbusmock's NetworkManager template on a private
//! bus (a `dbus-daemon` this test starts): join, restore, crash recovery, missing AP.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use provisioner::ErrorCode;
use provisioner::link::{DeviceAp, Link, NmLink};
use provisioner::validate::Passphrase;
use zbus::zvariant::{OwnedObjectPath, OwnedValue};

const NM: &str = "org.freedesktop.NetworkManager";
const NM_PATH: &str = "/org/freedesktop/NetworkManager";
const MOCK: &str = "org.freedesktop.DBus.Mock";

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Bus {
    address: String,
    _daemon: Kill,
    _mock: Kill,
    _dir: tempfile::TempDir,
}

fn python() -> String {
    let venv =
        std::env::var("IOTP_VENV").unwrap_or_else(|_| "/var/cache/iot-provisioner/venv".into());
    let py = format!("{venv}/bin/python");
    assert!(
        std::path::Path::new(&py).exists(),
        "python-dbusmock is needed: run scripts/setup.sh (venv at {venv}, or set IOTP_VENV)"
    );
    py
}

async fn start_bus() -> Bus {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("bus");
    let address = format!("unix:path={}", sock.display());
    let daemon = Command::new("dbus-daemon")
        .args([
            "--session",
            "--nofork",
            "--nopidfile",
            &format!("--address={address}"),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("dbus-daemon is needed (apt package dbus)");
    let daemon = Kill(daemon);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sock.exists() {
        assert!(Instant::now() < deadline, "dbus-daemon did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The template talks to "the system bus": point only the mock's process at ours.
    let mock = Command::new(python())
        .args(["-m", "dbusmock", "--template", "networkmanager"])
        .env("DBUS_SYSTEM_BUS_ADDRESS", &address)
        .stdout(Stdio::null())
        .spawn()
        .expect("python -m dbusmock");
    let mock = Kill(mock);
    let conn = zbus::connection::Builder::address(address.as_str())
        .unwrap()
        .build()
        .await
        .unwrap();
    let dbus = zbus::fdo::DBusProxy::new(&conn).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if dbus
            .name_has_owner(NM.try_into().unwrap())
            .await
            .unwrap_or(false)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "dbusmock's NetworkManager did not appear"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Bus {
        address,
        _daemon: daemon,
        _mock: mock,
        _dir: dir,
    }
}

struct Nm {
    conn: zbus::Connection,
}

impl Nm {
    async fn new(address: &str) -> Self {
        let conn = zbus::connection::Builder::address(address)
            .unwrap()
            .build()
            .await
            .unwrap();
        Self { conn }
    }
    async fn proxy(&self, path: &str, iface: &str) -> zbus::Proxy<'static> {
        zbus::proxy::Builder::new(&self.conn)
            .destination(NM)
            .unwrap()
            .path(path.to_owned())
            .unwrap()
            .interface(iface.to_owned())
            .unwrap()
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .unwrap()
    }
    async fn mock<B, R>(&self, method: &str, body: &B) -> R
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
        R: for<'d> zbus::zvariant::DynamicDeserialize<'d>,
    {
        self.proxy(NM_PATH, MOCK)
            .await
            .call(method, body)
            .await
            .unwrap()
    }
    async fn prop<T: TryFrom<OwnedValue>>(&self, path: &str, iface: &str, name: &str) -> T
    where
        T::Error: Into<zbus::Error>,
    {
        self.proxy(path, iface)
            .await
            .get_property(name)
            .await
            .unwrap()
    }
    async fn active_connection_of(&self, dev: &str) -> Option<String> {
        let ac: OwnedObjectPath = self
            .prop(
                dev,
                "org.freedesktop.NetworkManager.Device",
                "ActiveConnection",
            )
            .await;
        if ac.as_str() == "/" {
            return None;
        }
        let c: OwnedObjectPath = self
            .prop(
                ac.as_str(),
                "org.freedesktop.NetworkManager.Connection.Active",
                "Connection",
            )
            .await;
        Some(c.as_str().to_owned())
    }
}

/// A Wi-Fi device on the home network, plus the device's SoftAP in range.
async fn home_setup(nm: &Nm) -> (String, String) {
    let dev: String = nm.mock("AddWiFiDevice", &("wlan0", "wlan0", 100u32)).await;
    let psk_flags = 0x100u32;
    let home_ap: String = nm
        .mock(
            "AddAccessPoint",
            &(
                dev.as_str(),
                "home",
                "HomeNet",
                "00:11:22:33:44:55",
                2u32,
                2437u32,
                54000u32,
                80u8,
                psk_flags,
            ),
        )
        .await;
    let _prov_ap: String = nm
        .mock(
            "AddAccessPoint",
            &(
                dev.as_str(),
                "prov",
                "PROV_AB12",
                "66:11:22:33:44:55",
                2u32,
                2412u32,
                54000u32,
                90u8,
                psk_flags,
            ),
        )
        .await;
    let home: String = nm
        .mock(
            "AddWiFiConnection",
            &(dev.as_str(), "homeconn", "HomeNet", "wpa-psk"),
        )
        .await;
    let _ac: String = nm
        .mock(
            "AddActiveConnection",
            &(
                vec![dev.as_str()],
                home.as_str(),
                home_ap.as_str(),
                "homeac",
                2u32,
            ),
        )
        .await;
    (dev, home)
}

fn device_ap() -> DeviceAp {
    DeviceAp {
        ssid: "PROV_AB12".into(),
        password: Some(Passphrase::parse("device-ap-pass").unwrap()),
    }
}

#[tokio::test]
async fn joins_the_device_ap_and_restores_the_home_network() {
    let bus = start_bus().await;
    let nm = Nm::new(&bus.address).await;
    let (dev, home) = home_setup(&nm).await;
    let state = tempfile::tempdir().unwrap();
    let link = NmLink::at_address(&bus.address, state.path().to_owned())
        .await
        .unwrap();
    assert_eq!(
        nm.active_connection_of(&dev).await.as_deref(),
        Some(home.as_str())
    );

    link.join(&device_ap()).await.unwrap();
    let now = nm.active_connection_of(&dev).await.expect("device active");
    assert_ne!(now, home, "the host should be on the device's network");
    let ac: OwnedObjectPath = nm
        .prop(
            &dev,
            "org.freedesktop.NetworkManager.Device",
            "ActiveConnection",
        )
        .await;
    let ap: OwnedObjectPath = nm
        .prop(
            ac.as_str(),
            "org.freedesktop.NetworkManager.Connection.Active",
            "SpecificObject",
        )
        .await;
    assert!(ap.as_str().ends_with("/prov"), "joined {ap}");

    // The marker records what to undo, and nothing secret.
    let marker = std::fs::read_to_string(link.marker_path()).unwrap();
    assert!(marker.contains(&home), "{marker}");
    assert!(!marker.contains("device-ap-pass"));

    // The password went over D-Bus, in the security setting of the new connection.
    let calls: Vec<(u64, String, Vec<OwnedValue>)> = nm
        .proxy(NM_PATH, "org.freedesktop.DBus.Mock")
        .await
        .call("GetCalls", &())
        .await
        .unwrap();
    let add = calls
        .iter()
        .find(|c| c.1 == "AddAndActivateConnection")
        .expect("AddAndActivateConnection called");
    let settings = format!("{:?}", add.2[0]);
    assert!(
        settings.contains("device-ap-pass") && settings.contains("wpa-psk"),
        "{settings}"
    );

    link.restore().await.unwrap();
    assert_eq!(
        nm.active_connection_of(&dev).await.as_deref(),
        Some(home.as_str())
    );
    assert!(!link.marker_path().exists());
    // A second restore is harmless.
    link.restore().await.unwrap();
}

#[tokio::test]
async fn a_crash_while_joined_is_repaired_at_the_next_start() {
    let bus = start_bus().await;
    let nm = Nm::new(&bus.address).await;
    let (dev, home) = home_setup(&nm).await;
    let state = tempfile::tempdir().unwrap();
    {
        let link = NmLink::at_address(&bus.address, state.path().to_owned())
            .await
            .unwrap();
        link.join(&device_ap()).await.unwrap();
        // "Crash": the link is dropped without restore.
    }
    assert_ne!(
        nm.active_connection_of(&dev).await.as_deref(),
        Some(home.as_str())
    );
    let next = NmLink::at_address(&bus.address, state.path().to_owned())
        .await
        .unwrap();
    assert!(next.recover().await.unwrap());
    assert_eq!(
        nm.active_connection_of(&dev).await.as_deref(),
        Some(home.as_str())
    );
    assert!(!next.marker_path().exists());
    assert!(!next.recover().await.unwrap(), "nothing left to recover");
}

#[tokio::test]
async fn a_missing_device_ap_fails_clearly_and_leaves_the_host_at_home() {
    let bus = start_bus().await;
    let nm = Nm::new(&bus.address).await;
    let (dev, home) = home_setup(&nm).await;
    let state = tempfile::tempdir().unwrap();
    let link = NmLink::at_address(&bus.address, state.path().to_owned())
        .await
        .unwrap()
        .with_join_timeout(Duration::from_millis(600));
    let e = link
        .join(&DeviceAp {
            ssid: "PROV_GONE".into(),
            password: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Link);
    assert!(
        e.message.contains("PROV_GONE") && e.message.contains("provisioning mode"),
        "{}",
        e.message
    );
    assert_eq!(
        nm.active_connection_of(&dev).await.as_deref(),
        Some(home.as_str())
    );
}

#[tokio::test]
async fn no_wifi_device_is_reported() {
    let bus = start_bus().await;
    let state = tempfile::tempdir().unwrap();
    let link = NmLink::at_address(&bus.address, state.path().to_owned())
        .await
        .unwrap();
    let e = link.join(&device_ap()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Link);
    assert!(e.message.contains("no Wi-Fi device"), "{}", e.message);
}
