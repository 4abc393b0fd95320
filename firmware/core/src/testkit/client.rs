//! A small provisioning client (the app's side) over any transport, built on the protocol
//! crate's client role. Tests and the benchmark drive the device with it, in memory or HTTP.

use std::string::String;
use std::vec::Vec;

use prost::Message;
use sha2::{Digest, Sha256};

use protocol::endpoints::{IOT_CRED, PROTO_VER, PROV_CONFIG, PROV_CTRL, PROV_SCAN, PROV_SESSION};
use protocol::proto::iot::{
    CmdGenerateCsr, CmdGetInfo, CmdTransferBegin, CmdTransferChunk, CmdTransferEnd, IotMsgType,
    IotPayload, IotStatus, RespGetInfo, TransferKind, iot_payload,
};
use protocol::proto::{
    CmdApplyConfig, CmdCtrlReprov, CmdCtrlReset, CmdGetStatus, CmdScanResult, CmdScanStart,
    CmdScanStatus, CmdSetConfig, RespGetStatus, WiFiConfigMsgType, WiFiConfigPayload,
    WiFiCtrlMsgType, WiFiCtrlPayload, WiFiScanMsgType, WiFiScanPayload, WiFiScanResult,
    wi_fi_config_payload, wi_fi_ctrl_payload, wi_fi_scan_payload,
};
use protocol::security::Session;
use protocol::security::client::{self, ClientError, ClientSecurity, Progress};
use protocol::version::ProtoVer;

/// One HTTP-like exchange's result: status, body, cookie set by the device.
pub type TransportReply = (u16, Vec<u8>, Option<u32>);

/// Carries one request to the device.
pub trait Transport {
    /// POSTs `body` to `/<endpoint>` with the session cookie, if any.
    fn post(
        &mut self,
        endpoint: &str,
        cookie: Option<u32>,
        body: &[u8],
    ) -> Result<TransportReply, String>;
}

/// Why a client call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFailure {
    /// The transport failed (connection refused, reset, timeout).
    Transport(String),
    /// The device answered with an HTTP error.
    Http(u16, String),
    /// The session handshake failed.
    Handshake(ClientError),
    /// No session yet.
    NoSession,
    /// The response did not decrypt or decode.
    BadResponse,
}

/// The client side of a provisioning conversation.
pub struct ProvClient<T> {
    /// The transport (public so tests can reach the underlying device).
    pub transport: T,
    cookie: Option<u32>,
    session: Option<Session>,
}

impl<T: Transport> ProvClient<T> {
    /// A client with no session.
    pub fn new(transport: T) -> Self {
        Self {
            transport,
            cookie: None,
            session: None,
        }
    }

    /// The session cookie the device gave us.
    pub fn cookie(&self) -> Option<u32> {
        self.cookie
    }

    /// Forgets cookie and session (a different app instance).
    pub fn forget(&mut self) {
        self.cookie = None;
        self.session = None;
    }

    fn post(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, ClientFailure> {
        let (status, resp, cookie) = self
            .transport
            .post(endpoint, self.cookie, body)
            .map_err(ClientFailure::Transport)?;
        if let Some(c) = cookie {
            self.cookie = Some(c);
        }
        if status != 200 {
            return Err(ClientFailure::Http(
                status,
                String::from_utf8_lossy(&resp).into_owned(),
            ));
        }
        Ok(resp)
    }

    /// `proto-ver`.
    pub fn proto_ver(&mut self) -> Result<ProtoVer, ClientFailure> {
        let body = self.post(PROTO_VER, b"---")?;
        ProtoVer::parse(&body).map_err(|_| ClientFailure::BadResponse)
    }

    /// Runs the `prov-session` handshake.
    pub fn establish(
        &mut self,
        security: ClientSecurity,
        rng: &mut (impl rand_core::CryptoRng + ?Sized),
    ) -> Result<(), ClientFailure> {
        self.session = None;
        let (mut hs, mut req) = client::start(security, rng).map_err(ClientFailure::Handshake)?;
        loop {
            let resp = self.post(PROV_SESSION, &req)?;
            match hs.on_response(&resp).map_err(ClientFailure::Handshake)? {
                Progress::Continue(next, r) => {
                    hs = next;
                    req = r;
                }
                Progress::Established(s) => {
                    self.session = Some(s);
                    return Ok(());
                }
            }
        }
    }

    /// Sends an already encrypted body (tests replay or forge with this).
    pub fn post_raw(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, ClientFailure> {
        self.post(endpoint, body)
    }

    /// Encrypts with the session (tests use it to build raw requests).
    pub fn encrypt(&mut self, plain: &[u8]) -> Result<Vec<u8>, ClientFailure> {
        self.session
            .as_mut()
            .ok_or(ClientFailure::NoSession)?
            .encrypt(plain)
            .map_err(|_| ClientFailure::BadResponse)
    }

    /// Encrypts, posts and decrypts one request on `endpoint`.
    pub fn call(&mut self, endpoint: &str, plain: &[u8]) -> Result<Vec<u8>, ClientFailure> {
        let enc = self.encrypt(plain)?;
        let resp = self.post(endpoint, &enc)?;
        self.session
            .as_mut()
            .ok_or(ClientFailure::NoSession)?
            .decrypt(&resp)
            .map_err(|_| ClientFailure::BadResponse)
    }

    fn config(
        &mut self,
        msg: WiFiConfigMsgType,
        p: wi_fi_config_payload::Payload,
    ) -> Result<WiFiConfigPayload, ClientFailure> {
        let req = WiFiConfigPayload {
            msg: msg as i32,
            payload: Some(p),
        }
        .encode_to_vec();
        let resp = self.call(PROV_CONFIG, &req)?;
        WiFiConfigPayload::decode(&resp[..]).map_err(|_| ClientFailure::BadResponse)
    }

    /// `CmdSetConfig`; returns the device's status code.
    pub fn set_config(&mut self, ssid: &[u8], passphrase: &[u8]) -> Result<i32, ClientFailure> {
        use wi_fi_config_payload::Payload;
        let cmd = CmdSetConfig {
            ssid: ssid.to_vec(),
            passphrase: passphrase.to_vec(),
            bssid: Vec::new(),
            channel: 0,
        };
        match self
            .config(
                WiFiConfigMsgType::TypeCmdSetConfig,
                Payload::CmdSetConfig(cmd),
            )?
            .payload
        {
            Some(Payload::RespSetConfig(r)) => Ok(r.status),
            _ => Err(ClientFailure::BadResponse),
        }
    }

    /// `CmdApplyConfig`; returns the device's status code.
    pub fn apply(&mut self) -> Result<i32, ClientFailure> {
        use wi_fi_config_payload::Payload;
        match self
            .config(
                WiFiConfigMsgType::TypeCmdApplyConfig,
                Payload::CmdApplyConfig(CmdApplyConfig {}),
            )?
            .payload
        {
            Some(Payload::RespApplyConfig(r)) => Ok(r.status),
            _ => Err(ClientFailure::BadResponse),
        }
    }

    /// `CmdGetStatus`.
    pub fn status(&mut self) -> Result<RespGetStatus, ClientFailure> {
        use wi_fi_config_payload::Payload;
        match self
            .config(
                WiFiConfigMsgType::TypeCmdGetStatus,
                Payload::CmdGetStatus(CmdGetStatus {}),
            )?
            .payload
        {
            Some(Payload::RespGetStatus(r)) => Ok(r),
            _ => Err(ClientFailure::BadResponse),
        }
    }

    /// Scan start + status + all results, 4 at a time.
    pub fn scan(&mut self) -> Result<Vec<WiFiScanResult>, ClientFailure> {
        use wi_fi_scan_payload::Payload;
        let call = |c: &mut Self,
                    msg: WiFiScanMsgType,
                    p: Payload|
         -> Result<WiFiScanPayload, ClientFailure> {
            let req = WiFiScanPayload {
                msg: msg as i32,
                status: 0,
                payload: Some(p),
            }
            .encode_to_vec();
            let resp = c.call(PROV_SCAN, &req)?;
            WiFiScanPayload::decode(&resp[..]).map_err(|_| ClientFailure::BadResponse)
        };
        let start = CmdScanStart {
            blocking: true,
            passive: false,
            group_channels: 0,
            period_ms: 120,
        };
        call(
            self,
            WiFiScanMsgType::TypeCmdScanStart,
            Payload::CmdScanStart(start),
        )?;
        let count = match call(
            self,
            WiFiScanMsgType::TypeCmdScanStatus,
            Payload::CmdScanStatus(CmdScanStatus {}),
        )?
        .payload
        {
            Some(Payload::RespScanStatus(s)) => s.result_count,
            _ => return Err(ClientFailure::BadResponse),
        };
        let mut out = Vec::new();
        while (out.len() as u32) < count {
            let n = (count - out.len() as u32).min(4);
            let cmd = CmdScanResult {
                start_index: out.len() as u32,
                count: n,
            };
            match call(
                self,
                WiFiScanMsgType::TypeCmdScanResult,
                Payload::CmdScanResult(cmd),
            )?
            .payload
            {
                Some(Payload::RespScanResult(r)) if !r.entries.is_empty() => out.extend(r.entries),
                _ => return Err(ClientFailure::BadResponse),
            }
        }
        Ok(out)
    }

    /// `prov-ctrl`: reset (`reprov == false`) or reprovision.
    pub fn ctrl(&mut self, reprov: bool) -> Result<i32, ClientFailure> {
        use wi_fi_ctrl_payload::Payload;
        let (msg, p) = if reprov {
            (
                WiFiCtrlMsgType::TypeCmdCtrlReprov,
                Payload::CmdCtrlReprov(CmdCtrlReprov {}),
            )
        } else {
            (
                WiFiCtrlMsgType::TypeCmdCtrlReset,
                Payload::CmdCtrlReset(CmdCtrlReset {}),
            )
        };
        let req = WiFiCtrlPayload {
            msg: msg as i32,
            status: 0,
            payload: Some(p),
        }
        .encode_to_vec();
        let resp = self.call(PROV_CTRL, &req)?;
        WiFiCtrlPayload::decode(&resp[..])
            .map(|r| r.status)
            .map_err(|_| ClientFailure::BadResponse)
    }

    /// One `iot-cred` exchange.
    pub fn iot(
        &mut self,
        msg: IotMsgType,
        p: iot_payload::Payload,
    ) -> Result<IotPayload, ClientFailure> {
        let req = IotPayload {
            msg: msg as i32,
            status: 0,
            payload: Some(p),
        }
        .encode_to_vec();
        let resp = self.call(IOT_CRED, &req)?;
        IotPayload::decode(&resp[..]).map_err(|_| ClientFailure::BadResponse)
    }

    /// Device info.
    pub fn info(&mut self) -> Result<RespGetInfo, ClientFailure> {
        match self
            .iot(
                IotMsgType::TypeCmdGetInfo,
                iot_payload::Payload::CmdGetInfo(CmdGetInfo {}),
            )?
            .payload
        {
            Some(iot_payload::Payload::RespGetInfo(r)) => Ok(r),
            _ => Err(ClientFailure::BadResponse),
        }
    }

    /// Asks the device for a key + CSR; returns the CSR PEM.
    pub fn csr(&mut self) -> Result<String, ClientFailure> {
        match self
            .iot(
                IotMsgType::TypeCmdGenerateCsr,
                iot_payload::Payload::CmdGenerateCsr(CmdGenerateCsr {}),
            )?
            .payload
        {
            Some(iot_payload::Payload::RespGenerateCsr(r)) => Ok(r.csr_pem),
            _ => Err(ClientFailure::BadResponse),
        }
    }

    /// Sends `data` as a chunked transfer of `kind`; returns the first non-Ok status (or Ok).
    pub fn transfer(
        &mut self,
        kind: TransferKind,
        data: &[u8],
        chunk: usize,
    ) -> Result<IotStatus, ClientFailure> {
        use iot_payload::Payload;
        let chunks: Vec<&[u8]> = data.chunks(chunk).collect();
        let begin = CmdTransferBegin {
            kind: kind as i32,
            total_len: data.len() as u32,
            chunk_count: chunks.len() as u32,
            sha256: Sha256::digest(data).to_vec(),
        };
        let st = |r: IotPayload| IotStatus::try_from(r.status).unwrap_or(IotStatus::InternalError);
        let s = st(self.iot(
            IotMsgType::TypeCmdTransferBegin,
            Payload::CmdTransferBegin(begin),
        )?);
        if s != IotStatus::Ok {
            return Ok(s);
        }
        for (i, c) in chunks.iter().enumerate() {
            let cmd = CmdTransferChunk {
                index: i as u32,
                data: c.to_vec(),
            };
            let s = st(self.iot(
                IotMsgType::TypeCmdTransferChunk,
                Payload::CmdTransferChunk(cmd),
            )?);
            if s != IotStatus::Ok {
                return Ok(s);
            }
        }
        Ok(st(self.iot(
            IotMsgType::TypeCmdTransferEnd,
            Payload::CmdTransferEnd(CmdTransferEnd {}),
        )?))
    }
}
