//! Flash that reads and programs whole 32-bit words only (an ESP32's SPI flash through
//! esp-storage's NOR calls), seen as the byte-addressed [`Flash`] the store needs. A write of
//! any length at any offset becomes word writes padded with 0xFF, which leave a NOR bit as it
//! is; reads go through a small word-aligned buffer, so the chip driver never needs its own.

use crate::hal::{Flash, FlashError};

/// Bytes in a flash word.
pub const WORD: usize = 4;

/// NOR flash accessed in words: every `offset` and every buffer length given to
/// [`WordNor::read_words`] and [`WordNor::program_words`] is a multiple of [`WORD`], and every
/// buffer starts at a 4-byte-aligned address.
pub trait WordNor {
    /// Erase granularity in bytes.
    fn sector_size(&self) -> usize;
    /// Total size in bytes.
    fn capacity(&self) -> usize;
    /// Reads whole words at `offset`.
    fn read_words(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), FlashError>;
    /// Erases the sector with index `sector`.
    fn erase(&mut self, sector: usize) -> Result<(), FlashError>;
    /// Programs whole words at `offset` (bits can only go from 1 to 0).
    fn program_words(&mut self, offset: usize, data: &[u8]) -> Result<(), FlashError>;
}

/// The bounce buffer: word-aligned, small enough for a microcontroller's stack.
#[repr(C, align(4))]
struct Words([u8; 256]);

/// A [`WordNor`] as a byte-addressed [`Flash`].
#[derive(Debug)]
pub struct WordAligned<F>(pub F);

impl<F: WordNor> WordAligned<F> {
    fn check(&self, offset: usize, len: usize) -> Result<(), FlashError> {
        match offset.checked_add(len) {
            Some(end) if end <= self.capacity() => Ok(()),
            _ => Err(FlashError::OutOfBounds),
        }
    }

    /// Splits `[offset, offset + len)` into word-aligned spans of at most one buffer each and
    /// calls `f(span start, bytes to skip at its head, bytes of the range in it)`.
    fn spans(
        offset: usize,
        len: usize,
        mut f: impl FnMut(usize, usize, usize) -> Result<(), FlashError>,
    ) -> Result<(), FlashError> {
        let mut done = 0;
        while done < len {
            let at = offset + done;
            let start = at - at % WORD;
            let skip = at - start;
            let n = (len - done).min(256 - skip);
            f(start, skip, n)?;
            done += n;
        }
        Ok(())
    }
}

fn round_up(n: usize) -> usize {
    n.div_ceil(WORD) * WORD
}

impl<F: WordNor> Flash for WordAligned<F> {
    fn sector_size(&self) -> usize {
        self.0.sector_size()
    }

    fn capacity(&self) -> usize {
        // Whole words only: a partial word at the end could not be read.
        self.0.capacity() - self.0.capacity() % WORD
    }

    fn read(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), FlashError> {
        self.check(offset, buf.len())?;
        let mut tmp = Words([0; 256]);
        let mut done = 0;
        Self::spans(offset, buf.len(), |start, skip, n| {
            let span = round_up(skip + n);
            self.0.read_words(start, &mut tmp.0[..span])?;
            buf[done..done + n].copy_from_slice(&tmp.0[skip..skip + n]);
            done += n;
            Ok(())
        })
    }

    fn erase(&mut self, sector: usize) -> Result<(), FlashError> {
        self.0.erase(sector)
    }

    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), FlashError> {
        self.check(offset, data.len())?;
        let mut tmp = Words([0xFF; 256]);
        let mut done = 0;
        Self::spans(offset, data.len(), |start, skip, n| {
            let span = round_up(skip + n);
            // The bytes around the data stay 0xFF: programming a 1 leaves a NOR bit as it is.
            tmp.0[..span].fill(0xFF);
            tmp.0[skip..skip + n].copy_from_slice(&data[done..done + n]);
            self.0.program_words(start, &tmp.0[..span])?;
            done += n;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem_flash::MemFlash;
    use alloc::vec;
    use alloc::vec::Vec;

    /// NOR flash that refuses anything but aligned whole words, as esp-storage does.
    struct WordOnly(MemFlash);

    fn aligned(offset: usize, buf: &[u8]) -> Result<(), FlashError> {
        if offset % WORD != 0 || buf.len() % WORD != 0 || buf.as_ptr() as usize % WORD != 0 {
            return Err(FlashError::Io);
        }
        Ok(())
    }

    impl WordNor for WordOnly {
        fn sector_size(&self) -> usize {
            self.0.sector_size()
        }
        fn capacity(&self) -> usize {
            self.0.capacity()
        }
        fn read_words(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), FlashError> {
            aligned(offset, buf)?;
            self.0.read(offset, buf)
        }
        fn erase(&mut self, sector: usize) -> Result<(), FlashError> {
            self.0.erase(sector)
        }
        fn program_words(&mut self, offset: usize, data: &[u8]) -> Result<(), FlashError> {
            aligned(offset, data)?;
            self.0.write(offset, data)
        }
    }

    #[test]
    fn writes_and_reads_at_any_offset_and_length_match_byte_flash() {
        for offset in 0..9 {
            for len in [0, 1, 2, 3, 4, 5, 7, 8, 255, 256, 257, 600] {
                let data: Vec<u8> = (0..len).map(|i| (i * 7 + offset) as u8).collect();
                let mut expected = MemFlash::new(1024, 2);
                let mut words = WordAligned(WordOnly(MemFlash::new(1024, 2)));
                // A byte already programmed next to the range must survive the padding.
                for f in [&mut expected as &mut dyn Flash, &mut words] {
                    f.write(offset + len, &[0x12]).unwrap();
                    f.write(offset, &data).unwrap();
                }
                assert_eq!(words.0.0.as_bytes(), expected.as_bytes(), "@{offset}+{len}");
                for (at, n) in [(offset, len), (0, offset + len + 1), (offset + 1, len)] {
                    let mut got = vec![0u8; n];
                    let mut want = vec![0u8; n];
                    words.read(at, &mut got).unwrap();
                    expected.read(at, &mut want).unwrap();
                    assert_eq!(got, want, "read @{at}+{n}");
                }
            }
        }
    }

    #[test]
    fn out_of_bounds_is_refused_before_touching_the_flash() {
        let mut words = WordAligned(WordOnly(MemFlash::new(1024, 1)));
        assert_eq!(words.write(1023, &[0, 0]), Err(FlashError::OutOfBounds));
        assert_eq!(
            words.read(usize::MAX, &mut [0]),
            Err(FlashError::OutOfBounds)
        );
        assert!(words.0.0.as_bytes().iter().all(|&b| b == 0xFF));
    }

    #[test]
    fn the_credential_store_works_over_word_only_flash() {
        use crate::store::{CredentialStore, Credentials, StoreLayout, WifiCredentials};
        use zeroize::Zeroizing;
        let creds = Credentials {
            wifi: WifiCredentials {
                ssid: b"odd-length-ssid".to_vec(),
                passphrase: Zeroizing::new(b"pass phrase!".to_vec()),
                bssid: None,
                channel: 1,
            },
            iot: None,
        };
        let flash = WordAligned(WordOnly(MemFlash::new(4096, 17)));
        let mut store = CredentialStore::open(flash, StoreLayout::default());
        store.commit(&creds).unwrap();
        store.record_pop_failure().unwrap();
        store.record_pop_failure().unwrap();
        let mut store = CredentialStore::open(store.into_flash(), StoreLayout::default());
        assert_eq!(store.load(), Some(creds));
        assert_eq!(store.pop_failures(), 2);
    }
}
