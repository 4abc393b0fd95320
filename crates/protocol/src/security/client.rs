//! Client role of the `prov-session` endpoint, as a typestate handshake:
//! [`start`] gives the first request; each [`Handshake::on_response`] consumes the handshake
//! and yields either the next request or the established [`Session`].

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::cipher::Session;
use super::wire::{self, WireError};
use super::{DEFAULT_SEC2_USERNAME, sec1, sec2};
use crate::proto::{Status, sec0_payload, session_data};

/// What the client knows about the device's security.
#[derive(Clone)]
pub enum ClientSecurity {
    /// Plaintext.
    Sec0,
    /// Security 1 with the device's PoP (may be empty if the device has none).
    Sec1 {
        /// Proof of possession.
        pop: Zeroizing<Vec<u8>>,
    },
    /// Security 2.
    Sec2 {
        /// SRP username (ESP-IDF default `wifiprov`).
        username: Vec<u8>,
        /// SRP password: the PoP printed on the device.
        password: Zeroizing<Vec<u8>>,
        /// The device's `sec_patch_ver` from `proto-ver` (>= 1 enables the nonce counter).
        sec_patch_ver: u32,
    },
}

impl fmt::Debug for ClientSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sec0 => "Sec0",
            Self::Sec1 { .. } => "Sec1 { .. }",
            Self::Sec2 { .. } => "Sec2 { .. }",
        })
    }
}

impl ClientSecurity {
    /// Security 1 with this PoP.
    pub fn sec1(pop: &[u8]) -> Self {
        Self::Sec1 {
            pop: Zeroizing::new(pop.to_vec()),
        }
    }

    /// Security 2 with the default username `wifiprov` and patch level 1.
    pub fn sec2(pop: &[u8]) -> Self {
        Self::Sec2 {
            username: DEFAULT_SEC2_USERNAME.as_bytes().to_vec(),
            password: Zeroizing::new(pop.to_vec()),
            sec_patch_ver: 1,
        }
    }

    /// The scheme number (0, 1, 2).
    pub fn sec_ver(&self) -> u32 {
        match self {
            Self::Sec0 => 0,
            Self::Sec1 { .. } => 1,
            Self::Sec2 { .. } => 2,
        }
    }
}

/// Why the client could not establish a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientError {
    /// The device rejected our proof: the proof-of-possession code is wrong. Tell the user to
    /// check the code printed on the device.
    WrongPop,
    /// The device's proof of knowing the verifier is wrong: it may not be the device it claims.
    DeviceProofMismatch,
    /// The response is not a valid `SessionData` (or is larger than 4096 bytes).
    Malformed,
    /// The device answered with another security scheme than we asked for.
    SchemeMismatch {
        /// Ours.
        expected: u32,
        /// The device's.
        got: i32,
    },
    /// A response message that does not fit the handshake step.
    UnexpectedMessage,
    /// The device reported a failure status (a protocomm `Status` value).
    DeviceStatus(i32),
    /// The device's public key, random or salt is unusable.
    InvalidDeviceKey,
    /// Internal failure (should not happen).
    Internal,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongPop => f.write_str(
                "the device rejected the proof-of-possession code; check the code printed on the device",
            ),
            Self::DeviceProofMismatch => {
                f.write_str("the device failed to prove it knows the code; it may be an impostor")
            }
            Self::Malformed => f.write_str("the device sent an invalid session response"),
            Self::SchemeMismatch { expected, got } => {
                write!(f, "asked for security {expected}, device answered with {got}")
            }
            Self::UnexpectedMessage => f.write_str("unexpected session response from the device"),
            Self::DeviceStatus(s) => write!(
                f,
                "the device refused the session: {}",
                Status::try_from(*s).map(|s| s.as_str_name()).unwrap_or("unknown status")
            ),
            Self::InvalidDeviceKey => f.write_str("the device sent an unusable public key"),
            Self::Internal => f.write_str("internal session error"),
        }
    }
}

impl core::error::Error for ClientError {}

impl From<WireError> for ClientError {
    fn from(_: WireError) -> Self {
        Self::Malformed
    }
}

enum Step0 {
    Sec0,
    Sec1Resp0(sec1::ClientAwaitResp0),
    Sec1Resp1(Box<sec1::ClientAwaitResp1>),
    Sec2Resp0(sec2::ClientAwaitResp0),
    Sec2Resp1(sec2::ClientAwaitResp1),
}

/// A handshake waiting for the device's response to the request it last produced.
pub struct Handshake {
    step: Step0,
}

impl fmt::Debug for Handshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handshake")
            .field("awaiting_proof_check", &self.awaiting_proof_check())
            .finish()
    }
}

/// Result of feeding a response to a [`Handshake`].
#[derive(Debug)]
pub enum Progress {
    /// Send this request to `prov-session` and feed the response to the handshake.
    Continue(Handshake, Vec<u8>),
    /// The session is established.
    Established(Session),
}

/// Starts a handshake: returns it and the first `prov-session` request body.
pub fn start(
    security: ClientSecurity,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<(Handshake, Vec<u8>), ClientError> {
    Ok(match security {
        ClientSecurity::Sec0 => (Handshake { step: Step0::Sec0 }, wire::sec0_request()),
        ClientSecurity::Sec1 { pop } => {
            let (s, req) = sec1::client_start(pop, rng);
            (
                Handshake {
                    step: Step0::Sec1Resp0(s),
                },
                req,
            )
        }
        ClientSecurity::Sec2 {
            username,
            password,
            sec_patch_ver,
        } => {
            let (s, req) = sec2::client_start(username, password, sec_patch_ver, rng)?;
            (
                Handshake {
                    step: Step0::Sec2Resp0(s),
                },
                req,
            )
        }
    })
}

impl Handshake {
    /// Whether the last request carried our proof. If the device fails *that* request at
    /// the transport level (ESP-IDF answers a wrong proof with an HTTP error, not a status),
    /// the cause is almost certainly a wrong PoP: report [`ClientError::WrongPop`].
    pub fn awaiting_proof_check(&self) -> bool {
        matches!(self.step, Step0::Sec1Resp1(_) | Step0::Sec2Resp1(_))
    }

    /// Feeds the device's response body.
    pub fn on_response(self, body: &[u8]) -> Result<Progress, ClientError> {
        let data = wire::decode(body)?;
        let expected = self.sec_ver();
        if data.sec_ver != expected as i32 {
            return Err(ClientError::SchemeMismatch {
                expected,
                got: data.sec_ver,
            });
        }
        let proto = data.proto.ok_or(ClientError::Malformed)?;
        match (self.step, proto) {
            (Step0::Sec0, session_data::Proto::Sec0(p)) => match p.payload {
                Some(sec0_payload::Payload::Sr(r)) if r.status == Status::Success as i32 => {
                    Ok(Progress::Established(Session::plain()))
                }
                Some(sec0_payload::Payload::Sr(r)) => Err(ClientError::DeviceStatus(r.status)),
                _ => Err(ClientError::UnexpectedMessage),
            },
            (Step0::Sec1Resp0(s), session_data::Proto::Sec1(p)) => {
                let (next, req) = s.on_response(p)?;
                Ok(Progress::Continue(
                    Handshake {
                        step: Step0::Sec1Resp1(Box::new(next)),
                    },
                    req,
                ))
            }
            (Step0::Sec1Resp1(s), session_data::Proto::Sec1(p)) => {
                s.on_response(p).map(Progress::Established)
            }
            (Step0::Sec2Resp0(s), session_data::Proto::Sec2(p)) => {
                let (next, req) = s.on_response(p)?;
                Ok(Progress::Continue(
                    Handshake {
                        step: Step0::Sec2Resp1(next),
                    },
                    req,
                ))
            }
            (Step0::Sec2Resp1(s), session_data::Proto::Sec2(p)) => {
                s.on_response(p).map(Progress::Established)
            }
            _ => Err(ClientError::UnexpectedMessage),
        }
    }

    fn sec_ver(&self) -> u32 {
        match self.step {
            Step0::Sec0 => 0,
            Step0::Sec1Resp0(_) | Step0::Sec1Resp1(_) => 1,
            Step0::Sec2Resp0(_) | Step0::Sec2Resp1(_) => 2,
        }
    }
}
