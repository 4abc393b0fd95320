//! The app's commands, one file per wizard area. Each is DTO in, one core call, error mapped.
pub mod auth;
pub mod backend;
pub mod device;
pub mod settings;

use provisioner::app::Provisioner;

/// The core, shared by every command (it is cheap to clone and thread-safe).
pub struct Core(pub Provisioner);
