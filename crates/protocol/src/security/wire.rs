//! Encoding and decoding of the `SessionData` envelope.

use alloc::vec::Vec;
use prost::Message;

use crate::endpoints::MAX_BODY;
use crate::proto::{
    S0SessionCmd, S0SessionResp, Sec0MsgType, Sec0Payload, SecSchemeVersion, SessionData, Status,
    sec0_payload, session_data,
};

/// Why an envelope could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireError {
    TooLarge,
    Malformed,
}

pub(crate) fn decode(body: &[u8]) -> Result<SessionData, WireError> {
    if body.len() > MAX_BODY {
        return Err(WireError::TooLarge);
    }
    SessionData::decode(body).map_err(|_| WireError::Malformed)
}

pub(crate) fn encode(sec_ver: SecSchemeVersion, proto: session_data::Proto) -> Vec<u8> {
    SessionData {
        sec_ver: sec_ver as i32,
        proto: Some(proto),
    }
    .encode_to_vec()
}

pub(crate) fn sec0_request() -> Vec<u8> {
    encode(
        SecSchemeVersion::SecScheme0,
        session_data::Proto::Sec0(Sec0Payload {
            msg: Sec0MsgType::S0SessionCommand as i32,
            payload: Some(sec0_payload::Payload::Sc(S0SessionCmd {})),
        }),
    )
}

pub(crate) fn sec0_response(status: Status) -> Vec<u8> {
    encode(
        SecSchemeVersion::SecScheme0,
        session_data::Proto::Sec0(Sec0Payload {
            msg: Sec0MsgType::S0SessionResponse as i32,
            payload: Some(sec0_payload::Payload::Sr(S0SessionResp {
                status: status as i32,
            })),
        }),
    )
}
