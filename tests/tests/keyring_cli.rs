//! Sign-in persistence through a real OS keyring: gnome-keyring-daemon's Secret Service on a
//! private session bus (never the developer's), the real `provision` binary and provisiond.
//! A login in one process is seen by the next ones, the token is in the keyring and in no
//! file of the CLI's home, and a logout removes it from the keyring. Without a keyring the
//! CLI says so and the session lasts one process.

use e2e::keyring::PrivateKeyring;
use e2e::{Cli, Cloud, RunDir};

const PW: &str = "keyring-Account-Pw-1";
const EMAIL: &str = "keyring@example.com";
const SERIAL: &str = "SN-KEYRING-0001";

/// Every file under `dir`, recursively.
/// Points the CLI at `cloud` and makes the account `EMAIL` (signed up and confirmed).
fn sign_up(cli: &Cli, cloud: &Cloud) {
    let ca = cloud.ca.to_string_lossy().into_owned();
    cli.ok(&["profile", "self-hosted", &cloud.api, "--ca", &ca]);
    cli.ok(&["signup", EMAIL]);
    cli.ok(&["confirm", EMAIL, &cloud.user_code(EMAIL)]);
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn login_persists_in_the_os_keyring_across_processes_and_logout_clears_it() {
    let run = RunDir::new();
    let keyring = PrivateKeyring::start(&run);
    let cloud = Cloud::start(&run);
    cloud.add_serials(&[SERIAL]);
    // Only this CLI sees the private bus (set after the harness's "no bus" default).
    let cli = Cli::new(&run, "keyring")
        .env("IOTP_PASSWORD", PW)
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
    // Tokens are kept per server (the URL and the CA's bytes), not per profile name.
    let key = provisioner::profile::Backend::SelfHosted {
        url: cloud.api.clone(),
        ca_path: Some(cloud.ca.clone()),
    }
    .token_key();
    let item = [("service", "iot-provisioner"), ("username", key.as_str())];

    assert_eq!(keyring.lookup(&item), None, "the new keyring is not empty");
    sign_up(&cli, &cloud);

    // login: no "no keyring" notice, since a keyring is there.
    let o = cli.ok(&["login", EMAIL]);
    assert_eq!(o.stdout.trim(), format!("Signed in as {EMAIL}."));
    assert!(!o.stderr.contains("no keyring"), "{}", o.stderr);

    // The keyring holds the tokens, as read by another Secret Service client.
    let stored = keyring
        .lookup(&item)
        .expect("login stored no tokens in the keyring");
    let tokens: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(tokens["email"], EMAIL);
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    assert!(id_token.len() >= 16, "{tokens}");

    // New processes, with no password or e-mail to sign in from: the keyring's session.
    let no_pw = [("IOTP_PASSWORD", "")];
    let o = cli.run_env(&["--json", "whoami"], &no_pw);
    assert!(o.success(), "{}", o.stderr);
    assert_eq!(o.json()["email"], EMAIL, "{}", o.stderr);
    let o = cli.run_env(&["whoami"], &no_pw);
    assert_eq!(o.stdout.trim(), EMAIL);
    // ...and the persisted token is accepted by the service.
    let o = cli.run_env(&["--json", "cert", SERIAL], &no_pw);
    assert!(o.success(), "{}{}", o.stdout, o.stderr);
    assert_eq!(o.json()["sn"], SERIAL);

    // The token is in no file of the CLI's home (config, state, journal) nor in the
    // keyring's own files (encrypted at rest), and in no log.
    let home_files = files_under(cli.home());
    assert!(!home_files.is_empty(), "the CLI wrote no configuration");
    for f in home_files.iter().chain(&files_under(&keyring.data_home)) {
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(&id_token),
            "{} holds the ID token",
            f.display()
        );
        if let Some(r) = tokens["refresh_token"].as_str() {
            assert!(!text.contains(r), "{} holds the refresh token", f.display());
        }
    }

    // logout: the keyring entry is gone, and a new process is signed out.
    let o = cli.ok(&["logout"]);
    assert_eq!(o.stdout.trim(), "Signed out.");
    assert_eq!(
        keyring.lookup(&item),
        None,
        "logout left tokens in the keyring"
    );
    let o = cli.run_env(&["--json", "whoami"], &no_pw);
    assert!(o.json()["email"].is_null(), "{}", o.stdout);
    let o = cli.run_env(&["cert", SERIAL], &no_pw);
    assert_eq!(o.code, Some(1));
    assert!(o.stderr.contains("provision login"), "{}", o.stderr);

    run.assert_no_secrets(&[PW, &id_token]);
}

#[test]
fn without_a_keyring_login_says_so_and_lasts_one_process() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    // The harness's default: no session bus, so no Secret Service.
    let cli = Cli::new(&run, "no-keyring").env("IOTP_PASSWORD", PW);
    sign_up(&cli, &cloud);

    let o = cli.ok(&["login", EMAIL]);
    assert_eq!(o.stdout.trim(), format!("Signed in as {EMAIL}."));
    // The notice in the person's words; the keyring library's own text stays out of it.
    assert_eq!(
        o.stderr.trim(),
        format!("note: {}", provisioner::secrets::NO_KEYRING),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("No default store"), "{}", o.stderr);
    // Nothing kept the session for the next process, and no file holds it instead.
    let o = cli.ok(&["--json", "whoami"]);
    assert!(o.json()["email"].is_null(), "{}", o.stdout);
    for f in files_under(cli.home()) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(!text.contains("id_token"), "{} holds tokens", f.display());
    }
    run.assert_no_secrets(&[PW]);
}
