//! Device firmware core: the provisioning state machine over hardware traits.
//!
//! `no_std` + `alloc`. Time comes in as `now_ms: u64`; radio, flash, entropy and the MQTT
//! connection are traits ([`hal`]) implemented by a board or by the simulator.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod csr;
pub mod device;
pub mod factory;
pub mod hal;
pub mod link;
pub mod mem_flash;
mod rng;
pub mod sim_mqtt;
pub mod sim_radio;
pub mod store;
pub mod word_flash;

pub use device::{Device, DeviceConfig, Event, Hardware, Phase, Response};
#[cfg(feature = "std")]
pub mod testkit;
