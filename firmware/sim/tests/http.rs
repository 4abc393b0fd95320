//! The real `device-sim` binary over loopback HTTP, driven by the protocol crate's client role.

mod support;

use std::time::{Duration, Instant};

use firmware_core::testkit::{ClientFailure, TestEntropy};
use protocol::proto::{Status, WifiConnectFailedReason, WifiStationState, resp_get_status};
use protocol::security::client::ClientError;
use support::*;

#[test]
fn label_line_comes_first_and_matches_the_contract() {
    let sim = Sim::start("SN-LABEL-9abc", &["--security", "1"]);
    let l = &sim.label;
    assert_eq!(l["serial"], "SN-LABEL-9abc");
    assert_eq!(l["softap"], "PROV_9ABC");
    assert_eq!(l["pop"], POP);
    assert_eq!(l["security"], 1);
    assert_eq!(l["qr"]["name"], "PROV_9ABC");
    assert_eq!(l["qr"]["transport"], "softap");
    assert_eq!(l["qr"]["ver"], "v1");
    let ver = sim.client().proto_ver().unwrap();
    assert_eq!(ver.prov.sec_ver, 1);
}

#[test]
fn provisioning_over_http_at_every_security_level_with_an_8k_chain() {
    for level in 0..=2u32 {
        let serial = format!("SN-HTTP-{level}");
        let sim = Sim::start(&serial, &["--security", &level.to_string()]);
        let ca = Ca::new("http test root");
        let mut c = sim.session(level);
        assert_eq!(c.proto_ver().unwrap().prov.sec_ver, level);
        let scan = c.scan().unwrap();
        assert!(scan.iter().any(|e| e.ssid == HOME), "level {level}");
        assert_eq!(c.info().unwrap().serial, serial);
        let csr = c.csr().unwrap();
        let mut chain = ca.sign_csr(&csr);
        while chain.len() < 8 * 1024 {
            chain.push_str(&Ca::new("intermediate").cert.pem());
        }
        let s = deliver_and_join(&mut c, &serial, &chain, &ca.cert.pem());
        assert_eq!(
            s.sta_state,
            WifiStationState::Connected as i32,
            "level {level}: {s:?}"
        );
    }
}

#[test]
fn wrong_pop_is_a_clear_error_and_locks_after_five_attempts() {
    let sim = Sim::start("SN-POP-1", &["--security", "2"]);
    for attempt in 0..5 {
        let mut c = sim.client();
        let err = c
            .establish(security(2, b"not-the-code"), &mut TestEntropy(attempt))
            .unwrap_err();
        assert_eq!(
            err,
            ClientFailure::Handshake(ClientError::WrongPop),
            "attempt {attempt}"
        );
    }
    let mut c = sim.client();
    match c.establish(security(2, POP.as_bytes()), &mut TestEntropy(77)) {
        Err(ClientFailure::Http(429, msg)) => assert!(msg.contains("locked"), "{msg}"),
        other => panic!("expected 429 lock-out, got {other:?}"),
    }
}

#[test]
fn wrong_passphrase_then_correction_connects_without_reset() {
    let sim = Sim::start("SN-PASS-1", &["--security", "1"]);
    let mut c = sim.session(1);
    c.set_config(HOME, b"wrong horse battery").unwrap();
    c.apply().unwrap();
    let s = wait_status(&mut c, Duration::from_secs(10));
    assert_eq!(
        s.state,
        Some(resp_get_status::State::FailReason(
            WifiConnectFailedReason::AuthError as i32
        ))
    );
    c.set_config(HOME, GOOD).unwrap();
    c.apply().unwrap();
    assert_eq!(
        wait_status(&mut c, Duration::from_secs(10)).sta_state,
        WifiStationState::Connected as i32
    );
}

#[test]
fn the_link_drops_after_apply_and_comes_back_with_the_result() {
    let sim = Sim::start(
        "SN-DROP-1",
        &[
            "--security",
            "0",
            "--drop-link-after-apply",
            "--drop-link-ms",
            "1500",
        ],
    );
    let mut c = sim.session(0);
    c.set_config(HOME, GOOD).unwrap();
    c.apply().unwrap();
    assert!(
        matches!(c.status(), Err(ClientFailure::Transport(_))),
        "link should be down right after apply"
    );
    assert_eq!(
        wait_status(&mut c, Duration::from_secs(10)).sta_state,
        WifiStationState::Connected as i32
    );
}

#[test]
fn the_window_expires_and_the_softap_goes_away() {
    let sim = Sim::start("SN-WIN-1", &["--security", "0", "--window-secs", "1"]);
    assert!(sim.client().proto_ver().is_ok());
    std::thread::sleep(Duration::from_millis(1500));
    match sim.client().proto_ver() {
        Err(ClientFailure::Transport(_)) => {}
        other => panic!("expected the SoftAP gone, got {other:?}"),
    }
}

#[test]
fn reset_and_reprovision_over_http() {
    let sim = Sim::start("SN-CTRL-1", &["--security", "2"]);
    let mut c = sim.session(2);
    c.set_config(b"CoffeeShop", b"").unwrap();
    c.apply().unwrap();
    assert_eq!(
        wait_status(&mut c, Duration::from_secs(10)).sta_state,
        WifiStationState::Connected as i32
    );
    assert_eq!(c.ctrl(true).unwrap(), Status::Success as i32);
    assert_eq!(
        c.status().unwrap().sta_state,
        WifiStationState::Disconnected as i32
    );
    c.set_config(HOME, b"wrong wrong").unwrap();
    c.apply().unwrap();
    wait_status(&mut c, Duration::from_secs(10));
    assert_eq!(c.ctrl(false).unwrap(), Status::Success as i32);
    c.set_config(HOME, GOOD).unwrap();
    c.apply().unwrap();
    assert_eq!(
        wait_status(&mut c, Duration::from_secs(10)).sta_state,
        WifiStationState::Connected as i32
    );
}

#[test]
fn oversized_and_sessionless_requests_are_refused() {
    let sim = Sim::start("SN-BAD-1", &["--security", "1"]);
    let mut c = sim.client();
    assert!(matches!(
        c.post_raw("prov-config", &vec![0u8; 5000]),
        Err(ClientFailure::Http(413, _))
    ));
    assert!(matches!(
        c.post_raw("prov-config", b"abc"),
        Err(ClientFailure::Http(401, _))
    ));
    assert!(matches!(
        c.post_raw("prov-session", b"\x08\x01\x5a\xff"),
        Err(ClientFailure::Http(400, _))
    ));
    // The device still works for a proper client.
    let mut good = sim.session(1);
    assert_eq!(
        good.status().unwrap().sta_state,
        WifiStationState::Disconnected as i32
    );
}

#[test]
fn credentials_survive_a_restart_in_the_flash_file() {
    let dir = tempfile::tempdir().unwrap();
    let flash = dir.path().join("flash.bin");
    let flash_arg = flash.to_str().unwrap();
    {
        let sim = Sim::start(
            "SN-FLASH-1",
            &["--security", "0", "--flash", flash_arg, "--grace-secs", "1"],
        );
        let mut c = sim.session(0);
        c.set_config(HOME, GOOD).unwrap();
        c.apply().unwrap();
        assert_eq!(
            wait_status(&mut c, Duration::from_secs(10)).sta_state,
            WifiStationState::Connected as i32
        );
    }
    let bytes = std::fs::read(&flash).unwrap();
    assert!(
        bytes.windows(8).any(|w| w == b"HomeWiFi"),
        "record in the flash file"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&flash).unwrap().permissions().mode() & 0o077,
            0,
            "flash file private"
        );
    }
    // A provisioned device boots into station mode: no SoftAP to talk to.
    let sim = Sim::start("SN-FLASH-1", &["--security", "0", "--flash", flash_arg]);
    let deadline = Instant::now() + Duration::from_secs(2);
    assert!(matches!(
        sim.client().proto_ver(),
        Err(ClientFailure::Transport(_))
    ));
    assert!(Instant::now() < deadline);
    drop(sim);
    // A factory reset wipes it and opens provisioning again.
    let sim = Sim::start(
        "SN-FLASH-1",
        &["--security", "0", "--flash", flash_arg, "--factory-reset"],
    );
    assert!(sim.client().proto_ver().is_ok());
    drop(sim);
    let bytes = std::fs::read(&flash).unwrap();
    assert!(
        !bytes.windows(8).any(|w| w == b"HomeWiFi"),
        "factory reset wiped the flash file"
    );
}

/// Security 2 with the username and password a manufacturer chose: the verifier made from the
/// PoP under `--sec2-username`, or a salt and verifier made elsewhere (`--sec2-credentials`).
/// Only the matching username and password open a session.
#[test]
fn sec2_with_a_chosen_username_or_a_salt_and_verifier_made_elsewhere() {
    use protocol::security::client::ClientSecurity;
    use zeroize::Zeroizing;
    let sec2 = |user: &[u8], pass: &[u8]| ClientSecurity::Sec2 {
        username: user.to_vec(),
        password: Zeroizing::new(pass.to_vec()),
        sec_patch_ver: 1,
    };

    let sim = Sim::start(
        "SN-S2-USER",
        &["--security", "2", "--sec2-username", "alice"],
    );
    let mut c = sim.client();
    c.establish(sec2(b"alice", POP.as_bytes()), &mut TestEntropy(1))
        .expect("alice + PoP");
    assert!(c.scan().unwrap().iter().any(|e| e.ssid == HOME));
    let mut c = sim.client();
    let err = c
        .establish(sec2(b"wifiprov", POP.as_bytes()), &mut TestEntropy(2))
        .unwrap_err();
    assert_eq!(err, ClientFailure::Handshake(ClientError::WrongPop));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sec2.json");
    let made = protocol::security::manufacture::sec2_credentials(
        b"factory-user",
        b"factory password",
        &mut TestEntropy(3),
    );
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    std::fs::write(
        &file,
        serde_json::json!({"salt": hex(&made.salt), "verifier": hex(&made.verifier)}).to_string(),
    )
    .unwrap();
    let sim = Sim::start(
        "SN-S2-FILE",
        &[
            "--security",
            "2",
            "--sec2-credentials",
            file.to_str().unwrap(),
        ],
    );
    assert!(sim.label["pop"].is_null(), "{}", sim.label);
    let mut c = sim.client();
    c.establish(
        sec2(b"factory-user", b"factory password"),
        &mut TestEntropy(4),
    )
    .expect("the manufacturer's username and password");
    assert!(c.scan().unwrap().iter().any(|e| e.ssid == HOME));
    let mut c = sim.client();
    let err = c
        .establish(sec2(b"factory-user", POP.as_bytes()), &mut TestEntropy(5))
        .unwrap_err();
    assert_eq!(err, ClientFailure::Handshake(ClientError::WrongPop));

    // A broken file or the wrong level is a clear start-up error.
    std::fs::write(&file, r#"{"salt": "zz", "verifier": "00"}"#).unwrap();
    for (level, want) in [("2", "salt must be"), ("1", "needs --security 2")] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_device-sim"))
            .args([
                "--serial",
                "SN-S2-BAD",
                "--listen",
                "127.0.0.1:0",
                "--security",
                level,
            ])
            .args(["--sec2-credentials", file.to_str().unwrap()])
            .env("IOTP_DEVICE_POP", POP)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "level {level}: {err}");
    }
}
