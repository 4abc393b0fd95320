//! An MQTT connector with no network: it connects at once (or fails, if told to) and records
//! what it was asked. Used by the tests, the fuzz target and the emulated-MCU board, which has
//! no network of its own. Not a real MQTT client.

use alloc::string::String;
use alloc::vec::Vec;

use crate::hal::{MqttConnect, MqttConnector, MqttState};

/// An MQTT connector that connects instantly (or fails, if told to) and records publishes.
#[derive(Debug, Default)]
pub struct RecordingMqtt {
    /// Every connect request, in order.
    pub connects: Vec<MqttConnect>,
    /// Every publish: (topic, payload).
    pub published: Vec<(String, Vec<u8>)>,
    /// When set, connections fail with this reason.
    pub fail_with: Option<String>,
    state: Option<MqttState>,
}

impl MqttConnector for RecordingMqtt {
    fn connect(&mut self, params: &MqttConnect) {
        self.connects.push(params.clone());
        self.state = Some(match &self.fail_with {
            Some(r) => MqttState::Failed(r.clone()),
            None => MqttState::Connected,
        });
    }
    fn state(&mut self) -> MqttState {
        self.state.clone().unwrap_or(MqttState::Idle)
    }
    fn publish(&mut self, topic: &str, payload: &[u8]) -> bool {
        if self.state == Some(MqttState::Connected) {
            self.published.push((String::from(topic), payload.to_vec()));
            true
        } else {
            false
        }
    }
    fn disconnect(&mut self) {
        self.state = None;
    }
}
