//! The whole system on loopback: provisiond (+ mosquitto with mutual TLS), simulated devices,
//! the host core and the `provision` CLI. Every process's output is captured and checked for
//! secrets at the end of each test.

use std::process::Command;
use std::sync::{Arc, Mutex};

use e2e::{Cloud, RunDir, Sim, SimOpts, bin, signed_in_host};
use provisioner::ErrorCode;
use provisioner::wizard::{JoinEvidence, ProgressEvent, Step, StepState};

const PW: &str = "e2e-Account-Pw-1";
const POP: &str = "pop-5150-xyz";
const WIFI: &str = "correct horse";

fn recorder() -> (
    Arc<Mutex<Vec<ProgressEvent>>>,
    impl Fn(ProgressEvent) + Send + Sync,
) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    (log, move |e: ProgressEvent| l.lock().unwrap().push(e))
}

#[tokio::test]
async fn sign_up_to_online_with_a_device_made_key() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    cloud.add_serials(&["SN-E2E-0001"]);
    let host = signed_in_host(&run, &cloud, "frank@example.com", PW).await;
    let sim = Sim::start(&run, "SN-E2E-0001", POP, &SimOpts::default());

    let info = host
        .device_info(&sim.plan(POP, WIFI, 30).target)
        .await
        .unwrap();
    assert_eq!(info.serial, "SN-E2E-0001");
    let nets = host.scan(&sim.plan(POP, WIFI, 30).target).await.unwrap();
    assert!(nets.iter().any(|n| n.ssid == "HomeWiFi"));

    let (events, sink) = recorder();
    let online = host
        .provision(&sim.plan(POP, WIFI, 30), &sink)
        .await
        .unwrap();
    assert_eq!(online.serial, "SN-E2E-0001");
    assert!(online.last_seen.is_some());
    assert!(
        matches!(online.joined, JoinEvidence::DeviceReported { .. }),
        "{:?}",
        online.joined
    );

    // The server saw the device's hello over MQTT (mutual TLS with the new certificate).
    let rec = host.device_status("SN-E2E-0001").await.unwrap();
    assert!(rec.last_seen.is_some(), "{rec:?}");
    assert_eq!(
        rec.certificate_id.as_deref(),
        Some(online.certificate_id.as_str())
    );
    assert_eq!(rec.owner.as_deref(), Some("frank@example.com"));

    // Every step ran and finished, in order.
    let done: Vec<Step> = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.state == StepState::Done)
        .map(|e| e.step)
        .collect();
    assert_eq!(
        done,
        [
            Step::JoinDevice,
            Step::SecureSession,
            Step::Certificate,
            Step::SendCredentials,
            Step::Apply,
            Step::DeviceJoinedWifi,
            Step::HostRestored,
            Step::DeviceOnline
        ]
    );
    // A finished run leaves no journal.
    assert!(host.interrupted_run().is_none());
    run.assert_no_secrets(&[WIFI, POP, PW]);
}

#[tokio::test]
async fn a_wrong_passphrase_is_reported_then_fixed_without_reset() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    cloud.add_serials(&["SN-E2E-0002"]);
    let host = signed_in_host(&run, &cloud, "gina@example.com", PW).await;
    let sim = Sim::start(&run, "SN-E2E-0002", POP, &SimOpts::default());

    let (events, sink) = recorder();
    let e = host
        .provision(&sim.plan(POP, "wrong horse 1", 30), &sink)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::WifiAuthFailed, "{e:?}");
    assert!(e.message.contains("passphrase is wrong"));
    assert!(!e.message.contains("wrong horse 1"));
    // The host was restored even though the run failed.
    assert!(
        events
            .lock()
            .unwrap()
            .iter()
            .any(|e| e.step == Step::HostRestored && e.state == StepState::Done)
    );

    let online = host
        .provision(&sim.plan(POP, WIFI, 30), &|_| {})
        .await
        .unwrap();
    assert!(online.last_seen.is_some());
    run.assert_no_secrets(&[WIFI, "wrong horse 1", POP, PW]);
}

#[tokio::test]
async fn a_link_drop_after_apply_is_not_a_false_failure() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    cloud.add_serials(&["SN-E2E-0003"]);
    let host = signed_in_host(&run, &cloud, "hank@example.com", PW).await;
    let sim = Sim::start(
        &run,
        "SN-E2E-0003",
        POP,
        &SimOpts {
            drop_link_after_apply: true,
            ..Default::default()
        },
    );
    let online = host
        .provision(&sim.plan(POP, WIFI, 30), &|_| {})
        .await
        .unwrap();
    assert!(online.last_seen.is_some(), "{online:?}");
    run.assert_no_secrets(&[WIFI, POP, PW]);
}

#[tokio::test]
async fn a_cli_batch_goes_on_past_failures_and_writes_results() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    let serials = ["SN-BATCH-01", "SN-BATCH-02", "SN-BATCH-03"];
    cloud.add_serials(&serials);
    let sims: Vec<Sim> = serials
        .iter()
        .map(|s| Sim::start(&run, s, POP, &SimOpts::default()))
        .collect();
    let home = run.path().join("cli-home");
    let cli = |args: &[&str], name: &str| {
        let out = Command::new(bin("provision"))
            .arg("--home")
            .arg(&home)
            .args(args)
            .env("IOTP_PASSWORD", PW)
            .env("IOTP_EMAIL", "ivy@example.com")
            .env("IOTP_WIFI_PASSPHRASE", WIFI)
            .env_remove("IOTP_POP")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        std::fs::write(
            run.path().join(format!("cli-{name}-stdout.log")),
            &out.stdout,
        )
        .unwrap();
        std::fs::write(
            run.path().join(format!("cli-{name}-stderr.log")),
            &out.stderr,
        )
        .unwrap();
        out
    };
    let ca = cloud.ca.to_string_lossy().into_owned();
    assert!(
        cli(
            &["profile", "self-hosted", &cloud.api, "--ca", &ca],
            "profile"
        )
        .status
        .success()
    );
    assert!(
        cli(&["signup", "ivy@example.com"], "signup")
            .status
            .success()
    );
    let code = cloud.user_code("ivy@example.com");
    assert!(
        cli(&["confirm", "ivy@example.com", &code], "confirm")
            .status
            .success()
    );

    // Three good lines (passphrase from the environment), one bad serial.
    let mut csv = String::from("serial,softap,pop,ssid,passphrase,url\n");
    for s in &sims {
        csv.push_str(&format!(
            "{},{},{POP},HomeWiFi,,{}\n",
            s.serial, s.softap, s.url
        ));
    }
    csv.push_str(&format!(
        "bad serial!,PROV_XXXX,{POP},HomeWiFi,,{}\n",
        sims[0].url
    ));
    let input = run.path().join("devices.csv");
    let results = run.path().join("results.csv");
    std::fs::write(&input, csv).unwrap();
    let out = cli(
        &[
            "--json",
            "batch",
            input.to_str().unwrap(),
            "--out",
            results.to_str().unwrap(),
            "--link",
            "direct",
            "--timeout",
            "30",
        ],
        "batch",
    );
    assert!(
        !out.status.success(),
        "one line failed, so the exit status says so"
    );
    let mut rows: Vec<csv::StringRecord> = csv::Reader::from_path(&results)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    rows.sort_by_key(|r| r[0].parse::<usize>().unwrap());
    assert_eq!(rows.len(), 4);
    for (i, r) in rows.iter().take(3).enumerate() {
        assert_eq!(&r[1], serials[i]);
        assert_eq!(&r[2], "ok", "{r:?}");
        assert!(!r[5].is_empty(), "certificate id");
    }
    assert_eq!(&rows[3][2], "failed");
    assert_eq!(&rows[3][3], "invalid_input");
    run.assert_no_secrets(&[WIFI, POP, PW]);
}
