//! Our `iot-cred` endpoint: device identity, on-device key + CSR, and chunked delivery of
//! credentials (certificate chain, seed-mode key + certificate, MQTT settings).
//!
//! Bodies are PLAINTEXT here; encrypt and decrypt them with the
//! [`Session`](crate::security::Session).

mod messages;
mod transfer;

pub use crate::message::MessageError;
pub use crate::proto::iot::{IotStatus, TransferKind};
pub use messages::{DeviceInfo, IotRequest, IotResponse, TransferProgress};
pub use transfer::{
    CHUNK_SIZE, Credential, MAX_CHUNK, MAX_TRANSFER, MqttSettings, SeedCredentials, TransferError,
    TransferReceiver, TransferSender,
};
