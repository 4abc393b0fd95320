//! `provisiond`: the self-hosted certificate service and its admin commands.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use cloud::audit::Event;
use cloud::local::accounts::{LocalAccounts, normalize_email};
use cloud::local::audit::{self, Head};
use cloud::local::authority::{publish_crl, revoke};
use cloud::local::conn_limits::ConnLimits;
use cloud::local::hash_pool::HashPoolSize;
use cloud::local::jwt::JwtKeys;
use cloud::local::rate_limit::RateLimits;
use cloud::local::server::{DataDir, ServeOptions, serve, signal_running_server};
use cloud::local::store::SqliteStore;
use cloud::serial::Serial;

#[derive(Parser)]
#[command(
    name = "provisiond",
    version,
    about = "Self-hosted IoT certificate service (HTTPS API + mosquitto)"
)]
struct Cli {
    /// Data directory: database, CA (ca.pem is what the app and devices trust), keys, broker files.
    #[arg(
        long,
        global = true,
        env = "PROVISIOND_DATA_DIR",
        default_value = "provisiond-data"
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTPS API and the MQTT broker; prints one JSON ready line on stdout.
    Serve {
        /// HTTPS address (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// MQTT port (0 picks a free port).
        #[arg(long, default_value_t = 8883)]
        mqtt_port: u16,
        /// Address the broker binds.
        #[arg(long, default_value = "127.0.0.1")]
        mqtt_bind: String,
        /// Host name or IP that devices and the app use to reach this machine.
        #[arg(long, default_value = "127.0.0.1")]
        public_host: String,
        /// Open HTTPS connections at once, all clients together.
        #[arg(long, default_value_t = ConnLimits::default().max_connections)]
        max_connections: usize,
        /// Open HTTPS connections at once from one IP address.
        #[arg(long, default_value_t = ConnLimits::default().max_per_ip)]
        max_connections_per_ip: usize,
        /// Seconds a client has for its TLS handshake, and again for each request head
        /// (also the idle time after which a kept-alive connection is closed).
        #[arg(long, default_value_t = ConnLimits::default().header_timeout.as_secs())]
        header_timeout_secs: u64,
        /// Seconds one request may take, body upload included.
        #[arg(long, default_value_t = ConnLimits::default().request_timeout.as_secs())]
        request_timeout_secs: u64,
        /// Requests per minute from one IP address on sign-up, sign-in, confirm, refresh,
        /// resend, forgot, confirm-forgot and /cert (also the burst).
        #[arg(long, default_value_t = RateLimits::default().per_ip_per_min)]
        rate_per_ip: u32,
        /// Requests per minute for one account on the same routes (also the burst).
        #[arg(long, default_value_t = RateLimits::default().per_account_per_min)]
        rate_per_account: u32,
        /// Password hashes computed at once.
        #[arg(long, default_value_t = HashPoolSize::default().workers)]
        hash_workers: usize,
        /// Sign-ins and sign-ups admitted at once (hashing or waiting); more get 503.
        #[arg(long, default_value_t = HashPoolSize::default().queue)]
        hash_queue: usize,
    },
    /// Registered serial numbers.
    Serial {
        #[command(subcommand)]
        command: SerialCommand,
    },
    /// Devices (registered serials with their owner and certificate).
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// User accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The hash-chained audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum SerialCommand {
    /// Register one serial.
    Add { sn: String },
    /// Register every serial of a CSV file (first column; a header line `sn` is skipped).
    Import { file: PathBuf },
    /// List registered serials.
    List,
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// List devices as JSON lines.
    List,
    /// Revoke a device's active certificate (the broker refuses it from then on).
    Revoke { sn: String },
    /// Unbind a device from its owner, so another account may provision it.
    Release { sn: String },
}

#[derive(Subcommand)]
enum UserCommand {
    /// List accounts.
    List,
    /// Show the pending confirmation code of an account.
    Code { email: String },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the chain: prints the head `SEQ:HASH` when intact; fails naming the first bad
    /// seq (edited, removed, reordered or cut) otherwise.
    Verify {
        /// A head printed earlier and kept elsewhere: the log must still hold it (this also
        /// catches a log rewritten from some entry on, head and all).
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<Head>,
    },
    /// Print the entries, oldest first.
    List {
        /// Only entries after this seq.
        #[arg(long, default_value_t = 0)]
        since: i64,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Logs go to stderr; stdout carries only the ready line and command output.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PROVISIOND_LOG")
                .unwrap_or_else(|_| "info,rumqttc=warn".into()),
        )
        .init();
    let rt = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Serve {
            listen,
            mqtt_port,
            mqtt_bind,
            public_host,
            max_connections,
            max_connections_per_ip,
            header_timeout_secs,
            request_timeout_secs,
            rate_per_ip,
            rate_per_account,
            hash_workers,
            hash_queue,
        } => rt.block_on(serve(ServeOptions {
            data_dir: cli.data_dir,
            listen,
            mqtt_bind,
            mqtt_port,
            public_host,
            limits: ConnLimits {
                max_connections,
                max_per_ip: max_connections_per_ip,
                handshake_timeout: Duration::from_secs(header_timeout_secs),
                header_timeout: Duration::from_secs(header_timeout_secs),
                request_timeout: Duration::from_secs(request_timeout_secs),
            },
            rates: RateLimits {
                per_ip_per_min: rate_per_ip,
                per_account_per_min: rate_per_account,
            },
            hash_pool: HashPoolSize {
                workers: hash_workers,
                queue: hash_queue,
            },
        })),
        Command::Serial { command } => serial(&cli.data_dir, command),
        Command::Device { command } => device(&cli.data_dir, command),
        Command::User { command } => user(&cli.data_dir, command),
        Command::Audit { command } => audit_log(&cli.data_dir, command),
    }
}

fn parse_serial(s: &str) -> anyhow::Result<Serial> {
    Serial::parse(s.trim()).with_context(|| format!("{s:?} is not a valid serial number"))
}

fn serial(dir: &Path, command: SerialCommand) -> anyhow::Result<()> {
    let data = DataDir::open(dir)?;
    let store = SqliteStore::new(data.db);
    match command {
        SerialCommand::Add { sn } => {
            let sn = parse_serial(&sn)?;
            let new = store.add_serial(&sn)?;
            println!("{sn} {}", if new { "added" } else { "already registered" });
        }
        SerialCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            // Validate every line before writing any, so a bad file changes nothing.
            let mut sns = Vec::new();
            for (i, line) in text.lines().enumerate() {
                let first = line
                    .split(',')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches('"');
                if first.is_empty() || (i == 0 && first.eq_ignore_ascii_case("sn")) {
                    continue;
                }
                sns.push(parse_serial(first).with_context(|| format!("line {}", i + 1))?);
            }
            let added = store.add_serials(&sns)?;
            println!("{added} added, {} already registered", sns.len() - added);
        }
        SerialCommand::List => {
            for d in store.list()? {
                println!("{}", d.sn);
            }
        }
    }
    Ok(())
}

fn device(dir: &Path, command: DeviceCommand) -> anyhow::Result<()> {
    let data = DataDir::open(dir)?;
    let store = SqliteStore::new(data.db.clone());
    match command {
        DeviceCommand::List => {
            for d in store.list()? {
                println!("{}", serde_json::to_string(&d)?);
            }
        }
        DeviceCommand::Revoke { sn } => {
            let sn = parse_serial(&sn)?;
            let ids = revoke(&data.db, &sn, None, None)?;
            if ids.is_empty() {
                bail!("{sn} has no active certificate");
            }
            // A running server is the one CRL writer; only without one is the file written here.
            let running = signal_running_server(&data.dir);
            if !running {
                publish_crl(
                    &data.db,
                    &data.ca,
                    &data.dir,
                    cloud::local::crl::validity_from_env(),
                )?;
            }
            println!(
                "{sn}: {} certificate(s) revoked{}",
                ids.len(),
                if running {
                    "; the broker applies it now"
                } else {
                    ""
                }
            );
        }
        DeviceCommand::Release { sn } => {
            let sn = parse_serial(&sn)?;
            if !store.release(&sn)? {
                bail!("{sn} is not registered");
            }
            println!("{sn} released");
        }
    }
    Ok(())
}

fn user(dir: &Path, command: UserCommand) -> anyhow::Result<()> {
    let data = DataDir::open(dir)?;
    let keys = std::sync::Arc::new(JwtKeys::load_or_create(dir)?);
    let data_db = data.db.clone();
    let accounts = LocalAccounts::new(data.db, keys);
    match command {
        UserCommand::List => {
            for (email, confirmed) in accounts.list()? {
                println!(
                    "{email} {}",
                    if confirmed {
                        "confirmed"
                    } else {
                        "unconfirmed"
                    }
                );
            }
        }
        UserCommand::Code { email } => match accounts.pending_code(&email)? {
            Some(code) => {
                let email = normalize_email(&email)?;
                audit::record(&data_db, &Event::code_shown(&email))?;
                println!("{code}");
            }
            None => bail!("no pending confirmation code for {email}"),
        },
    }
    Ok(())
}

fn audit_log(dir: &Path, command: AuditCommand) -> anyhow::Result<()> {
    let data = DataDir::open(dir)?;
    match command {
        AuditCommand::Verify { expect_head } => {
            match audit::verify(&mut data.db.conn(), expect_head.as_ref())? {
                Ok(head) => println!("{head}"),
                Err(broken) => bail!("the audit log is not intact: {broken}"),
            }
        }
        AuditCommand::List { since, json } => {
            for e in audit::list(&data.db.conn(), since)? {
                if json {
                    println!("{}", serde_json::to_string(&e)?);
                } else {
                    println!(
                        "{} {} {} {} {} {}",
                        e.seq, e.at_ms, e.actor, e.action, e.subject, e.detail
                    );
                }
            }
        }
    }
    Ok(())
}
