//! Files of the data directory: secrets are created with mode 0600 from the start, never
//! written first and restricted afterwards.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Writes a secret file (key) atomically with mode 0600.
pub fn write_secret(path: &Path, data: &[u8]) -> io::Result<()> {
    write_with_mode(path, data, 0o600)
}

/// Writes a public file (certificate, CRL, config) atomically with mode 0644.
pub fn write_public(path: &Path, data: &[u8]) -> io::Result<()> {
    write_with_mode(path, data, 0o644)
}

fn write_with_mode(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    fs::rename(&tmp, path)
}

/// Restricts an existing file to its owner (the SQLite database, created by SQLite).
pub fn restrict(path: &Path) -> io::Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
}
