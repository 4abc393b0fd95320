//! Endpoint names (`POST /<name>` on the SoftAP HTTP server) and the body size limit.

/// Plaintext JSON version/capability endpoint.
pub const PROTO_VER: &str = "proto-ver";
/// Session establishment (security 0/1/2 handshake).
pub const PROV_SESSION: &str = "prov-session";
/// Wi-Fi station configuration: set, apply, status.
pub const PROV_CONFIG: &str = "prov-config";
/// Wi-Fi scan on the device.
pub const PROV_SCAN: &str = "prov-scan";
/// Reset / re-provision control.
pub const PROV_CTRL: &str = "prov-ctrl";
/// Our endpoint for device identity, CSR and credential delivery.
pub const IOT_CRED: &str = "iot-cred";

/// Every endpoint a device of ours serves: ESP-IDF's standard ones, then ours. Anything else
/// is answered 404, as ESP-IDF's HTTP server answers a URI it has no handler for.
pub const ALL: [&str; 6] = [
    PROTO_VER,
    PROV_SESSION,
    PROV_CONFIG,
    PROV_SCAN,
    PROV_CTRL,
    IOT_CRED,
];

/// Largest request or response body (after encryption) that a stock ESP-IDF device accepts.
pub const MAX_BODY: usize = 4096;
