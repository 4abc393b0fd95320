//! `iot-cred`: device info, on-device key + CSR, and chunked delivery of the certificate chain,
//! seed-mode key + certificate, and MQTT settings. No response ever carries the private key.

use alloc::string::String;
use prost::Message;

use protocol::proto::iot::{
    self as iot, IotMsgType, IotPayload, IotStatus, RespGenerateCsr, RespGetInfo, RespTransfer,
    SeedCredentials, TransferKind, iot_payload::Payload,
};

use super::Device;
use super::dispatch::{EndpointResult, malformed};
use super::transfer::Transfer;
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
                let status = match Transfer::begin(
                    b.kind,
                    b.total_len,
                    b.chunk_count,
                    &b.sha256,
                    self.config.max_transfer,
                ) {
                    Ok(t) => {
                        self.transfer = Some(t);
                        IotStatus::Ok
                    }
                    Err(s) => s,
                };
                let progress = self.progress();
                reply(
                    IotMsgType::TypeRespTransferBegin,
                    status,
                    Some(Payload::RespTransferBegin(progress)),
                )
            }
            Some(Payload::CmdTransferChunk(c)) => {
                let status = match &mut self.transfer {
                    Some(t) => t.chunk(c.index, &c.data).err().unwrap_or(IotStatus::Ok),
                    None => IotStatus::InvalidState,
                };
                let progress = self.progress();
                reply(
                    IotMsgType::TypeRespTransferChunk,
                    status,
                    Some(Payload::RespTransferChunk(progress)),
                )
            }
            Some(Payload::CmdTransferEnd(_)) => {
                let status = self.finish_transfer(now_ms);
                let progress = self.progress();
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
        self.transfer
            .as_ref()
            .map(|t| RespTransfer {
                next_index: t.next_index(),
                received_len: t.received_len(),
            })
            .unwrap_or_default()
    }

    /// Checks and installs a completed transfer; on any error the staged credentials are
    /// untouched and the transfer is kept (so the client may still resend the end).
    fn finish_transfer(&mut self, now_ms: u64) -> IotStatus {
        let Some(t) = &self.transfer else {
            return IotStatus::InvalidState;
        };
        let data = match t.finish() {
            Ok(d) => d,
            Err(s) => return s,
        };
        let status = match t.kind {
            TransferKind::KindCertificateChain => {
                let Ok(chain) = core::str::from_utf8(data) else {
                    return IotStatus::InvalidCredential;
                };
                match &self.staged.key {
                    Some(DeviceKey::P256(secret)) if leaf_matches_key(chain, secret) => {
                        self.staged.cert_chain_pem = Some(String::from(chain));
                        IotStatus::Ok
                    }
                    Some(DeviceKey::P256(_)) => IotStatus::InvalidCredential,
                    _ => IotStatus::InvalidState,
                }
            }
            TransferKind::KindSeedCredentials => match SeedCredentials::decode(data) {
                Ok(seed)
                    if seed.private_key_pem.contains("PRIVATE KEY-----")
                        && seed.certificate_pem.contains(BEGIN_CERT) =>
                {
                    self.staged.key = Some(DeviceKey::Pem(zeroize::Zeroizing::new(
                        seed.private_key_pem.clone(),
                    )));
                    self.staged.cert_chain_pem = Some(seed.certificate_pem.clone());
                    IotStatus::Ok
                }
                _ => IotStatus::InvalidCredential,
            },
            TransferKind::KindMqttSettings => match iot::MqttSettings::decode(data) {
                Ok(m)
                    if !m.host.is_empty()
                        && (1..=65535).contains(&m.port)
                        && !m.client_id.is_empty()
                        && !m.topic_prefix.is_empty()
                        && m.server_ca_pem.contains(BEGIN_CERT) =>
                {
                    self.staged.mqtt = Some(MqttSettings {
                        host: m.host,
                        port: m.port as u16,
                        client_id: m.client_id,
                        topic_prefix: m.topic_prefix,
                        server_ca_pem: m.server_ca_pem,
                    });
                    IotStatus::Ok
                }
                _ => IotStatus::InvalidCredential,
            },
        };
        if status == IotStatus::Ok {
            self.transfer = None;
            self.recommit_if_connected(now_ms);
        }
        status
    }
}
