//! The device side: an encrypted provisioning session over HTTP (ESP-IDF protocomm SoftAP
//! transport), and the seed lab's legacy TLS push.

pub mod legacy;
mod security;
mod session;
mod transport;

pub use security::{LOW_SECURITY_WARNING, SecurityPolicy};
pub use session::{DeviceInfo, DeviceSession, MqttConfig, WifiNetwork, WifiState};
pub use transport::{PostError, Transport};
