//! Files of the data directory: secrets are created with mode 0600 from the start, never
//! written first and restricted afterwards.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes a secret file (key) atomically with mode 0600.
pub fn write_secret(path: &Path, data: &[u8]) -> io::Result<()> {
    write_with_mode(path, data, 0o600)
}

/// Writes a public file (certificate, CRL, config) atomically with mode 0644.
pub fn write_public(path: &Path, data: &[u8]) -> io::Result<()> {
    write_with_mode(path, data, 0o644)
}

/// Temp file with a name no other writer uses (pid + counter), fsync, rename over `path`,
/// fsync of the directory so the rename itself survives a power loss.
fn write_with_mode(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = path.with_file_name(tmp_name);
    let written = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::File::open(dir)?.sync_all()
}

/// Restricts an existing file to its owner (the SQLite database, created by SQLite).
pub fn restrict(path: &Path) -> io::Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
}
