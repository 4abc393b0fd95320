//! The `provision` CLI never takes the QR payload (which holds the device's PoP) on its
//! command line, where `ps` and /proc/PID/cmdline show it to every local user; it reads it
//! from IOTP_QR, a prompt, or `--qr-file`.

use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_provision");
const PAYLOAD: &str =
    r#"{"ver":"v1","name":"PROV_7A3F","pop":"abcd1234efgh","transport":"softap"}"#;

fn provision(home: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_qr_payload_on_the_command_line_is_refused() {
    let home = tempfile::tempdir().unwrap();
    // A closed port: nothing listens there, so only argument handling is exercised.
    let device = ["--link", "direct", "--url", "http://127.0.0.1:9"];
    let mut args = vec!["device", "info", "--qr", PAYLOAD];
    args.extend(device);
    let (code, err) = provision(home.path(), &args, &[]);
    assert_eq!(code, 2, "the payload was accepted on argv: {err}");
    assert!(err.contains("unexpected argument"), "{err}");

    // From a file, and from IOTP_QR: the PoP is taken, so the run gets as far as the device.
    let file = home.path().join("qr.json");
    std::fs::write(&file, PAYLOAD).unwrap();
    let file = file.to_str().unwrap();
    for (extra, env) in [
        (vec!["--qr-file", file], vec![]),
        (vec!["--qr"], vec![("IOTP_QR", PAYLOAD)]),
    ] {
        let mut args = vec!["device", "info"];
        args.extend(extra);
        args.extend(device);
        let (code, err) = provision(home.path(), &args, &env);
        assert_ne!(code, 2, "{err}");
        assert!(!err.contains("is needed"), "the PoP was not read: {err}");
        assert!(
            !err.contains("abcd1234efgh"),
            "the error repeats the PoP: {err}"
        );
    }
}
