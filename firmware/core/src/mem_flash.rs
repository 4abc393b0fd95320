//! Flash in RAM with NOR semantics and an optional power-cut budget. The simulator keeps its
//! flash file in one of these; tests and the fuzz target use it to cut power mid-write; the
//! emulated-MCU board keeps its flash image in a static buffer behind one.

use alloc::vec;
use alloc::vec::Vec;

use crate::hal::{Flash, FlashError};

/// RAM-backed NOR flash over any byte storage (a `Vec` by default, or a `&mut [u8]`).
#[derive(Clone, Debug)]
pub struct MemFlash<S = Vec<u8>> {
    bytes: S,
    sector_size: usize,
    /// Byte-operations left before the power is cut (each programmed byte and each erase
    /// costs one); `None` = unlimited.
    budget: Option<usize>,
    /// Set once an operation ran into the cut: from then on nothing changes.
    dead: bool,
}

impl MemFlash<Vec<u8>> {
    /// A fully erased flash of `sectors` sectors of `sector_size` bytes.
    pub fn new(sector_size: usize, sectors: usize) -> Self {
        Self {
            bytes: vec![0xFF; sector_size * sectors],
            sector_size,
            budget: None,
            dead: false,
        }
    }

    /// A flash holding `bytes` (e.g. loaded from a file); the length must be a whole
    /// number of sectors, otherwise it is padded with erased bytes.
    pub fn from_bytes(mut bytes: Vec<u8>, sector_size: usize) -> Self {
        let rem = bytes.len() % sector_size;
        if rem != 0 {
            bytes.resize(bytes.len() + sector_size - rem, 0xFF);
        }
        Self {
            bytes,
            sector_size,
            budget: None,
            dead: false,
        }
    }
}

impl<S: AsRef<[u8]> + AsMut<[u8]>> MemFlash<S> {
    /// A flash over `storage`, taken as it is (whole sectors of `sector_size` bytes; a
    /// trailing partial sector is out of bounds).
    pub fn over(storage: S, sector_size: usize) -> Self {
        Self {
            bytes: storage,
            sector_size,
            budget: None,
            dead: false,
        }
    }

    /// The raw contents, for persisting to a file.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    /// Cuts the power after `ops` more byte-operations: later writes and erases fail and
    /// change nothing. `None` restores the power.
    pub fn set_power_budget(&mut self, ops: Option<usize>) {
        self.budget = ops;
        self.dead = false;
    }

    /// Whether the power budget has run out.
    pub fn power_lost(&self) -> bool {
        self.dead || self.budget == Some(0)
    }

    fn check(&self, offset: usize, len: usize) -> Result<(), FlashError> {
        match offset.checked_add(len) {
            Some(end) if end <= self.capacity() => Ok(()),
            _ => Err(FlashError::OutOfBounds),
        }
    }
}

impl<S: AsRef<[u8]> + AsMut<[u8]>> Flash for MemFlash<S> {
    fn sector_size(&self) -> usize {
        self.sector_size
    }

    fn capacity(&self) -> usize {
        let len = self.bytes.as_ref().len();
        len - len % self.sector_size.max(1)
    }

    fn read(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), FlashError> {
        self.check(offset, buf.len())?;
        buf.copy_from_slice(&self.bytes.as_ref()[offset..offset + buf.len()]);
        Ok(())
    }

    fn erase(&mut self, sector: usize) -> Result<(), FlashError> {
        let start = sector
            .checked_mul(self.sector_size)
            .ok_or(FlashError::OutOfBounds)?;
        self.check(start, self.sector_size)?;
        let range = start..start + self.sector_size;
        if self.dead {
            return Err(FlashError::Io);
        }
        match &mut self.budget {
            Some(0) => {
                // An interrupted erase leaves the sector half done: neither old nor blank.
                let half = start + self.sector_size / 2;
                self.bytes.as_mut()[start..half].fill(0xFF);
                self.dead = true;
                return Err(FlashError::Io);
            }
            Some(n) => *n -= 1,
            None => {}
        }
        self.bytes.as_mut()[range].fill(0xFF);
        Ok(())
    }

    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), FlashError> {
        self.check(offset, data.len())?;
        if self.dead {
            return Err(FlashError::Io);
        }
        for (i, b) in data.iter().enumerate() {
            match &mut self.budget {
                Some(0) => {
                    self.dead = true;
                    return Err(FlashError::Io);
                }
                Some(n) => *n -= 1,
                None => {}
            }
            self.bytes.as_mut()[offset + i] &= *b;
        }
        Ok(())
    }
}
