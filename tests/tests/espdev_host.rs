//! Our host against an independent stock ESP-IDF device: `tests/espdev/espdev.py`, a Python
//! `wifi_prov_mgr` device built on Espressif's own modules (PyPI `esp-rainmaker-cli`), not on
//! our firmware core or protocol crate. Security 1 and 2 through the core's session, the
//! core's Wi-Fi-only flow and the real `provision` CLI; the device's own failure reason for a
//! wrong passphrase; and a device that downgrades to security 1 when 2 is expected.
//!
//! The device needs the venv of scripts/setup.sh (`IOTP_VENV`); without it these tests fail.
//! Its request log is in each test's run directory.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use e2e::RunDir;
use e2e::espdev::EspDev;

use provisioner::ErrorCode;
use provisioner::app::{Provisioner, Target, WifiPlan};
use provisioner::device::{DeviceSession, SecurityPolicy, WifiState};
use provisioner::link::LinkMode;
use provisioner::profile::Paths;
use provisioner::validate::{Passphrase, Pop, Ssid};
use provisioner::wizard::{JoinEvidence, ProgressEvent, Step, StepState};

const POP: &str = "espdev-pop-7731";
const HOME: &str = "HomeNet";
const PASSPHRASE: &str = "home-pass-5521";

fn networks() -> serde_json::Value {
    serde_json::json!([
        {"ssid": "Neighbour", "passphrase": "not-yours-1", "channel": 11, "rssi": -80},
        {"ssid": HOME, "passphrase": PASSPHRASE, "channel": 6, "rssi": -42},
        {"ssid": "Cafe", "passphrase": "", "channel": 1, "rssi": -67},
    ])
}

/// A stock device at security `sec`, its log under the run directory.
fn espdev(run: &RunDir, sec: u32) -> EspDev {
    EspDev::start(run, &format!("sec{sec}"), sec, POP, &networks())
}

fn target(dev: &EspDev, security: Option<u32>) -> Target {
    Target {
        url: dev.url.clone(),
        link: LinkMode::Direct,
        softap: "PROV_ESP1".into(),
        softap_password: None,
        pop: POP.into(),
        allow_sec0: false,
        security,
    }
}

fn policy(sec: u32) -> SecurityPolicy {
    SecurityPolicy::chosen(Some(sec), false).unwrap()
}

fn pop() -> Pop {
    Pop::parse(POP).unwrap()
}

/// The core's session at each level: handshake, scan, set config, apply, status.
#[tokio::test]
async fn the_core_session_provisions_a_stock_device_at_sec1_and_sec2() {
    let run = RunDir::new();
    for sec in [1, 2] {
        let dev = espdev(&run, sec);
        let mut s = DeviceSession::open(&dev.url, &pop(), policy(sec))
            .await
            .unwrap_or_else(|e| panic!("sec{sec}: {e:?}"));
        assert_eq!(s.sec_ver(), sec);
        assert!(!s.has_iot_cred(), "a stock device has no iot_cred");
        assert_eq!(s.proto_ver().prov.cap, ["wifi_scan"]);
        let nets = s.scan().await.unwrap();
        let names: Vec<&str> = nets.iter().map(|n| n.ssid.as_str()).collect();
        assert_eq!(names, [HOME, "Cafe", "Neighbour"], "strongest first");
        assert!(nets[0].secure && !nets[1].secure);
        assert_eq!(nets[0].channel, 6);
        s.set_wifi(
            &Ssid::parse(HOME).unwrap(),
            &Passphrase::parse(PASSPHRASE).unwrap(),
        )
        .await
        .unwrap();
        s.apply().await.unwrap();
        let mut states = Vec::new();
        for _ in 0..10 {
            let st = s.wifi_status().await.unwrap();
            states.push(st.clone());
            if st != WifiState::Connecting {
                break;
            }
        }
        assert_eq!(
            states,
            [
                WifiState::Connecting,
                WifiState::Connected {
                    ip: "192.168.1.77".into()
                }
            ],
            "sec{sec}"
        );
    }
}

/// A wrong PoP fails the handshake at both levels as `wrong_pop`.
#[tokio::test]
async fn a_wrong_pop_is_named_at_sec1_and_sec2() {
    let run = RunDir::new();
    for sec in [1, 2] {
        let dev = espdev(&run, sec);
        let e = DeviceSession::open(&dev.url, &Pop::parse("not-the-code").unwrap(), policy(sec))
            .await
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::WrongPop, "sec{sec}: {e:?}");
        let refused = |lines: &[String]| lines.iter().any(|l| l.contains("client proof mismatch"));
        let lines = dev.requests_until(refused);
        assert!(
            refused(&lines),
            "the device itself refused the proof: {lines:?}"
        );
    }
}

async fn provisioner() -> (Provisioner, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let p = Provisioner::open(
        Paths::under(dir.path()),
        Arc::new(provisioner::secrets::MemoryStore::default()),
        None,
    )
    .await
    .unwrap();
    (p, dir)
}

/// The core's Wi-Fi-only flow (no account, no certificate) at both levels, with the steps the
/// app shows.
#[tokio::test]
async fn the_wifi_only_flow_joins_a_stock_device_at_sec1_and_sec2() {
    let run = RunDir::new();
    let (p, _dir) = provisioner().await;
    for sec in [1, 2] {
        let dev = espdev(&run, sec);
        let events = Mutex::new(Vec::new());
        let sink = |e: ProgressEvent| events.lock().unwrap().push(e);
        let plan = WifiPlan {
            target: target(&dev, Some(sec)),
            ssid: HOME.into(),
            passphrase: PASSPHRASE.into(),
        };
        let done = p.provision_wifi(&plan, &sink).await.unwrap();
        assert_eq!(done.sec_ver, sec);
        assert!(!done.has_iot_cred);
        assert_eq!(
            done.joined,
            JoinEvidence::DeviceReported {
                ip: "192.168.1.77".into()
            }
        );
        let done_steps: Vec<Step> = events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.state == StepState::Done)
            .map(|e| e.step)
            .collect();
        assert_eq!(
            done_steps,
            [
                Step::JoinDevice,
                Step::SecureSession,
                Step::SendCredentials,
                Step::Apply,
                Step::DeviceJoinedWifi,
                Step::HostRestored
            ]
        );
        // Nothing of ours was asked of the stock device.
        assert!(
            dev.requests().iter().all(|l| !l.starts_with("iot-cred")),
            "{:?}",
            dev.requests()
        );
    }
}

/// A wrong passphrase comes back as the device's own reason (AuthError), and the corrected one
/// provisions the same device with no reset.
#[tokio::test]
async fn a_wrong_passphrase_is_the_devices_reason_and_a_retry_works() {
    let run = RunDir::new();
    let (p, _dir) = provisioner().await;
    let dev = espdev(&run, 2);
    let quiet = |_: ProgressEvent| {};
    let mut plan = WifiPlan {
        target: target(&dev, None),
        ssid: HOME.into(),
        passphrase: "wrong-pass-000".into(),
    };
    let e = p.provision_wifi(&plan, &quiet).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::WifiAuthFailed, "{e:?}");
    assert!(e.message.contains("passphrase is wrong"), "{}", e.message);
    plan.ssid = "Nowhere".into();
    let e = p.provision_wifi(&plan, &quiet).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::WifiNotFound, "{e:?}");
    plan.ssid = HOME.into();
    plan.passphrase = PASSPHRASE.into();
    p.provision_wifi(&plan, &quiet).await.unwrap();
}

/// A device that answers `sec_ver: 1` when security 2 is expected (the default) is refused
/// before any handshake; only an explicit choice of security 1 goes on.
#[tokio::test]
async fn a_device_that_downgrades_to_sec1_is_refused_in_the_core() {
    let run = RunDir::new();
    let dev = espdev(&run, 1);
    let e = DeviceSession::open(&dev.url, &pop(), SecurityPolicy::default())
        .await
        .err()
        .unwrap();
    assert_eq!(e.code, ErrorCode::InsecureDevice);
    assert!(e.message.contains("offers security 1"), "{}", e.message);
    assert!(
        e.message.contains("security 2 is expected"),
        "{}",
        e.message
    );
    assert_eq!(
        dev.requests_at_least(1),
        ["proto-ver 200"],
        "no handshake was started"
    );

    let (p, _dir) = provisioner().await;
    let quiet = |_: ProgressEvent| {};
    let plan = |security| WifiPlan {
        target: target(&dev, security),
        ssid: HOME.into(),
        passphrase: PASSPHRASE.into(),
    };
    let e = p.provision_wifi(&plan(None), &quiet).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InsecureDevice);
    let e = p.provision_wifi(&plan(Some(2)), &quiet).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InsecureDevice);
    assert!(
        dev.requests().iter().all(|l| !l.starts_with("prov-")),
        "nothing but proto-ver reached the device: {:?}",
        dev.requests()
    );
    let done = p.provision_wifi(&plan(Some(1)), &quiet).await.unwrap();
    assert_eq!(done.sec_ver, 1);
}

/// The real `provision` binary, with its own home directory.
fn cli(args: &[&str], envs: &[(&str, &str)]) -> (bool, String, String) {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(e2e::bin("provision"));
    cmd.arg("--home").arg(home.path()).args(args);
    cmd.env_remove("IOTP_QR").env_remove("IOTP_EMAIL");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    for secret in [POP, PASSPHRASE] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "a secret reached the CLI's output"
        );
    }
    (out.status.success(), stdout, stderr)
}

fn wifi_args<'a>(dev: &'a EspDev, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "--json",
        "wifi",
        "--ssid",
        HOME,
        "--link",
        "direct",
        "--url",
        dev.url.as_str(),
        "--softap",
        "PROV_ESP1",
    ];
    v.extend_from_slice(extra);
    v
}

const SECRETS: [(&str, &str); 2] = [("IOTP_POP", POP), ("IOTP_WIFI_PASSPHRASE", PASSPHRASE)];

/// `provision wifi` provisions the stock device at sec2 by default and at sec1 only when asked,
/// with a warning.
#[test]
fn the_cli_provisions_a_stock_device_wifi_only_at_sec2_and_sec1() {
    let run = RunDir::new();
    let dev = espdev(&run, 2);
    let (ok, out, err) = cli(&wifi_args(&dev, &[]), &SECRETS);
    assert!(ok, "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["sec_ver"], 2);
    assert_eq!(v["has_iot_cred"], false);
    assert_eq!(v["joined"]["device_reported"]["ip"], "192.168.1.77");
    assert!(!err.contains("warning"), "{err}");

    let dev = espdev(&run, 1);
    let (ok, out, err) = cli(&wifi_args(&dev, &["--security", "1"]), &SECRETS);
    assert!(ok, "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["sec_ver"], 1);
    assert!(err.contains("warning: accepting security 1"), "{err}");
}

/// The CLI refuses the downgrading device by default; the QR code's level (as on ESP-IDF's
/// label) is an explicit choice, and so is `--security`.
#[test]
fn the_cli_refuses_a_device_that_downgrades_unless_told_so() {
    let run = RunDir::new();
    let dev = espdev(&run, 1);
    let (ok, out, _) = cli(&wifi_args(&dev, &[]), &SECRETS);
    assert!(!ok);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["error"]["code"], "insecure_device");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("offers security 1"), "{msg}");
    assert!(msg.contains("--security 1"), "{msg}");

    // A QR code that says security 2 does not let the device lower it either.
    let qr2 = format!(
        r#"{{"ver":"v1","name":"PROV_ESP1","pop":"{POP}","transport":"softap","security":2}}"#
    );
    let (ok, out, _) = cli(
        &wifi_args(&dev, &[]),
        &[
            ("IOTP_QR", qr2.as_str()),
            ("IOTP_WIFI_PASSPHRASE", PASSPHRASE),
        ],
    );
    assert!(!ok);
    assert!(out.contains("insecure_device"), "{out}");
    assert!(
        dev.requests().iter().all(|l| !l.starts_with("prov-")),
        "{:?}",
        dev.requests()
    );

    let qr1 = qr2.replace(r#""security":2"#, r#""security":1"#);
    let (ok, out, err) = cli(
        &wifi_args(&dev, &[]),
        &[
            ("IOTP_QR", qr1.as_str()),
            ("IOTP_WIFI_PASSPHRASE", PASSPHRASE),
        ],
    );
    assert!(ok, "{out}\n{err}");
    assert!(err.contains("warning: accepting security 1"), "{err}");
}
