//! Generates the prost types from `proto/` with protox (pure Rust), so building needs no
//! system `protoc`.

const FILES: &[&str] = &[
    "constants.proto",
    "sec0.proto",
    "sec1.proto",
    "sec2.proto",
    "session.proto",
    "wifi_constants.proto",
    "wifi_config.proto",
    "wifi_scan.proto",
    "wifi_ctrl.proto",
    "iot.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let fds = protox::compile(FILES, ["proto"])?;
    let mut config = prost_build::Config::new();
    config.compile_fds(fds)?;
    Ok(())
}
