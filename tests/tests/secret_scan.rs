//! The security suite's secret scan (issue 13): after full provisioning runs, one with a
//! device-made key and one with a cloud-made key, no file the system wrote (every process's
//! log, provisiond's data directory with its database, broker configuration and CRL, the
//! host's config and state directories) holds the account password, an ID or refresh token,
//! the proof of possession, the Wi-Fi passphrase or a private key. Exempt: the device's own
//! flash image (the device keeps its key and Wi-Fi settings there), the simulator's ready line
//! (`sim-*-ready.txt`: the device's label, which carries the PoP by design), the simulated
//! access points' own description (`*.radio.json`, written by the harness, which names their
//! passphrases) and the service's own key files (`ca.key`, `jwt.key`, `server.key`, mode 0600,
//! checked by data_dir.rs).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use e2e::{Cloud, RunDir, Sim, SimOpts};
use provisioner::app::Provisioner;
use provisioner::profile::{Backend, Paths, Profile};
use provisioner::secrets::{MemoryStore, SecretStore};
use provisioner::wizard::CertMode;

const EMAIL: &str = "scan@example.com";
const PW: &str = "scan-Account-Pw-1";
const POP: &str = "pop-scan-8812";
/// The passphrase of "HomeWiFi" in the simulator's radio (tests/src/lib.rs `radio_file`).
const WIFI: &str = "correct horse";
const SERVICE_KEYS: [&str; 3] = ["ca.key", "jwt.key", "server.key"];

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            files_under(&path, out);
        } else if kind.is_file() {
            out.push(path);
        }
    }
}

/// Whether `haystack` holds the ASCII `needle` (a lossy conversion keeps every ASCII run, and
/// std's substring search is compiled optimised, unlike this crate in a test build).
fn contains(haystack: &[u8], needle: &str) -> bool {
    String::from_utf8_lossy(haystack).contains(needle)
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_is_left_in_any_log_or_data_file_after_provisioning() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    cloud.add_serials(&["SN-SCAN-0001", "SN-SCAN-0002"]);
    let secrets = Arc::new(MemoryStore::default());
    let store: Arc<dyn SecretStore> = secrets.clone();
    let backend = Backend::SelfHosted {
        url: cloud.api.clone(),
        ca_path: Some(cloud.ca.clone()),
    };
    let host = Provisioner::open(Paths::under(&run.path().join("host")), store, None)
        .await
        .unwrap();
    host.set_profile(
        Profile {
            name: "default".into(),
            backend: backend.clone(),
        },
        None,
    )
    .await
    .unwrap();
    host.sign_up(EMAIL, PW).await.unwrap();
    host.confirm_sign_up(EMAIL, &cloud.user_code(EMAIL))
        .await
        .unwrap();
    host.sign_in(EMAIL, PW).await.unwrap();

    let mut flash_files = Vec::new();
    let mut sims = Vec::new();
    for (serial, mode) in [
        ("SN-SCAN-0001", CertMode::DeviceCsr),
        ("SN-SCAN-0002", CertMode::CloudKey),
    ] {
        let sim = Sim::start(&run, serial, POP, &SimOpts::default());
        let mut plan = sim.plan(POP, WIFI, 30);
        plan.cert_mode = mode;
        let online = host.provision(&plan, &|_| {}).await.unwrap();
        assert!(online.last_seen.is_some(), "{serial} never came online");
        flash_files.push(run.path().join(format!("{serial}.flash")));
        sims.push(sim);
    }

    let kept: serde_json::Value =
        serde_json::from_str(&secrets.get(&backend.token_key()).unwrap().unwrap()).unwrap();
    let id_token = kept["id_token"].as_str().unwrap().to_owned();
    let refresh_token = kept["refresh_token"].as_str().unwrap().to_owned();
    let needles: [(&str, &str); 5] = [
        ("the password", PW),
        ("the PoP", POP),
        ("the Wi-Fi passphrase", WIFI),
        ("the ID token", &id_token),
        ("the refresh token", &refresh_token),
    ];

    let mut files = Vec::new();
    files_under(run.path(), &mut files);
    let mut scanned = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        let the_devices_own = flash_files.contains(file)
            || name.ends_with(".radio.json")
            || (name.starts_with("sim-") && name.ends_with("-ready.txt"));
        if the_devices_own {
            continue;
        }
        let bytes = std::fs::read(file).unwrap();
        scanned += 1;
        for (what, secret) in needles {
            assert!(!contains(&bytes, secret), "{what} is in {}", file.display());
        }
        if !SERVICE_KEYS.contains(&name.as_ref()) {
            assert!(
                !contains(&bytes, "PRIVATE KEY-----"),
                "a private key is in {}",
                file.display()
            );
        }
    }
    // The scan saw the database, the host's state and the logs, not an empty directory.
    let seen = |suffix: &str| files.iter().any(|f| f.to_string_lossy().ends_with(suffix));
    assert!(seen("provisiond.db"), "{files:?}");
    assert!(seen("profiles.json"), "{files:?}");
    assert!(seen(".log"), "{files:?}");
    assert!(scanned >= 10, "only {scanned} files: {files:?}");
    // The flash files exist: the devices really kept their credentials, elsewhere.
    for flash in &flash_files {
        assert!(flash.exists(), "{}", flash.display());
    }
    run.assert_no_secrets(&[PW, POP, WIFI, &id_token, &refresh_token]);
}
