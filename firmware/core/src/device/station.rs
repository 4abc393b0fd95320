//! Station mode: MQTT over mutual TLS with the committed identity, one hello, then online.

use alloc::format;
use alloc::string::String;

use super::{Device, Event};
use crate::csr::key_pkcs8_pem;
use crate::hal::{Entropy, Flash, MqttConnect, MqttConnector, MqttState, Radio};
use crate::store::DeviceKey;

/// MQTT progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Mqtt {
    /// Not started (no complete identity, or not connected to Wi-Fi yet).
    Idle,
    /// Waiting for CONNACK.
    Connecting,
    /// Failed; retry at this time.
    RetryAt(u64),
    /// Hello published.
    Online,
}

impl<R: Radio, F: Flash, M: MqttConnector, E: Entropy> Device<R, F, M, E> {
    pub(super) fn start_mqtt(&mut self, now_ms: u64) {
        let _ = now_ms;
        let Some(params) = self.mqtt_params() else {
            return;
        };
        self.events.push_back(Event::MqttConnecting {
            host: params.host.clone(),
            port: params.port,
        });
        self.mqtt_io.connect(&params);
        self.mqtt = Mqtt::Connecting;
    }

    fn mqtt_params(&self) -> Option<MqttConnect> {
        let iot = self.committed.as_ref()?.iot.as_ref()?;
        let m = iot.mqtt.as_ref()?;
        let key_pem = match &iot.key {
            DeviceKey::P256(secret) => key_pkcs8_pem(secret).ok()?,
            DeviceKey::Pem(pem) => pem.clone(),
        };
        Some(MqttConnect {
            host: m.host.clone(),
            port: m.port,
            client_id: m.client_id.clone(),
            server_ca_pem: m.server_ca_pem.clone(),
            cert_chain_pem: iot.cert_chain_pem.clone(),
            key_pem,
        })
    }

    /// `<prefix>/<serial>/hello`.
    pub fn hello_topic(&self) -> Option<String> {
        let m = self.committed.as_ref()?.iot.as_ref()?.mqtt.as_ref()?;
        Some(format!(
            "{}/{}/hello",
            m.topic_prefix.trim_end_matches('/'),
            self.config.serial
        ))
    }

    pub(super) fn poll_mqtt(&mut self, now_ms: u64) {
        match self.mqtt.clone() {
            Mqtt::Connecting => match self.mqtt_io.state() {
                MqttState::Connected => {
                    let Some(topic) = self.hello_topic() else {
                        return;
                    };
                    let payload = format!(
                        "{{\"serial\":\"{}\",\"model\":\"{}\",\"firmware\":\"{}\"}}",
                        json_escape(&self.config.serial),
                        json_escape(&self.config.model),
                        json_escape(&self.config.firmware_version)
                    );
                    if self.mqtt_io.publish(&topic, payload.as_bytes()) {
                        self.mqtt = Mqtt::Online;
                        self.events.push_back(Event::Online { topic });
                    }
                }
                MqttState::Failed(reason) => {
                    self.events.push_back(Event::MqttFailed(reason));
                    self.mqtt = Mqtt::RetryAt(now_ms.saturating_add(self.config.mqtt_retry_ms));
                }
                MqttState::Idle | MqttState::Connecting => {}
            },
            Mqtt::RetryAt(at) if now_ms >= at => self.start_mqtt(now_ms),
            _ => {}
        }
    }
}

/// Escapes a string for a JSON string literal (the model name comes from the board's config).
fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
