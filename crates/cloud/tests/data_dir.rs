//! The data directory against other local users and stale files: a directory or key file that
//! others can read is refused at start with the fix in the message, and a stale pid file naming
//! an unrelated process never gets that process signalled.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{BIN, Server};

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `provisiond --data-dir DIR serial list`: (success, stderr).
fn open_dir(dir: &Path) -> (bool, String) {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(["serial", "list"])
        .env("PROVISIOND_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_data_directory_open_to_others_is_refused() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let (ok, err) = open_dir(&dir);
    assert!(ok, "a fresh directory is created private: {err}");
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);

    chmod(&dir, 0o755);
    let (ok, err) = open_dir(&dir);
    assert!(!ok, "a world-readable data directory was accepted");
    assert!(err.contains("chmod 700"), "{err}");
    chmod(&dir, 0o700);
    assert!(open_dir(&dir).0);

    for (name, mode) in [("ca.key", 0o644), ("provisiond.db", 0o640)] {
        let file = dir.join(name);
        let before = std::fs::read(&file).unwrap();
        chmod(&file, mode);
        let (ok, err) = open_dir(&dir);
        assert!(!ok, "{name} at {mode:o} was accepted");
        assert!(err.contains("chmod 600"), "{err}");
        assert_eq!(std::fs::read(&file).unwrap(), before, "{name} unchanged");
        chmod(&file, 0o600);
    }
    assert!(open_dir(&dir).0);
}

fn start_time(pid: u32) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 1..];
    rest.split_whitespace().nth(19).unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_pid_file_never_gets_another_process_signalled() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let token = server.user("pid@example.com").await;
    for sn in ["PID-0001", "PID-0002"] {
        assert!(server.admin(&["serial", "add", sn]).0);
        let (s, b, _) = server.provision(&token, sn).await;
        assert_eq!(s, 200, "{b}");
    }
    server.stop();

    // A crash left the pid file; the pid now belongs to something else: a sleep, which a
    // SIGHUP would end. First the old format (a bare pid), then the right start time of the
    // other process (only the executable differs).
    for (sn, with_start) in [("PID-0001", false), ("PID-0002", true)] {
        let mut other = Command::new("sleep")
            .arg("600")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let pid = other.id();
        let text = if with_start {
            format!("{pid} {}\n", start_time(pid))
        } else {
            format!("{pid}\n")
        };
        std::fs::write(dir.path().join("provisiond.pid"), text).unwrap();
        let (ok, out) = common::admin(dir.path(), &["device", "revoke", sn]);
        assert!(ok, "{out}");
        // SIGTERM now: the first fatal signal sent decides how a process ended, so a SIGHUP
        // the revoke sent would show in the exit status.
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        let status = other.wait().unwrap();
        assert_ne!(
            status.signal(),
            Some(libc::SIGHUP),
            "the unrelated process was signalled ({sn})"
        );
    }
}
