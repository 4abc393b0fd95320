//! The host's device session (HTTP + protocol client role) against `device-sim`.

use e2e::{RunDir, Sim, SimOpts};
use provisioner::ErrorCode;
use provisioner::device::{DeviceSession, SecurityPolicy};
use provisioner::validate::Pop;

const POP: &str = "abcd1234";

#[tokio::test]
async fn sec2_session_info_and_scan() {
    let run = RunDir::new();
    let sim = Sim::start(&run, "SN-SESS-01", POP, &SimOpts::default());
    let mut s = DeviceSession::open(&sim.url, &Pop::parse(POP).unwrap(), SecurityPolicy::SEC2)
        .await
        .unwrap();
    assert_eq!(s.proto_ver().prov.sec_ver, 2);
    let info = s.info().await.unwrap();
    assert_eq!(info.serial, "SN-SESS-01");
    assert_eq!(info.sec_ver, 2);
    let nets = s.scan().await.unwrap();
    assert!(
        nets.iter().any(|n| n.ssid == "HomeWiFi" && n.secure),
        "{nets:?}"
    );
    // Strongest first.
    assert!(nets.windows(2).all(|w| w[0].rssi >= w[1].rssi));
    // The CSR is made on the device, for its serial.
    let csr = s.generate_csr().await.unwrap();
    assert!(csr.contains("BEGIN CERTIFICATE REQUEST"));
    run.assert_no_secrets(&[POP]);
}

#[tokio::test]
async fn a_wrong_pop_says_to_check_the_label() {
    let run = RunDir::new();
    let sim = Sim::start(&run, "SN-SESS-02", POP, &SimOpts::default());
    let e = DeviceSession::open(
        &sim.url,
        &Pop::parse("wrong-code").unwrap(),
        SecurityPolicy::SEC2,
    )
    .await
    .err()
    .unwrap();
    assert_eq!(e.code, ErrorCode::WrongPop);
    assert!(
        e.message.contains("check the code printed on the device"),
        "{}",
        e.message
    );
    // The device still accepts the right code afterwards.
    DeviceSession::open(&sim.url, &Pop::parse(POP).unwrap(), SecurityPolicy::SEC2)
        .await
        .unwrap();
}

#[tokio::test]
async fn sec1_works_and_sec0_needs_explicit_consent() {
    let run = RunDir::new();
    let sec1 = Sim::start(
        &run,
        "SN-SESS-03",
        POP,
        &SimOpts {
            security: Some(1),
            ..Default::default()
        },
    );
    // A security 1 device is refused unless security 1 was chosen out of band.
    let e = DeviceSession::open(&sec1.url, &Pop::parse(POP).unwrap(), SecurityPolicy::SEC2)
        .await
        .err()
        .unwrap();
    assert_eq!(e.code, ErrorCode::InsecureDevice);
    assert!(e.message.contains("offers security 1"), "{}", e.message);
    let sec1_chosen = SecurityPolicy::chosen(Some(1), false).unwrap();
    let mut s = DeviceSession::open(&sec1.url, &Pop::parse(POP).unwrap(), sec1_chosen)
        .await
        .unwrap();
    assert_eq!(s.info().await.unwrap().sec_ver, 1);

    let sec0 = Sim::start(
        &run,
        "SN-SESS-04",
        POP,
        &SimOpts {
            security: Some(0),
            ..Default::default()
        },
    );
    let e = DeviceSession::open(&sec0.url, &Pop::parse(POP).unwrap(), SecurityPolicy::SEC2)
        .await
        .err()
        .unwrap();
    assert_eq!(e.code, ErrorCode::InsecureDevice);
    let mut s = DeviceSession::open(
        &sec0.url,
        &Pop::parse(POP).unwrap(),
        SecurityPolicy::chosen(Some(0), true).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(s.info().await.unwrap().serial, "SN-SESS-04");
}

#[tokio::test]
async fn a_device_that_is_not_there_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = DeviceSession::open(
        &format!("http://127.0.0.1:{port}"),
        &Pop::parse(POP).unwrap(),
        SecurityPolicy::SEC2,
    )
    .await
    .err()
    .unwrap();
    assert_eq!(e.code, ErrorCode::Unreachable);
    assert!(e.message.contains("provisioning mode"));
}

/// The facade's device info carries the provisioning window's countdown from the device's
/// clock (what the desktop's page 3 counts down from).
#[tokio::test]
async fn device_info_reports_the_time_left_in_the_window() {
    use provisioner::app::Provisioner;
    let run = RunDir::new();
    let sim = Sim::start(
        &run,
        "SN-SESS-05",
        POP,
        &SimOpts {
            extra_args: vec!["--window-secs".into(), "120".into()],
            ..Default::default()
        },
    );
    let p = Provisioner::open(
        provisioner::profile::Paths::under(&run.path().join("host")),
        std::sync::Arc::new(provisioner::secrets::MemoryStore::default()),
        None,
    )
    .await
    .unwrap();
    let target = sim.direct_target(POP);
    let first = p.device_info(&target).await.unwrap();
    let left = first
        .window_remaining_ms
        .expect("the device reports its window");
    assert!(left <= 120_000 && left > 60_000, "{left}");
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let later = p.device_info(&target).await.unwrap();
    assert!(
        later.window_remaining_ms.unwrap() < left,
        "{later:?} after {left}"
    );
    run.assert_no_secrets(&[POP]);
}
