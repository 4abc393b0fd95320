//! `iot-cred`: device info, on-device key + CSR, and chunked delivery of the certificate chain,
//! seed-mode key + certificate, and MQTT settings. No response ever carries the private key.

use alloc::string::String;
use prost::Message;

use protocol::iot::Credential;
use protocol::proto::iot::{
    IotMsgType, IotPayload, IotStatus, RespGenerateCsr, RespGetInfo, RespTransfer, TransferKind,
    iot_payload::Payload,
};

use super::Device;
use super::dispatch::{EndpointResult, malformed};
use crate::csr::{build_csr, generate_key, public_key_der};
use crate::hal::{Entropy, Flash, MqttConnector, Radio};
use crate::store::{DeviceKey, MqttSettings};

/// Capabilities reported by device info.
pub const CAPABILITIES: [&str; 4] = ["csr", "seed", "mqtt", "chunked"];

const BEGIN_CERT: &str = "-----BEGIN CERTIFICATE-----";

fn reply(msg: IotMsgType, status: IotStatus, payload: Option<Payload>) -> alloc::vec::Vec<u8> {
    IotPayload {
        msg: msg as i32,
        status: status as i32,
        payload,
    }
    .encode_to_vec()
}

/// The first certificate of a PEM chain must carry the public key of `secret`.
fn leaf_matches_key(chain: &str, secret: &[u8; 32]) -> bool {
    use x509_cert::Certificate;
    use x509_cert::der::{DecodePem, Encode};
    const END_CERT: &str = "-----END CERTIFICATE-----";
    let Some(start) = chain.find(BEGIN_CERT) else {
        return false;
    };
    let Some(end) = chain[start..].find(END_CERT) else {
        return false;
    };
    let block = &chain[start..start + end + END_CERT.len()];
    let Ok(cert) = Certificate::from_pem(block) else {
        return false;
    };
    let Ok(ours) = public_key_der(secret) else {
        return false;
    };
    cert.tbs_certificate
        .subject_public_key_info
        .to_der()
        .is_ok_and(|d| d == ours)
}

impl<R: Radio, F: Flash, M: MqttConnector, E: Entropy> Device<R, F, M, E> {
    pub(super) fn iot_cred(&mut self, plain: &[u8], now_ms: u64) -> EndpointResult {
        let req = IotPayload::decode(plain).map_err(|_| malformed("IotPayload"))?;
        Ok(match req.payload {
            Some(Payload::CmdGetInfo(_)) => {
                let info = RespGetInfo {
                    serial: self.config.serial.clone(),
                    model: self.config.model.clone(),
                    firmware_version: self.config.firmware_version.clone(),
                    capabilities: CAPABILITIES.iter().map(|c| String::from(*c)).collect(),
                    window_remaining_ms: self.window_remaining_ms(now_ms),
                };
                reply(
                    IotMsgType::TypeRespGetInfo,
                    IotStatus::Ok,
                    Some(Payload::RespGetInfo(info)),
                )
            }
            Some(Payload::CmdGenerateCsr(_)) => {
                let secret = generate_key(&mut self.entropy);
                match build_csr(&self.config.serial, &secret) {
                    Ok(csr_pem) => {
                        // A new key invalidates a chain delivered for the previous one.
                        self.staged.key = Some(DeviceKey::P256(secret));
                        self.staged.cert_chain_pem = None;
                        reply(
                            IotMsgType::TypeRespGenerateCsr,
                            IotStatus::Ok,
                            Some(Payload::RespGenerateCsr(RespGenerateCsr { csr_pem })),
                        )
                    }
                    Err(_) => reply(
                        IotMsgType::TypeRespGenerateCsr,
                        IotStatus::InternalError,
                        None,
                    ),
                }
            }
            Some(Payload::CmdTransferBegin(b)) => {
                let kind = TransferKind::try_from(b.kind).map_err(|_| IotStatus::BadRequest);
                let digest = <[u8; 32]>::try_from(&b.sha256[..]).map_err(|_| IotStatus::BadRequest);
                let status = match (kind, digest) {
                    (Ok(kind), Ok(digest)) => self
                        .receiver
                        .begin(kind, b.total_len, b.chunk_count, digest)
                        .err()
                        .unwrap_or(IotStatus::Ok),
                    (Err(s), _) | (_, Err(s)) => s,
                };
                let progress = self.progress();
                reply(
                    IotMsgType::TypeRespTransferBegin,
                    status,
                    Some(Payload::RespTransferBegin(progress)),
                )
            }
            Some(Payload::CmdTransferChunk(c)) => {
                let status = self
                    .receiver
                    .chunk(c.index, &c.data)
                    .err()
                    .unwrap_or(IotStatus::Ok);
                let progress = self.progress();
                reply(
                    IotMsgType::TypeRespTransferChunk,
                    status,
                    Some(Payload::RespTransferChunk(progress)),
                )
            }
            Some(Payload::CmdTransferEnd(_)) => {
                let (status, progress) = self.finish_transfer(now_ms);
                reply(
                    IotMsgType::TypeRespTransferEnd,
                    status,
                    Some(Payload::RespTransferEnd(progress)),
                )
            }
            _ => return Err(malformed("IotPayload command")),
        })
    }

    fn progress(&self) -> RespTransfer {
        self.receiver
            .progress()
            .map(|p| RespTransfer {
                next_index: p.next_index,
                received_len: p.received_len,
            })
            .unwrap_or_default()
    }

    /// Checks and installs a completed transfer; on any error the staged credentials are
    /// untouched. The progress is the finished transfer's (all chunks, all bytes), which is
    /// what a client's `TransferSender` checks, not that of the receiver it just left empty.
    fn finish_transfer(&mut self, now_ms: u64) -> (IotStatus, RespTransfer) {
        let (credential, done) = match self.receiver.end() {
            Ok(c) => c,
            Err(s) => return (s, self.progress()),
        };
        let done = RespTransfer {
            next_index: done.next_index,
            received_len: done.received_len,
        };
        let status = match credential {
            Credential::CertificateChain(chain) => match &self.staged.key {
                Some(DeviceKey::P256(secret)) if leaf_matches_key(&chain, secret) => {
                    self.staged.cert_chain_pem = Some(chain);
                    IotStatus::Ok
                }
                Some(DeviceKey::P256(_)) => IotStatus::InvalidCredential,
                _ => IotStatus::InvalidState,
            },
            Credential::Seed(seed) => {
                self.staged.key = Some(DeviceKey::Pem(seed.private_key_pem));
                self.staged.cert_chain_pem = Some(seed.certificate_pem);
                IotStatus::Ok
            }
            Credential::Mqtt(m) => {
                self.staged.mqtt = Some(MqttSettings {
                    host: m.host,
                    port: m.port,
                    client_id: m.client_id,
                    topic_prefix: m.topic_prefix,
                    server_ca_pem: m.server_ca_pem,
                });
                IotStatus::Ok
            }
        };
        if status == IotStatus::Ok {
            self.recommit_if_connected(now_ms);
        }
        (status, done)
    }
}
