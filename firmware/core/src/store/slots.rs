//! Two flash slots, each holding at most one record `header | payload | SHA-256`. A commit
//! always erases and writes the slot that does NOT hold the newest valid record, so a power cut
//! at any byte leaves that record readable; the higher sequence number wins on load.

use alloc::vec;
use alloc::vec::Vec;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::record::Credentials;
use crate::hal::{Flash, FlashError};

const MAGIC: [u8; 4] = *b"IOTC";
const FORMAT: u8 = 1;
const HEADER: usize = 16;
const DIGEST: usize = 32;

/// Why a store operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The flash reported an error (or lost power); the previous record is still intact.
    Flash(FlashError),
    /// The encoded record does not fit in a slot.
    TooLarge,
    /// What was written does not read back intact.
    Verify,
}

impl From<FlashError> for StoreError {
    fn from(e: FlashError) -> Self {
        StoreError::Flash(e)
    }
}

/// Placement of the two slots in flash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreLayout {
    /// First sector of slot 0.
    pub first_sector: usize,
    /// Sectors per slot; slot 1 follows slot 0 directly.
    pub sectors_per_slot: usize,
}

impl Default for StoreLayout {
    /// Sectors 0..16 of a 4 KiB-sector flash: two 32 KiB slots, room for 8 KB chains + CA.
    fn default() -> Self {
        Self {
            first_sector: 0,
            sectors_per_slot: 8,
        }
    }
}

/// The credential store over a flash device.
#[derive(Debug)]
pub struct CredentialStore<F> {
    flash: F,
    layout: StoreLayout,
    /// Slot and sequence number of the newest valid record, if any.
    newest: Option<(usize, u32)>,
}

impl<F: Flash> CredentialStore<F> {
    /// Opens the store, scanning both slots for the newest valid record.
    pub fn open(flash: F, layout: StoreLayout) -> Self {
        let mut store = Self {
            flash,
            layout,
            newest: None,
        };
        store.newest = store.scan();
        store
    }

    /// The flash underneath (e.g. for the simulator to persist it).
    pub fn flash(&self) -> &F {
        &self.flash
    }

    /// Mutable access to the flash underneath (tests cut its power).
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }

    /// Gives the flash back.
    pub fn into_flash(self) -> F {
        self.flash
    }

    fn slot_offset(&self, slot: usize) -> usize {
        (self.layout.first_sector + slot * self.layout.sectors_per_slot) * self.flash.sector_size()
    }

    fn slot_size(&self) -> usize {
        self.layout.sectors_per_slot * self.flash.sector_size()
    }

    /// Reads and checks the record in `slot`: `(sequence, payload)`.
    fn read_slot(&mut self, slot: usize) -> Option<(u32, Zeroizing<Vec<u8>>)> {
        let base = self.slot_offset(slot);
        let mut header = [0u8; HEADER];
        self.flash.read(base, &mut header).ok()?;
        if header[..4] != MAGIC || header[4] != FORMAT {
            return None;
        }
        let seq = u32::from_le_bytes(header[8..12].try_into().ok()?);
        let len = u32::from_le_bytes(header[12..16].try_into().ok()?) as usize;
        if len > self.slot_size().saturating_sub(HEADER + DIGEST) {
            return None;
        }
        let mut body = Zeroizing::new(vec![0u8; len + DIGEST]);
        self.flash.read(base + HEADER, &mut body).ok()?;
        let mut h = Sha256::new();
        h.update(header);
        h.update(&body[..len]);
        if h.finalize().as_slice() != &body[len..] {
            return None;
        }
        body.truncate(len);
        Some((seq, body))
    }

    fn scan(&mut self) -> Option<(usize, u32)> {
        let a = self.read_slot(0).map(|(s, _)| (0, s));
        let b = self.read_slot(1).map(|(s, _)| (1, s));
        match (a, b) {
            (Some(x), Some(y)) => Some(if y.1 > x.1 { y } else { x }),
            (x, y) => x.or(y),
        }
    }

    /// The committed credentials, if a valid record exists.
    pub fn load(&mut self) -> Option<Credentials> {
        let (slot, _) = self.newest?;
        let (_, payload) = self.read_slot(slot)?;
        Credentials::decode(&payload).ok()
    }

    /// Sequence number of the newest record (0 = none).
    pub fn sequence(&self) -> u32 {
        self.newest.map_or(0, |(_, s)| s)
    }

    /// Atomically replaces the committed credentials.
    pub fn commit(&mut self, creds: &Credentials) -> Result<(), StoreError> {
        let payload = creds.encode();
        if payload.len() + HEADER + DIGEST > self.slot_size() {
            return Err(StoreError::TooLarge);
        }
        let (target, seq) = match self.newest {
            Some((slot, seq)) => (1 - slot, seq.wrapping_add(1).max(1)),
            None => (0, 1),
        };
        // Header, payload and digest go out as three writes of the payload's one buffer, and
        // are checked by reading back in small pieces: no second copy of the record in RAM.
        let mut header = [0u8; HEADER];
        header[..4].copy_from_slice(&MAGIC);
        header[4] = FORMAT;
        header[8..12].copy_from_slice(&seq.to_le_bytes());
        header[12..16].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        let mut h = Sha256::new();
        h.update(header);
        h.update(&payload[..]);
        let digest = h.finalize();

        let first = self.layout.first_sector + target * self.layout.sectors_per_slot;
        for sector in first..first + self.layout.sectors_per_slot {
            self.flash.erase(sector)?;
        }
        let offset = self.slot_offset(target);
        let parts: [&[u8]; 3] = [&header, &payload, &digest];
        let mut at = offset;
        for part in parts {
            self.flash.write(at, part)?;
            at += part.len();
        }
        if self.reads_back(offset, &parts) {
            self.newest = Some((target, seq));
            Ok(())
        } else {
            Err(StoreError::Verify)
        }
    }

    /// Whether the flash at `offset` holds exactly `parts`, one after the other.
    fn reads_back(&mut self, mut offset: usize, parts: &[&[u8]]) -> bool {
        let mut buf = Zeroizing::new([0u8; 256]);
        for part in parts {
            for piece in part.chunks(buf.len()) {
                let got = &mut buf[..piece.len()];
                if self.flash.read(offset, got).is_err() || got != piece {
                    return false;
                }
                offset += piece.len();
            }
        }
        true
    }

    /// The sector after the two slots counts wrong proofs of possession, one programmed byte
    /// each (bits only go from 1 to 0, so no erase per attempt), so that a reboot or a power
    /// cut does not hand an attacker a fresh set of attempts. `None` when the flash has no
    /// such sector (the count then lives in RAM only).
    fn tally(&self) -> Option<(usize, usize)> {
        let sector = self.layout.first_sector + 2 * self.layout.sectors_per_slot;
        let size = self.flash.sector_size();
        ((sector + 1) * size <= self.flash.capacity()).then_some((sector, size))
    }

    /// Wrong proofs of possession recorded since the last success (or lock-out expiry).
    /// A byte half-programmed by a power cut counts: erring towards a lock-out is safe.
    pub fn pop_failures(&mut self) -> u32 {
        let Some((sector, size)) = self.tally() else {
            return 0;
        };
        let mut buf = vec![0xFF; size];
        if self.flash.read(sector * size, &mut buf).is_err() {
            return 0;
        }
        buf.iter().take_while(|b| **b != 0xFF).count() as u32
    }

    /// Records one more wrong proof of possession (saturates when the sector is full).
    pub fn record_pop_failure(&mut self) -> Result<(), StoreError> {
        let Some((sector, size)) = self.tally() else {
            return Ok(());
        };
        let n = self.pop_failures() as usize;
        if n < size {
            self.flash.write(sector * size + n, &[0x00])?;
        }
        Ok(())
    }

    /// Forgets the recorded wrong proofs of possession (a session succeeded, or the lock-out
    /// they caused has run out). Erases only when something is recorded.
    pub fn clear_pop_failures(&mut self) -> Result<(), StoreError> {
        if self.pop_failures() == 0 {
            return Ok(());
        }
        if let Some((sector, _)) = self.tally() {
            self.flash.erase(sector)?;
        }
        Ok(())
    }

    /// Factory reset: erases both slots.
    pub fn wipe(&mut self) -> Result<(), StoreError> {
        self.newest = None;
        let first = self.layout.first_sector;
        for sector in first..first + 2 * self.layout.sectors_per_slot {
            self.flash.erase(sector)?;
        }
        Ok(())
    }
}
