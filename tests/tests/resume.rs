//! Resuming after a crash, through the real `provision` binary: the CLI is killed (SIGKILL)
//! mid-run with its journal left, then `provision resume` finishes the run. The journal never
//! holds a private key, passphrase, PoP or password (checked on disk at the kill).

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use e2e::{Cli, Cloud, RunDir, Sim, SimOpts};
use serde_json::Value;

const PW: &str = "resume-Account-Pw-1";
const EMAIL: &str = "resume@example.com";
const POP: &str = "resume-pop-4242";
const WIFI: &str = "correct horse";

/// Starts `provision --json run` for `sim` in the background, output into the run's logs.
fn spawn_run(run: &RunDir, cli: &Cli, sim: &Sim, name: &str) -> Child {
    let mut args = vec![
        "--json",
        "run",
        "--serial",
        &sim.serial,
        "--ssid",
        "HomeWiFi",
    ];
    args.extend(sim.direct_args());
    args.extend(["--timeout", "30"]);
    cli.command(&args)
        .env("IOTP_POP", POP)
        .env("IOTP_WIFI_PASSPHRASE", WIFI)
        .stdout(run.log(&format!("cli-{name}-stdout")))
        .stderr(run.log(&format!("cli-{name}-stderr")))
        .spawn()
        .expect("spawn provision run")
}

/// Waits until the journal of `serial` reaches one of `stages`; returns it.
fn journal_at(home: &Path, serial: &str, stages: &[&str], child: &mut Child) -> Value {
    let path = home
        .join("state")
        .join("runs")
        .join(format!("{serial}.json"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(j) = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        {
            if stages.contains(&j["stage"].as_str().unwrap_or_default()) {
                return j;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before reaching {stages:?}"
        );
        assert!(
            Instant::now() < deadline,
            "the journal never reached {stages:?}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Every file under the CLI's home (config, state, journal) is free of secrets.
fn assert_nothing_secret_on_disk(home: &Path) {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path());
            }
        }
    }
    let mut files = Vec::new();
    walk(home, &mut files);
    assert!(!files.is_empty());
    for f in files {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        for secret in [PW, POP, WIFI, "PRIVATE KEY"] {
            assert!(!text.contains(secret), "{} holds a secret", f.display());
        }
    }
}

fn kill(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Killed after apply, with the result unknown: resume joins the device again, reads its
/// verdict and waits for its first message. The PoP is needed; the passphrase is not.
#[test]
fn a_run_killed_after_apply_is_finished_by_resume() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    cloud.add_serials(&["SN-RES-0001"]);
    let cli = Cli::new(&run, "applied")
        .env("IOTP_PASSWORD", PW)
        .env("IOTP_EMAIL", EMAIL)
        .signed_in(&cloud, EMAIL);
    // A slow join (3 s) keeps the run waiting for the device's verdict.
    let sim = Sim::start(
        &run,
        "SN-RES-0001",
        POP,
        &SimOpts {
            join_delay_ms: Some(3000),
            ..Default::default()
        },
    );
    let mut child = spawn_run(&run, &cli, &sim, "applied-run");
    let j = journal_at(cli.home(), "SN-RES-0001", &["applied"], &mut child);
    kill(child);
    assert_eq!(j["ssid"], "HomeWiFi");
    assert_nothing_secret_on_disk(cli.home());

    // Nothing to resume for another serial; bad input is refused.
    let o = cli.run(&["resume", "--serial", "SN-RES-9999"]);
    assert_eq!(o.code, Some(1));
    assert!(o.stderr.contains("no interrupted run"), "{}", o.stderr);

    let o = cli.run_env(
        &["--json", "resume", "--timeout", "30"],
        &[("IOTP_POP", POP)],
    );
    assert!(o.success(), "{}\n{}", o.stdout, o.stderr);
    let online = o.json();
    assert_eq!(online["serial"], "SN-RES-0001");
    assert!(online["last_seen"].is_string(), "{online}");
    assert!(
        online["joined"]["device_reported"]["ip"].is_string(),
        "the device's own verdict was read again: {online}"
    );
    assert_eq!(online["certificate_id"], j["certificate_id"]);
    assert!(
        !cli.home().join("state/runs/SN-RES-0001.json").exists(),
        "a finished run leaves no journal"
    );
    run.assert_no_secrets(&[PW, POP, WIFI]);
}

/// Killed with the certificate issued but not yet delivered: resume opens a new session with
/// the PoP, delivers the certificate kept in the journal (the device still holds its key, so no
/// new one is made), sends the Wi-Fi settings with the passphrase given again, and finishes.
#[test]
fn a_run_killed_before_the_certificate_was_sent_is_finished_by_resume() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    cloud.add_serials(&["SN-RES-0002"]);
    let cli = Cli::new(&run, "cert")
        .env("IOTP_PASSWORD", PW)
        .env("IOTP_EMAIL", EMAIL)
        .signed_in(&cloud, EMAIL);
    // A slow link (300 ms a request) keeps the run in the credential transfer long enough.
    let sim = Sim::start(
        &run,
        "SN-RES-0002",
        POP,
        &SimOpts {
            join_delay_ms: Some(0),
            extra_args: vec!["--latency-ms".into(), "300".into()],
            ..Default::default()
        },
    );
    let mut child = spawn_run(&run, &cli, &sim, "cert-run");
    let j = journal_at(
        cli.home(),
        "SN-RES-0002",
        &["certificate_ready", "wifi_chosen"],
        &mut child,
    );
    kill(child);
    let kept = j["certificate"]["certificatePem"].as_str().unwrap();
    assert!(kept.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_nothing_secret_on_disk(cli.home());

    // The secrets are needed again: without the passphrase it says so and changes nothing.
    // The kill may land before the journal holds the SSID (stage certificate_ready), so the
    // network's name is given again as a person would.
    let o = cli.run_env(&["resume", "--ssid", "HomeWiFi"], &[("IOTP_POP", POP)]);
    assert_eq!(o.code, Some(1));
    assert!(o.stderr.contains("Passphrase"), "{}", o.stderr);
    assert!(cli.home().join("state/runs/SN-RES-0002.json").exists());

    let o = cli.run_env(
        &["--json", "resume", "--ssid", "HomeWiFi", "--timeout", "30"],
        &[("IOTP_POP", POP), ("IOTP_WIFI_PASSPHRASE", WIFI)],
    );
    assert!(o.success(), "{}\n{}", o.stdout, o.stderr);
    let online = o.json();
    assert_eq!(online["serial"], "SN-RES-0002");
    assert!(online["last_seen"].is_string(), "{online}");
    assert_eq!(
        online["certificate_id"], j["certificate_id"],
        "the certificate issued before the crash was delivered, not a new one"
    );
    assert_eq!(online["certificate_pem"].as_str(), Some(kept));
    assert!(!cli.home().join("state/runs/SN-RES-0002.json").exists());
    run.assert_no_secrets(&[PW, POP, WIFI]);
}
