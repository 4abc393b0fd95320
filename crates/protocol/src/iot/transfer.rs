//! Chunked credential transfer over `iot-cred`: numbered chunks, final length + SHA-256 check.
//!
//! The receiver hands out a credential only after every chunk arrived in order and the
//! reassembled bytes match the announced length and digest, so a lost, repeated or reordered
//! chunk can never turn into a corrupted certificate or key.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use prost::Message;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::messages::{IotRequest, IotResponse, TransferProgress};
use crate::message::MessageError;
use crate::proto::iot::{self as pb, IotStatus, TransferKind};

/// Largest transfer a receiver accepts by default.
pub const MAX_TRANSFER: usize = 64 * 1024;
/// Largest chunk a receiver accepts: an encrypted chunk request stays under the 4096-byte body
/// limit with room for the protobuf framing and the 16-byte GCM tag.
pub const MAX_CHUNK: usize = 3840;
/// Chunk size the sender uses unless told otherwise.
pub const CHUNK_SIZE: usize = 3072;

const MAX_HOST: usize = 253;
const MAX_ID: usize = 128;

/// MQTT endpoint settings for the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqttSettings {
    /// Broker host name.
    pub host: String,
    /// Broker port (8883 for MQTT over TLS).
    pub port: u16,
    /// MQTT client id (= serial).
    pub client_id: String,
    /// Topic prefix, e.g. `devices`; the device publishes under `<prefix>/<serial>/`.
    pub topic_prefix: String,
    /// CA certificate(s) the device must trust for the broker, PEM.
    pub server_ca_pem: String,
}

/// Seed-compatible mode: a key pair made by the cloud, delivered with its certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct SeedCredentials {
    /// Private key PEM.
    pub private_key_pem: Zeroizing<String>,
    /// Certificate PEM.
    pub certificate_pem: String,
}

impl fmt::Debug for SeedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeedCredentials { .. }")
    }
}

/// What a transfer delivers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// Certificate chain PEM for the key the device generated (CSR mode).
    CertificateChain(String),
    /// Cloud-generated key + certificate (seed mode).
    Seed(SeedCredentials),
    /// Broker settings.
    Mqtt(MqttSettings),
}

fn is_cert_pem(s: &str) -> bool {
    s.contains("-----BEGIN CERTIFICATE-----") && s.contains("-----END CERTIFICATE-----")
}

fn is_key_pem(s: &str) -> bool {
    s.contains("-----BEGIN ") && s.contains("PRIVATE KEY-----")
}

impl Credential {
    /// The transfer kind announced for this credential.
    pub fn kind(&self) -> TransferKind {
        match self {
            Self::CertificateChain(_) => TransferKind::KindCertificateChain,
            Self::Seed(_) => TransferKind::KindSeedCredentials,
            Self::Mqtt(_) => TransferKind::KindMqttSettings,
        }
    }

    /// Checks the fields a device would otherwise choke on later.
    pub fn validate(&self) -> Result<(), IotStatus> {
        let ok = match self {
            Self::CertificateChain(pem) => is_cert_pem(pem),
            Self::Seed(s) => is_key_pem(&s.private_key_pem) && is_cert_pem(&s.certificate_pem),
            Self::Mqtt(m) => {
                !m.host.is_empty()
                    && m.host.len() <= MAX_HOST
                    && !m.host.contains(['/', ' ', '\0'])
                    && m.port != 0
                    && !m.client_id.is_empty()
                    && m.client_id.len() <= MAX_ID
                    && m.topic_prefix.len() <= MAX_ID
                    && !m.topic_prefix.contains(['#', '+', '\0'])
                    && is_cert_pem(&m.server_ca_pem)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(IotStatus::InvalidCredential)
        }
    }

    /// The bytes that travel in the chunks.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(match self {
            Self::CertificateChain(pem) => pem.as_bytes().to_vec(),
            Self::Seed(s) => {
                let mut msg = pb::SeedCredentials {
                    private_key_pem: String::from(s.private_key_pem.as_str()),
                    certificate_pem: s.certificate_pem.clone(),
                };
                let out = msg.encode_to_vec();
                zeroize::Zeroize::zeroize(&mut msg.private_key_pem);
                out
            }
            Self::Mqtt(m) => pb::MqttSettings {
                host: m.host.clone(),
                port: u32::from(m.port),
                client_id: m.client_id.clone(),
                topic_prefix: m.topic_prefix.clone(),
                server_ca_pem: m.server_ca_pem.clone(),
            }
            .encode_to_vec(),
        })
    }

    /// Rebuilds and validates a credential from verified transfer bytes.
    pub fn from_bytes(kind: TransferKind, bytes: &[u8]) -> Result<Self, IotStatus> {
        let bad = |_| IotStatus::InvalidCredential;
        let cred = match kind {
            TransferKind::KindCertificateChain => {
                Self::CertificateChain(String::from(core::str::from_utf8(bytes).map_err(bad)?))
            }
            TransferKind::KindSeedCredentials => {
                let m =
                    pb::SeedCredentials::decode(bytes).map_err(|_| IotStatus::InvalidCredential)?;
                Self::Seed(SeedCredentials {
                    private_key_pem: Zeroizing::new(m.private_key_pem),
                    certificate_pem: m.certificate_pem,
                })
            }
            TransferKind::KindMqttSettings => {
                let m =
                    pb::MqttSettings::decode(bytes).map_err(|_| IotStatus::InvalidCredential)?;
                Self::Mqtt(MqttSettings {
                    host: m.host,
                    port: u16::try_from(m.port).map_err(|_| IotStatus::InvalidCredential)?,
                    client_id: m.client_id,
                    topic_prefix: m.topic_prefix,
                    server_ca_pem: m.server_ca_pem,
                })
            }
        };
        cred.validate()?;
        Ok(cred)
    }
}

/// Why a transfer failed on the client side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferError {
    /// The credential is empty, invalid, or larger than [`MAX_TRANSFER`].
    InvalidCredential,
    /// The response could not be decoded.
    Message(MessageError),
    /// The device refused with this status.
    Device(IotStatus),
    /// The device's progress does not match what was sent (lost or duplicated request).
    UnexpectedProgress {
        /// Chunk index we expected the device to want next.
        expected: u32,
        /// What it reported.
        got: u32,
    },
    /// A response of the wrong type for the current step.
    UnexpectedResponse,
}

impl fmt::Display for TransferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidCredential => f.write_str("credential is invalid or too large to send"),
            Self::Message(e) => write!(f, "bad response during transfer: {e}"),
            Self::Device(s) => write!(f, "device refused the transfer: {}", s.as_str_name()),
            Self::UnexpectedProgress { expected, got } => {
                write!(f, "device expects chunk {got}, we are at {expected}")
            }
            Self::UnexpectedResponse => f.write_str("unexpected response during transfer"),
        }
    }
}

impl core::error::Error for TransferError {}

impl From<MessageError> for TransferError {
    fn from(e: MessageError) -> Self {
        match e {
            MessageError::Status(s) => IotStatus::try_from(s)
                .map(Self::Device)
                .unwrap_or(Self::Message(e)),
            other => Self::Message(other),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SendStep {
    Begin,
    Chunk(u32),
    End,
    Done,
}

/// Client side of a transfer: produces the requests one at a time and checks each response.
///
/// ```text
/// while let Some(req) = tx.next_request() { let resp = send(req.encode())?; tx.on_response(&resp)?; }
/// ```
pub struct TransferSender {
    kind: TransferKind,
    data: Zeroizing<Vec<u8>>,
    sha256: [u8; 32],
    chunk_size: usize,
    chunk_count: u32,
    step: SendStep,
}

impl fmt::Debug for TransferSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransferSender")
            .field("kind", &self.kind)
            .field("len", &self.data.len())
            .field("chunk_count", &self.chunk_count)
            .field("step", &self.step)
            .finish()
    }
}

impl TransferSender {
    /// A sender with the default [`CHUNK_SIZE`].
    pub fn new(credential: &Credential) -> Result<Self, TransferError> {
        Self::with_chunk_size(credential, CHUNK_SIZE)
    }

    /// A sender with chunks of `chunk_size` bytes (1..=[`MAX_CHUNK`]).
    pub fn with_chunk_size(
        credential: &Credential,
        chunk_size: usize,
    ) -> Result<Self, TransferError> {
        credential
            .validate()
            .map_err(|_| TransferError::InvalidCredential)?;
        let data = credential.to_bytes();
        if data.is_empty() || data.len() > MAX_TRANSFER || chunk_size == 0 || chunk_size > MAX_CHUNK
        {
            return Err(TransferError::InvalidCredential);
        }
        let chunk_count = u32::try_from(data.len().div_ceil(chunk_size))
            .map_err(|_| TransferError::InvalidCredential)?;
        Ok(Self {
            kind: credential.kind(),
            sha256: Sha256::digest(&*data).into(),
            data,
            chunk_size,
            chunk_count,
            step: SendStep::Begin,
        })
    }

    /// Number of chunks.
    pub fn chunk_count(&self) -> u32 {
        self.chunk_count
    }

    /// Whether the device confirmed the whole transfer.
    pub fn is_done(&self) -> bool {
        self.step == SendStep::Done
    }

    /// The request for the current step (the same one again until its response is accepted),
    /// or `None` when done.
    pub fn next_request(&self) -> Option<IotRequest> {
        match self.step {
            SendStep::Begin => Some(IotRequest::TransferBegin {
                kind: self.kind,
                total_len: self.data.len() as u32,
                chunk_count: self.chunk_count,
                sha256: self.sha256,
            }),
            SendStep::Chunk(i) => {
                let start = i as usize * self.chunk_size;
                let end = (start + self.chunk_size).min(self.data.len());
                Some(IotRequest::TransferChunk {
                    index: i,
                    data: self.data[start..end].to_vec(),
                })
            }
            SendStep::End => Some(IotRequest::TransferEnd),
            SendStep::Done => None,
        }
    }

    fn received_after(&self, index: u32) -> u32 {
        ((index as usize * self.chunk_size).min(self.data.len())) as u32
    }

    /// Checks the device's response to the current request and moves on.
    pub fn on_response(&mut self, response: &IotResponse) -> Result<(), TransferError> {
        let expect = |p: &TransferProgress, next: u32, received: u32| {
            if p.next_index == next && p.received_len == received {
                Ok(())
            } else {
                Err(TransferError::UnexpectedProgress {
                    expected: next,
                    got: p.next_index,
                })
            }
        };
        self.step = match (self.step, response) {
            (SendStep::Begin, IotResponse::TransferBegun(p)) => {
                expect(p, 0, 0)?;
                SendStep::Chunk(0)
            }
            (SendStep::Chunk(i), IotResponse::ChunkAccepted(p)) => {
                let next = i + 1;
                expect(p, next, self.received_after(next))?;
                if next == self.chunk_count {
                    SendStep::End
                } else {
                    SendStep::Chunk(next)
                }
            }
            (SendStep::End, IotResponse::TransferDone(p)) => {
                expect(p, self.chunk_count, self.data.len() as u32)?;
                SendStep::Done
            }
            _ => return Err(TransferError::UnexpectedResponse),
        };
        Ok(())
    }

    /// Decodes a plaintext response body and applies it.
    pub fn on_response_body(&mut self, body: &[u8]) -> Result<(), TransferError> {
        let response = IotResponse::decode(body)?;
        self.on_response(&response)
    }
}

struct InProgress {
    kind: TransferKind,
    total_len: usize,
    chunk_count: u32,
    sha256: [u8; 32],
    buf: Zeroizing<Vec<u8>>,
    next_index: u32,
}

impl InProgress {
    fn progress(&self) -> TransferProgress {
        TransferProgress {
            next_index: self.next_index,
            received_len: self.buf.len() as u32,
        }
    }
}

/// Device side of a transfer. One transfer at a time; a new `begin` replaces an unfinished one.
/// Every refused request leaves the state as it was, except a digest or credential failure at
/// `end`, which discards the bad data (the client must start over).
pub struct TransferReceiver {
    max_total: usize,
    current: Option<InProgress>,
}

impl fmt::Debug for TransferReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransferReceiver")
            .field("max_total", &self.max_total)
            .field("in_progress", &self.current.as_ref().map(|c| c.progress()))
            .finish()
    }
}

impl Default for TransferReceiver {
    fn default() -> Self {
        Self::new()
    }
}

impl TransferReceiver {
    /// A receiver accepting up to [`MAX_TRANSFER`] bytes.
    pub fn new() -> Self {
        Self::with_limit(MAX_TRANSFER)
    }

    /// A receiver accepting up to `max_total` bytes (capped at [`MAX_TRANSFER`]).
    pub fn with_limit(max_total: usize) -> Self {
        Self {
            max_total: max_total.min(MAX_TRANSFER),
            current: None,
        }
    }

    /// Progress of the unfinished transfer, if any.
    pub fn progress(&self) -> Option<TransferProgress> {
        self.current.as_ref().map(InProgress::progress)
    }

    /// Drops any unfinished transfer (e.g. when the session changes).
    pub fn reset(&mut self) {
        self.current = None;
    }

    /// Starts a transfer.
    pub fn begin(
        &mut self,
        kind: TransferKind,
        total_len: u32,
        chunk_count: u32,
        sha256: [u8; 32],
    ) -> Result<TransferProgress, IotStatus> {
        let total = total_len as usize;
        if total > self.max_total {
            return Err(IotStatus::TooLarge);
        }
        if total == 0
            || chunk_count == 0
            || chunk_count as usize > total
            || (chunk_count as usize) < total.div_ceil(MAX_CHUNK)
        {
            return Err(IotStatus::BadRequest);
        }
        let t = InProgress {
            kind,
            total_len: total,
            chunk_count,
            sha256,
            buf: Zeroizing::new(Vec::with_capacity(total)),
            next_index: 0,
        };
        let p = t.progress();
        self.current = Some(t);
        Ok(p)
    }

    /// Accepts chunk `index`; it must be exactly the next one.
    pub fn chunk(&mut self, index: u32, data: &[u8]) -> Result<TransferProgress, IotStatus> {
        let t = self.current.as_mut().ok_or(IotStatus::InvalidState)?;
        if index != t.next_index || index >= t.chunk_count {
            return Err(IotStatus::ChunkOutOfOrder);
        }
        if data.is_empty() || data.len() > MAX_CHUNK {
            return Err(IotStatus::BadRequest);
        }
        if t.buf.len() + data.len() > t.total_len {
            return Err(IotStatus::TooLarge);
        }
        t.buf.extend_from_slice(data);
        t.next_index += 1;
        Ok(t.progress())
    }

    /// Finishes the transfer: all chunks present, length and SHA-256 match, credential valid.
    pub fn end(&mut self) -> Result<(Credential, TransferProgress), IotStatus> {
        let t = self.current.as_ref().ok_or(IotStatus::InvalidState)?;
        if t.next_index != t.chunk_count {
            // A chunk is missing; the client may still send it.
            return Err(IotStatus::ChunkOutOfOrder);
        }
        let t = self.current.take().ok_or(IotStatus::InvalidState)?;
        if t.buf.len() != t.total_len || Sha256::digest(&*t.buf).as_slice() != t.sha256 {
            return Err(IotStatus::DigestMismatch);
        }
        let progress = t.progress();
        Credential::from_bytes(t.kind, &t.buf).map(|c| (c, progress))
    }

    /// Handles one transfer request and returns the success response plus, after `end`, the
    /// credential. `GetInfo` / `GenerateCsr` are not transfer requests: `Unsupported`.
    pub fn handle(
        &mut self,
        request: &IotRequest,
    ) -> Result<(IotResponse, Option<Credential>), IotStatus> {
        match request {
            IotRequest::TransferBegin {
                kind,
                total_len,
                chunk_count,
                sha256,
            } => self
                .begin(*kind, *total_len, *chunk_count, *sha256)
                .map(|p| (IotResponse::TransferBegun(p), None)),
            IotRequest::TransferChunk { index, data } => self
                .chunk(*index, data)
                .map(|p| (IotResponse::ChunkAccepted(p), None)),
            IotRequest::TransferEnd => self
                .end()
                .map(|(c, p)| (IotResponse::TransferDone(p), Some(c))),
            IotRequest::GetInfo | IotRequest::GenerateCsr => Err(IotStatus::Unsupported),
        }
    }
}
