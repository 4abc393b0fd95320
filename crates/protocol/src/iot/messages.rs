//! Typed `iot-cred` requests and responses.

use alloc::string::String;
use alloc::vec::Vec;
use prost::Message;

use crate::message::{MessageError, decode};
use crate::proto::iot::{
    CmdGenerateCsr, CmdGetInfo, CmdTransferBegin, CmdTransferChunk, CmdTransferEnd, IotMsgType,
    IotPayload, IotStatus, RespGenerateCsr, RespGetInfo, RespTransfer, TransferKind,
    iot_payload::Payload,
};

/// Longest text field (serial, model, version, capability) we accept.
const MAX_TEXT: usize = 64;
/// Most capability strings.
const MAX_CAPS: usize = 16;

/// An `iot-cred` request.
#[derive(Clone, PartialEq, Eq)]
pub enum IotRequest {
    /// Ask for serial, model, firmware version, capabilities.
    GetInfo,
    /// Generate a P-256 key on the device and return a CSR with CN = serial.
    GenerateCsr,
    /// Announce a chunked transfer.
    TransferBegin {
        /// What is being sent.
        kind: TransferKind,
        /// Total bytes.
        total_len: u32,
        /// Number of chunks that will follow.
        chunk_count: u32,
        /// SHA-256 of all bytes.
        sha256: [u8; 32],
    },
    /// One chunk, numbered from 0.
    TransferChunk {
        /// Chunk number.
        index: u32,
        /// Chunk bytes.
        data: Vec<u8>,
    },
    /// All chunks sent: check and take the credential.
    TransferEnd,
}

impl core::fmt::Debug for IotRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Chunks may hold a private key: print only their size.
        match self {
            Self::GetInfo => f.write_str("GetInfo"),
            Self::GenerateCsr => f.write_str("GenerateCsr"),
            Self::TransferBegin {
                kind,
                total_len,
                chunk_count,
                ..
            } => write!(
                f,
                "TransferBegin {{ kind: {kind:?}, total_len: {total_len}, chunk_count: {chunk_count} }}"
            ),
            Self::TransferChunk { index, data } => {
                write!(f, "TransferChunk {{ index: {index}, len: {} }}", data.len())
            }
            Self::TransferEnd => f.write_str("TransferEnd"),
        }
    }
}

fn envelope(msg: IotMsgType, status: IotStatus, payload: Payload) -> Vec<u8> {
    IotPayload {
        msg: msg as i32,
        status: status as i32,
        payload: Some(payload),
    }
    .encode_to_vec()
}

impl IotRequest {
    /// Encodes the plaintext body.
    pub fn encode(&self) -> Vec<u8> {
        let (msg, payload) = match self {
            Self::GetInfo => (
                IotMsgType::TypeCmdGetInfo,
                Payload::CmdGetInfo(CmdGetInfo {}),
            ),
            Self::GenerateCsr => (
                IotMsgType::TypeCmdGenerateCsr,
                Payload::CmdGenerateCsr(CmdGenerateCsr {}),
            ),
            Self::TransferBegin {
                kind,
                total_len,
                chunk_count,
                sha256,
            } => (
                IotMsgType::TypeCmdTransferBegin,
                Payload::CmdTransferBegin(CmdTransferBegin {
                    kind: *kind as i32,
                    total_len: *total_len,
                    chunk_count: *chunk_count,
                    sha256: sha256.to_vec(),
                }),
            ),
            Self::TransferChunk { index, data } => (
                IotMsgType::TypeCmdTransferChunk,
                Payload::CmdTransferChunk(CmdTransferChunk {
                    index: *index,
                    data: data.clone(),
                }),
            ),
            Self::TransferEnd => (
                IotMsgType::TypeCmdTransferEnd,
                Payload::CmdTransferEnd(CmdTransferEnd {}),
            ),
        };
        envelope(msg, IotStatus::Ok, payload)
    }

    /// Decodes a plaintext body (device side).
    pub fn decode(body: &[u8]) -> Result<Self, MessageError> {
        let p: IotPayload = decode(body)?;
        match p.payload {
            Some(Payload::CmdGetInfo(_)) => Ok(Self::GetInfo),
            Some(Payload::CmdGenerateCsr(_)) => Ok(Self::GenerateCsr),
            Some(Payload::CmdTransferBegin(b)) => Ok(Self::TransferBegin {
                kind: TransferKind::try_from(b.kind)
                    .map_err(|_| MessageError::InvalidField("transfer kind"))?,
                total_len: b.total_len,
                chunk_count: b.chunk_count,
                sha256: b
                    .sha256
                    .as_slice()
                    .try_into()
                    .map_err(|_| MessageError::InvalidField("sha256 must be 32 bytes"))?,
            }),
            Some(Payload::CmdTransferChunk(c)) => Ok(Self::TransferChunk {
                index: c.index,
                data: c.data,
            }),
            Some(Payload::CmdTransferEnd(_)) => Ok(Self::TransferEnd),
            _ => Err(MessageError::Unexpected),
        }
    }

    /// A response to this request carrying a failure status (device side).
    pub fn error_response(&self, status: IotStatus) -> Vec<u8> {
        let progress = RespTransfer::default();
        let (msg, payload) = match self {
            Self::GetInfo => (
                IotMsgType::TypeRespGetInfo,
                Payload::RespGetInfo(RespGetInfo::default()),
            ),
            Self::GenerateCsr => (
                IotMsgType::TypeRespGenerateCsr,
                Payload::RespGenerateCsr(RespGenerateCsr::default()),
            ),
            Self::TransferBegin { .. } => (
                IotMsgType::TypeRespTransferBegin,
                Payload::RespTransferBegin(progress),
            ),
            Self::TransferChunk { .. } => (
                IotMsgType::TypeRespTransferChunk,
                Payload::RespTransferChunk(progress),
            ),
            Self::TransferEnd => (
                IotMsgType::TypeRespTransferEnd,
                Payload::RespTransferEnd(progress),
            ),
        };
        envelope(msg, status, payload)
    }
}

/// What the device says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Serial number (= thing name = MQTT client id).
    pub serial: String,
    /// Hardware model.
    pub model: String,
    /// Firmware version.
    pub firmware_version: String,
    /// Capability strings (e.g. `"csr"`, `"seed_key"`).
    pub capabilities: Vec<String>,
    /// Milliseconds left in the provisioning window when the device answered, if it says.
    pub window_remaining_ms: Option<u64>,
}

/// Transfer progress reported by the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferProgress {
    /// The chunk number the device expects next.
    pub next_index: u32,
    /// Bytes received so far.
    pub received_len: u32,
}

/// A successful `iot-cred` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IotResponse {
    /// Answer to `GetInfo`.
    Info(DeviceInfo),
    /// Answer to `GenerateCsr`: the CSR in PEM.
    Csr(String),
    /// Answer to `TransferBegin`.
    TransferBegun(TransferProgress),
    /// Answer to `TransferChunk`.
    ChunkAccepted(TransferProgress),
    /// Answer to `TransferEnd`: the credential was verified and taken.
    TransferDone(TransferProgress),
}

fn text(s: &str, what: &'static str) -> Result<(), MessageError> {
    if s.len() > MAX_TEXT {
        Err(MessageError::InvalidField(what))
    } else {
        Ok(())
    }
}

impl IotResponse {
    /// Encodes the plaintext body (device side).
    pub fn encode(&self) -> Vec<u8> {
        let progress = |p: &TransferProgress| RespTransfer {
            next_index: p.next_index,
            received_len: p.received_len,
        };
        let (msg, payload) = match self {
            Self::Info(i) => (
                IotMsgType::TypeRespGetInfo,
                Payload::RespGetInfo(RespGetInfo {
                    serial: i.serial.clone(),
                    model: i.model.clone(),
                    firmware_version: i.firmware_version.clone(),
                    capabilities: i.capabilities.clone(),
                    window_remaining_ms: i.window_remaining_ms,
                }),
            ),
            Self::Csr(pem) => (
                IotMsgType::TypeRespGenerateCsr,
                Payload::RespGenerateCsr(RespGenerateCsr {
                    csr_pem: pem.clone(),
                }),
            ),
            Self::TransferBegun(p) => (
                IotMsgType::TypeRespTransferBegin,
                Payload::RespTransferBegin(progress(p)),
            ),
            Self::ChunkAccepted(p) => (
                IotMsgType::TypeRespTransferChunk,
                Payload::RespTransferChunk(progress(p)),
            ),
            Self::TransferDone(p) => (
                IotMsgType::TypeRespTransferEnd,
                Payload::RespTransferEnd(progress(p)),
            ),
        };
        envelope(msg, IotStatus::Ok, payload)
    }

    /// Decodes a plaintext body (client side). A failure status decodes to
    /// [`MessageError::Status`] holding the [`IotStatus`] value.
    pub fn decode(body: &[u8]) -> Result<Self, MessageError> {
        let p: IotPayload = decode(body)?;
        if p.status != IotStatus::Ok as i32 {
            return Err(MessageError::Status(p.status));
        }
        let progress = |r: RespTransfer| TransferProgress {
            next_index: r.next_index,
            received_len: r.received_len,
        };
        match p.payload {
            Some(Payload::RespGetInfo(i)) => {
                text(&i.serial, "serial")?;
                text(&i.model, "model")?;
                text(&i.firmware_version, "firmware version")?;
                if i.capabilities.len() > MAX_CAPS {
                    return Err(MessageError::InvalidField("too many capabilities"));
                }
                for c in &i.capabilities {
                    text(c, "capability")?;
                }
                Ok(Self::Info(DeviceInfo {
                    serial: i.serial,
                    model: i.model,
                    firmware_version: i.firmware_version,
                    capabilities: i.capabilities,
                    window_remaining_ms: i.window_remaining_ms,
                }))
            }
            Some(Payload::RespGenerateCsr(c)) => {
                if !c.csr_pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----") {
                    return Err(MessageError::InvalidField("csr is not a PEM CSR"));
                }
                Ok(Self::Csr(c.csr_pem))
            }
            Some(Payload::RespTransferBegin(r)) => Ok(Self::TransferBegun(progress(r))),
            Some(Payload::RespTransferChunk(r)) => Ok(Self::ChunkAccepted(progress(r))),
            Some(Payload::RespTransferEnd(r)) => Ok(Self::TransferDone(progress(r))),
            _ => Err(MessageError::Unexpected),
        }
    }
}
