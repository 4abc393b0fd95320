//! The seed lab's legacy provisioning, for devices that still speak it: the firmware connects
//! to the app as a TLS client and receives private key, certificate, SSID and passphrase in one
//! unauthenticated stream (`protocol::legacy`). The lab firmware had its broker endpoint built
//! in, so the MQTT settings come from the board, not from the stream. What arrives is staged
//! and joined exactly like an `ApplyConfig`: committed to flash only after the join succeeded.

use protocol::iot::{Credential, SeedCredentials};
use protocol::legacy::LegacyCredentials;

use super::wifi::{Apply, join_request, validate};
use super::{Device, Event, Phase};
use crate::hal::{Entropy, Flash, MqttConnector, Radio};
use crate::store::{DeviceKey, MqttSettings};

/// Why legacy credentials were not taken (nothing was changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegacyRefused {
    /// The device is not in provisioning (window closed, or already provisioned).
    NotProvisioning,
    /// A join is already in progress.
    Busy,
    /// The key, certificate, SSID, passphrase or built-in broker settings are not valid.
    InvalidCredential,
}

impl<R: Radio, F: Flash, M: MqttConnector, E: Entropy> Device<R, F, M, E> {
    /// Takes credentials received over the legacy stream, with the board's built-in broker
    /// settings, and starts joining the network.
    pub fn legacy_deliver(
        &mut self,
        creds: LegacyCredentials,
        broker: MqttSettings,
        now_ms: u64,
    ) -> Result<(), LegacyRefused> {
        if self.phase != Phase::Provisioning {
            return Err(LegacyRefused::NotProvisioning);
        }
        if matches!(self.apply, Apply::Connecting { .. }) {
            return Err(LegacyRefused::Busy);
        }
        let wifi = validate(&protocol::wifi::WifiConfig::new(
            &creds.ssid,
            &creds.passphrase,
        ))
        .ok_or(LegacyRefused::InvalidCredential)?;
        let seed = Credential::Seed(SeedCredentials {
            private_key_pem: creds.private_key_pem.clone(),
            certificate_pem: creds.certificate_pem.clone(),
        });
        let mqtt = Credential::Mqtt(protocol::iot::MqttSettings {
            host: broker.host.clone(),
            port: broker.port,
            client_id: broker.client_id.clone(),
            topic_prefix: broker.topic_prefix.clone(),
            server_ca_pem: broker.server_ca_pem.clone(),
        });
        if seed.validate().is_err() || mqtt.validate().is_err() {
            return Err(LegacyRefused::InvalidCredential);
        }
        let ssid = wifi.ssid.clone();
        self.radio.begin_join(&join_request(&wifi), now_ms);
        self.staged.wifi = Some(wifi);
        self.staged.key = Some(DeviceKey::Pem(creds.private_key_pem));
        self.staged.cert_chain_pem = Some(creds.certificate_pem);
        self.staged.mqtt = Some(broker);
        self.apply = Apply::Connecting {
            ssid: ssid.clone(),
            station: false,
        };
        self.events.push_back(Event::Connecting { ssid });
        Ok(())
    }
}
