//! The independent stock ESP-IDF device (`tests/espdev/espdev.py`, on Espressif's own Python
//! modules): a Wi-Fi-only `wifi_prov_mgr` device with no `iot_cred`, never our firmware core.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::RunDir;

/// A running Python device; killed on drop. Its request log goes to the run directory.
pub struct EspDev {
    child: Child,
    /// Its base URL.
    pub url: String,
    log: Arc<Mutex<Vec<String>>>,
}

/// The venv's Python with Espressif's modules; fails the test when it is missing.
pub fn python() -> String {
    let venv =
        std::env::var("IOTP_VENV").unwrap_or_else(|_| "/var/cache/iot-provisioner/venv".into());
    let py = format!("{venv}/bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import rmaker_tools.rmaker_prov, cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "esp-rainmaker-cli is needed in {venv}: run scripts/setup.sh (or set IOTP_VENV)"
    );
    py
}

impl EspDev {
    /// Starts a device at security `sec` with PoP `pop`, seeing `networks`
    /// (`[{"ssid","passphrase","channel","rssi"}]`).
    pub fn start(
        run: &RunDir,
        name: &str,
        sec: u32,
        pop: &str,
        networks: &serde_json::Value,
    ) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/espdev/espdev.py");
        let mut child = Command::new(python())
            .args([script, "--sec", &sec.to_string()])
            .env("ESPDEV_POP", pop)
            .env("ESPDEV_NETWORKS", networks.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start espdev.py");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("espdev prints its address").unwrap();
        let addr = first
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let mut file = run.log(&format!("espdev-{name}"));
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                let _ = writeln!(file, "{l}");
                sink.lock().unwrap().push(l);
            }
        });
        Self {
            child,
            url: format!("http://{addr}"),
            log,
        }
    }

    /// What the device logged so far: `<endpoint> <http status>` per request, and refusals.
    /// The device logs a request before it answers, but the line reaches this process through
    /// a pipe: a test that got `n` answers reads them with [`EspDev::requests_at_least`] or
    /// [`EspDev::requests_until`].
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// The log once it holds at least `n` lines (see [`EspDev::requests_until`]).
    pub fn requests_at_least(&self, n: usize) -> Vec<String> {
        self.requests_until(|lines| lines.len() >= n)
    }

    /// The log once `done` holds for it; waits up to 10 s for the pipe, then returns what
    /// there is, for the test's assertion to show.
    pub fn requests_until(&self, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let lines = self.requests();
            if done(&lines) || std::time::Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

impl Drop for EspDev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
