//! Test helpers: deterministic randomness (fake entropy only; never used outside tests).
#![allow(dead_code)]

use protocol::rand_core::{Infallible, TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

/// SHA-256 in counter mode over a seed: reproducible, distinct per seed.
pub struct TestRng {
    seed: Vec<u8>,
    counter: u64,
}

impl TestRng {
    pub fn new(seed: &str) -> Self {
        Self {
            seed: seed.as_bytes().to_vec(),
            counter: 0,
        }
    }
}

impl TryRng for TestRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(32) {
            let mut h = Sha256::new();
            h.update(&self.seed);
            h.update(self.counter.to_be_bytes());
            self.counter += 1;
            let out = h.finalize();
            chunk.copy_from_slice(&out[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for TestRng {}

/// Hands out exactly the byte strings it was given, in order; each `fill_bytes` call must ask
/// for exactly the length of the next one. Used for known-answer transcripts.
pub struct ScriptedRng {
    queue: VecDeque<Vec<u8>>,
}

impl ScriptedRng {
    pub fn new(items: &[&[u8]]) -> Self {
        Self {
            queue: items.iter().map(|i| i.to_vec()).collect(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

impl TryRng for ScriptedRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        unreachable!("the protocol only asks for byte strings")
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        unreachable!("the protocol only asks for byte strings")
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let next = self.queue.pop_front().expect("script exhausted");
        assert_eq!(next.len(), dst.len(), "scripted randomness length");
        dst.copy_from_slice(&next);
        Ok(())
    }
}

impl TryCryptoRng for ScriptedRng {}
