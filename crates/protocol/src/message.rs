//! Decoding errors shared by the endpoint message helpers.

use core::fmt;

use crate::endpoints::MAX_BODY;

/// Why an endpoint body could not be turned into a typed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageError {
    /// Larger than the 4096-byte body limit.
    TooLarge,
    /// Not the expected protobuf message.
    Malformed,
    /// A well-formed message of a type not valid here (e.g. a response where a request is due).
    Unexpected,
    /// A field is out of range (e.g. an SSID longer than 32 bytes).
    InvalidField(&'static str),
    /// The peer reported a failure status (value of the endpoint's status enum).
    Status(i32),
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge => f.write_str("message larger than 4096 bytes"),
            Self::Malformed => f.write_str("message could not be decoded"),
            Self::Unexpected => f.write_str("unexpected message type"),
            Self::InvalidField(what) => write!(f, "invalid field: {what}"),
            Self::Status(s) => write!(f, "the device reported failure status {s}"),
        }
    }
}

impl core::error::Error for MessageError {}

pub(crate) fn decode<M: prost::Message + Default>(body: &[u8]) -> Result<M, MessageError> {
    if body.len() > MAX_BODY {
        return Err(MessageError::TooLarge);
    }
    M::decode(body).map_err(|_| MessageError::Malformed)
}
