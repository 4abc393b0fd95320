//! End-to-end harness: builds and spawns `provisiond` (which runs mosquitto), `device-sim`
//! and the `provision` CLI on loopback with free ports, captures every process's output to
//! files, and checks that no secret ever reached them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod espdev;
pub mod keyring;

/// Where the workspace's binaries are: `IOTP_BIN_DIR` when set (scripts/test.sh points it at
/// the binaries `cargo test --workspace` has just built), else built once per test process.
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        if let Some(dir) = std::env::var_os("IOTP_BIN_DIR") {
            return PathBuf::from(dir);
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_owned();
        let status = Command::new(cargo)
            .current_dir(&root)
            // The workspace's feature set, as `cargo test --workspace --all-features` uses:
            // the binaries then share that build's dependencies instead of compiling a second
            // copy with other features.
            .args([
                "build",
                "--quiet",
                "--locked",
                "--workspace",
                "--all-features",
                "--bin",
                "provisiond",
                "--bin",
                "device-sim",
                "--bin",
                "provision",
            ])
            .status()
            .expect("cargo build of the binaries");
        assert!(
            status.success(),
            "building provisiond, device-sim and provision failed"
        );
        // This test binary is target/<profile>/deps/e2e-*: the bins are one level up.
        std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .to_owned()
    });
    let p = dir.join(name);
    assert!(p.exists(), "{} was not built", p.display());
    p
}

/// Output files of one test run.
pub struct RunDir {
    dir: tempfile::TempDir,
}

impl Default for RunDir {
    fn default() -> Self {
        Self::new()
    }
}

impl RunDir {
    /// A fresh directory.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A log file for `name`.
    pub fn log(&self, name: &str) -> std::fs::File {
        std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap()
    }

    /// Every captured log, concatenated.
    pub fn all_logs(&self) -> String {
        let mut out = String::new();
        for e in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "log") {
                out.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
        out
    }

    /// Fails if any secret appears in any captured log.
    pub fn assert_no_secrets(&self, secrets: &[&str]) {
        let logs = self.all_logs();
        assert!(!logs.is_empty(), "no logs were captured");
        for s in secrets {
            assert!(!s.is_empty());
            assert!(
                !logs.contains(s),
                "a secret reached the logs: {:?}...",
                &s[..s.len().min(12)]
            );
        }
        assert!(
            !logs.contains("PRIVATE KEY-----"),
            "a private key reached the logs"
        );
    }
}

/// A child process killed when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads the ready line (written to `first`), then copies the rest of stdout to `rest`.
fn first_json_line(
    child: &mut Child,
    what: &str,
    first: std::fs::File,
    rest: std::fs::File,
) -> Value {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tee = rest;
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(l)) = lines.next() {
            use std::io::Write;
            let mut first = first;
            let _ = writeln!(first, "{l}");
            let _ = tx.send(l);
        }
        // Keep draining so the child never blocks on a full pipe.
        for l in lines.map_while(Result::ok) {
            use std::io::Write;
            let _ = writeln!(tee, "{l}");
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what} printed no ready line"));
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{what} ready line {line:?}: {e}"))
}

/// A running `provisiond serve` (with its mosquitto).
pub struct Cloud {
    /// API base URL.
    pub api: String,
    /// CA file of the API and the broker.
    pub ca: PathBuf,
    /// Broker address.
    pub mqtt: String,
    data_dir: PathBuf,
    _proc: Proc,
}

impl Cloud {
    /// Starts it on free loopback ports with a data dir under `run`.
    pub fn start(run: &RunDir) -> Self {
        let data_dir = run.path().join("cloud-data");
        std::fs::create_dir_all(&data_dir).unwrap();
        let mut child = Command::new(bin("provisiond"))
            .args(["serve", "--data-dir"])
            .arg(&data_dir)
            .args(["--listen", "127.0.0.1:0", "--mqtt-port", "0"])
            .stdout(Stdio::piped())
            .stderr(run.log("provisiond-stderr"))
            .spawn()
            .expect("spawn provisiond");
        let ready = first_json_line(
            &mut child,
            "provisiond",
            run.log("provisiond-ready"),
            run.log("provisiond-stdout"),
        );
        Self {
            api: ready["api"].as_str().unwrap().to_owned(),
            ca: PathBuf::from(ready["ca"].as_str().unwrap()),
            mqtt: ready["mqtt"].as_str().unwrap_or_default().to_owned(),
            data_dir,
            _proc: Proc(child),
        }
    }

    fn admin(&self, args: &[&str]) -> String {
        let out = Command::new(bin("provisiond"))
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(args)
            .output()
            .expect("provisiond admin");
        assert!(
            out.status.success(),
            "provisiond {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Registers serial numbers.
    pub fn add_serials(&self, serials: &[&str]) {
        for s in serials {
            self.admin(&["serial", "add", s]);
        }
    }

    /// The pending confirmation code of an account.
    pub fn user_code(&self, email: &str) -> String {
        let out = self.admin(&["user", "code", email]);
        out.split_whitespace()
            .find(|w| w.chars().all(|c| c.is_ascii_digit()) && w.len() >= 4)
            .map(str::to_owned)
            .unwrap_or_else(|| out.trim().trim_matches('"').to_owned())
    }
}

/// Options of a simulated device.
#[derive(Clone, Debug, Default)]
pub struct SimOpts {
    /// Drop the SoftAP link right after apply.
    pub drop_link_after_apply: bool,
    /// Security level (default 2).
    pub security: Option<u8>,
    /// The simulated join time of "HomeWiFi" in ms (the simulator's default radio otherwise,
    /// whose join takes 368 ms): 0 measures the host and cloud path alone.
    pub join_delay_ms: Option<u64>,
    /// Further `device-sim` flags.
    pub extra_args: Vec<String>,
}

/// The simulator's default radio environment, with "HomeWiFi" joining in `join_delay_ms`.
fn radio_file(run: &RunDir, serial: &str, join_delay_ms: u64) -> PathBuf {
    let radio = serde_json::json!({"access_points": [
        {"ssid": "HomeWiFi", "passphrase": "correct horse", "channel": 6, "rssi": -42,
         "auth": "wpa2", "join_delay_ms": join_delay_ms},
        {"ssid": "Neighbour", "passphrase": "not yours at all", "channel": 11, "rssi": -80,
         "auth": "wpa2"},
        {"ssid": "CoffeeShop", "passphrase": null, "channel": 1, "rssi": -67, "auth": "open"},
    ]});
    let path = run.path().join(format!("{serial}.radio.json"));
    std::fs::write(&path, radio.to_string()).unwrap();
    path
}

/// A running `device-sim`.
pub struct Sim {
    /// Its base URL.
    pub url: String,
    /// SoftAP name.
    pub softap: String,
    /// Serial.
    pub serial: String,
    _proc: Proc,
}

impl Sim {
    /// Reaching this simulator directly (no SoftAP join) with `pop`.
    pub fn direct_target(&self, pop: &str) -> provisioner::app::Target {
        provisioner::app::Target {
            url: self.url.clone(),
            link: provisioner::link::LinkMode::Direct,
            softap: self.softap.clone(),
            softap_password: None,
            pop: pop.into(),
            allow_sec0: false,
            security: None,
        }
    }

    /// The `provision` CLI's arguments for the same: `--link direct --url U --softap S`.
    pub fn direct_args(&self) -> [&str; 6] {
        [
            "--link",
            "direct",
            "--url",
            &self.url,
            "--softap",
            &self.softap,
        ]
    }

    /// A whole run for this simulator: direct link, device-made key, network "HomeWiFi".
    pub fn plan(
        &self,
        pop: &str,
        passphrase: &str,
        online_timeout_secs: u64,
    ) -> provisioner::app::Plan {
        provisioner::app::Plan {
            serial: self.serial.clone(),
            target: self.direct_target(pop),
            ssid: "HomeWiFi".into(),
            passphrase: passphrase.into(),
            cert_mode: provisioner::wizard::CertMode::DeviceCsr,
            online_timeout_secs,
        }
    }

    /// Starts one device on a free loopback port.
    pub fn start(run: &RunDir, serial: &str, pop: &str, opts: &SimOpts) -> Self {
        let mut cmd = Command::new(bin("device-sim"));
        // The PoP goes by environment, not argv (the process list is public).
        cmd.args(["--serial", serial, "--listen", "127.0.0.1:0"])
            .env("IOTP_DEVICE_POP", pop);
        if let Some(s) = opts.security {
            cmd.args(["--security", &s.to_string()]);
        }
        if opts.drop_link_after_apply {
            cmd.arg("--drop-link-after-apply");
        }
        if let Some(ms) = opts.join_delay_ms {
            cmd.arg("--radio").arg(radio_file(run, serial, ms));
        }
        cmd.args(&opts.extra_args);
        let flash = run.path().join(format!("{serial}.flash"));
        cmd.arg("--flash").arg(flash);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(run.log(&format!("sim-{serial}-stderr")))
            .spawn()
            .expect("spawn device-sim");
        // The ready line carries the PoP (the device's label, printed by design): it is kept
        // apart from the scanned logs; the rest of stdout is scanned.
        let ready = first_json_line(
            &mut child,
            "device-sim",
            std::fs::File::create(run.path().join(format!("sim-{serial}-ready.txt"))).unwrap(),
            run.log(&format!("sim-{serial}-stdout")),
        );
        Self {
            url: format!("http://{}", ready["listen"].as_str().unwrap()),
            softap: ready["softap"].as_str().unwrap().to_owned(),
            serial: serial.to_owned(),
            _proc: Proc(child),
        }
    }
}

/// Polls `f` until it returns `Some` or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A provisioner facade on `cloud`, with its own dirs and an in-memory secret store.
pub async fn host(run: &RunDir, cloud: &Cloud, name: &str) -> provisioner::app::Provisioner {
    use provisioner::profile::{Backend, Paths, Profile};
    let p = provisioner::app::Provisioner::open(
        Paths::under(&run.path().join(format!("host-{name}"))),
        std::sync::Arc::new(provisioner::secrets::MemoryStore::default()),
        None,
    )
    .await
    .unwrap();
    p.set_profile(
        Profile {
            name: "test".into(),
            backend: Backend::SelfHosted {
                url: cloud.api.clone(),
                ca_path: Some(cloud.ca.clone()),
            },
        },
        None,
    )
    .await
    .unwrap();
    p
}

/// Signs up, confirms (code from `provisiond user code`) and signs in.
pub async fn signed_in_host(
    run: &RunDir,
    cloud: &Cloud,
    email: &str,
    password: &str,
) -> provisioner::app::Provisioner {
    let p = host(run, cloud, email).await;
    p.sign_up(email, password).await.unwrap();
    p.confirm_sign_up(email, &cloud.user_code(email))
        .await
        .unwrap();
    p.sign_in(email, password).await.unwrap();
    p
}

/// The `provision` CLI with its own home directory; every run's output is kept in the run's
/// logs (so the secret check sees it). Secrets go by environment, never argv.
pub struct Cli<'a> {
    run: &'a RunDir,
    home: PathBuf,
    env: Vec<(String, String)>,
    count: std::cell::Cell<usize>,
}

impl<'a> Cli<'a> {
    /// A CLI whose configuration lives under `run`.
    pub fn new(run: &'a RunDir, name: &str) -> Self {
        Self {
            run,
            home: run.path().join(format!("cli-home-{name}")),
            env: Vec::new(),
            count: std::cell::Cell::new(0),
        }
    }

    /// Its home directory (`--home`).
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Sets an environment variable for every later run.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The command, ready to run (stdin closed so no prompt can wait).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin("provision"));
        c.arg("--home").arg(&self.home).args(args);
        for v in [
            "IOTP_PASSWORD",
            "IOTP_POP",
            "IOTP_WIFI_PASSPHRASE",
            "IOTP_EMAIL",
            "IOTP_QR",
            "IOTP_CLIENT_SECRET",
        ] {
            c.env_remove(v);
        }
        // Never the developer's own keyring: with no session bus there is no Secret Service,
        // so tokens live for one process, as on CI (and the test's results do not depend on
        // the machine).
        c.env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/iotp-test-bus",
        );
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.stdin(Stdio::null());
        c
    }

    /// Runs `args` with extra environment; stdout and stderr are logged.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> CliOut {
        let mut c = self.command(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().expect("run provision");
        let n = self.count.get();
        self.count.set(n + 1);
        let name = args
            .first()
            .copied()
            .unwrap_or("none")
            .trim_start_matches('-');
        std::fs::write(
            self.run
                .path()
                .join(format!("cli-{n:02}-{name}-stdout.log")),
            &out.stdout,
        )
        .unwrap();
        std::fs::write(
            self.run
                .path()
                .join(format!("cli-{n:02}-{name}-stderr.log")),
            &out.stderr,
        )
        .unwrap();
        CliOut {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs `args`.
    pub fn run(&self, args: &[&str]) -> CliOut {
        self.run_env(args, &[])
    }

    /// Runs `args` and fails the test unless it succeeded.
    pub fn ok(&self, args: &[&str]) -> CliOut {
        let o = self.run(args);
        assert!(
            o.success(),
            "provision {args:?} failed: {}{}",
            o.stdout,
            o.stderr
        );
        o
    }

    /// Self-hosted profile on `cloud`, then sign up, confirm and sign in as `email`
    /// (password from IOTP_PASSWORD set with [`Cli::env`]).
    pub fn signed_in(self, cloud: &Cloud, email: &str) -> Self {
        let ca = cloud.ca.to_string_lossy().into_owned();
        self.ok(&["profile", "self-hosted", &cloud.api, "--ca", &ca]);
        self.ok(&["signup", email]);
        let code = cloud.user_code(email);
        self.ok(&["confirm", email, &code]);
        self.ok(&["login", email]);
        self
    }
}

/// What one CLI run printed and how it ended.
#[derive(Debug)]
pub struct CliOut {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl CliOut {
    /// Exit status 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The last stdout line as JSON (with `--json`).
    pub fn json(&self) -> Value {
        let line = self.stdout.lines().last().unwrap_or_default();
        serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }

    /// The progress events of a `--json` run (stderr's `{"progress": event}` lines), in order.
    pub fn progress(&self) -> Vec<Value> {
        self.stderr
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|mut v| v.get_mut("progress").map(Value::take))
            .collect()
    }
}

/// A loopback port that was free a moment ago (for servers whose port must be known first).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
