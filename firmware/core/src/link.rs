//! Protocomm's request/response exchange over a byte stream (a UART), for boards whose
//! provisioning link is serial rather than HTTP. Each message is one frame:
//! `0xC5 0x1A | len u16 LE | payload | CRC-32 (IEEE) of payload, LE`. A request's payload is
//! `endpoint length u8 | endpoint | cookie flag u8 | cookie u32 LE | body`; a response's is
//! `status u16 LE | cookie flag u8 | cookie u32 LE | retry-after u32 LE (u32::MAX = none) | body`.
//! Sans-IO: bytes go into a [`FrameDecoder`], payloads come out; the board moves the bytes.

use alloc::string::String;
use alloc::vec::Vec;

use protocol::endpoints::MAX_BODY;

use crate::device::Response;

/// First two bytes of every frame.
pub const SYNC: [u8; 2] = [0xC5, 0x1A];
/// Largest payload: a full body plus the request or response header.
pub const MAX_PAYLOAD: usize = MAX_BODY + 64;

/// Why a frame or payload was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// The length field exceeds [`MAX_PAYLOAD`].
    TooLong,
    /// The CRC did not match (line noise, or a frame cut short).
    BadCrc,
    /// The payload is shorter than its header or names a non-UTF-8 endpoint.
    Malformed,
}

/// One request as it travels over the link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Endpoint name (`prov-session`, `iot-cred`, ...).
    pub endpoint: String,
    /// Session cookie, if the client has one.
    pub cookie: Option<u32>,
    /// Request body (encrypted once a session exists).
    pub body: Vec<u8>,
}

/// Where the byte-at-a-time decoder is.
#[derive(Clone, Copy, Debug)]
enum Stage {
    Sync0,
    Sync1,
    Len { have: u8, len: u16 },
    Payload { len: usize },
    Crc { have: u8, crc: u32 },
}

/// Reassembles frames from a byte stream; garbage between frames is skipped.
#[derive(Debug)]
pub struct FrameDecoder {
    stage: Stage,
    payload: Vec<u8>,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A decoder waiting for a frame's first byte.
    pub fn new() -> Self {
        Self {
            stage: Stage::Sync0,
            payload: Vec::new(),
        }
    }

    /// Feeds one byte; returns a payload when a frame completes, or why one was dropped.
    pub fn push(&mut self, byte: u8) -> Option<Result<Vec<u8>, LinkError>> {
        match self.stage {
            Stage::Sync0 => {
                if byte == SYNC[0] {
                    self.stage = Stage::Sync1;
                }
            }
            Stage::Sync1 => {
                self.stage = match byte {
                    b if b == SYNC[1] => Stage::Len { have: 0, len: 0 },
                    b if b == SYNC[0] => Stage::Sync1,
                    _ => Stage::Sync0,
                };
            }
            Stage::Len { have, len } => {
                let len = len | (u16::from(byte) << (8 * have));
                if have == 0 {
                    self.stage = Stage::Len { have: 1, len };
                } else if usize::from(len) > MAX_PAYLOAD {
                    self.stage = Stage::Sync0;
                    return Some(Err(LinkError::TooLong));
                } else {
                    self.payload = Vec::with_capacity(usize::from(len));
                    self.stage = if len == 0 {
                        Stage::Crc { have: 0, crc: 0 }
                    } else {
                        Stage::Payload {
                            len: usize::from(len),
                        }
                    };
                }
            }
            Stage::Payload { len } => {
                self.payload.push(byte);
                if self.payload.len() == len {
                    self.stage = Stage::Crc { have: 0, crc: 0 };
                }
            }
            Stage::Crc { have, crc } => {
                let crc = crc | (u32::from(byte) << (8 * have));
                if have < 3 {
                    self.stage = Stage::Crc {
                        have: have + 1,
                        crc,
                    };
                } else {
                    self.stage = Stage::Sync0;
                    let payload = core::mem::take(&mut self.payload);
                    return Some(if crc32(&payload) == crc {
                        Ok(payload)
                    } else {
                        Err(LinkError::BadCrc)
                    });
                }
            }
        }
        None
    }
}

/// Wraps a payload into a frame.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.extend_from_slice(&SYNC);
    out.extend_from_slice(&(payload.len() as u16).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32(payload).to_le_bytes());
    out
}

fn push_cookie(out: &mut Vec<u8>, cookie: Option<u32>) {
    out.push(u8::from(cookie.is_some()));
    out.extend_from_slice(&cookie.unwrap_or(0).to_le_bytes());
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], LinkError> {
    if bytes.len() < n {
        return Err(LinkError::Malformed);
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

fn take_u32(bytes: &mut &[u8]) -> Result<u32, LinkError> {
    let b = take(bytes, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn take_cookie(bytes: &mut &[u8]) -> Result<Option<u32>, LinkError> {
    let flag = take(bytes, 1)?[0];
    let value = take_u32(bytes)?;
    match flag {
        0 => Ok(None),
        1 => Ok(Some(value)),
        _ => Err(LinkError::Malformed),
    }
}

impl Request {
    /// The request's frame, ready to send.
    pub fn to_frame(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(self.body.len() + self.endpoint.len() + 6);
        p.push(self.endpoint.len() as u8);
        p.extend_from_slice(self.endpoint.as_bytes());
        push_cookie(&mut p, self.cookie);
        p.extend_from_slice(&self.body);
        frame(&p)
    }

    /// Parses a request payload.
    pub fn parse(mut payload: &[u8]) -> Result<Self, LinkError> {
        let n = usize::from(take(&mut payload, 1)?[0]);
        let endpoint =
            core::str::from_utf8(take(&mut payload, n)?).map_err(|_| LinkError::Malformed)?;
        let cookie = take_cookie(&mut payload)?;
        Ok(Self {
            endpoint: String::from(endpoint),
            cookie,
            body: payload.to_vec(),
        })
    }
}

/// A response's frame, ready to send.
pub fn response_frame(r: &Response) -> Vec<u8> {
    let mut p = Vec::with_capacity(r.body.len() + 11);
    p.extend_from_slice(&r.status.to_le_bytes());
    push_cookie(&mut p, r.set_cookie);
    let retry = r
        .retry_after_s
        .map_or(u32::MAX, |s| u32::try_from(s).unwrap_or(u32::MAX - 1));
    p.extend_from_slice(&retry.to_le_bytes());
    p.extend_from_slice(&r.body);
    frame(&p)
}

/// Parses a response payload.
pub fn parse_response(mut payload: &[u8]) -> Result<Response, LinkError> {
    let s = take(&mut payload, 2)?;
    let status = u16::from_le_bytes([s[0], s[1]]);
    let set_cookie = take_cookie(&mut payload)?;
    let retry = take_u32(&mut payload)?;
    Ok(Response {
        status,
        body: payload.to_vec(),
        set_cookie,
        retry_after_s: (retry != u32::MAX).then_some(u64::from(retry)),
    })
}

/// The byte pipe a board's provisioning link runs over.
pub trait ByteLink {
    /// The next received byte, if one is waiting.
    fn read_byte(&mut self) -> Option<u8>;
    /// Sends all of `bytes` (blocking until the transmitter took them).
    fn write_all(&mut self, bytes: &[u8]);
}

/// The device end of the link: gathers requests, answers malformed frames.
#[derive(Debug, Default)]
pub struct LinkServer {
    decoder: FrameDecoder,
}

impl LinkServer {
    /// A server waiting for its first request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads what the link has; returns the next complete request. A frame that fails its
    /// CRC or does not parse is answered with HTTP 400 at once, so the client never waits.
    pub fn poll(&mut self, link: &mut impl ByteLink) -> Option<Request> {
        while let Some(b) = link.read_byte() {
            match self.decoder.push(b) {
                None => {}
                Some(Ok(payload)) => match Request::parse(&payload) {
                    Ok(r) => return Some(r),
                    Err(e) => link.write_all(&refusal(e)),
                },
                Some(Err(e)) => link.write_all(&refusal(e)),
            }
        }
        None
    }

    /// Sends the answer to the last request.
    pub fn reply(&mut self, link: &mut impl ByteLink, response: &Response) {
        link.write_all(&response_frame(response));
    }
}

fn refusal(e: LinkError) -> Vec<u8> {
    let reason: &[u8] = match e {
        LinkError::TooLong => b"frame too long",
        LinkError::BadCrc => b"frame CRC mismatch",
        LinkError::Malformed => b"malformed request frame",
    };
    response_frame(&Response {
        // The dispatcher's own code for a body that does not decode.
        status: 400,
        body: reason.to_vec(),
        set_cookie: None,
        retry_after_s: None,
    })
}

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it); bitwise, so no table in flash.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn decode_all(d: &mut FrameDecoder, bytes: &[u8]) -> Vec<Result<Vec<u8>, LinkError>> {
        bytes.iter().filter_map(|&b| d.push(b)).collect()
    }

    #[test]
    fn crc_matches_zlib() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn requests_and_responses_round_trip_through_noise() {
        let req = Request {
            endpoint: String::from("prov-session"),
            cookie: Some(0xDEAD_BEEF),
            body: vec![1, 2, 3, 0xC5, 0x1A],
        };
        let mut stream = vec![0x00, 0xC5, 0x33, 0xC5];
        stream.extend(req.to_frame());
        let mut d = FrameDecoder::new();
        let out = decode_all(&mut d, &stream);
        assert_eq!(out.len(), 1);
        assert_eq!(Request::parse(out[0].as_ref().unwrap()).unwrap(), req);

        let resp = Response {
            status: 429,
            body: b"locked".to_vec(),
            set_cookie: None,
            retry_after_s: Some(60),
        };
        let out = decode_all(&mut d, &response_frame(&resp));
        assert_eq!(parse_response(out[0].as_ref().unwrap()).unwrap(), resp);
    }

    #[test]
    fn a_corrupted_or_oversized_frame_is_refused_and_the_next_one_decodes() {
        let good = Request {
            endpoint: String::from("proto-ver"),
            cookie: None,
            body: b"---".to_vec(),
        }
        .to_frame();
        let mut bad = good.clone();
        bad[6] ^= 0x40;
        let mut d = FrameDecoder::new();
        assert_eq!(decode_all(&mut d, &bad), vec![Err(LinkError::BadCrc)]);
        let mut huge = SYNC.to_vec();
        huge.extend_from_slice(&(MAX_PAYLOAD as u16 + 1).to_le_bytes());
        assert_eq!(decode_all(&mut d, &huge), vec![Err(LinkError::TooLong)]);
        assert_eq!(decode_all(&mut d, &good).len(), 1);
        for cut in 0..5 {
            assert_eq!(
                Request::parse(&[9, b'a'][..cut.min(2)]),
                Err(LinkError::Malformed)
            );
        }
        assert_eq!(parse_response(&[200]), Err(LinkError::Malformed));
    }
}
