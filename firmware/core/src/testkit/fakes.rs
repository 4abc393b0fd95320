//! Deterministic stand-ins for entropy and the MQTT connection, for in-memory tests.

use std::string::String;
use std::vec::Vec;

use crate::hal::{Entropy, MqttConnect, MqttConnector, MqttState};

/// SplitMix64: reproducible "randomness" for tests. Never use it for real keys.
#[derive(Clone, Debug)]
pub struct TestEntropy(pub u64);

impl Entropy for TestEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }
}

impl rand_core::TryRng for TestEntropy {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.fill(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for TestEntropy {}

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
