//! Host core of the IoT provisioner: everything the desktop app and the `provision` CLI do,
//! with no GUI in it.
//!
//! - [`validate`]: raw input to checked types (serial, SSID, passphrase, PoP, e-mail);
//! - [`error`]: the one `{code, message}` error at the boundary;
//! - [`profile`] and [`secrets`]: backend profiles on disk, secrets in the OS keyring;
//! - [`auth`]: Cognito and self-hosted accounts behind one trait;
//! - [`cloud`]: the provisioning API client;
//! - [`link`]: joining the device's SoftAP and always getting back;
//! - [`device`]: the encrypted session with the device over HTTP;
//! - [`wizard`]: the whole flow as typed states with progress events;
//! - [`legacy_flow`]: the seed lab's unauthenticated TLS push, behind explicit consent.

pub mod app;
pub mod auth;
pub mod cloud;
pub mod device;
pub mod error;
pub mod http;
pub mod legacy_flow;
pub mod link;
pub mod profile;
pub mod secrets;
pub mod validate;
pub mod wifi_only;
pub mod wizard;

pub use error::{Error, ErrorCode, Result};
