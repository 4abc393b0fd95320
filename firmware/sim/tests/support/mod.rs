//! Drives the real `device-sim` binary over loopback HTTP: spawning it, a tiny HTTP/1.1 client,
//! and a test CA (rcgen) for signing device CSRs and running mosquitto.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use firmware_core::testkit::{ProvClient, TestEntropy, Transport, TransportReply};
use protocol::proto::{RespGetStatus, WifiStationState};
use protocol::security::client::ClientSecurity;

pub const POP: &str = "label-code-7";
/// The default radio environment's home network and its passphrase.
pub const HOME: &[u8] = b"HomeWiFi";
pub const GOOD: &[u8] = b"correct horse";

/// A running simulator, killed on drop.
pub struct Sim {
    pub child: Child,
    pub addr: SocketAddr,
    pub label: serde_json::Value,
}

impl Sim {
    /// Starts `device-sim --serial SERIAL --listen 127.0.0.1:0 <extra>` with the PoP in the environment.
    pub fn start(serial: &str, extra: &[&str]) -> Sim {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_device-sim"));
        cmd.args(["--serial", serial, "--listen", "127.0.0.1:0"])
            .args(extra);
        Sim::spawn(cmd)
    }

    /// Spawns a prepared `device-sim` command (it gets the PoP in the environment) and reads
    /// its label line.
    pub fn spawn(mut cmd: Command) -> Sim {
        let mut child = cmd
            .env("IOTP_DEVICE_POP", POP)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn device-sim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("label line");
        let label: serde_json::Value = serde_json::from_str(&line).expect("label is JSON");
        let addr = label["listen"].as_str().unwrap().parse().unwrap();
        Sim { child, addr, label }
    }

    pub fn client(&self) -> ProvClient<Http> {
        ProvClient::new(Http { addr: self.addr })
    }

    /// A client with an established session at `level`.
    pub fn session(&self, level: u32) -> ProvClient<Http> {
        let mut c = self.client();
        c.establish(
            security(level, POP.as_bytes()),
            &mut TestEntropy(level.into()),
        )
        .expect("session");
        c
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn security(level: u32, pop: &[u8]) -> ClientSecurity {
    match level {
        0 => ClientSecurity::Sec0,
        1 => ClientSecurity::sec1(pop),
        _ => ClientSecurity::sec2(pop),
    }
}

/// HTTP/1.1 over a fresh loopback connection per request, headers as esp_prov sends them.
pub struct Http {
    pub addr: SocketAddr,
}

impl Transport for Http {
    fn post(
        &mut self,
        endpoint: &str,
        cookie: Option<u32>,
        body: &[u8],
    ) -> Result<TransportReply, String> {
        let mut s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let mut head = format!(
            "POST /{endpoint} HTTP/1.1\r\nHost: {}\r\nContent-type: application/x-www-form-urlencoded\r\nAccept: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.addr,
            body.len()
        );
        if let Some(c) = cookie {
            head.push_str(&format!("Cookie: session={c}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes())
            .and_then(|_| s.write_all(body))
            .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).map_err(|e| e.to_string())?;
        parse_response(&raw)
    }
}

fn parse_response(raw: &[u8]) -> Result<TransportReply, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("connection closed without a response")?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|e| e.to_string())?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("bad status line")?;
    let mut cookie = None;
    let mut len = None;
    for l in lines {
        let (k, v) = l.split_once(':').ok_or("bad header")?;
        match k.trim().to_ascii_lowercase().as_str() {
            "set-cookie" => {
                cookie = v
                    .trim()
                    .strip_prefix("session=")
                    .and_then(|c| c.split(';').next())
                    .and_then(|c| c.parse().ok())
            }
            "content-length" => len = v.trim().parse::<usize>().ok(),
            _ => {}
        }
    }
    let body = raw[split + 4..].to_vec();
    if len.is_some_and(|l| l != body.len()) {
        return Err("truncated body".into());
    }
    Ok((status, body, cookie))
}

/// `iot-cred` MQTT settings for `serial` (broker on 127.0.0.1:`port`).
pub fn mqtt_settings(serial: &str, ca_pem: &str, port: u16) -> Vec<u8> {
    use prost::Message;
    protocol::proto::iot::MqttSettings {
        host: "127.0.0.1".into(),
        port: u32::from(port),
        client_id: serial.into(),
        topic_prefix: "devices".into(),
        server_ca_pem: ca_pem.into(),
    }
    .encode_to_vec()
}

/// Delivers `chain` and MQTT settings (nothing listens on port 1: MQTT fails and retries,
/// provisioning is unaffected), sends the home network, applies, and returns the join outcome.
pub fn deliver_and_join(
    c: &mut ProvClient<Http>,
    serial: &str,
    chain: &str,
    ca_pem: &str,
) -> RespGetStatus {
    use protocol::proto::Status;
    use protocol::proto::iot::{IotStatus, TransferKind};
    let sent = c.transfer(TransferKind::KindCertificateChain, chain.as_bytes(), 3500);
    assert_eq!(sent.unwrap(), IotStatus::Ok, "{serial}: certificate chain");
    let settings = mqtt_settings(serial, ca_pem, 1);
    let sent = c.transfer(TransferKind::KindMqttSettings, &settings, 3500);
    assert_eq!(sent.unwrap(), IotStatus::Ok, "{serial}: MQTT settings");
    assert_eq!(c.set_config(HOME, GOOD).unwrap(), Status::Success as i32);
    assert_eq!(c.apply().unwrap(), Status::Success as i32);
    wait_status(c, Duration::from_secs(20))
}

/// Polls `GetStatus` until the join has an outcome (through link drops) or the timeout.
pub fn wait_status(c: &mut ProvClient<Http>, timeout: Duration) -> RespGetStatus {
    let end = Instant::now() + timeout;
    let mut last = None;
    while Instant::now() < end {
        match c.status() {
            Ok(s) if s.sta_state != WifiStationState::Connecting as i32 => return s,
            Ok(s) => last = Some(format!("{s:?}")),
            Err(e) => last = Some(format!("{e:?}")),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no join outcome within {timeout:?}; last: {last:?}");
}

/// A CA made with rcgen.
pub struct Ca {
    pub cert: rcgen::Certificate,
    pub issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let cert = params.self_signed(&key).unwrap();
        Ca {
            cert,
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    pub fn sign_csr(&self, csr_pem: &str) -> String {
        let csr =
            rcgen::CertificateSigningRequestParams::from_pem(csr_pem).expect("device CSR parses");
        csr.signed_by(&self.issuer).unwrap().pem()
    }

    /// A leaf for `cn` (with `sans`), returning (cert PEM, key PEM).
    pub fn leaf(&self, cn: &str, sans: &[&str], client: bool) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        params.extended_key_usages = vec![if client {
            rcgen::ExtendedKeyUsagePurpose::ClientAuth
        } else {
            rcgen::ExtendedKeyUsagePurpose::ServerAuth
        }];
        (
            params.signed_by(&key, &self.issuer).unwrap().pem(),
            key.serialize_pem(),
        )
    }
}
