//! Device role of the `prov-session` endpoint.

use alloc::vec::Vec;
use core::fmt;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::cipher::{CryptoError, Session};
use super::wire::{self, WireError};
use super::{sec1, sec2};
use crate::proto::{
    Sec1MsgType, Sec2MsgType, Status, sec0_payload, sec1_payload, sec2_payload, session_data,
};

/// The device's security configuration, set at manufacture.
#[derive(Clone)]
pub enum DeviceSecurity {
    /// Plaintext.
    Sec0,
    /// X25519 + AES-CTR; an empty PoP means "no proof of possession".
    Sec1 {
        /// Proof of possession (the label code).
        pop: Zeroizing<Vec<u8>>,
    },
    /// SRP6a + AES-GCM from a salt and verifier made offline (see
    /// [`manufacture`](super::manufacture)). The username is whatever the client sends, as in
    /// ESP-IDF: a different username than the verifier was made with simply fails the proof.
    Sec2 {
        /// SRP salt.
        salt: Vec<u8>,
        /// SRP verifier `v = g^x mod N`, big-endian.
        verifier: Vec<u8>,
    },
}

impl fmt::Debug for DeviceSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the PoP or the verifier.
        f.write_str(match self {
            Self::Sec0 => "Sec0",
            Self::Sec1 { .. } => "Sec1 { .. }",
            Self::Sec2 { .. } => "Sec2 { .. }",
        })
    }
}

impl DeviceSecurity {
    /// Security 1 with the given PoP.
    pub fn sec1(pop: &[u8]) -> Self {
        Self::Sec1 {
            pop: Zeroizing::new(pop.to_vec()),
        }
    }

    /// Security 2 from a stored salt and verifier; rejects lengths no real verifier has.
    pub fn sec2(salt: &[u8], verifier: &[u8]) -> Result<Self, DeviceError> {
        if salt.is_empty() || salt.len() > sec2::MAX_SALT {
            return Err(DeviceError::InvalidArgument("salt length"));
        }
        if verifier.is_empty() || verifier.len() > sec2::PUBKEY_LEN {
            return Err(DeviceError::InvalidArgument("verifier length"));
        }
        Ok(Self::Sec2 {
            salt: salt.to_vec(),
            verifier: verifier.to_vec(),
        })
    }

    /// The `sec_ver` announced in `proto-ver` and carried in every `SessionData`.
    pub fn sec_ver(&self) -> u32 {
        match self {
            Self::Sec0 => 0,
            Self::Sec1 { .. } => 1,
            Self::Sec2 { .. } => 2,
        }
    }

    /// The `sec_patch_ver` this implementation speaks (1 for security 2: nonce counter).
    pub fn sec_patch_ver(&self) -> u32 {
        match self {
            Self::Sec2 { .. } => 1,
            _ => 0,
        }
    }
}

/// Why the device refused a `prov-session` request. The device state is unchanged except for
/// [`DeviceError::AuthFailed`], which also drops the half-open handshake.
#[derive(Clone, PartialEq, Eq)]
pub enum DeviceError {
    /// Body larger than the 4096-byte limit.
    TooLarge,
    /// Not a `SessionData` protobuf.
    Malformed,
    /// The request's security scheme is not the device's.
    WrongScheme {
        /// The device's scheme.
        expected: u32,
        /// What the request said.
        got: i32,
    },
    /// A message that is not valid in the current state (e.g. `Cmd1` before `Cmd0`).
    UnexpectedMessage,
    /// A field has the wrong length or value.
    InvalidArgument(&'static str),
    /// The client's proof was wrong: almost always a wrong PoP. `response` is a
    /// `SessionResp1` with status `CryptoError` the firmware may send back (ESP-IDF instead
    /// fails the HTTP request; our client understands both).
    AuthFailed {
        /// Encoded response carrying the failure status.
        response: Vec<u8>,
    },
    /// An internal failure (should not happen).
    Internal,
}

impl fmt::Debug for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge => f.write_str("session request larger than 4096 bytes"),
            Self::Malformed => f.write_str("session request is not a valid SessionData"),
            Self::WrongScheme { expected, got } => {
                write!(
                    f,
                    "session request for security {got}, device uses {expected}"
                )
            }
            Self::UnexpectedMessage => f.write_str("session message not valid in this state"),
            Self::InvalidArgument(what) => write!(f, "invalid session request: {what}"),
            Self::AuthFailed { .. } => f.write_str("client proof rejected (wrong PoP?)"),
            Self::Internal => f.write_str("internal session error"),
        }
    }
}

impl core::error::Error for DeviceError {}

impl DeviceError {
    /// The protocomm status code this error corresponds to.
    pub fn status(&self) -> Status {
        match self {
            Self::TooLarge | Self::Malformed => Status::InvalidProto,
            Self::WrongScheme { .. } => Status::InvalidSecScheme,
            Self::UnexpectedMessage => Status::InvalidSession,
            Self::InvalidArgument(_) => Status::InvalidArgument,
            Self::AuthFailed { .. } => Status::CryptoError,
            Self::Internal => Status::InternalError,
        }
    }
}

impl From<WireError> for DeviceError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::TooLarge => Self::TooLarge,
            WireError::Malformed => Self::Malformed,
        }
    }
}

enum State {
    Idle,
    Sec1Pending(sec1::DevicePending),
    Sec2Pending(sec2::DevicePending),
    Established(Session),
}

/// The device end of `prov-session` plus the established session used by every other
/// endpoint. One session at a time: a new `Cmd0` replaces whatever was there.
pub struct DeviceSession {
    security: DeviceSecurity,
    state: State,
}

impl fmt::Debug for DeviceSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceSession")
            .field("security", &self.security)
            .field("established", &self.is_established())
            .finish()
    }
}

impl DeviceSession {
    /// A device with no session yet.
    pub fn new(security: DeviceSecurity) -> Self {
        Self {
            security,
            state: State::Idle,
        }
    }

    /// The configuration this session was made with.
    pub fn security(&self) -> &DeviceSecurity {
        &self.security
    }

    /// Whether the handshake has completed.
    pub fn is_established(&self) -> bool {
        matches!(self.state, State::Established(_))
    }

    /// Drops any session (e.g. when the HTTP client's session cookie changes).
    pub fn reset(&mut self) {
        self.state = State::Idle;
    }

    /// Handles one `prov-session` request body and returns the response body.
    ///
    /// On error the state is unchanged, except [`DeviceError::AuthFailed`] which resets to
    /// idle (the client has to start over anyway).
    pub fn handle(
        &mut self,
        request: &[u8],
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Vec<u8>, DeviceError> {
        let data = wire::decode(request)?;
        let expected = self.security.sec_ver();
        if data.sec_ver != expected as i32 {
            return Err(DeviceError::WrongScheme {
                expected,
                got: data.sec_ver,
            });
        }
        let result = match (&self.security, data.proto) {
            (DeviceSecurity::Sec0, Some(session_data::Proto::Sec0(p))) => match p.payload {
                Some(sec0_payload::Payload::Sc(_)) => Ok((
                    State::Established(Session::plain()),
                    wire::sec0_response(Status::Success),
                )),
                _ => Err(DeviceError::UnexpectedMessage),
            },
            (DeviceSecurity::Sec1 { pop }, Some(session_data::Proto::Sec1(p))) => {
                match (p.msg, p.payload) {
                    (m, Some(sec1_payload::Payload::Sc0(cmd)))
                        if m == Sec1MsgType::SessionCommand0 as i32 =>
                    {
                        sec1::device_cmd0(pop, &cmd, rng)
                            .map(|(pending, resp)| (State::Sec1Pending(pending), resp))
                    }
                    (m, Some(sec1_payload::Payload::Sc1(cmd)))
                        if m == Sec1MsgType::SessionCommand1 as i32 =>
                    {
                        match &self.state {
                            State::Sec1Pending(pending) => sec1::device_cmd1(pending, &cmd)
                                .map(|(s, resp)| (State::Established(s), resp)),
                            _ => Err(DeviceError::UnexpectedMessage),
                        }
                    }
                    _ => Err(DeviceError::UnexpectedMessage),
                }
            }
            (DeviceSecurity::Sec2 { salt, verifier }, Some(session_data::Proto::Sec2(p))) => {
                match (p.msg, p.payload) {
                    (m, Some(sec2_payload::Payload::Sc0(cmd)))
                        if m == Sec2MsgType::S2SessionCommand0 as i32 =>
                    {
                        sec2::device_cmd0(salt, verifier, &cmd, rng)
                            .map(|(pending, resp)| (State::Sec2Pending(pending), resp))
                    }
                    (m, Some(sec2_payload::Payload::Sc1(cmd)))
                        if m == Sec2MsgType::S2SessionCommand1 as i32 =>
                    {
                        match &self.state {
                            State::Sec2Pending(pending) => sec2::device_cmd1(pending, &cmd, rng)
                                .map(|(s, resp)| (State::Established(s), resp)),
                            _ => Err(DeviceError::UnexpectedMessage),
                        }
                    }
                    _ => Err(DeviceError::UnexpectedMessage),
                }
            }
            (_, None) => Err(DeviceError::Malformed),
            _ => Err(DeviceError::WrongScheme {
                expected,
                got: data.sec_ver,
            }),
        };
        match result {
            Ok((state, response)) => {
                self.state = state;
                Ok(response)
            }
            Err(e) => {
                if matches!(e, DeviceError::AuthFailed { .. }) {
                    self.state = State::Idle;
                }
                Err(e)
            }
        }
    }

    /// The established session, if any.
    pub fn session(&mut self) -> Option<&mut Session> {
        match &mut self.state {
            State::Established(s) => Some(s),
            _ => None,
        }
    }

    /// Decrypts a request body of another endpoint with the established session.
    pub fn decrypt(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.session()
            .ok_or(CryptoError::NotEstablished)?
            .decrypt(data)
    }

    /// Encrypts a response body of another endpoint with the established session.
    pub fn encrypt(&mut self, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.session()
            .ok_or(CryptoError::NotEstablished)?
            .encrypt(plain)
    }
}
