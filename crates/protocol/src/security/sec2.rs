//! Security 2 for both roles: SRP6a (RFC 5054 3072-bit group, g = 5, SHA-512) + AES-256-GCM.
//!
//! Sequence (ESP-IDF security2.c / esp_prov security2.py + srp6a.py):
//! 1. client -> `S2SessionCmd0{client_username, client_pubkey = A}`
//! 2. device -> `S2SessionResp0{device_pubkey = B, device_salt}`
//! 3. client -> `S2SessionCmd1{client_proof = M1}`
//! 4. device checks M1 -> `S2SessionResp1{device_proof = M2, device_nonce}`; the AES-256-GCM
//!    key is the first 32 bytes of K = SHA-512(S), the nonce is 8 random bytes followed by a
//!    big-endian counter starting at 1.
//!
//! Integers are hashed without leading zeros by esp_prov but sent padded by ESP-IDF; both sides
//! here pick ephemerals whose public value is exactly 384 bytes, so the two encodings agree.

use alloc::vec::Vec;
use rand_core::CryptoRng;
use sha2::Sha512;
use zeroize::Zeroizing;

use super::cipher::Session;
use super::client::ClientError;
use super::device::DeviceError;
use super::wire;
use crate::proto::{
    S2SessionCmd0, S2SessionCmd1, S2SessionResp0, S2SessionResp1, Sec2MsgType, Sec2Payload,
    SecSchemeVersion, Status, sec2_payload, session_data,
};

type SrpServer = srp::ServerG3072<Sha512>;
type SrpClient = srp::ClientG3072<Sha512>;

/// Byte length of the 3072-bit group's elements (A, B, verifier).
pub(crate) const PUBKEY_LEN: usize = 384;
/// SHA-512 proof length (M1, M2).
pub(crate) const PROOF_LEN: usize = 64;
/// AES-GCM nonce length.
pub(crate) const NONCE_LEN: usize = 12;
/// Length of the ephemeral secrets `a` and `b` (esp_prov uses 32 bytes).
pub(crate) const SECRET_LEN: usize = 32;
/// Longest username we accept.
pub(crate) const MAX_USERNAME: usize = 256;
/// Longest salt we accept.
pub(crate) const MAX_SALT: usize = 64;
/// Retries to find an ephemeral with a full-length public value (each fails with p ~ 1/256).
const EPHEMERAL_TRIES: usize = 32;

fn envelope(msg: Sec2MsgType, payload: sec2_payload::Payload) -> Vec<u8> {
    wire::encode(
        SecSchemeVersion::SecScheme2,
        session_data::Proto::Sec2(Sec2Payload {
            msg: msg as i32,
            payload: Some(payload),
        }),
    )
}

fn trim(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// The device between `S2SessionResp0` and `S2SessionCmd1`.
pub(crate) struct DevicePending {
    verifier: srp::ServerVerifier<Sha512>,
}

/// Handles `S2SessionCmd0`; nothing is kept unless it succeeds.
pub(crate) fn device_cmd0(
    salt: &[u8],
    verifier: &[u8],
    cmd: &S2SessionCmd0,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<(DevicePending, Vec<u8>), DeviceError> {
    if cmd.client_username.is_empty() || cmd.client_username.len() > MAX_USERNAME {
        return Err(DeviceError::InvalidArgument("bad username length"));
    }
    if cmd.client_pubkey.len() > PUBKEY_LEN {
        return Err(DeviceError::InvalidArgument("client public key too long"));
    }
    let a_pub = trim(&cmd.client_pubkey);
    if a_pub.is_empty() {
        return Err(DeviceError::InvalidArgument("client public key is zero"));
    }
    let server = SrpServer::new();
    let (b, b_pub) = full_length_ephemeral(rng, |b| server.compute_public_ephemeral(b, verifier))
        .ok_or(DeviceError::Internal)?;
    let verifier = server
        .process_reply(&cmd.client_username, salt, &*b, verifier, a_pub)
        .map_err(|_| DeviceError::InvalidArgument("client public key is zero mod N"))?;
    let response = envelope(
        Sec2MsgType::S2SessionResponse0,
        sec2_payload::Payload::Sr0(S2SessionResp0 {
            status: Status::Success as i32,
            device_pubkey: b_pub,
            device_salt: salt.to_vec(),
        }),
    );
    Ok((DevicePending { verifier }, response))
}

/// Handles `S2SessionCmd1`: checks the client's proof M1 and answers with M2 and the nonce.
pub(crate) fn device_cmd1(
    pending: &DevicePending,
    cmd: &S2SessionCmd1,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<(Session, Vec<u8>), DeviceError> {
    if cmd.client_proof.len() != PROOF_LEN {
        return Err(DeviceError::InvalidArgument(
            "client proof must be 64 bytes",
        ));
    }
    let session_key = pending
        .verifier
        .verify_client(&cmd.client_proof)
        .map_err(|_| DeviceError::AuthFailed {
            response: device_failure_response(),
        })?;
    let key = aes_key(session_key)?;
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce[..8]);
    nonce[8..].copy_from_slice(&1u32.to_be_bytes());
    let response = envelope(
        Sec2MsgType::S2SessionResponse1,
        sec2_payload::Payload::Sr1(S2SessionResp1 {
            status: Status::Success as i32,
            device_proof: pending.verifier.proof().to_vec(),
            device_nonce: nonce.to_vec(),
        }),
    );
    Ok((Session::gcm(&key, nonce, true), response))
}

fn aes_key(session_key: &[u8]) -> Result<Zeroizing<[u8; 32]>, DeviceError> {
    let mut key = Zeroizing::new([0u8; 32]);
    let src = session_key.get(..32).ok_or(DeviceError::Internal)?;
    key.copy_from_slice(src);
    Ok(key)
}

/// `S2SessionResp1` telling the client its proof was wrong.
pub(crate) fn device_failure_response() -> Vec<u8> {
    envelope(
        Sec2MsgType::S2SessionResponse1,
        sec2_payload::Payload::Sr1(S2SessionResp1 {
            status: Status::CryptoError as i32,
            device_proof: Vec::new(),
            device_nonce: Vec::new(),
        }),
    )
}

/// Draws secrets until the public value needs all 384 bytes.
fn full_length_ephemeral(
    rng: &mut (impl CryptoRng + ?Sized),
    public: impl Fn(&[u8]) -> Vec<u8>,
) -> Option<(Zeroizing<[u8; SECRET_LEN]>, Vec<u8>)> {
    for _ in 0..EPHEMERAL_TRIES {
        let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
        rng.fill_bytes(&mut *secret);
        // esp_prov sets the top bit so `a` has its full length.
        secret[0] |= 0x80;
        let p = public(&*secret);
        if p.len() == PUBKEY_LEN {
            return Some((secret, p));
        }
    }
    None
}

/// Client after sending `S2SessionCmd0`.
pub(crate) struct ClientAwaitResp0 {
    a: Zeroizing<[u8; SECRET_LEN]>,
    username: Vec<u8>,
    password: Zeroizing<Vec<u8>>,
    counter: bool,
}

/// Client after sending `S2SessionCmd1`.
pub(crate) struct ClientAwaitResp1 {
    verifier: srp::ClientVerifier<Sha512>,
    counter: bool,
}

pub(crate) fn client_start(
    username: Vec<u8>,
    password: Zeroizing<Vec<u8>>,
    sec_patch_ver: u32,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<(ClientAwaitResp0, Vec<u8>), ClientError> {
    let client = SrpClient::new();
    let (a, a_pub) = full_length_ephemeral(rng, |a| client.compute_public_ephemeral(a))
        .ok_or(ClientError::Internal)?;
    let request = envelope(
        Sec2MsgType::S2SessionCommand0,
        sec2_payload::Payload::Sc0(S2SessionCmd0 {
            client_username: username.clone(),
            client_pubkey: a_pub,
        }),
    );
    Ok((
        ClientAwaitResp0 {
            a,
            username,
            password,
            counter: sec_patch_ver >= 1,
        },
        request,
    ))
}

impl ClientAwaitResp0 {
    pub(crate) fn on_response(
        self,
        payload: Sec2Payload,
    ) -> Result<(ClientAwaitResp1, Vec<u8>), ClientError> {
        let resp = match payload.payload {
            Some(sec2_payload::Payload::Sr0(r)) => r,
            _ => return Err(ClientError::UnexpectedMessage),
        };
        if resp.status != Status::Success as i32 {
            return Err(ClientError::DeviceStatus(resp.status));
        }
        if resp.device_pubkey.len() > PUBKEY_LEN
            || resp.device_salt.is_empty()
            || resp.device_salt.len() > MAX_SALT
        {
            return Err(ClientError::InvalidDeviceKey);
        }
        let b_pub = trim(&resp.device_pubkey);
        if b_pub.is_empty() {
            return Err(ClientError::InvalidDeviceKey);
        }
        let verifier = SrpClient::new()
            .process_reply(
                &*self.a,
                &self.username,
                &self.password,
                &resp.device_salt,
                b_pub,
            )
            .map_err(|_| ClientError::InvalidDeviceKey)?;
        let request = envelope(
            Sec2MsgType::S2SessionCommand1,
            sec2_payload::Payload::Sc1(S2SessionCmd1 {
                client_proof: verifier.proof().to_vec(),
            }),
        );
        Ok((
            ClientAwaitResp1 {
                verifier,
                counter: self.counter,
            },
            request,
        ))
    }
}

impl ClientAwaitResp1 {
    pub(crate) fn on_response(self, payload: Sec2Payload) -> Result<Session, ClientError> {
        let resp = match payload.payload {
            Some(sec2_payload::Payload::Sr1(r)) => r,
            _ => return Err(ClientError::UnexpectedMessage),
        };
        if resp.status != Status::Success as i32 {
            // The device rejected our proof M1: the PoP (SRP password) differs.
            return Err(ClientError::WrongPop);
        }
        let session_key = self
            .verifier
            .verify_server(&resp.device_proof)
            .map_err(|_| ClientError::DeviceProofMismatch)?;
        let nonce: [u8; NONCE_LEN] = resp
            .device_nonce
            .as_slice()
            .try_into()
            .map_err(|_| ClientError::Malformed)?;
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(session_key.get(..32).ok_or(ClientError::Malformed)?);
        Ok(Session::gcm(&key, nonce, self.counter))
    }
}
