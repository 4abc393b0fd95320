//! The production line's `factory-image` tool makes a partition the firmware accepts: the
//! device built from it completes a sec2 handshake with the label's PoP (and refuses another),
//! reports the serial and model given, and the image holds no trace of the PoP.

mod support;

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::process::Command;
use std::rc::Rc;

use firmware_core::device::{Device, Hardware};
use firmware_core::factory::{FactoryData, FactorySecurity};
use firmware_core::mem_flash::MemFlash;
use firmware_core::sim_radio::SimRadio;
use firmware_core::testkit::{ClientFailure, ProvClient, RecordingMqtt, TestEntropy};
use protocol::security::client::ClientError;
use support::{Rig, client_security};

const POP: &str = "label-code-7731";

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iotp-factory-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_factory-image"));
    c.env_remove("IOTP_DEVICE_POP");
    c
}

fn rig_from(data: FactoryData) -> Rig {
    let hw = Hardware {
        radio: SimRadio::new(SimRadio::default_aps()),
        flash: MemFlash::new(4096, 32),
        mqtt: RecordingMqtt::default(),
        entropy: TestEntropy(3),
    };
    let mut device = Device::new(data.into_config().unwrap(), hw);
    device.boot(1_000);
    Rig {
        device: Rc::new(RefCell::new(device)),
        now: Rc::new(Cell::new(1_000)),
    }
}

#[test]
fn the_image_makes_a_sec2_device_that_knows_its_serial_and_not_the_pop() {
    let dir = out_dir("ok");
    let out = dir.join("factory.bin");
    let run = tool()
        .env("IOTP_DEVICE_POP", POP)
        .args([
            "--serial",
            "SN-FAC-0001",
            "--model",
            "iotp-esp32c3",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        !stderr.contains(POP),
        "the PoP in the tool's output: {stderr}"
    );

    let image = std::fs::read(&out).unwrap();
    assert!(
        !image.windows(POP.len()).any(|w| w == POP.as_bytes()),
        "the PoP itself is in the image"
    );
    let data = FactoryData::parse(&image).unwrap();
    assert_eq!(data.serial, "SN-FAC-0001");
    assert_eq!(data.model, "iotp-esp32c3");
    assert!(matches!(data.security, FactorySecurity::Sec2 { ref salt, .. } if salt[0] != 0));

    let rig = rig_from(data.clone());
    let err = ProvClient::new(rig.clone())
        .establish(client_security(2, b"another-code"), &mut TestEntropy(8))
        .unwrap_err();
    assert_eq!(err, ClientFailure::Handshake(ClientError::WrongPop));
    let mut c = ProvClient::new(rig);
    c.establish(client_security(2, POP.as_bytes()), &mut TestEntropy(9))
        .expect("the label's PoP opens a session");
    let info = c.info().unwrap();
    assert_eq!(info.serial, "SN-FAC-0001");
    assert_eq!(info.model, "iotp-esp32c3");

    // A second image for the same PoP gets a fresh salt.
    let again = dir.join("again.bin");
    let run = tool()
        .env("IOTP_DEVICE_POP", POP)
        .args(["--serial", "SN-FAC-0001", "--out"])
        .arg(&again)
        .output()
        .unwrap();
    assert!(run.status.success());
    let other = FactoryData::parse(&std::fs::read(&again).unwrap()).unwrap();
    assert_ne!(other.security, data.security);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_a_pop_or_with_bad_arguments_it_writes_nothing() {
    let dir = out_dir("bad");
    let out = dir.join("factory.bin");
    let long = "S".repeat(256);
    let cases: [(&[&str], bool); 4] = [
        (&["--serial", "SN-1", "--out"], false),
        (&["--out"], true),
        (&["--serial", &long, "--out"], true),
        (&["--bogus", "--out"], true),
    ];
    for (args, with_pop) in cases {
        let mut c = tool();
        if with_pop {
            c.env("IOTP_DEVICE_POP", POP);
        }
        let run = c.args(args).arg(&out).output().unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}: {run:?}");
        assert!(
            !String::from_utf8_lossy(&run.stderr).is_empty(),
            "{args:?}: no reason given"
        );
        assert!(!out.exists(), "{args:?} wrote a file");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
