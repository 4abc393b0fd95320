//! The committed credentials and their byte encoding (tag, length, value), strict on decode.

use alloc::string::String;
use alloc::vec::Vec;
use zeroize::Zeroizing;

/// Wi-Fi station credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WifiCredentials {
    /// Network name.
    pub ssid: Vec<u8>,
    /// Passphrase (empty for an open network).
    pub passphrase: Zeroizing<Vec<u8>>,
    /// Pin the join to this BSSID, if set.
    pub bssid: Option<[u8; 6]>,
    /// Channel hint (0 = any).
    pub channel: u8,
}

/// The device's private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceKey {
    /// P-256 secret scalar generated on the device (the CSR flow).
    P256(Zeroizing<[u8; 32]>),
    /// A PEM key delivered in seed mode (made by the cloud; any algorithm the TLS stack takes).
    Pem(Zeroizing<String>),
}

/// Where the device publishes, as the cloud told the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqttSettings {
    /// Broker host.
    pub host: String,
    /// Broker TLS port.
    pub port: u16,
    /// MQTT client id.
    pub client_id: String,
    /// Topic prefix, e.g. `devices`.
    pub topic_prefix: String,
    /// CA the device trusts for the broker (PEM).
    pub server_ca_pem: String,
}

/// The cloud identity of the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IotCredentials {
    /// Private key; stays on the device.
    pub key: DeviceKey,
    /// Certificate chain (PEM), leaf first.
    pub cert_chain_pem: String,
    /// Broker settings, if delivered.
    pub mqtt: Option<MqttSettings>,
}

/// Everything committed at the end of provisioning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// Wi-Fi network.
    pub wifi: WifiCredentials,
    /// Cloud identity, if provisioned with one.
    pub iot: Option<IotCredentials>,
}

/// A record that does not decode; the store treats the slot as empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError;

mod tag {
    pub const SSID: u8 = 1;
    pub const PASSPHRASE: u8 = 2;
    pub const BSSID: u8 = 3;
    pub const CHANNEL: u8 = 4;
    pub const KEY_P256: u8 = 10;
    pub const KEY_PEM: u8 = 11;
    pub const CERT_CHAIN: u8 = 12;
    pub const MQTT_HOST: u8 = 20;
    pub const MQTT_PORT: u8 = 21;
    pub const MQTT_CLIENT_ID: u8 = 22;
    pub const MQTT_TOPIC_PREFIX: u8 = 23;
    pub const MQTT_SERVER_CA: u8 = 24;
}

fn put(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value);
}

impl Credentials {
    /// Encodes the credentials; the buffer holds secrets and is wiped on drop.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        // Sized up front: a growing buffer would double past 16 KiB for an 8 KB chain, and
        // on a microcontroller that is a quarter of the heap.
        let mut out = Zeroizing::new(Vec::with_capacity(self.encoded_len()));
        put(&mut out, tag::SSID, &self.wifi.ssid);
        put(&mut out, tag::PASSPHRASE, &self.wifi.passphrase);
        if let Some(bssid) = &self.wifi.bssid {
            put(&mut out, tag::BSSID, bssid);
        }
        put(&mut out, tag::CHANNEL, &[self.wifi.channel]);
        if let Some(iot) = &self.iot {
            match &iot.key {
                DeviceKey::P256(k) => put(&mut out, tag::KEY_P256, &k[..]),
                DeviceKey::Pem(p) => put(&mut out, tag::KEY_PEM, p.as_bytes()),
            }
            put(&mut out, tag::CERT_CHAIN, iot.cert_chain_pem.as_bytes());
            if let Some(m) = &iot.mqtt {
                put(&mut out, tag::MQTT_HOST, m.host.as_bytes());
                put(&mut out, tag::MQTT_PORT, &m.port.to_le_bytes());
                put(&mut out, tag::MQTT_CLIENT_ID, m.client_id.as_bytes());
                put(&mut out, tag::MQTT_TOPIC_PREFIX, m.topic_prefix.as_bytes());
                put(&mut out, tag::MQTT_SERVER_CA, m.server_ca_pem.as_bytes());
            }
        }
        out
    }

    fn encoded_len(&self) -> usize {
        let field = |n: usize| 5 + n;
        let mut n = field(self.wifi.ssid.len()) + field(self.wifi.passphrase.len()) + field(1);
        n += self.wifi.bssid.map_or(0, |b| field(b.len()));
        if let Some(iot) = &self.iot {
            n += match &iot.key {
                DeviceKey::P256(k) => field(k.len()),
                DeviceKey::Pem(p) => field(p.len()),
            };
            n += field(iot.cert_chain_pem.len());
            if let Some(m) = &iot.mqtt {
                n += field(m.host.len()) + field(2) + field(m.client_id.len());
                n += field(m.topic_prefix.len()) + field(m.server_ca_pem.len());
            }
        }
        n
    }

    /// Decodes what [`Credentials::encode`] wrote; anything else is an error.
    pub fn decode(mut bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut ssid = None;
        let mut passphrase = None;
        let mut bssid = None;
        let mut channel = None;
        let mut key = None;
        let mut chain = None;
        let (mut host, mut port, mut client_id, mut prefix, mut ca) =
            (None, None, None, None, None);
        while !bytes.is_empty() {
            if bytes.len() < 5 {
                return Err(DecodeError);
            }
            let t = bytes[0];
            let len = u32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
            let rest = &bytes[5..];
            if rest.len() < len {
                return Err(DecodeError);
            }
            let (v, tail) = rest.split_at(len);
            bytes = tail;
            let text = || String::from_utf8(v.to_vec()).map_err(|_| DecodeError);
            let slot_was_empty = match t {
                tag::SSID => ssid.replace(v.to_vec()).is_none(),
                tag::PASSPHRASE => passphrase.replace(Zeroizing::new(v.to_vec())).is_none(),
                tag::BSSID => bssid
                    .replace(<[u8; 6]>::try_from(v).map_err(|_| DecodeError)?)
                    .is_none(),
                tag::CHANNEL => channel
                    .replace(*v.first().filter(|_| v.len() == 1).ok_or(DecodeError)?)
                    .is_none(),
                tag::KEY_P256 => {
                    let k = <[u8; 32]>::try_from(v).map_err(|_| DecodeError)?;
                    key.replace(DeviceKey::P256(Zeroizing::new(k))).is_none()
                }
                tag::KEY_PEM => key
                    .replace(DeviceKey::Pem(Zeroizing::new(text()?)))
                    .is_none(),
                tag::CERT_CHAIN => chain.replace(text()?).is_none(),
                tag::MQTT_HOST => host.replace(text()?).is_none(),
                tag::MQTT_PORT => port
                    .replace(u16::from_le_bytes(
                        <[u8; 2]>::try_from(v).map_err(|_| DecodeError)?,
                    ))
                    .is_none(),
                tag::MQTT_CLIENT_ID => client_id.replace(text()?).is_none(),
                tag::MQTT_TOPIC_PREFIX => prefix.replace(text()?).is_none(),
                tag::MQTT_SERVER_CA => ca.replace(text()?).is_none(),
                _ => return Err(DecodeError),
            };
            if !slot_was_empty {
                return Err(DecodeError);
            }
        }
        let wifi = WifiCredentials {
            ssid: ssid.ok_or(DecodeError)?,
            passphrase: passphrase.ok_or(DecodeError)?,
            bssid,
            channel: channel.ok_or(DecodeError)?,
        };
        let mqtt = match (host, port, client_id, prefix, ca) {
            (Some(host), Some(port), Some(client_id), Some(topic_prefix), Some(server_ca_pem)) => {
                Some(MqttSettings {
                    host,
                    port,
                    client_id,
                    topic_prefix,
                    server_ca_pem,
                })
            }
            (None, None, None, None, None) => None,
            _ => return Err(DecodeError),
        };
        let iot = match (key, chain) {
            (Some(key), Some(cert_chain_pem)) => Some(IotCredentials {
                key,
                cert_chain_pem,
                mqtt,
            }),
            (None, None) if mqtt.is_none() => None,
            _ => return Err(DecodeError),
        };
        Ok(Self { wifi, iot })
    }
}
