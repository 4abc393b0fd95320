//! `device-sim`: the firmware core on the host (see `device-sim --help`).

mod cli;
mod flash_file;
mod host;
mod http;
mod legacy;
mod mqtt;
mod radio_file;
mod sec2_file;

use std::io::Write;

use anyhow::{Context, bail};
use clap::Parser;
use firmware_core::device::{Device, DeviceConfig, Hardware};
use firmware_core::sim_radio::SimRadio;
use protocol::security::device::DeviceSecurity;
use protocol::security::manufacture::sec2_credentials;
use serde_json::json;

use cli::{Args, valid_serial};
use host::{Host, OsEntropy};

/// A random 8-character label code from an alphabet without look-alikes.
fn random_pop() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("operating system random source unavailable");
    b.iter()
        .map(|x| ALPHABET[*x as usize % ALPHABET.len()] as char)
        .collect()
}

/// The manufacture step: turn the label code (or a salt and verifier made elsewhere) into what
/// the device stores.
fn security(args: &Args, pop: &str) -> anyhow::Result<DeviceSecurity> {
    Ok(match args.security {
        0 => DeviceSecurity::Sec0,
        1 => DeviceSecurity::sec1(pop.as_bytes()),
        _ => {
            let sec2 = match &args.sec2_credentials {
                Some(path) => {
                    let c = sec2_file::load(path)?;
                    DeviceSecurity::sec2(&c.salt, &c.verifier)
                }
                None => {
                    let c =
                        sec2_credentials(args.sec2_username.as_bytes(), pop.as_bytes(), &mut OsRng);
                    DeviceSecurity::sec2(&c.salt, &c.verifier)
                }
            };
            sec2.map_err(|e| anyhow::anyhow!("security 2 credentials: {e}"))?
        }
    })
}

/// OS randomness as a `rand_core` RNG for the manufacture helper.
struct OsRng;

impl rand_core::TryRng for OsRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        getrandom::fill(dst).expect("operating system random source unavailable");
        Ok(())
    }
}

impl rand_core::TryCryptoRng for OsRng {}

/// The broker settings the lab firmware had compiled in (`--legacy-broker`, `--legacy-broker-ca`).
fn legacy_broker(args: &Args) -> anyhow::Result<firmware_core::store::MqttSettings> {
    let addr = args.legacy_broker.as_deref().unwrap_or_default();
    let (host, port) = addr
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
        .with_context(|| format!("--legacy-broker {addr:?} is not host:port"))?;
    let ca_path = args
        .legacy_broker_ca
        .as_deref()
        .unwrap_or(std::path::Path::new(""));
    let server_ca_pem = std::fs::read_to_string(ca_path)
        .with_context(|| format!("reading --legacy-broker-ca {}", ca_path.display()))?;
    Ok(firmware_core::store::MqttSettings {
        host: host.to_owned(),
        port,
        client_id: args.serial.clone(),
        topic_prefix: "devices".into(),
        server_ca_pem,
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !valid_serial(&args.serial) {
        bail!(
            "invalid serial {:?}: 4..=32 characters of A-Z a-z 0-9 _ -, starting with a letter or digit",
            args.serial
        );
    }
    if args.sec2_credentials.is_some() && args.security != 2 {
        bail!("--sec2-credentials needs --security 2");
    }
    if args.sec2_username.is_empty() {
        bail!("--sec2-username must not be empty");
    }
    let pop = match &args.pop {
        Some(p) if p.is_empty() && args.security != 0 => {
            bail!("the PoP must not be empty at security {}", args.security)
        }
        Some(p) => p.clone(),
        None => random_pop(),
    };
    let aps = match &args.radio {
        Some(path) => radio_file::load(path)?,
        None => SimRadio::default_aps(),
    };
    let mut radio = SimRadio::new(aps);
    if args.drop_link_after_apply {
        radio.set_drop_link_after_join(args.drop_link_ms);
    }
    let mut flash = flash_file::load(args.flash.as_deref())?;
    if args.factory_reset {
        flash = firmware_core::mem_flash::MemFlash::new(flash_file::SECTOR, flash_file::SECTORS);
    }
    let mut flash_file = flash_file::FlashFile::new(args.flash.clone(), &[]);
    if !args.factory_reset {
        flash_file = flash_file::FlashFile::new(args.flash.clone(), flash.as_bytes());
    }

    let mut config = DeviceConfig::new(&args.serial, security(&args, &pop)?);
    config.model = args.model.clone();
    config.window_ms = args.window_secs.saturating_mul(1000);
    config.lockout_ms = args.lockout_secs.saturating_mul(1000);
    config.post_connect_grace_ms = args.grace_secs.saturating_mul(1000);
    let softap = config.softap_ssid.clone();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = runtime
        .block_on(http::bind(args.listen))
        .with_context(|| format!("listening on {}", args.listen))?;
    let listen = listener.local_addr()?;

    // With a salt and verifier made elsewhere the device knows no PoP to print.
    let label_pop = args.sec2_credentials.is_none().then_some(pop.as_str());
    let label = json!({
        "serial": args.serial,
        "softap": softap,
        "pop": label_pop,
        "security": args.security,
        "listen": listen.to_string(),
        "qr": {"ver": "v1", "name": softap, "pop": label_pop, "transport": "softap", "security": args.security, "password": ""},
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{label}")?;
    out.flush()?;
    drop(out);

    let mqtt = mqtt::SimMqtt::new(runtime.handle().clone());
    let device = Device::new(
        config,
        Hardware {
            radio,
            flash,
            mqtt,
            entropy: OsEntropy,
        },
    );
    let host = Host::new(device, flash_file);
    if let Some(app) = args.legacy_connect {
        let broker = legacy_broker(&args)?;
        let host = host.clone();
        std::thread::spawn(move || legacy::run(host, app, broker));
    }
    eprintln!(
        "device-sim: serial {} security {} listening on http://{listen}",
        args.serial, args.security
    );
    runtime.block_on(async move {
        tokio::spawn(host.clone().run_ticks());
        tokio::select! {
            _ = http::run(listener, host, std::time::Duration::from_millis(args.latency_ms)) => {}
            _ = tokio::signal::ctrl_c() => eprintln!("device-sim: interrupted, stopping"),
        }
    });
    Ok(())
}
