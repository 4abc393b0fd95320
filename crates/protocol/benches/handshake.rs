//! Security 1 and 2 handshakes, client and device in memory (both roles' CPU time).
//! Run: `cargo bench -p protocol --bench handshake`.

use criterion::{Criterion, criterion_group, criterion_main};
use protocol::rand_core::{Infallible, TryCryptoRng, TryRng};
use protocol::security::client::{self, ClientSecurity, Progress};
use protocol::security::device::{DeviceSecurity, DeviceSession};
use protocol::security::manufacture::sec2_credentials;
use std::hint::black_box;

/// Fast deterministic generator: the benchmark measures the protocol, not the entropy source.
struct BenchRng(u64);

impl TryRng for BenchRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        Ok(self.0 >> 11 ^ self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for b in dst {
            *b = self.try_next_u64()? as u8;
        }
        Ok(())
    }
}

impl TryCryptoRng for BenchRng {}

fn run(device: &mut DeviceSession, security: ClientSecurity, rng: &mut BenchRng) {
    let (mut hs, mut req) = client::start(security, rng).unwrap();
    loop {
        let resp = device.handle(&req, rng).unwrap();
        match hs.on_response(&resp).unwrap() {
            Progress::Continue(h, r) => {
                hs = h;
                req = r;
            }
            Progress::Established(s) => {
                black_box(s);
                return;
            }
        }
    }
}

fn handshakes(c: &mut Criterion) {
    let mut rng = BenchRng(42);
    let pop = b"abcd1234";
    let mut sec1 = DeviceSession::new(DeviceSecurity::sec1(pop));
    c.bench_function("sec1 handshake (client + device)", |b| {
        b.iter(|| run(&mut sec1, ClientSecurity::sec1(pop), &mut rng))
    });
    let creds = sec2_credentials(b"wifiprov", pop, &mut rng);
    let mut sec2 = DeviceSession::new(DeviceSecurity::sec2(&creds.salt, &creds.verifier).unwrap());
    let mut group = c.benchmark_group("sec2");
    group.sample_size(20);
    group.bench_function("sec2 handshake (client + device)", |b| {
        b.iter(|| run(&mut sec2, ClientSecurity::sec2(pop), &mut rng))
    });
    group.bench_function("sec2 manufacture (salt + verifier)", |b| {
        b.iter(|| black_box(sec2_credentials(b"wifiprov", pop, &mut rng)))
    });
    group.finish();
}

criterion_group!(benches, handshakes);
criterion_main!(benches);
