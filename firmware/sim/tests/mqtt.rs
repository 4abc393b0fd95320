//! The device's hello reaches a real mosquitto over mutual TLS with the certificate delivered
//! during provisioning and the key the device generated (never sent out).

mod support;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use prost::Message;
use protocol::proto::WifiStationState;
use protocol::proto::iot::{IotStatus, MqttSettings, TransferKind};
use support::*;

const MOSQUITTO: &str = "/usr/sbin/mosquitto";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

fn wait_port(port: u16) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("mosquitto did not listen on 127.0.0.1:{port}");
}

#[test]
fn hello_reaches_mosquitto_over_mutual_tls() {
    assert!(
        Path::new(MOSQUITTO).exists(),
        "{MOSQUITTO} is missing: install the mosquitto package (scripts/setup.sh does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("mqtt test CA");
    let (server_cert, server_key) = ca.leaf("127.0.0.1", &["127.0.0.1", "localhost"], false);
    let (obs_cert, obs_key) = ca.leaf("observer", &[], true);
    let port = free_port();
    let conf = format!(
        "listener {port} 127.0.0.1\nallow_anonymous false\nrequire_certificate true\nuse_identity_as_username true\n\
         cafile {}\ncertfile {}\nkeyfile {}\ntls_version tlsv1.2\npersistence false\nlog_dest stderr\n",
        write(dir.path(), "ca.pem", &ca.cert.pem()),
        write(dir.path(), "server.pem", &server_cert),
        write(dir.path(), "server.key", &server_key),
    );
    let conf_path = write(dir.path(), "mosquitto.conf", &conf);
    let _broker = Killed(
        Command::new(MOSQUITTO)
            .args(["-c", &conf_path])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto"),
    );
    wait_port(port);

    // An observer subscribed to every device's hello, with its own client certificate.
    let mut sub = Killed(
        Command::new("mosquitto_sub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-t",
                "devices/+/hello",
                "-v",
                "-C",
                "1",
                "-W",
                "60",
            ])
            .args(["--cafile", &write(dir.path(), "ca2.pem", &ca.cert.pem())])
            .args([
                "--cert",
                &write(dir.path(), "obs.pem", &obs_cert),
                "--key",
                &write(dir.path(), "obs.key", &obs_key),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start mosquitto_sub (package mosquitto-clients)"),
    );
    let (tx, rx) = mpsc::channel();
    let out = sub.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(out).read_line(&mut line);
        let _ = tx.send(line);
    });
    std::thread::sleep(Duration::from_millis(500));

    let serial = "SN-MQTT-0001";
    let sim = Sim::start(serial, &["--security", "2"]);
    let mut c = sim.session(2);
    let leaf = ca.sign_csr(&c.csr().unwrap());
    assert_eq!(
        c.transfer(TransferKind::KindCertificateChain, leaf.as_bytes(), 4000)
            .unwrap(),
        IotStatus::Ok
    );
    let settings = MqttSettings {
        host: "127.0.0.1".into(),
        port: u32::from(port),
        client_id: serial.into(),
        topic_prefix: "devices".into(),
        server_ca_pem: ca.cert.pem(),
    };
    assert_eq!(
        c.transfer(
            TransferKind::KindMqttSettings,
            &settings.encode_to_vec(),
            4000
        )
        .unwrap(),
        IotStatus::Ok
    );
    c.set_config(b"HomeWiFi", b"correct horse").unwrap();
    c.apply().unwrap();
    assert_eq!(
        wait_status(&mut c, Duration::from_secs(10)).sta_state,
        WifiStationState::Connected as i32
    );

    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("no hello reached the broker within 30 s");
    let (topic, payload) = line.trim_end().split_once(' ').expect("topic and payload");
    assert_eq!(topic, format!("devices/{serial}/hello"));
    let hello: serde_json::Value = serde_json::from_str(payload).unwrap();
    assert_eq!(hello["serial"], serial);
}
