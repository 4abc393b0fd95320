//! The `proto-ver` endpoint's plaintext JSON, e.g.
//! `{"prov":{"ver":"v1.1","sec_ver":2,"sec_patch_ver":1,"cap":["wifi_scan"]}}`.
//!
//! Parsing is lenient the way stock devices need it: unknown keys are ignored and
//! `sec_patch_ver` / `cap` may be absent (older ESP-IDF releases omit them).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Serialize};

use crate::endpoints::MAX_BODY;

/// Capability: the device can scan for Wi-Fi networks (`prov-scan`).
pub const CAP_WIFI_SCAN: &str = "wifi_scan";
/// Capability: the device does not require a proof of possession.
pub const CAP_NO_POP: &str = "no_pop";
/// Capability: the device runs without security.
pub const CAP_NO_SEC: &str = "no_sec";
/// Capability (ours): the device serves the `iot-cred` endpoint.
pub const CAP_IOT_CRED: &str = "iot_cred";

/// Longest version string or capability we accept.
pub const MAX_FIELD: usize = 64;
/// Most capabilities we accept. With [`MAX_FIELD`] and printable-ASCII fields this keeps any
/// parsed document's own serialization far under the body limit, so
/// parse -> serialize -> parse always round-trips.
pub const MAX_CAPS: usize = 32;

/// Whole `proto-ver` document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtoVer {
    /// The standard provisioning block.
    pub prov: ProvInfo,
    /// Our `iot-cred` block; absent on stock ESP32 devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iot: Option<IotInfo>,
}

/// The `"prov"` object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvInfo {
    /// Provisioning protocol version string, e.g. `"v1.1"`.
    pub ver: String,
    /// Security scheme: 0, 1 or 2.
    pub sec_ver: u32,
    /// Security patch level; 1 enables the sec2 nonce counter.
    #[serde(default)]
    pub sec_patch_ver: u32,
    /// Capability strings, e.g. [`CAP_WIFI_SCAN`].
    #[serde(default)]
    pub cap: Vec<String>,
}

/// Our `"iot"` object describing the `iot-cred` endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IotInfo {
    /// Version of our endpoint, `"v1"`.
    pub ver: String,
    /// Largest chunked transfer the device accepts, in bytes.
    pub max_transfer: u32,
}

/// Why a `proto-ver` body was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionError {
    /// Larger than the 4096-byte body limit.
    TooLarge,
    /// A version string or capability is longer than [`MAX_FIELD`] or not printable ASCII
    /// (quotes and backslashes excluded), or there are more than [`MAX_CAPS`] capabilities.
    InvalidField,
    /// Not JSON of the expected shape.
    Malformed,
    /// `sec_ver` is not 0, 1 or 2.
    UnknownSecurity(u32),
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge => f.write_str("proto-ver response too large"),
            Self::InvalidField => f.write_str("proto-ver response has an invalid field"),
            Self::Malformed => f.write_str("proto-ver response is not the expected JSON"),
            Self::UnknownSecurity(v) => write!(f, "device asks for unknown security scheme {v}"),
        }
    }
}

impl core::error::Error for VersionError {}

impl ProtoVer {
    /// Document for a device of ours at the given security level.
    pub fn ours(sec_ver: u32, max_transfer: u32) -> Self {
        let mut cap = alloc::vec![String::from(CAP_WIFI_SCAN), String::from(CAP_IOT_CRED)];
        if sec_ver == 0 {
            cap.push(String::from(CAP_NO_SEC));
        }
        Self {
            prov: ProvInfo {
                ver: String::from("v1.1"),
                sec_ver,
                sec_patch_ver: if sec_ver == 2 { 1 } else { 0 },
                cap,
            },
            iot: Some(IotInfo {
                ver: String::from("v1"),
                max_transfer,
            }),
        }
    }

    /// Serializes to the JSON body.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain strings and integers into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses a `proto-ver` response body.
    pub fn parse(body: &[u8]) -> Result<Self, VersionError> {
        if body.len() > MAX_BODY {
            return Err(VersionError::TooLarge);
        }
        let doc: Self = serde_json::from_slice(body).map_err(|_| VersionError::Malformed)?;
        let bad = |s: &String| {
            s.len() > MAX_FIELD
                || !s
                    .bytes()
                    .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
        };
        if bad(&doc.prov.ver)
            || doc.prov.cap.len() > MAX_CAPS
            || doc.prov.cap.iter().any(bad)
            || doc.iot.as_ref().is_some_and(|i| bad(&i.ver))
        {
            return Err(VersionError::InvalidField);
        }
        if doc.prov.sec_ver > 2 {
            return Err(VersionError::UnknownSecurity(doc.prov.sec_ver));
        }
        Ok(doc)
    }

    /// Whether the device lists `cap`.
    pub fn has_cap(&self, cap: &str) -> bool {
        self.prov.cap.iter().any(|c| c == cap)
    }
}
