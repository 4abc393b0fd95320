//! The firmware core on an emulated Cortex-M4: the board image `firmware/boards/qemu-cortex-m`
//! runs under `qemu-system-arm -machine mps2-an386 -icount shift=0`, and this test talks to it
//! over the emulated UART (a Unix socket on the host) with the testkit's provisioning client.
//! The image's flash is a host file, so restarting QEMU on it is a reboot, and the board's
//! `cut=N` option is a power cut after N flash byte-operations.
//!
//! Ignored by `cargo test`: it needs QEMU and the board image. `scripts/ci/test-qemu.sh`
//! builds the image and runs these with `--ignored` (IOTP_QEMU_FIRMWARE = the ELF).

mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use firmware_core::factory::{FactoryData, FactorySecurity};
use firmware_core::link::{FrameDecoder, Request, parse_response};
use firmware_core::testkit::{ClientFailure, ProvClient, TestEntropy, Transport, TransportReply};
use prost::Message;
use protocol::proto::iot::{IotStatus, MqttSettings, TransferKind};
use protocol::proto::{Status, WifiConnectFailedReason, WifiStationState, resp_get_status};
use protocol::security::client::ClientError;
use protocol::security::manufacture::sec2_credentials;
use support::{POP, SERIAL, TestCa, client_security};

const HOME: &[u8] = b"HomeWiFi";
const GOOD: &[u8] = b"correct horse";
/// Must match the board's flash size.
const FLASH_SIZE: usize = 32 * 4096;
/// Bound on any single wait for the emulator (start-up, an answer, an exit); never a
/// measurement.
const PATIENCE: Duration = Duration::from_secs(120);

/// One device: a directory holding its factory partition and flash image.
struct Board {
    dir: PathBuf,
}

impl Board {
    fn new(level: u32) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "iotp-qemu-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let security = match level {
            0 => FactorySecurity::Sec0,
            1 => FactorySecurity::Sec1 {
                pop: POP.to_vec().into(),
            },
            _ => {
                let c = sec2_credentials(b"wifiprov", POP, &mut TestEntropy(7));
                FactorySecurity::Sec2 {
                    salt: c.salt,
                    verifier: c.verifier,
                }
            }
        };
        let factory = FactoryData {
            serial: SERIAL.into(),
            model: "iotp-qemu".into(),
            security,
        };
        std::fs::write(dir.join("factory.bin"), &factory.encode().unwrap()[..]).unwrap();
        std::fs::write(dir.join("flash.bin"), vec![0xFF; FLASH_SIZE]).unwrap();
        Self { dir }
    }

    /// Powers the board on (a fresh QEMU on the same flash image).
    fn boot(&self, cut: Option<usize>) -> Qemu {
        Qemu::start(&self.dir, cut)
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn firmware() -> PathBuf {
    let path = std::env::var_os("IOTP_QEMU_FIRMWARE")
        .map(PathBuf::from)
        .expect("IOTP_QEMU_FIRMWARE must name the board image; run scripts/ci/test-qemu.sh");
    assert!(path.is_file(), "no board image at {}", path.display());
    path
}

/// A running emulator and the UART link to it.
struct Qemu {
    child: Child,
    link: UnixStream,
    log: PathBuf,
    decoder: FrameDecoder,
}

impl Qemu {
    fn start(dir: &Path, cut: Option<usize>) -> Self {
        let sock = dir.join("uart.sock");
        let _ = std::fs::remove_file(&sock);
        static BOOTS: AtomicUsize = AtomicUsize::new(0);
        let log = dir.join(format!(
            "console-{}.log",
            BOOTS.fetch_add(1, Ordering::Relaxed)
        ));
        let mut semihosting = String::from("enable=on,target=native,arg=board");
        if let Some(n) = cut {
            semihosting.push_str(&format!(",arg=cut={n}"));
        }
        let child = Command::new("qemu-system-arm")
            .current_dir(dir)
            .args(["-machine", "mps2-an386", "-cpu", "cortex-m4"])
            .args(["-icount", "shift=0", "-display", "none", "-monitor", "none"])
            .arg("-chardev")
            .arg(format!(
                "socket,id=link,path={},server=on,wait=on",
                sock.display()
            ))
            .args(["-serial", "chardev:link"])
            .args(["-semihosting-config", &semihosting])
            .arg("-kernel")
            .arg(firmware())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
            .spawn()
            .expect("qemu-system-arm must be installed (scripts/ci/qemu.apt)");
        let started = Instant::now();
        let link = loop {
            match UnixStream::connect(&sock) {
                Ok(s) => break s,
                Err(_) if started.elapsed() < PATIENCE => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(e) => panic!("QEMU's UART socket never opened: {e}"),
            }
        };
        link.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut q = Self {
            child,
            link,
            log,
            decoder: FrameDecoder::new(),
        };
        q.wait_for_line("ready serial=");
        q
    }

    fn console(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_for_line(&mut self, prefix: &str) -> String {
        let started = Instant::now();
        loop {
            if let Some(l) = self.console().lines().find(|l| l.starts_with(prefix)) {
                return l.to_owned();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the board stopped ({status}) before printing {prefix:?}:\n{}",
                    self.console()
                );
            }
            assert!(
                started.elapsed() < PATIENCE,
                "no {prefix:?} on the console:\n{}",
                self.console()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the board to stop by itself (a power cut ends the emulation).
    fn wait_exit(&mut self) {
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                started.elapsed() < PATIENCE,
                "the board did not stop:\n{}",
                self.console()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Pulls the plug.
    fn power_off(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.console()
    }

    fn client(&mut self) -> ProvClient<&mut Self> {
        ProvClient::new(self)
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Transport for &mut Qemu {
    fn post(
        &mut self,
        endpoint: &str,
        cookie: Option<u32>,
        body: &[u8],
    ) -> Result<TransportReply, String> {
        let frame = Request {
            endpoint: endpoint.into(),
            cookie,
            body: body.to_vec(),
        }
        .to_frame();
        // A dropped link says what the board printed last (a power cut, a panic).
        let dropped = |q: &Qemu, why: String| {
            let console = q.console();
            let tail: Vec<&str> = console.lines().rev().take(3).collect();
            format!("{why}; console ends: {tail:?}")
        };
        if let Err(e) = self.link.write_all(&frame) {
            return Err(dropped(self, e.to_string()));
        }
        let mut buf = [0u8; 4096];
        loop {
            let n = match self.link.read(&mut buf) {
                Ok(0) => return Err(dropped(self, "the UART link closed".into())),
                Ok(n) => n,
                Err(e) => return Err(dropped(self, e.to_string())),
            };
            for &b in &buf[..n] {
                if let Some(payload) = self.decoder.push(b) {
                    let payload = payload.map_err(|e| format!("bad frame: {e:?}"))?;
                    let r = parse_response(&payload).map_err(|e| format!("{e:?}"))?;
                    return Ok((r.status, r.body, r.set_cookie));
                }
            }
        }
    }
}

/// One `perf` line of the board's console.
#[derive(Debug, Default, Clone)]
struct Perf {
    endpoint: String,
    insns: u64,
    heap_peak: u64,
    stack_peak: u64,
    run_heap_peak: u64,
    run_stack_peak: u64,
}

fn perf_lines(console: &str) -> Vec<Perf> {
    console
        .lines()
        .filter_map(|l| l.strip_prefix("perf "))
        .map(|l| {
            let mut p = Perf::default();
            for kv in l.split(' ') {
                let (k, v) = kv.split_once('=').unwrap();
                let n = || v.parse::<u64>().unwrap();
                match k {
                    "endpoint" => p.endpoint = v.into(),
                    "insns" => p.insns = n(),
                    "heap_peak" => p.heap_peak = n(),
                    "stack_peak" => p.stack_peak = n(),
                    "run_heap_peak" => p.run_heap_peak = n(),
                    "run_stack_peak" => p.run_stack_peak = n(),
                    _ => {}
                }
            }
            p
        })
        .collect()
}

fn mqtt_settings(ca: &TestCa) -> Vec<u8> {
    MqttSettings {
        host: "127.0.0.1".into(),
        port: 8883,
        client_id: SERIAL.into(),
        topic_prefix: "devices".into(),
        server_ca_pem: ca.cert.pem(),
    }
    .encode_to_vec()
}

/// Asks for the station state until the join has an outcome.
fn wait_status(c: &mut ProvClient<&mut Qemu>) -> protocol::proto::RespGetStatus {
    let started = Instant::now();
    loop {
        let s = c.status().unwrap();
        if s.sta_state != WifiStationState::Connecting as i32 {
            return s;
        }
        assert!(started.elapsed() < PATIENCE, "the join never finished");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A chain of more than 8 KB: the device's leaf plus CA certificates.
fn long_chain(ca: &TestCa, csr: &str) -> String {
    let mut chain = ca.sign_csr(csr);
    while chain.len() < 8 * 1024 {
        chain.push_str(
            &TestCa::new("intermediate CA with a long enough name")
                .cert
                .pem(),
        );
    }
    chain
}

/// Session, scan, info, CSR, 8 KB chain, MQTT settings, Wi-Fi, apply: up to the join.
fn provision_until_apply(q: &mut Qemu, seed: u64) -> ProvClient<&mut Qemu> {
    let ca = TestCa::new("test root");
    let mut c = q.client();
    c.establish(client_security(2, POP), &mut TestEntropy(seed))
        .expect("sec2 session");
    assert_eq!(c.proto_ver().unwrap().prov.sec_ver, 2);
    assert_eq!(c.scan().unwrap()[0].ssid, HOME, "strongest first");
    let info = c.info().unwrap();
    assert_eq!(
        info.serial, SERIAL,
        "the serial comes from the factory partition"
    );
    assert_eq!(info.model, "iotp-qemu");
    let chain = long_chain(&ca, &c.csr().unwrap());
    assert!(chain.len() > 8192);
    assert_eq!(
        c.transfer(TransferKind::KindCertificateChain, chain.as_bytes(), 3000)
            .unwrap(),
        IotStatus::Ok
    );
    assert_eq!(
        c.transfer(TransferKind::KindMqttSettings, &mqtt_settings(&ca), 3000)
            .unwrap(),
        IotStatus::Ok
    );
    assert_eq!(c.set_config(HOME, GOOD).unwrap(), Status::Success as i32);
    assert_eq!(c.apply().unwrap(), Status::Success as i32);
    c
}

fn provision(q: &mut Qemu, seed: u64) {
    let mut c = provision_until_apply(q, seed);
    let s = wait_status(&mut c);
    assert_eq!(s.sta_state, WifiStationState::Connected as i32, "{s:?}");
    assert!(matches!(s.state, Some(resp_get_status::State::Connected(ref st)) if st.ssid == HOME));
    drop(c);
    q.wait_for_line("event Online");
}

#[test]
#[ignore = "needs QEMU and the board image: scripts/ci/test-qemu.sh"]
fn sec2_provisioning_with_a_csr_and_an_8k_chain_then_a_reboot_goes_online() {
    let board = Board::new(2);
    let mut q = board.boot(None);
    provision(&mut q, 5);
    let console = q.power_off();
    assert!(
        console.contains("event Committed { sequence: 1 }"),
        "{console}"
    );

    let perf = perf_lines(&console);
    let hs: Vec<&Perf> = perf
        .iter()
        .filter(|p| p.endpoint == "prov-session")
        .collect();
    assert_eq!(hs.len(), 2, "one sec2 handshake of two messages");
    let first = &hs[..];
    let insns: u64 = first.iter().map(|p| p.insns).sum();
    let hs_heap = first.iter().map(|p| p.heap_peak).max().unwrap();
    let hs_stack = first.iter().map(|p| p.stack_peak).max().unwrap();
    let cred = perf.iter().filter(|p| p.endpoint == "iot-cred");
    let (cred_heap, cred_stack) = cred.fold((0, 0), |(h, s), p| {
        (h.max(p.heap_peak), s.max(p.stack_peak))
    });
    let last = perf.last().unwrap();
    println!(
        "QEMU mps2-an386: sec2 handshake {insns} instructions, heap peak {hs_heap} B, stack \
         peak {hs_stack} B; iot-cred (CSR + 8 KB chain) heap peak {cred_heap} B, stack peak \
         {cred_stack} B; whole run heap peak {} B, stack peak {} B",
        last.run_heap_peak, last.run_stack_peak
    );
    // The goals of a complete provisioning: the heap is 64 KiB (an allocation past it
    // panics the board and fails this test), the stack under 16 KiB.
    assert!(
        last.run_stack_peak < 16 * 1024,
        "stack {}",
        last.run_stack_peak
    );
    assert!(insns > 0);

    // Power on again on the same flash: straight to station mode and online.
    let mut q = board.boot(None);
    q.wait_for_line("event Online");
    let console = q.power_off();
    assert!(!console.contains("ProvisioningOpened"), "{console}");
}

#[test]
#[ignore = "needs QEMU and the board image: scripts/ci/test-qemu.sh"]
fn a_power_cut_during_the_commit_leaves_nothing_half_written() {
    let board = Board::new(2);
    // The commit erases sectors and writes a record of about 10 KB; a budget of 3000 byte
    // operations runs out in the middle of its payload.
    let mut q = board.boot(Some(3000));
    let mut c = provision_until_apply(&mut q, 11);
    // The join succeeds, the commit starts, the power goes: the link drops mid-poll.
    let started = Instant::now();
    while c.status().is_ok() {
        assert!(started.elapsed() < PATIENCE, "the power was never cut");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(c);
    q.wait_exit();
    let console = q.console();
    assert!(console.contains("power-cut"), "{console}");
    assert!(!console.contains("event Committed"), "{console}");

    // Reboot on the cut image: no record, so provisioning opens again and completes.
    let mut q = board.boot(None);
    q.wait_for_line("event ProvisioningOpened");
    provision(&mut q, 13);
    let console = q.power_off();
    assert!(
        console.contains("event Committed { sequence: 1 }"),
        "{console}"
    );
    let mut q = board.boot(None);
    q.wait_for_line("event Online");
}

#[test]
#[ignore = "needs QEMU and the board image: scripts/ci/test-qemu.sh"]
fn a_wrong_passphrase_commits_nothing_and_a_correction_connects() {
    let board = Board::new(2);
    let mut q = board.boot(None);
    {
        let mut c = q.client();
        c.establish(client_security(2, POP), &mut TestEntropy(21))
            .unwrap();
        assert_eq!(
            c.set_config(HOME, b"wrong horse").unwrap(),
            Status::Success as i32
        );
        assert_eq!(c.apply().unwrap(), Status::Success as i32);
        let s = wait_status(&mut c);
        assert_eq!(s.sta_state, WifiStationState::ConnectionFailed as i32);
        assert_eq!(
            s.state,
            Some(resp_get_status::State::FailReason(
                WifiConnectFailedReason::AuthError as i32
            ))
        );
    }
    q.wait_for_line("event ConnectFailed(AuthError)");
    assert!(!q.console().contains("event Committed"));
    // A reboot finds nothing committed: provisioning again.
    drop(q);
    let mut q = board.boot(None);
    q.wait_for_line("event ProvisioningOpened");
    let mut c = q.client();
    c.establish(client_security(2, POP), &mut TestEntropy(22))
        .unwrap();
    c.set_config(HOME, GOOD).unwrap();
    c.apply().unwrap();
    assert_eq!(
        wait_status(&mut c).sta_state,
        WifiStationState::Connected as i32
    );
    drop(c);
    q.wait_for_line("event Committed { sequence: 1 }");
}

#[test]
#[ignore = "needs QEMU and the board image: scripts/ci/test-qemu.sh"]
fn five_wrong_pops_lock_provisioning_and_a_reboot_does_not_lift_it() {
    let board = Board::new(2);
    let wrong = |q: &mut Qemu, seed: u64| {
        let err = q
            .client()
            .establish(client_security(2, b"wrong-pop"), &mut TestEntropy(seed))
            .unwrap_err();
        assert_eq!(err, ClientFailure::Handshake(ClientError::WrongPop));
    };
    let locked = |q: &mut Qemu, seed: u64| match q
        .client()
        .establish(client_security(2, POP), &mut TestEntropy(seed))
    {
        Err(ClientFailure::Http(429, msg)) => assert!(msg.contains("locked"), "{msg}"),
        other => panic!("expected the lock-out, got {other:?}"),
    };
    let mut q = board.boot(None);
    for seed in 0..3 {
        wrong(&mut q, seed);
    }
    drop(q);
    let mut q = board.boot(None);
    for seed in 3..5 {
        wrong(&mut q, seed);
    }
    q.wait_for_line("event Locked");
    locked(&mut q, 9);
    drop(q);
    // Rebooting does not give a fresh set of attempts.
    let mut q = board.boot(None);
    locked(&mut q, 10);
}
