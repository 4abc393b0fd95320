//! Flash as a file: loaded at start, written back (atomically, by rename) whenever it changed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use firmware_core::mem_flash::MemFlash;

/// Sector size and count of the simulated flash (68 KiB: the two credential slots and the
/// sector that counts wrong proofs of possession across reboots).
pub const SECTOR: usize = 4096;
/// Number of sectors.
pub const SECTORS: usize = 17;

/// Loads the flash image, or a blank one if the file does not exist.
pub fn load(path: Option<&Path>) -> anyhow::Result<MemFlash> {
    match path {
        Some(p) if p.exists() => {
            let bytes = fs::read(p).with_context(|| format!("reading flash {}", p.display()))?;
            let mut flash = MemFlash::from_bytes(bytes, SECTOR);
            if flash.as_bytes().len() < SECTOR * SECTORS {
                let mut b = flash.as_bytes().to_vec();
                b.resize(SECTOR * SECTORS, 0xFF);
                flash = MemFlash::from_bytes(b, SECTOR);
            }
            Ok(flash)
        }
        _ => Ok(MemFlash::new(SECTOR, SECTORS)),
    }
}

/// Persists flash contents when they differ from what was last written.
pub struct FlashFile {
    path: Option<PathBuf>,
    last: Vec<u8>,
}

impl FlashFile {
    /// Tracks `path`, starting from `current` contents.
    pub fn new(path: Option<PathBuf>, current: &[u8]) -> Self {
        Self {
            path,
            last: current.to_vec(),
        }
    }

    /// Writes `bytes` if they changed. The file holds keys: it is created mode 0600.
    pub fn sync(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if bytes == self.last {
            return Ok(());
        }
        let tmp = path.with_extension("tmp");
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        self.last = bytes.to_vec();
        Ok(())
    }
}
