//! The whole host (the real `provision` CLI signed in to provisiond) against the independent
//! stock ESP-IDF device of `tests/espdev`: a certificate run on a Wi-Fi-only device says so
//! plainly and asks the service for nothing; `provision wifi` finishes it; a batch reports it
//! per line, and with `--wifi-only` provisions its Wi-Fi next to a device of ours.

use e2e::espdev::EspDev;
use e2e::{Cli, Cloud, RunDir, Sim, SimOpts};

const PW: &str = "stock-Account-Pw-1";
const EMAIL: &str = "stock@example.com";
const POP: &str = "stock-pop-3391";
/// The passphrase of "HomeWiFi" in device-sim's default radio, and so in `networks()`.
const WIFI: &str = "correct horse";
const STOCK: &str = "SN-STOCK-0001";
const OURS: &str = "SN-STOCK-0002";

fn networks() -> serde_json::Value {
    serde_json::json!([{"ssid": "HomeWiFi", "passphrase": WIFI, "channel": 6, "rssi": -40}])
}

#[test]
fn a_wifi_only_device_is_named_skipped_and_finished_with_wifi_only() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    cloud.add_serials(&[STOCK, OURS]);
    let cli = Cli::new(&run, "stock")
        .env("IOTP_PASSWORD", PW)
        .signed_in(&cloud, EMAIL)
        .env("IOTP_EMAIL", EMAIL);
    let secrets = [("IOTP_POP", POP), ("IOTP_WIFI_PASSPHRASE", WIFI)];

    for sec in ["1", "2"] {
        let dev = EspDev::start(
            &run,
            &format!("sec{sec}"),
            sec.parse().unwrap(),
            POP,
            &networks(),
        );
        let direct = [
            "--link",
            "direct",
            "--url",
            dev.url.as_str(),
            "--softap",
            "PROV_ST01",
            "--security",
            sec,
        ];
        // A certificate run: refused as Wi-Fi-only after the session, before any certificate.
        let mut args = vec!["--json", "run", "--serial", STOCK, "--ssid", "HomeWiFi"];
        args.extend(direct);
        let o = cli.run_env(&args, &secrets);
        assert_eq!(o.code, Some(1), "{}{}", o.stdout, o.stderr);
        let err = &o.json()["error"];
        assert_eq!(err["code"], "wifi_only_device", "{err}");
        let msg = err["message"].as_str().unwrap();
        assert!(msg.contains("Wi-Fi-only device"), "{msg}");
        assert!(msg.contains("provision wifi"), "{msg}");
        let events = o.progress();
        assert!(
            events
                .iter()
                .any(|e| e["step"] == "secure_session" && e["state"]["state"] == "done"),
            "{events:?}"
        );
        assert!(
            events.iter().any(|e| e["step"] == "certificate"
                && e["state"]["state"] == "failed"
                && e["state"]["code"] == "wifi_only_device"),
            "{events:?}"
        );
        assert!(
            dev.requests()
                .iter()
                .all(|l| !l.starts_with("prov-config") && !l.starts_with("iot-cred")),
            "nothing was sent to the device: {:?}",
            dev.requests()
        );
        // No certificate was issued and no run is left to resume.
        let v = cli.run(&["--json", "device", "status", STOCK]).json();
        let cert = v.get("certificate_id").or(v.get("certificateId"));
        assert!(
            v.get("error").is_some() || cert.is_none_or(|c| c.is_null()),
            "{v}"
        );
        let o = cli.run_env(&["--json", "resume", "--serial", STOCK], &secrets);
        assert!(o.stdout.contains("no interrupted run"), "{}", o.stdout);

        // Finishing with Wi-Fi only.
        let mut args = vec!["--json", "wifi", "--ssid", "HomeWiFi"];
        args.extend(direct);
        let o = cli.run_env(&args, &secrets);
        assert!(o.success(), "{}{}", o.stdout, o.stderr);
        let v = o.json();
        assert_eq!(v["sec_ver"].to_string(), sec);
        assert_eq!(v["joined"]["device_reported"]["ip"], "192.168.1.77");
    }

    // A batch: our device gets its certificate; the stock one is reported per line, then
    // provisioned Wi-Fi-only with --wifi-only.
    let sim = Sim::start(&run, OURS, POP, &SimOpts::default());
    let stock = EspDev::start(&run, "batch", 2, POP, &networks());
    let input = run.path().join("devices.csv");
    let results = run.path().join("results.csv");
    std::fs::write(
        &input,
        format!(
            "serial,softap,pop,ssid,passphrase,url\n{OURS},{},{POP},HomeWiFi,{WIFI},{}\n{STOCK},PROV_ST01,{POP},HomeWiFi,{WIFI},{}\n",
            sim.softap, sim.url, stock.url
        ),
    )
    .unwrap();
    let batch = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "batch",
            input.to_str().unwrap(),
            "--out",
            results.to_str().unwrap(),
            "--link",
            "direct",
            "--timeout",
            "30",
        ];
        args.extend_from_slice(extra);
        let o = cli.run(&args);
        let rows: Vec<csv::StringRecord> = csv::Reader::from_path(&results)
            .unwrap()
            .records()
            .map(Result::unwrap)
            .collect();
        (o, rows)
    };
    let (o, rows) = batch(&[]);
    assert_eq!(
        o.code,
        Some(1),
        "the stock line failed: {}{}",
        o.stdout,
        o.stderr
    );
    assert_eq!((&rows[0][1], &rows[0][2]), (OURS, "ok"), "{rows:?}");
    assert!(!rows[0][5].is_empty(), "certificate id");
    assert_eq!(
        (&rows[1][1], &rows[1][2], &rows[1][3]),
        (STOCK, "failed", "wifi_only_device"),
        "{rows:?}"
    );
    assert!(rows[1][4].contains("Wi-Fi-only device"), "{rows:?}");

    // Only the stock device this time (ours is provisioned and closed its window).
    std::fs::write(
        &input,
        format!("{STOCK},PROV_ST01,{POP},HomeWiFi,{WIFI},{}\n", stock.url),
    )
    .unwrap();
    let (o, rows) = batch(&["--wifi-only"]);
    assert!(o.success(), "{}{}", o.stdout, o.stderr);
    assert_eq!(o.json()["wifi_only"], 1);
    assert_eq!((&rows[0][1], &rows[0][2]), (STOCK, "wifi_only"), "{rows:?}");
    assert!(rows[0][4].contains("security 2"), "{rows:?}");
    run.assert_no_secrets(&[WIFI, POP, PW]);
}
