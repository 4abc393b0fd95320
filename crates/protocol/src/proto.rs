//! Prost types generated from `proto/`. The ESP-IDF messages have no protobuf package and live
//! at this module's root; our `iot-cred` messages are in [`iot`].
#![allow(missing_docs, clippy::all, clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/_.rs"));

/// Messages of our `iot-cred` endpoint (`proto/iot.proto`).
pub mod iot {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    include!(concat!(env!("OUT_DIR"), "/iot.rs"));
}
