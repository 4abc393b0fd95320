//! Test and simulator conveniences (feature `std`): a provisioning client over any transport,
//! deterministic entropy, an MQTT connector that records what it was asked. Not firmware code.

mod client;
mod fakes;

pub use crate::sim_mqtt::RecordingMqtt;
pub use client::{ClientFailure, ProvClient, Transport, TransportReply};
pub use fakes::TestEntropy;
