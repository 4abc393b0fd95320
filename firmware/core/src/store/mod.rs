//! Credential storage: what is committed, and how it survives power cuts.

mod record;
mod slots;

pub use record::{
    Credentials, DecodeError, DeviceKey, IotCredentials, MqttSettings, WifiCredentials,
};
pub use slots::{CredentialStore, StoreError, StoreLayout};
