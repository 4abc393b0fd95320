//! Adapts the board's [`Entropy`] to the RNG traits RustCrypto and the protocol crate expect.

use crate::hal::Entropy;

/// A `rand_core` CSPRNG view of an entropy source.
pub(crate) struct EntropyRng<'a, E: ?Sized>(pub &'a mut E);

impl<E: Entropy + ?Sized> rand_core::TryRng for EntropyRng<'_, E> {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst);
        Ok(())
    }
}

impl<E: Entropy + ?Sized> rand_core::TryCryptoRng for EntropyRng<'_, E> {}

// The P-256 code (0.13 series) still speaks rand_core 0.6.
impl<E: Entropy + ?Sized> rand_core_06::RngCore for EntropyRng<'_, E> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill(dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.0.fill(dest);
        Ok(())
    }
}

impl<E: Entropy + ?Sized> rand_core_06::CryptoRng for EntropyRng<'_, E> {}
