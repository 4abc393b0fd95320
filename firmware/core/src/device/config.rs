//! What a device is at manufacture: identity, security, timings.

use alloc::format;
use alloc::string::String;

use protocol::security::device::DeviceSecurity;

/// Factory configuration of a device.
#[derive(Clone, Debug)]
pub struct DeviceConfig {
    /// Serial number = thing name = MQTT client id.
    pub serial: String,
    /// Model name reported by `iot-cred` device info.
    pub model: String,
    /// Firmware version reported by device info.
    pub firmware_version: String,
    /// SoftAP SSID, normally [`softap_name`] of the serial.
    pub softap_ssid: String,
    /// Session security (sec2 salt/verifier or sec1 PoP made from the label code).
    pub security: DeviceSecurity,
    /// Length of the provisioning window.
    pub window_ms: u64,
    /// Failed session proofs in a row that lock provisioning.
    pub max_failed_sessions: u32,
    /// How long sessions are refused after that.
    pub lockout_ms: u64,
    /// How long the SoftAP stays up after a successful apply, for the app to read the status.
    pub post_connect_grace_ms: u64,
    /// Delay before retrying a failed MQTT connection.
    pub mqtt_retry_ms: u64,
    /// Largest credential transfer accepted over `iot-cred`.
    pub max_transfer: u32,
}

impl DeviceConfig {
    /// Defaults: 5-minute window, lock for 60 s after 5 failures, 30 s grace after success.
    pub fn new(serial: &str, security: DeviceSecurity) -> Self {
        Self {
            serial: String::from(serial),
            model: String::from("iotp-sim"),
            firmware_version: String::from(env!("CARGO_PKG_VERSION")),
            softap_ssid: softap_name(serial),
            security,
            window_ms: 5 * 60 * 1000,
            max_failed_sessions: 5,
            lockout_ms: 60 * 1000,
            post_connect_grace_ms: 30 * 1000,
            mqtt_retry_ms: 5 * 1000,
            max_transfer: 16 * 1024,
        }
    }
}

/// `PROV_` + the serial's last four characters upper-cased.
pub fn softap_name(serial: &str) -> String {
    let tail: String = serial
        .chars()
        .rev()
        .take(4)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    format!("PROV_{}", tail.to_uppercase())
}
