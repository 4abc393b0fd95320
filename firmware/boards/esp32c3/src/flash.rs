//! The SPI flash partitions the core uses, found by label in the ESP-IDF partition table:
//! `iotp_factory` (read once at boot) and `iotp_store` (the credential store, behind the
//! core's `Flash` trait with NOR semantics: `write_nor`, never esp-storage's read-modify-write;
//! the core's `WordAligned` turns byte writes into the word writes `write_nor` takes).

use esp_bootloader_esp_idf::partitions::{PARTITION_TABLE_MAX_LEN, read_partition_table};
use esp_storage::FlashStorage;
use firmware_core::hal::FlashError;
use firmware_core::word_flash::{WordAligned, WordNor};

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

/// One partition as word-addressed NOR flash; `firmware_core::word_flash::WordAligned` makes
/// it the byte-addressed flash the store needs.
pub struct PartitionFlash<'d> {
    storage: FlashStorage<'d>,
    region: Region,
}

impl<'d> PartitionFlash<'d> {
    /// The partition `region` of `storage`.
    pub fn new(storage: FlashStorage<'d>, region: Region) -> WordAligned<Self> {
        WordAligned(Self { storage, region })
    }

    fn at(&self, offset: usize, len: usize) -> Result<u32, FlashError> {
        match offset.checked_add(len) {
            Some(end) if end <= self.capacity() => Ok(self.region.offset + offset as u32),
            _ => Err(FlashError::OutOfBounds),
        }
    }
}

impl WordNor for PartitionFlash<'_> {
    fn sector_size(&self) -> usize {
        SECTOR as usize
    }

    fn capacity(&self) -> usize {
        (self.region.len - self.region.len % SECTOR) as usize
    }

    fn read_words(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), FlashError> {
        let start = self.at(offset, buf.len())?;
        self.storage
            .read_nor(start, buf)
            .map_err(|_| FlashError::Io)
    }

    fn erase(&mut self, sector: usize) -> Result<(), FlashError> {
        let start = self.at(sector * SECTOR as usize, SECTOR as usize)?;
        self.storage
            .erase(start, start + SECTOR)
            .map_err(|_| FlashError::Io)
    }

    fn program_words(&mut self, offset: usize, data: &[u8]) -> Result<(), FlashError> {
        let start = self.at(offset, data.len())?;
        self.storage
            .write_nor(start, data)
            .map_err(|_| FlashError::Io)
    }
}
