//! What this image does not drive yet: the Wi-Fi radio (esp-radio) and MQTT over TLS. Until
//! they are wired, a scan finds nothing, every join fails as "network not found" and the MQTT
//! connection fails with a reason that says so, so the core reports the truth to the app and
//! commits nothing (it commits only after a successful join).

use alloc::string::String;
use alloc::vec::Vec;

use firmware_core::hal::{
    JoinFailure, JoinProgress, JoinRequest, MqttConnect, MqttConnector, MqttState, Radio, ScanEntry,
};

/// The radio of an image built without a Wi-Fi driver.
pub struct NoWifi;

impl Radio for NoWifi {
    fn start_softap(&mut self, _ssid: &str) {}
    fn stop_softap(&mut self) {}
    fn scan(&mut self) -> Vec<ScanEntry> {
        Vec::new()
    }
    fn begin_join(&mut self, _request: &JoinRequest, _now_ms: u64) {}
    fn poll_join(&mut self, _now_ms: u64) -> JoinProgress {
        JoinProgress::Failed(JoinFailure::NetworkNotFound)
    }
    fn disconnect(&mut self) {}
}

/// The MQTT connector of an image built without a TLS client.
pub struct NoMqtt;

impl MqttConnector for NoMqtt {
    fn connect(&mut self, _params: &MqttConnect) {}
    fn state(&mut self) -> MqttState {
        MqttState::Failed(String::from("this image has no MQTT/TLS client"))
    }
    fn publish(&mut self, _topic: &str, _payload: &[u8]) -> bool {
        false
    }
    fn disconnect(&mut self) {}
}
