//! A whole provisioning exchange with `device-sim` over loopback HTTP: session handshake,
//! Wi-Fi scan, CSR on the device, signing (test CA), certificate chain and MQTT settings in
//! chunks, Wi-Fi config, apply, status until connected. The simulated join takes 0 ms here, so
//! the figure is protocol + crypto + HTTP cost. Between iterations (untimed) `prov-ctrl reprov`
//! puts the device back into provisioning.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use firmware_core::testkit::TestEntropy;
use prost::Message;
use protocol::proto::WifiStationState;
use protocol::proto::iot::{IotStatus, MqttSettings, TransferKind};
use support::{Ca, POP, Sim, security, wait_status};

fn exchange(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let radio = dir.path().join("radio.json");
    std::fs::write(
        &radio,
        r#"{"access_points":[{"ssid":"HomeWiFi","passphrase":"correct horse","channel":6,"rssi":-40,"auth":"wpa2","join_delay_ms":0}]}"#,
    )
    .unwrap();
    let ca = Ca::new("bench CA");
    let mut group = c.benchmark_group("provisioning_exchange");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for level in [0u32, 1, 2] {
        let serial = format!("SN-BENCH-{level}");
        let sim = Sim::start(
            &serial,
            &[
                "--security",
                &level.to_string(),
                "--radio",
                radio.to_str().unwrap(),
                "--window-secs",
                "36000",
                "--grace-secs",
                "36000",
            ],
        );
        let settings = MqttSettings {
            host: "127.0.0.1".into(),
            port: 1,
            client_id: serial.clone(),
            topic_prefix: "devices".into(),
            server_ca_pem: ca.cert.pem(),
        }
        .encode_to_vec();
        let mut seed = 0u64;
        group.bench_function(format!("sec{level}_session_csr_cert_wifi"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    seed += 1;
                    let start = Instant::now();
                    let mut cl = sim.client();
                    cl.establish(security(level, POP.as_bytes()), &mut TestEntropy(seed))
                        .unwrap();
                    cl.scan().unwrap();
                    let leaf = ca.sign_csr(&cl.csr().unwrap());
                    assert_eq!(
                        cl.transfer(TransferKind::KindCertificateChain, leaf.as_bytes(), 3500)
                            .unwrap(),
                        IotStatus::Ok
                    );
                    assert_eq!(
                        cl.transfer(TransferKind::KindMqttSettings, &settings, 3500)
                            .unwrap(),
                        IotStatus::Ok
                    );
                    cl.set_config(b"HomeWiFi", b"correct horse").unwrap();
                    cl.apply().unwrap();
                    let s = wait_status(&mut cl, Duration::from_secs(10));
                    assert_eq!(s.sta_state, WifiStationState::Connected as i32);
                    total += start.elapsed();
                    cl.ctrl(true).unwrap();
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, exchange);
criterion_main!(benches);
