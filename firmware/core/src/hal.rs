//! Hardware the core needs, as traits. A board (or the simulator) implements them; the core
//! never touches a peripheral, a socket or a clock itself.

use alloc::string::String;
use alloc::vec::Vec;
use zeroize::Zeroizing;

/// Why a Wi-Fi join failed, in the terms the provisioning protocol reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinFailure {
    /// The access point rejected the passphrase.
    AuthError,
    /// No access point with that SSID (and BSSID/channel, if given) answered.
    NetworkNotFound,
}

/// Progress of a join started with [`Radio::begin_join`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinProgress {
    /// Still associating / authenticating.
    Pending,
    /// Associated and got an address.
    Connected {
        /// IPv4 address given to the station.
        ip: [u8; 4],
        /// Channel of the access point joined.
        channel: u8,
        /// BSSID of the access point joined.
        bssid: [u8; 6],
    },
    /// The join ended in failure.
    Failed(JoinFailure),
}

/// Authentication mode of an access point, numbered as ESP-IDF's `WifiAuthMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// No passphrase.
    Open = 0,
    /// WEP.
    Wep = 1,
    /// WPA-PSK.
    WpaPsk = 2,
    /// WPA2-PSK.
    Wpa2Psk = 3,
    /// WPA/WPA2-PSK.
    WpaWpa2Psk = 4,
    /// WPA2-Enterprise.
    Wpa2Enterprise = 5,
    /// WPA3-PSK.
    Wpa3Psk = 6,
    /// WPA2/WPA3-PSK.
    Wpa2Wpa3Psk = 7,
}

/// One access point seen by a scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanEntry {
    /// Network name (up to 32 bytes, not necessarily UTF-8).
    pub ssid: Vec<u8>,
    /// Channel number.
    pub channel: u8,
    /// Signal strength in dBm.
    pub rssi: i8,
    /// BSSID (MAC address of the AP).
    pub bssid: [u8; 6],
    /// Authentication mode.
    pub auth: AuthMode,
}

/// What the core asks the radio to join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinRequest {
    /// Network name.
    pub ssid: Vec<u8>,
    /// Passphrase (empty for an open network).
    pub passphrase: Zeroizing<Vec<u8>>,
    /// Restrict the join to this BSSID, if set.
    pub bssid: Option<[u8; 6]>,
    /// Channel hint (0 = any).
    pub channel: u8,
}

/// The Wi-Fi radio: SoftAP for provisioning, station for normal operation.
pub trait Radio {
    /// Opens the provisioning access point.
    fn start_softap(&mut self, ssid: &str);
    /// Closes the provisioning access point.
    fn stop_softap(&mut self);
    /// Scans for access points; a board may block for the scan's duration.
    fn scan(&mut self) -> Vec<ScanEntry>;
    /// Starts joining a network; progress comes from [`Radio::poll_join`].
    fn begin_join(&mut self, request: &JoinRequest, now_ms: u64);
    /// Reports the progress of the last join.
    fn poll_join(&mut self, now_ms: u64) -> JoinProgress;
    /// Leaves the network joined as a station, if any.
    fn disconnect(&mut self);
}

/// A flash error; the core treats every one as "this operation did not happen completely".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashError {
    /// Offset or length outside the device.
    OutOfBounds,
    /// The device failed (or lost power) during the operation.
    Io,
}

/// NOR-style flash: erase sets a whole sector to 0xFF, writes may only clear bits.
pub trait Flash {
    /// Erase granularity in bytes.
    fn sector_size(&self) -> usize;
    /// Total size in bytes.
    fn capacity(&self) -> usize;
    /// Reads `buf.len()` bytes at `offset`.
    fn read(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), FlashError>;
    /// Erases the sector with index `sector`.
    fn erase(&mut self, sector: usize) -> Result<(), FlashError>;
    /// Programs `data` at `offset` (bits can only go from 1 to 0).
    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), FlashError>;
}

/// A source of cryptographically secure random bytes (a hardware TRNG on a board).
pub trait Entropy {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

/// Where and how the device connects to the MQTT broker, taken from the stored credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqttConnect {
    /// Broker host name or address.
    pub host: String,
    /// Broker TLS port.
    pub port: u16,
    /// MQTT client id (the serial number).
    pub client_id: String,
    /// PEM of the CA(s) the device trusts for the broker.
    pub server_ca_pem: String,
    /// PEM chain of the device's own certificate.
    pub cert_chain_pem: String,
    /// PKCS#8 PEM of the device's private key; the connector must not log or send it.
    pub key_pem: Zeroizing<String>,
}

/// State of the MQTT-over-TLS connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MqttState {
    /// No connection requested.
    Idle,
    /// TLS/MQTT handshake in progress.
    Connecting,
    /// CONNACK received.
    Connected,
    /// The connection failed; the reason is for logs only.
    Failed(String),
}

/// MQTT over mutual TLS; the driver runs the network, the core only asks and polls.
pub trait MqttConnector {
    /// Starts connecting with these settings (replacing any earlier connection).
    fn connect(&mut self, params: &MqttConnect);
    /// Current connection state.
    fn state(&mut self) -> MqttState;
    /// Queues a QoS 1 publish; `false` if not connected.
    fn publish(&mut self, topic: &str, payload: &[u8]) -> bool;
    /// Closes the connection.
    fn disconnect(&mut self);
}
