//! The SPI flash partitions the core uses, found by label in the ESP-IDF partition table:
//! `iotp_factory` (read once at boot) and `iotp_store` (the credential store, behind the
//! core's `Flash` trait with NOR semantics: `write_nor`, never esp-storage's read-modify-write).

use esp_bootloader_esp_idf::partitions::{PARTITION_TABLE_MAX_LEN, read_partition_table};
use esp_storage::FlashStorage;
use firmware_core::hal::{Flash, FlashError};

/// Label of the factory partition in `partitions.csv`.
pub const FACTORY_LABEL: &str = "iotp_factory";
/// Label of the credential store's partition in `partitions.csv`.
pub const STORE_LABEL: &str = "iotp_store";
const SECTOR: u32 = FlashStorage::SECTOR_SIZE;

/// Where a partition lies on the chip.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    /// Byte offset on the chip.
    pub offset: u32,
    /// Size in bytes.
    pub len: u32,
}

/// Looks `label` up in the partition table.
pub fn find(storage: &mut FlashStorage<'_>, label: &str) -> Option<Region> {
    let mut table = [0u8; PARTITION_TABLE_MAX_LEN];
    let table = read_partition_table(storage, &mut table).ok()?;
    table
        .iter()
        .find(|p| p.label_as_str() == label)
        .map(|p| Region {
            offset: p.offset(),
            len: p.len(),
        })
}

/// A word-aligned bounce buffer: esp-storage copies an unaligned buffer through a 4 KiB one on
/// the stack, and aligns offsets to words; this one is small and does both.
#[repr(C, align(4))]
struct Words([u8; 256]);

/// One partition as the core's NOR flash.
pub struct PartitionFlash<'d> {
    storage: FlashStorage<'d>,
    region: Region,
}

impl<'d> PartitionFlash<'d> {
    /// The partition `region` of `storage`.
    pub fn new(storage: FlashStorage<'d>, region: Region) -> Self {
        Self { storage, region }
    }

    fn check(&self, offset: usize, len: usize) -> Result<u32, FlashError> {
        match offset.checked_add(len) {
            Some(end) if end <= self.capacity() => Ok(self.region.offset + offset as u32),
            _ => Err(FlashError::OutOfBounds),
        }
    }
}

impl Flash for PartitionFlash<'_> {
    fn sector_size(&self) -> usize {
        SECTOR as usize
    }

    fn capacity(&self) -> usize {
        (self.region.len - self.region.len % SECTOR) as usize
    }

    fn read(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), FlashError> {
        let mut addr = self.check(offset, buf.len())?;
        let mut tmp = Words([0; 256]);
        let mut done = 0;
        while done < buf.len() {
            let start = addr & !3;
            let skip = (addr - start) as usize;
            let n = (buf.len() - done).min(tmp.0.len() - skip);
            let span = (skip + n + 3) & !3;
            self.storage
                .read_nor(start, &mut tmp.0[..span])
                .map_err(|_| FlashError::Io)?;
            buf[done..done + n].copy_from_slice(&tmp.0[skip..skip + n]);
            done += n;
            addr += n as u32;
        }
        Ok(())
    }

    fn erase(&mut self, sector: usize) -> Result<(), FlashError> {
        let start = self.check(sector * SECTOR as usize, SECTOR as usize)?;
        self.storage
            .erase(start, start + SECTOR)
            .map_err(|_| FlashError::Io)
    }

    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), FlashError> {
        let mut addr = self.check(offset, data.len())?;
        let mut tmp = Words([0xFF; 256]);
        let mut done = 0;
        while done < data.len() {
            let start = addr & !3;
            let skip = (addr - start) as usize;
            let n = (data.len() - done).min(tmp.0.len() - skip);
            let span = (skip + n + 3) & !3;
            // Bytes around the data stay 0xFF: programming a 1 leaves a NOR bit as it is.
            tmp.0[..span].fill(0xFF);
            tmp.0[skip..skip + n].copy_from_slice(&data[done..done + n]);
            self.storage
                .write_nor(start, &tmp.0[..span])
                .map_err(|_| FlashError::Io)?;
            done += n;
            addr += n as u32;
        }
        Ok(())
    }
}
