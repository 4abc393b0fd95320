//! Device end of a chunked `iot-cred` transfer: chunks must arrive in order, each exactly once;
//! the result is handed out only when length, count and SHA-256 all match.

use alloc::vec::Vec;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use protocol::proto::iot::{IotStatus, TransferKind};

/// A transfer in progress.
pub(super) struct Transfer {
    pub(super) kind: TransferKind,
    total_len: usize,
    chunk_count: u32,
    sha256: [u8; 32],
    next_index: u32,
    data: Zeroizing<Vec<u8>>,
}

impl Transfer {
    /// Validates a `CmdTransferBegin`.
    pub(super) fn begin(
        kind: i32,
        total_len: u32,
        chunk_count: u32,
        sha256: &[u8],
        max: u32,
    ) -> Result<Self, IotStatus> {
        let kind = TransferKind::try_from(kind).map_err(|_| IotStatus::BadRequest)?;
        let sha256 = <[u8; 32]>::try_from(sha256).map_err(|_| IotStatus::BadRequest)?;
        if total_len > max {
            return Err(IotStatus::TooLarge);
        }
        if total_len == 0 || chunk_count == 0 || chunk_count > total_len {
            return Err(IotStatus::BadRequest);
        }
        Ok(Self {
            kind,
            total_len: total_len as usize,
            chunk_count,
            sha256,
            next_index: 0,
            data: Zeroizing::new(Vec::with_capacity(total_len as usize)),
        })
    }

    /// Accepts chunk `index`; on error nothing changes, so the right chunk can still follow.
    pub(super) fn chunk(&mut self, index: u32, data: &[u8]) -> Result<(), IotStatus> {
        if index != self.next_index || index >= self.chunk_count {
            return Err(IotStatus::ChunkOutOfOrder);
        }
        if data.is_empty() {
            return Err(IotStatus::BadRequest);
        }
        if self.data.len() + data.len() > self.total_len {
            return Err(IotStatus::TooLarge);
        }
        self.data.extend_from_slice(data);
        self.next_index += 1;
        Ok(())
    }

    /// Index of the next expected chunk.
    pub(super) fn next_index(&self) -> u32 {
        self.next_index
    }

    /// Bytes received so far.
    pub(super) fn received_len(&self) -> u32 {
        self.data.len() as u32
    }

    /// Checks completeness and digest; the caller then decodes the payload.
    pub(super) fn finish(&self) -> Result<&[u8], IotStatus> {
        if self.next_index != self.chunk_count {
            return Err(IotStatus::ChunkOutOfOrder);
        }
        if self.data.len() != self.total_len
            || Sha256::digest(&self.data[..]).as_slice() != self.sha256
        {
            return Err(IotStatus::DigestMismatch);
        }
        Ok(&self.data)
    }
}
