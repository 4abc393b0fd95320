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

/// Restricts `dir` to 0700 when it is empty and ours (nothing in it can have leaked yet).
pub fn tighten_if_empty(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::symlink_metadata(dir)?;
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    let ours = meta.uid() == unsafe { libc::geteuid() };
    if meta.is_dir() && ours && fs::read_dir(dir)?.next().is_none() {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// The files of the data directory that hold secrets.
pub const SECRET_FILES: &[&str] = &["ca.key", "jwt.key", "server.key", "provisiond.db"];

/// Checks that `dir` and its secret files belong to this user and that no one else can read,
/// write or enter them (directory 0700, files 0600 or stricter); the error says how to fix it.
pub fn check_private(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let check = |path: &Path, fix: &str| -> Result<(), String> {
        let meta = match fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        if meta.file_type().is_symlink() {
            return Err(format!(
                "{} is a symbolic link; refusing it",
                path.display()
            ));
        }
        if meta.uid() != me {
            return Err(format!(
                "{} belongs to another user (uid {}); refusing it",
                path.display(),
                meta.uid()
            ));
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "{} is open to other users (mode {mode:04o}); run `chmod {fix} {}`",
                path.display(),
                path.display()
            ));
        }
        Ok(())
    };
    check(dir, "700")?;
    for name in SECRET_FILES {
        check(&dir.join(name), "600")?;
    }
    Ok(())
}
