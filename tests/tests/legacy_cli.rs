//! The seed lab's legacy mode end to end through the real `provision` binary: device-sim behaves
//! like the lab firmware (a TLS client of the host's port reading key, certificate, SSID and
//! passphrase), joins the simulated network and says hello to provisiond's broker with the
//! cloud-made key. The port is a free loopback port, not 7070.

use e2e::{Cli, Cloud, RunDir, Sim, SimOpts, free_port};
use provisioner::device::legacy::LEGACY_WARNING;

const PW: &str = "legacy-Account-Pw-1";
const EMAIL: &str = "lab@example.com";
const WIFI: &str = "correct horse";
const SERIAL: &str = "SN-LEG-0001";

#[test]
fn legacy_mode_needs_the_flag_warns_and_brings_the_device_online() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    cloud.add_serials(&[SERIAL]);
    let cli = Cli::new(&run, "legacy")
        .env("IOTP_PASSWORD", PW)
        .env("IOTP_EMAIL", EMAIL)
        .signed_in(&cloud, EMAIL);
    let listen = format!("127.0.0.1:{}", free_port());
    let ca = cloud.ca.to_string_lossy().into_owned();
    let _sim = Sim::start(
        &run,
        SERIAL,
        "unused-by-legacy",
        &SimOpts {
            join_delay_ms: Some(0),
            extra_args: [
                "--legacy-connect",
                &listen,
                "--legacy-broker",
                &cloud.mqtt,
                "--legacy-broker-ca",
                &ca,
            ]
            .map(String::from)
            .to_vec(),
            ..Default::default()
        },
    );
    // A manual link (the user joins the lab device's network): nothing answers at the device
    // address, since the lab firmware serves nothing; the device connecting is what counts.
    let base = [
        "run",
        "--serial",
        SERIAL,
        "--ssid",
        "HomeWiFi",
        "--link",
        "manual",
        "--url",
        "http://127.0.0.1:9",
    ];
    let wifi = [("IOTP_WIFI_PASSPHRASE", WIFI)];

    // The legacy listener is not available without the explicit flag.
    let mut args = base.to_vec();
    args.extend(["--legacy-listen", &listen]);
    let o = cli.run_env(&args, &wifi);
    assert!(!o.success());
    assert!(o.stderr.contains("--legacy"), "{}", o.stderr);

    let mut args = vec!["--json"];
    args.extend(base);
    args.extend(["--legacy", "--legacy-listen", &listen, "--timeout", "30"]);
    let o = cli.run_env(&args, &wifi);
    assert!(o.success(), "{}\n{}", o.stdout, o.stderr);
    assert!(o.stderr.contains(LEGACY_WARNING), "{}", o.stderr);
    let v = o.json();
    assert_eq!(v["serial"], SERIAL);
    assert_eq!(v["joined"], "not_reported");
    assert!(v["last_seen"].is_string(), "{v}");
    assert!(!v["certificate_id"].as_str().unwrap().is_empty());

    // The service saw the device's hello (the CLI's own view of it).
    let s = cli.ok(&["--json", "device", "status", SERIAL]).json();
    assert!(
        s["lastSeen"].is_string() || s["last_seen"].is_string(),
        "{s}"
    );
    run.assert_no_secrets(&[WIFI, PW]);
}
