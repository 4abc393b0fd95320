//! `provisiond.pid`: the running server's pid plus its start time (clock ticks since boot,
//! field 22 of `/proc/PID/stat`). Pids are reused, so an admin command signals the pid only
//! when a live process has both that start time and this very executable: a stale file left
//! by a crash never makes it signal an unrelated process.

use std::io;
use std::path::Path;

use super::files;

const NAME: &str = "provisiond.pid";

fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: fields after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// Writes this process's pid file in `dir`.
pub fn write(dir: &Path) -> io::Result<()> {
    let pid = std::process::id() as i32;
    let start = start_time(pid).unwrap_or(0);
    files::write_public(&dir.join(NAME), format!("{pid} {start}\n").as_bytes())
}

/// Removes the pid file in `dir`.
pub fn remove(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(NAME));
}

/// The pid of the provisiond serving `dir`, if the pid file names a live process that is
/// provably it (same start time, same executable as the caller).
pub fn running_server(dir: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(dir.join(NAME)).ok()?;
    let mut fields = text.split_whitespace();
    let pid: i32 = fields.next()?.parse().ok()?;
    let start: u64 = fields.next()?.parse().ok()?;
    if pid <= 0 || start == 0 || start_time(pid) != Some(start) {
        return None;
    }
    let me = std::env::current_exe().ok()?;
    same_file(&me, Path::new(&format!("/proc/{pid}/exe"))).then_some(pid)
}
