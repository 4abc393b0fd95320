//! Benchmarks (not tests): one whole provisioning on loopback (median of several runs, each on
//! a fresh simulated device) and a batch of 100 simulated devices.
//! Run: `cargo bench -p e2e --bench provisioning` (targets: < 250 ms median, < 10 s batch).
//! The simulated Wi-Fi join takes `BENCH_JOIN_DELAY_MS` (default 0, so the figure is the host,
//! cloud and device-protocol path; the simulator's own default radio takes 368 ms). A failed
//! run is printed with its error and makes the benchmark exit non-zero.

use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::{Cloud, RunDir, Sim, SimOpts, signed_in_host};

const POP: &str = "bench-pop-1";

fn main() {
    let single: usize = std::env::var("BENCH_SINGLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let batch: usize = std::env::var("BENCH_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let parallel: usize = std::env::var("BENCH_PARALLEL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let join_delay_ms: u64 = std::env::var("BENCH_JOIN_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let opts = SimOpts {
        join_delay_ms: Some(join_delay_ms),
        ..Default::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let run = RunDir::new();
        let cloud = Cloud::start(&run);
        let serials: Vec<String> = (0..single + batch)
            .map(|i| format!("SN-BENCH-{i:04}"))
            .collect();
        let refs: Vec<&str> = serials.iter().map(String::as_str).collect();
        cloud.add_serials(&refs);
        let host = signed_in_host(&run, &cloud, "bench@example.com", "bench-Pw-123").await;

        let mut times = Vec::new();
        for sn in &serials[..single] {
            let sim = Sim::start(&run, sn, POP, &opts);
            let t = Instant::now();
            host.provision(&sim.plan(POP, "correct horse", 60), &|_| {})
                .await
                .expect("provisioning");
            times.push(t.elapsed());
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "single provisioning ({single} runs, join delay {join_delay_ms} ms): median {:.1} ms, min {:.1} ms, max {:.1} ms",
            ms(times[times.len() / 2]),
            ms(times[0]),
            ms(times[times.len() - 1])
        );

        let sims: Vec<Sim> = serials[single..]
            .iter()
            .map(|sn| Sim::start(&run, sn, POP, &opts))
            .collect();
        let host = Arc::new(host);
        let sem = Arc::new(tokio::sync::Semaphore::new(parallel));
        let t = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for sim in &sims {
            let (host, sem, plan) = (host.clone(), sem.clone(), sim.plan(POP, "correct horse", 60));
            set.spawn(async move {
                let _p = sem.acquire_owned().await.unwrap();
                host.provision(&plan, &|_| {}).await
            });
        }
        let mut ok = 0;
        let mut failures = std::collections::BTreeMap::<String, usize>::new();
        while let Some(r) = set.join_next().await {
            match r.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => *failures.entry(format!("[{}] {}", e.code, e.message)).or_default() += 1,
            }
        }
        for (why, n) in &failures {
            eprintln!("{n} failed: {why}");
        }
        println!(
            "batch of {batch} devices ({parallel} at a time): {:.2} s, {ok} ok",
            t.elapsed().as_secs_f64()
        );
        assert_eq!(ok, batch, "every device of the batch must be provisioned");
    });
}
