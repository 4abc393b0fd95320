//! Security 1 for both roles: X25519 + PoP + AES-256-CTR with one shared keystream.
//!
//! Sequence (ESP-IDF security1.c / esp_prov security1.py):
//! 1. client -> `SessionCmd0{client_pubkey}`
//! 2. device -> `SessionResp0{device_pubkey, device_random}`; both derive
//!    `key = X25519(...) XOR SHA-256(PoP)` (no XOR when the PoP is empty) and start
//!    AES-256-CTR with counter block = device_random.
//! 3. client -> `SessionCmd1{client_verify_data = CTR(device_pubkey)}`
//! 4. device checks it, -> `SessionResp1{device_verify_data = CTR(client_pubkey)}` (the
//!    keystream continues), and the client checks that.

use alloc::vec::Vec;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::cipher::{Sec1Ctr, Session};
use super::client::ClientError;
use super::device::DeviceError;
use super::wire;
use crate::proto::{
    Sec1MsgType, Sec1Payload, SecSchemeVersion, SessionCmd0, SessionCmd1, SessionResp0,
    SessionResp1, Status, sec1_payload, session_data,
};
use ctr::cipher::{KeyIvInit, StreamCipher};

/// X25519 public key length.
pub(crate) const PUBKEY_LEN: usize = 32;
/// Length of the device random used as the initial counter block.
pub(crate) const RANDOM_LEN: usize = 16;

fn session_key(shared: &[u8; 32], pop: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new(*shared);
    if !pop.is_empty() {
        let digest = Sha256::digest(pop);
        for (k, d) in key.iter_mut().zip(digest.iter()) {
            *k ^= d;
        }
    }
    key
}

fn keystream(key: &[u8; 32], device_random: &[u8; RANDOM_LEN]) -> Sec1Ctr {
    Sec1Ctr::new(key.into(), device_random.into())
}

fn envelope(msg: Sec1MsgType, payload: sec1_payload::Payload) -> Vec<u8> {
    wire::encode(
        SecSchemeVersion::SecScheme1,
        session_data::Proto::Sec1(Sec1Payload {
            msg: msg as i32,
            payload: Some(payload),
        }),
    )
}

fn fresh_secret(rng: &mut (impl CryptoRng + ?Sized)) -> StaticSecret {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(&mut *bytes);
    StaticSecret::from(*bytes)
}

/// The device between `SessionResp0` and `SessionCmd1`.
pub(crate) struct DevicePending {
    device_pub: [u8; PUBKEY_LEN],
    client_pub: [u8; PUBKEY_LEN],
    key: Zeroizing<[u8; 32]>,
    device_random: [u8; RANDOM_LEN],
}

/// Handles `SessionCmd0`; nothing is kept unless it succeeds.
pub(crate) fn device_cmd0(
    pop: &[u8],
    cmd: &SessionCmd0,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<(DevicePending, Vec<u8>), DeviceError> {
    let client_pub: [u8; PUBKEY_LEN] = cmd
        .client_pubkey
        .as_slice()
        .try_into()
        .map_err(|_| DeviceError::InvalidArgument("client public key must be 32 bytes"))?;
    let secret = fresh_secret(rng);
    let device_pub = PublicKey::from(&secret).to_bytes();
    let shared = secret.diffie_hellman(&PublicKey::from(client_pub));
    if !shared.was_contributory() {
        return Err(DeviceError::InvalidArgument(
            "client public key has low order",
        ));
    }
    let mut device_random = [0u8; RANDOM_LEN];
    rng.fill_bytes(&mut device_random);
    let key = session_key(shared.as_bytes(), pop);
    let response = envelope(
        Sec1MsgType::SessionResponse0,
        sec1_payload::Payload::Sr0(SessionResp0 {
            status: Status::Success as i32,
            device_pubkey: device_pub.to_vec(),
            device_random: device_random.to_vec(),
        }),
    );
    Ok((
        DevicePending {
            device_pub,
            client_pub,
            key,
            device_random,
        },
        response,
    ))
}

/// Handles `SessionCmd1`: the client must have encrypted our public key with the shared key.
pub(crate) fn device_cmd1(
    pending: &DevicePending,
    cmd: &SessionCmd1,
) -> Result<(Session, Vec<u8>), DeviceError> {
    if cmd.client_verify_data.len() != PUBKEY_LEN {
        return Err(DeviceError::InvalidArgument(
            "client verify data must be 32 bytes",
        ));
    }
    let mut ctr = keystream(&pending.key, &pending.device_random);
    let mut check = [0u8; PUBKEY_LEN];
    check.copy_from_slice(&cmd.client_verify_data);
    ctr.apply_keystream(&mut check);
    if !bool::from(check.ct_eq(&pending.device_pub)) {
        return Err(DeviceError::AuthFailed {
            response: device_failure_response(),
        });
    }
    let mut verify = pending.client_pub;
    ctr.apply_keystream(&mut verify);
    let response = envelope(
        Sec1MsgType::SessionResponse1,
        sec1_payload::Payload::Sr1(SessionResp1 {
            status: Status::Success as i32,
            device_verify_data: verify.to_vec(),
        }),
    );
    Ok((Session::ctr(ctr), response))
}

/// `SessionResp1` telling the client its proof was wrong (ESP-IDF closes the request instead;
/// a status lets our client name the cause).
pub(crate) fn device_failure_response() -> Vec<u8> {
    envelope(
        Sec1MsgType::SessionResponse1,
        sec1_payload::Payload::Sr1(SessionResp1 {
            status: Status::CryptoError as i32,
            device_verify_data: Vec::new(),
        }),
    )
}

/// Client after sending `SessionCmd0`.
pub(crate) struct ClientAwaitResp0 {
    secret: StaticSecret,
    client_pub: [u8; PUBKEY_LEN],
    pop: Zeroizing<Vec<u8>>,
}

/// Client after sending `SessionCmd1`.
pub(crate) struct ClientAwaitResp1 {
    client_pub: [u8; PUBKEY_LEN],
    ctr: Sec1Ctr,
}

pub(crate) fn client_start(
    pop: Zeroizing<Vec<u8>>,
    rng: &mut (impl CryptoRng + ?Sized),
) -> (ClientAwaitResp0, Vec<u8>) {
    let secret = fresh_secret(rng);
    let client_pub = PublicKey::from(&secret).to_bytes();
    let request = envelope(
        Sec1MsgType::SessionCommand0,
        sec1_payload::Payload::Sc0(SessionCmd0 {
            client_pubkey: client_pub.to_vec(),
        }),
    );
    (
        ClientAwaitResp0 {
            secret,
            client_pub,
            pop,
        },
        request,
    )
}

impl ClientAwaitResp0 {
    pub(crate) fn on_response(
        self,
        payload: Sec1Payload,
    ) -> Result<(ClientAwaitResp1, Vec<u8>), ClientError> {
        let resp = match payload.payload {
            Some(sec1_payload::Payload::Sr0(r)) => r,
            _ => return Err(ClientError::UnexpectedMessage),
        };
        if resp.status != Status::Success as i32 {
            return Err(ClientError::DeviceStatus(resp.status));
        }
        let device_pub: [u8; PUBKEY_LEN] = resp
            .device_pubkey
            .as_slice()
            .try_into()
            .map_err(|_| ClientError::InvalidDeviceKey)?;
        let device_random: [u8; RANDOM_LEN] = resp
            .device_random
            .as_slice()
            .try_into()
            .map_err(|_| ClientError::InvalidDeviceKey)?;
        let shared = self.secret.diffie_hellman(&PublicKey::from(device_pub));
        if !shared.was_contributory() {
            return Err(ClientError::InvalidDeviceKey);
        }
        let mut ctr = keystream(&session_key(shared.as_bytes(), &self.pop), &device_random);
        let mut verify = device_pub;
        ctr.apply_keystream(&mut verify);
        let request = envelope(
            Sec1MsgType::SessionCommand1,
            sec1_payload::Payload::Sc1(SessionCmd1 {
                client_verify_data: verify.to_vec(),
            }),
        );
        Ok((
            ClientAwaitResp1 {
                client_pub: self.client_pub,
                ctr,
            },
            request,
        ))
    }
}

impl ClientAwaitResp1 {
    pub(crate) fn on_response(mut self, payload: Sec1Payload) -> Result<Session, ClientError> {
        let resp = match payload.payload {
            Some(sec1_payload::Payload::Sr1(r)) => r,
            _ => return Err(ClientError::UnexpectedMessage),
        };
        if resp.status != Status::Success as i32 {
            // The device could not decrypt our proof: the PoP differs.
            return Err(ClientError::WrongPop);
        }
        if resp.device_verify_data.len() != PUBKEY_LEN {
            return Err(ClientError::WrongPop);
        }
        let mut check = [0u8; PUBKEY_LEN];
        check.copy_from_slice(&resp.device_verify_data);
        self.ctr.apply_keystream(&mut check);
        if !bool::from(check.ct_eq(&self.client_pub)) {
            return Err(ClientError::WrongPop);
        }
        Ok(Session::ctr(self.ctr))
    }
}
