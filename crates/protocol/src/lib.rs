//! Sans-IO device-provisioning protocol, wire compatible with Espressif's unified provisioning
//! ("protocomm"): endpoint names, protobuf messages, the `proto-ver` JSON, security 0/1/2
//! sessions for both roles, our `iot-cred` endpoint with chunked transfers, and the seed lab's
//! legacy framing.
//!
//! The crate never does I/O and never reads a clock: callers pass bytes (and randomness) in and
//! get bytes, results and errors out, so the firmware, the simulator and the desktop app run
//! exactly the same code.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod endpoints;
pub mod iot;
pub mod legacy;
mod message;
pub mod proto;
pub mod security;
pub mod version;
pub mod wifi;

pub use rand_core;
