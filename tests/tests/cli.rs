//! Every `provision` command through the real binary, against provisiond (+ mosquitto) and
//! device-sim on loopback: sign-in commands, certificate commands, device info and scan, a
//! whole run with its JSON output parsed, and bad input giving a clear error and a non-zero
//! exit. With no OS keyring on the test machine, a sign-in lasts one process (the CLI says
//! so); later commands sign in from IOTP_EMAIL + IOTP_PASSWORD where they need an account.

use e2e::{Cli, Cloud, RunDir, Sim, SimOpts};

const PW: &str = "cli-Account-Pw-1";
const EMAIL: &str = "cli@example.com";
const POP: &str = "cli-pop-7781";
const WIFI: &str = "correct horse";
const SERIAL: &str = "SN-CLI-0001";

#[test]
fn every_command_works_and_bad_input_fails_clearly() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    cloud.add_serials(&[SERIAL, "SN-CLI-0002"]);
    let cli = Cli::new(&run, "main").env("IOTP_PASSWORD", PW);

    // Before any profile: not signed in, and commands that need the service say how to fix it.
    let o = cli.ok(&["whoami"]);
    assert_eq!(o.stdout.trim(), "Not signed in.");
    let o = cli.run(&["--json", "cert", SERIAL]);
    assert_eq!(o.code, Some(1));
    assert_eq!(o.json()["error"]["code"], "not_configured", "{}", o.stdout);

    let cli = cli.signed_in(&cloud, EMAIL);

    // login: human and JSON output; a wrong password is refused clearly.
    let o = cli.ok(&["login", EMAIL]);
    assert_eq!(o.stdout.trim(), format!("Signed in as {EMAIL}."));
    assert_eq!(cli.ok(&["--json", "login", EMAIL]).json()["email"], EMAIL);
    let o = cli.run_env(
        &["login", EMAIL],
        &[("IOTP_PASSWORD", "not-the-Password-1")],
    );
    assert_eq!(o.code, Some(1));
    assert!(o.stderr.contains("error [bad_credentials]"), "{}", o.stderr);

    // whoami: the account when it can sign in, nobody otherwise.
    let with_email = [("IOTP_EMAIL", EMAIL)];
    assert_eq!(
        cli.run_env(&["--json", "whoami"], &with_email).json()["email"],
        EMAIL
    );
    assert!(cli.ok(&["--json", "whoami"]).json()["email"].is_null());

    // cert SERIAL: the service's record; unknown and malformed serials fail clearly.
    let r = cli.run_env(&["--json", "cert", SERIAL], &with_email).json();
    assert_eq!(r["sn"], SERIAL, "{r}");
    let o = cli.run_env(&["--json", "cert", "SN-CLI-9999"], &with_email);
    assert_eq!(o.code, Some(1));
    let e = &o.json()["error"];
    assert_eq!(e["code"], "serial_not_registered", "{e}");
    let o = cli.run_env(&["cert", "bad serial!"], &with_email);
    assert_eq!(o.code, Some(1));
    assert!(o.stderr.contains("error [invalid_input]"), "{}", o.stderr);
    // cert needs an account.
    let o = cli.run(&["cert", SERIAL]);
    assert_eq!(o.code, Some(1));
    assert!(o.stderr.contains("provision login"), "{}", o.stderr);

    // cert SERIAL --csr FILE: a certificate for a CSR made elsewhere.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "SN-CLI-0002");
    let csr = params.serialize_request(&key).unwrap().pem().unwrap();
    let csr_file = run.path().join("factory.csr");
    std::fs::write(&csr_file, csr).unwrap();
    let csr_arg = csr_file.to_str().unwrap();
    let o = cli.run_env(&["cert", "SN-CLI-0002", "--csr", csr_arg], &with_email);
    assert!(o.success(), "{}", o.stderr);
    assert!(
        o.stdout.starts_with("-----BEGIN CERTIFICATE-----"),
        "{}",
        o.stdout
    );
    let b = cli
        .run_env(
            &["--json", "cert", "SN-CLI-0002", "--csr", csr_arg],
            &with_email,
        )
        .json();
    assert!(
        !b["certificateId"].as_str().unwrap_or_default().is_empty(),
        "{b}"
    );
    assert_eq!(b["thingName"], "SN-CLI-0002");

    // device info / device scan over a direct link, PoP from the environment.
    let sim = Sim::start(&run, SERIAL, POP, &SimOpts::default());
    let dev = sim.direct_args();
    let pop = [("IOTP_POP", POP)];
    let args = |cmd: &[&'static str]| -> Vec<String> {
        cmd.iter()
            .map(|s| s.to_string())
            .chain(dev.iter().map(|s| s.to_string()))
            .collect()
    };
    let run_args = |a: &[String], env: &[(&str, &str)]| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        cli.run_env(&a, env)
    };
    let o = run_args(&args(&["device", "info"]), &pop);
    assert!(o.success(), "{}", o.stderr);
    assert!(o.stdout.starts_with(&format!("{SERIAL} (")), "{}", o.stdout);
    let info = run_args(&args(&["--json", "device", "info"]), &pop).json();
    assert_eq!(info["serial"], SERIAL);
    assert_eq!(info["sec_ver"], 2);
    // The provisioning window's countdown (300 s by default, started when the sim did).
    let left = info["window_remaining_ms"].as_u64().unwrap();
    assert!((1..=300_000).contains(&left), "{info}");
    assert!(
        o.stdout.contains("provisioning window closes in "),
        "{}",
        o.stdout
    );
    let o = run_args(&args(&["device", "scan"]), &pop);
    assert!(o.success(), "{}", o.stderr);
    assert!(
        o.stdout.lines().next().unwrap().ends_with("HomeWiFi"),
        "strongest first: {}",
        o.stdout
    );
    let nets = run_args(&args(&["--json", "device", "scan"]), &pop).json();
    let names: Vec<&str> = nets
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["ssid"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["HomeWiFi", "CoffeeShop", "Neighbour"]);

    // A wrong PoP: the actionable sentence and a non-zero exit, nothing provisioned.
    let o = run_args(&args(&["device", "info"]), &[("IOTP_POP", "wrong-pop-000")]);
    assert_eq!(o.code, Some(1));
    assert!(o.stderr.contains("error [wrong_pop]"), "{}", o.stderr);
    assert!(
        o.stderr.contains("check the code printed on the device"),
        "{}",
        o.stderr
    );

    // run: the whole wizard, JSON result and JSON progress lines.
    let mut run_cmd = args(&["--json", "run"]);
    run_cmd.extend(["--serial", SERIAL, "--ssid", "HomeWiFi", "--timeout", "30"].map(String::from));
    let wifi = [
        ("IOTP_EMAIL", EMAIL),
        ("IOTP_POP", POP),
        ("IOTP_WIFI_PASSPHRASE", WIFI),
    ];
    // Bad input first: a short passphrase and an unknown serial are refused with exit 1.
    let o = run_args(
        &run_cmd,
        &[
            ("IOTP_EMAIL", EMAIL),
            ("IOTP_POP", POP),
            ("IOTP_WIFI_PASSPHRASE", "short"),
        ],
    );
    assert_eq!(o.code, Some(1));
    assert_eq!(o.json()["error"]["code"], "invalid_input");
    let mut unknown = run_cmd.clone();
    let i = unknown.iter().position(|a| a == SERIAL).unwrap();
    unknown[i] = "SN-CLI-9999".into();
    let o = run_args(&unknown, &wifi);
    assert_eq!(o.code, Some(1));
    assert_eq!(
        o.json()["error"]["code"],
        "serial_not_registered",
        "{}",
        o.stdout
    );
    let o = run_args(
        &run_cmd,
        &[
            ("IOTP_EMAIL", EMAIL),
            ("IOTP_POP", "wrong-pop-000"),
            ("IOTP_WIFI_PASSPHRASE", WIFI),
        ],
    );
    assert_eq!(o.code, Some(1));
    assert_eq!(o.json()["error"]["code"], "wrong_pop");

    let o = run_args(&run_cmd, &wifi);
    assert!(o.success(), "{}\n{}", o.stdout, o.stderr);
    let online = o.json();
    assert_eq!(online["serial"], SERIAL);
    assert!(online["last_seen"].is_string(), "{online}");
    assert!(
        online["joined"]["device_reported"]["ip"].is_string(),
        "{online}"
    );
    let cert_id = online["certificate_id"].as_str().unwrap().to_owned();
    assert!(
        online["certificate_pem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----"),
        "{online}"
    );
    assert!(!cert_id.is_empty());
    let steps: Vec<(String, String)> = o
        .progress()
        .iter()
        .map(|v| {
            (
                v["step"].as_str().unwrap().to_owned(),
                v["state"]["state"].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(_, s)| s == "done")
        .collect();
    let done: Vec<&str> = steps.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        done,
        [
            "join_device",
            "secure_session",
            "certificate",
            "send_credentials",
            "apply",
            "device_joined_wifi",
            "host_restored",
            "device_online"
        ]
    );
    // The service agrees (device status), and shows the same certificate.
    let s = cli
        .run_env(&["--json", "device", "status", SERIAL], &with_email)
        .json();
    assert_eq!(s["certificateId"], cert_id.as_str(), "{s}");
    assert!(s["lastSeen"].is_string(), "{s}");

    // logout: signed out, and whoami agrees.
    let o = cli.run_env(&["logout"], &with_email);
    assert!(o.success(), "{}", o.stderr);
    assert_eq!(o.stdout.trim(), "Signed out.");
    assert!(cli.ok(&["--json", "whoami"]).json()["email"].is_null());

    run.assert_no_secrets(&[PW, POP, WIFI, "not-the-Password-1", "wrong-pop-000"]);
}
