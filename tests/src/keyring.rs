//! A real Secret Service for one test: gnome-keyring-daemon on a private D-Bus session bus,
//! with its keyrings under the test's run directory, unlocked without a prompt. Nothing here
//! ever talks to the developer's own session bus or keyring files.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::{Proc, RunDir};

/// The well-known bus name the Secret Service owns once it is up.
const SECRETS_NAME: &str = "org.freedesktop.secrets";

/// A private session bus with gnome-keyring-daemon's Secret Service on it.
pub struct PrivateKeyring {
    /// The bus address, for `DBUS_SESSION_BUS_ADDRESS`.
    pub address: String,
    /// gnome-keyring-daemon's data home (its `keyrings/` holds the encrypted files).
    pub data_home: PathBuf,
    // Dropped in order: the keyring daemon first, then the bus it sits on.
    _keyring: Proc,
    _bus: Proc,
}

/// Spawns `cmd`, or fails the test saying which package provides it.
fn spawn_or_explain(cmd: &mut Command, program: &str, package: &str) -> std::process::Child {
    cmd.spawn().unwrap_or_else(|e| {
        panic!(
            "{program} cannot be started ({e}): install the Debian package `{package}` \
             (scripts/setup.sh installs everything listed in scripts/ci/host.apt)"
        )
    })
}

impl PrivateKeyring {
    /// Starts the bus and the daemon under `run`, unlocks the login keyring with a throwaway
    /// password, and returns once the Secret Service answers on the bus.
    pub fn start(run: &RunDir) -> Self {
        let root = run.path().join("keyring");
        let runtime = root.join("runtime");
        let data_home = root.join("data");
        for d in [&runtime, &data_home, &root.join("config")] {
            std::fs::create_dir_all(d).unwrap();
        }
        // gnome-keyring keeps its control socket in XDG_RUNTIME_DIR and wants it private.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        }

        let socket = root.join("bus");
        let mut bus = spawn_or_explain(
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .arg(format!("--address=unix:path={}", socket.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(run.log("keyring-dbus-daemon")),
            "dbus-daemon",
            "dbus-daemon",
        );
        // The address is printed once the bus listens.
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        let bus = Proc(bus);
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed no address (see keyring-dbus-daemon.log)"
        );

        let mut daemon = Command::new("gnome-keyring-daemon");
        daemon
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", &root)
            .env("XDG_DATA_HOME", &data_home)
            .env("XDG_CONFIG_HOME", root.join("config"))
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdin(Stdio::piped())
            .stdout(run.log("keyring-daemon-stdout"))
            .stderr(run.log("keyring-daemon-stderr"));
        let mut child = spawn_or_explain(&mut daemon, "gnome-keyring-daemon", "gnome-keyring");
        // --unlock reads the login keyring's password from stdin up to EOF (creating the
        // keyring with it on first use), so no prompt ever appears.
        {
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(b"iotp-test-keyring").unwrap();
        }
        let keyring = Proc(child);

        let me = Self {
            address,
            data_home,
            _keyring: keyring,
            _bus: bus,
        };
        me.wait_for_service();
        me
    }

    /// Returns once the Secret Service owns its name on the private bus. A readiness wait
    /// (the daemon gives no other signal), bounded so a daemon that never comes up fails.
    fn wait_for_service(&self) {
        for _ in 0..200 {
            let out = self
                .dbus_send(&[
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    &format!("string:{SECRETS_NAME}"),
                ])
                .output()
                .unwrap_or_else(|e| {
                    panic!(
                        "dbus-send cannot be started ({e}): install the Debian package `dbus-bin`"
                    )
                });
            if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!(
            "gnome-keyring-daemon never took {SECRETS_NAME} on the private bus \
             (see keyring-daemon-stderr.log)"
        );
    }

    fn dbus_send(&self, args: &[&str]) -> Command {
        let mut c = Command::new("dbus-send");
        c.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .args(["--session", "--print-reply"])
            .args(args);
        c
    }

    /// The secret stored under these attributes, read by an independent client
    /// (libsecret's `secret-tool`), or `None` when there is no such item.
    pub fn lookup(&self, attributes: &[(&str, &str)]) -> Option<String> {
        let mut c = Command::new("secret-tool");
        c.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .arg("lookup")
            .stdin(Stdio::null());
        for (k, v) in attributes {
            c.args([k, v]);
        }
        let out = c.output().unwrap_or_else(|e| {
            panic!(
                "secret-tool cannot be started ({e}): install the Debian package \
                 `libsecret-tools` (listed in scripts/ci/host.apt)"
            )
        });
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    }
}
