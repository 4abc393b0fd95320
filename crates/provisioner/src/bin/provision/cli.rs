//! Command-line arguments and what each command does (one core call each).

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use provisioner::app::{Plan, Provisioner, QrPayload, Target};
use provisioner::link::LinkMode;
use provisioner::profile::{Backend, Paths, Profile};
use provisioner::wizard::CertMode;
use provisioner::{Error, ErrorCode, Result};

use crate::{batch, output, secrets_in};

/// Provision Wi-Fi IoT devices: sign in, get certificates, send Wi-Fi and cloud settings.
///
/// Secrets come from the environment or a prompt, never from the command line:
/// IOTP_PASSWORD (account), IOTP_POP (device code), IOTP_WIFI_PASSPHRASE (home network),
/// IOTP_CLIENT_SECRET (AWS app client secret).
#[derive(Parser, Debug)]
#[command(name = "provision", version)]
pub struct Args {
    /// Print results as JSON (progress as JSON lines on stderr).
    #[arg(long, global = true)]
    pub json: bool,
    /// Keep configuration and state under this directory instead of the platform's.
    #[arg(long, global = true, env = "IOTP_HOME")]
    pub home: Option<PathBuf>,
    /// Sign in as this account first if not signed in (password from IOTP_PASSWORD).
    #[arg(long, global = true, env = "IOTP_EMAIL")]
    pub email: Option<String>,
    /// Also print the libraries' own words behind an error (TLS, keyring, OS) and their logs.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Choose the provisioning service.
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Create an account (password from IOTP_PASSWORD or a prompt).
    Signup {
        /// E-mail address.
        email: String,
    },
    /// Confirm an account with its code (e-mailed, or on a self-hosted service read by its
    /// administrator with `provisiond user code EMAIL`).
    Confirm {
        /// E-mail address.
        email: String,
        /// The code.
        code: String,
    },
    /// Ask for a new confirmation code (the old one stops working).
    ResendCode {
        /// E-mail address.
        email: String,
    },
    /// Sign in (password from IOTP_PASSWORD or a prompt).
    Login {
        /// E-mail address.
        email: String,
    },
    /// Sign out everywhere: the service ends every session of the account (with --email,
    /// signs in first when this computer keeps no session).
    Logout,
    /// Show the signed-in account.
    Whoami,
    /// Check a serial with the service, or get a certificate for a CSR file.
    Cert {
        /// Device serial number.
        serial: String,
        /// A CSR (PEM) made by the device: prints the certificate for it.
        #[arg(long)]
        csr: Option<PathBuf>,
    },
    /// Talk to a device.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Provision one device: certificate, Wi-Fi, apply, confirm online.
    Run(RunArgs),
    /// Wi-Fi only, as Espressif's apps do it, for a stock ESP-IDF device (no certificate, no
    /// sign-in): session, Wi-Fi settings, apply, the device's verdict. Passphrase from
    /// IOTP_WIFI_PASSPHRASE or a prompt.
    Wifi {
        /// Home network name.
        #[arg(long)]
        ssid: String,
        #[command(flatten)]
        device: DeviceArgs,
    },
    /// Finish a run that was interrupted (a crash, a closed terminal) from where it stopped.
    /// Before the device applied its settings this needs the PoP (IOTP_POP) and passphrase
    /// (IOTP_WIFI_PASSPHRASE) again, which are never stored; after, the PoP is optional.
    Resume {
        /// The device whose run to finish (default: the most advanced interrupted run).
        #[arg(long)]
        serial: Option<String>,
        /// The home network, if the run stopped before one was chosen.
        #[arg(long)]
        ssid: Option<String>,
        /// Seconds to wait for the device's first message.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Provision every device of a CSV file (serial,softap,pop,ssid,passphrase[,url]).
    Batch(batch::BatchArgs),
}

#[derive(Subcommand, Debug)]
pub enum ProfileCmd {
    /// The self-hosted service.
    SelfHosted {
        /// Its URL, e.g. https://provisioning.example:8443
        url: String,
        /// CA certificate (PEM) that signed the server's certificate.
        #[arg(long)]
        ca: Option<PathBuf>,
        /// Profile name.
        #[arg(long, default_value = "default")]
        name: String,
    },
    /// The AWS deployment, from `aws cloudformation describe-stacks` output (client secret,
    /// if the app client has one, from IOTP_CLIENT_SECRET).
    Aws {
        /// JSON file with the stack outputs.
        #[arg(long)]
        stack_outputs: PathBuf,
        /// Cognito endpoint override (local testing).
        #[arg(long)]
        cognito_endpoint: Option<String>,
        /// Profile name.
        #[arg(long, default_value = "default")]
        name: String,
    },
    /// Show the active profile.
    Show,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LinkArg {
    /// Join the device's network with the OS (NetworkManager on Linux).
    Auto,
    /// You join the device's network; we wait for it.
    Manual,
    /// Talk to the device's address directly (simulator, wired).
    Direct,
}

impl From<LinkArg> for LinkMode {
    fn from(l: LinkArg) -> Self {
        match l {
            LinkArg::Auto => LinkMode::Auto,
            LinkArg::Manual => LinkMode::Manual,
            LinkArg::Direct => LinkMode::Direct,
        }
    }
}

/// How to reach a device (PoP from IOTP_POP, the QR payload, or a prompt).
#[derive(ClapArgs, Debug, Clone)]
pub struct DeviceArgs {
    /// Device address.
    #[arg(long, default_value = Target::SOFTAP_URL)]
    pub url: String,
    /// How to reach the device's network.
    #[arg(long, value_enum, default_value = "auto")]
    pub link: LinkArg,
    /// The device's network name (default PROV_ + last 4 of the serial).
    #[arg(long)]
    pub softap: Option<String>,
    /// Use the QR payload printed on the device (JSON, gives the network name and PoP), read
    /// from IOTP_QR or asked for: it holds the PoP, so it is never taken from the command line,
    /// where every local user could read it.
    #[arg(long)]
    pub qr: bool,
    /// Read the QR payload from this file ("-": standard input) instead.
    #[arg(long, conflicts_with = "qr")]
    pub qr_file: Option<std::path::PathBuf>,
    /// Accept a device with no session encryption (security 0): bench use only.
    #[arg(long)]
    pub allow_insecure: bool,
    /// Session security to insist on (default: the QR code's, else 2). The device's own
    /// `proto-ver` never lowers it; 1 and 0 are for old firmware only (0 also needs
    /// --allow-insecure).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=2))]
    pub security: Option<u32>,
}

#[derive(Subcommand, Debug)]
pub enum DeviceCmd {
    /// Serial, model, firmware of the device.
    Info(DeviceArgs),
    /// The Wi-Fi networks the device sees.
    Scan(DeviceArgs),
    /// The service's record of a device (owner, status, last seen).
    Status {
        /// Serial.
        serial: String,
    },
}

#[derive(ClapArgs, Debug)]
pub struct RunArgs {
    /// Device serial number.
    #[arg(long)]
    pub serial: String,
    /// Home network name.
    #[arg(long)]
    pub ssid: String,
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Let the service make the private key (seed-lab compatible) instead of the device.
    #[arg(long)]
    pub cloud_key: bool,
    /// Seconds to wait for the device's first message.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// Seed lab legacy mode, for devices running the lab firmware (explicit opt-in): the
    /// device connects to this computer over TLS and receives a cloud-made private key, its
    /// certificate and the Wi-Fi settings without any authentication. No PoP is used.
    #[arg(long, conflicts_with_all = ["cloud_key", "allow_insecure", "qr", "qr_file"])]
    pub legacy: bool,
    /// Where to listen for the legacy device: this computer's address on the device's
    /// network (its firmware connects to port 7070); never every interface.
    #[arg(long, default_value = "192.168.4.2:7070", requires = "legacy")]
    pub legacy_listen: std::net::SocketAddr,
}

impl DeviceArgs {
    /// The QR payload text, from `--qr-file`, or with `--qr` from IOTP_QR or a prompt.
    fn qr_payload(&self) -> Result<Option<String>> {
        if let Some(path) = &self.qr_file {
            let text = if path.as_os_str() == "-" {
                let mut t = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut t)
                    .map(|_| t)
                    .map_err(|e| Error::invalid(format!("Cannot read the QR payload: {e}")))?
            } else {
                std::fs::read_to_string(path).map_err(|e| {
                    Error::invalid(format!(
                        "Cannot read the QR payload {}: {e}",
                        path.display()
                    ))
                })?
            };
            return Ok(Some(text.trim().to_owned()));
        }
        if self.qr || std::env::var_os("IOTP_QR").is_some() {
            return secrets_in::read("IOTP_QR", "QR payload printed on the device").map(Some);
        }
        Ok(None)
    }

    /// The target, reading the PoP from IOTP_POP / the QR payload / a prompt.
    pub fn target(&self, serial: Option<&str>) -> Result<Target> {
        let qr = self
            .qr_payload()?
            .as_deref()
            .map(QrPayload::parse)
            .transpose()?;
        let softap = match (&self.softap, &qr, serial) {
            (Some(s), _, _) => s.clone(),
            (None, Some(q), _) => q.name.clone(),
            (None, None, Some(sn)) => provisioner::validate::Serial::parse(sn)?.default_softap(),
            (None, None, None) => {
                return Err(Error::invalid(
                    "Give the device's network name with --softap (or --qr).",
                ));
            }
        };
        let pop = match &qr {
            Some(q) if !q.pop.is_empty() => q.pop.clone(),
            _ => secrets_in::read("IOTP_POP", "Proof-of-possession code printed on the device")?,
        };
        let security = self.security.or(qr.as_ref().and_then(|q| q.security));
        let target = Target {
            url: self.url.clone(),
            link: self.link.into(),
            softap,
            softap_password: qr.and_then(|q| q.password),
            pop,
            allow_sec0: self.allow_insecure,
            security,
        };
        if target.policy()?.is_lowered() {
            eprintln!(
                "warning: accepting security {} for this device: {}",
                security.unwrap_or(2),
                provisioner::device::LOW_SECURITY_WARNING
            );
        }
        Ok(target)
    }
}

async fn ensure_signed_in(p: &Provisioner, email: Option<&str>) -> Result<()> {
    if p.profile().await.is_none() {
        return Err(Error::new(
            ErrorCode::NotConfigured,
            "No provisioning service is chosen: run `provision profile self-hosted URL` or `provision profile aws --stack-outputs FILE` first.",
        ));
    }
    if p.current_account().await.is_some() {
        return Ok(());
    }
    match email {
        Some(e) => {
            let pw = secrets_in::read("IOTP_PASSWORD", "Password")?;
            p.sign_in(e, &pw).await.map(drop)
        }
        None => Err(Error::new(
            ErrorCode::NotSignedIn,
            "You are not signed in: run `provision login EMAIL` (or pass --email with IOTP_PASSWORD set).",
        )),
    }
}

/// What to do next after an account error, in `provision` commands (the core's message says
/// what happened and, for a self-hosted service, where the code is).
pub fn next_step(e: &Error, email: Option<&str>) -> Option<String> {
    let email = email.unwrap_or("EMAIL");
    match e.code {
        ErrorCode::UserNotConfirmed => Some(format!(
            "Confirm it with `provision confirm {email} CODE`, then sign in again."
        )),
        ErrorCode::BadCode => Some(format!(
            "Type the code again, or make a new one with `provision resend-code {email}`."
        )),
        _ => None,
    }
}

/// The e-mail address a command is about, for [`next_step`].
pub fn account_of(args: &Args) -> Option<String> {
    match &args.command {
        Command::Signup { email }
        | Command::Confirm { email, .. }
        | Command::ResendCode { email }
        | Command::Login { email } => Some(email.clone()),
        _ => args.email.clone(),
    }
}

/// Runs one command.
pub async fn run(args: Args) -> Result<()> {
    let (secrets, notice) = provisioner::secrets::open_default();
    let paths = match &args.home {
        Some(h) => Paths::under(h),
        None => Paths::platform()?,
    };
    let p = Provisioner::open(paths, secrets, notice).await?;
    if p.recovered_link() {
        eprintln!(
            "note: this computer was put back on its previous network after an interrupted run."
        );
    }
    let json = args.json;
    let email = args.email.as_deref();
    match args.command {
        Command::Profile(cmd) => profile(&p, json, cmd).await,
        Command::Signup { email } => {
            let pw = secrets_in::read("IOTP_PASSWORD", "New password")?;
            let next = p.sign_up(&email, &pw).await?;
            let self_hosted = matches!(
                p.profile().await.map(|pr| pr.backend),
                Some(Backend::SelfHosted { .. })
            );
            output::result(
                json,
                &serde_json::json!({"email": email, "next": next}),
                || match (next, self_hosted) {
                    (provisioner::auth::SignUpNext::Done, _) => {
                        format!("Account {email} created: sign in with `provision login {email}`.")
                    }
                    (_, true) => format!(
                        "Account {email} created. This service sends no e-mail: its administrator reads your confirmation code with `provisiond user code {email}`. Then run `provision confirm {email} CODE`."
                    ),
                    (_, false) => format!(
                        "Account {email} created: a confirmation code is on its way to {email}. Then run `provision confirm {email} CODE`."
                    ),
                },
            );
            Ok(())
        }
        Command::ResendCode { email } => {
            p.resend_code(&email).await?;
            let self_hosted = matches!(
                p.profile().await.map(|pr| pr.backend),
                Some(Backend::SelfHosted { .. })
            );
            output::result(
                json,
                &serde_json::json!({"email": email, "resent": true}),
                || {
                    if self_hosted {
                        format!(
                            "A new code was made; the old one no longer works. Its administrator reads it with `provisiond user code {email}`."
                        )
                    } else {
                        format!("A new code is on its way to {email}; the old one no longer works.")
                    }
                },
            );
            Ok(())
        }
        Command::Confirm { email, code } => {
            p.confirm_sign_up(&email, &code).await?;
            output::result(
                json,
                &serde_json::json!({"email": email, "confirmed": true}),
                || format!("Account {email} confirmed: sign in with `provision login {email}`."),
            );
            Ok(())
        }
        Command::Login { email } => {
            let pw = secrets_in::read("IOTP_PASSWORD", "Password")?;
            let who = p.sign_in(&email, &pw).await?;
            if let Some(n) = p.keyring_notice() {
                eprintln!("note: {n}");
            }
            output::result(json, &serde_json::json!({"email": who}), || {
                format!("Signed in as {who}.")
            });
            Ok(())
        }
        Command::Logout => {
            // With --email (and IOTP_PASSWORD) this signs in first, so that the sign-out
            // reaches the service even where no keyring kept an earlier session.
            if email.is_some() {
                ensure_signed_in(&p, email).await?;
            }
            p.sign_out().await?;
            output::result(json, &serde_json::json!({"signed_out": true}), || {
                "Signed out.".into()
            });
            Ok(())
        }
        Command::Whoami => {
            ensure_signed_in(&p, email).await.ok();
            let who = p.current_account().await;
            output::result(json, &serde_json::json!({"email": who}), || match &who {
                Some(w) => w.clone(),
                None => "Not signed in.".into(),
            });
            Ok(())
        }
        Command::Cert { serial, csr } => {
            ensure_signed_in(&p, email).await?;
            match csr {
                Some(path) => {
                    let pem = std::fs::read_to_string(&path).map_err(|e| {
                        Error::invalid(format!("Cannot read {}: {e}", path.display()))
                    })?;
                    let b = p.certificate_for_csr(&serial, &pem).await?;
                    output::result(json, &b, || b.certificate_pem.clone());
                }
                None => {
                    let r = p.device_status(&serial).await?;
                    output::result(json, &r, || {
                        format!(
                            "{}: {} (owner {})",
                            r.sn,
                            r.status.clone().unwrap_or_default(),
                            r.owner.clone().unwrap_or_else(|| "none".into())
                        )
                    });
                }
            }
            Ok(())
        }
        Command::Device(cmd) => device(&p, json, email, cmd).await,
        Command::Run(r) if r.legacy => {
            ensure_signed_in(&p, email).await?;
            legacy_run(&p, json, r).await
        }
        Command::Run(r) => {
            ensure_signed_in(&p, email).await?;
            let target = r.device.target(Some(&r.serial))?;
            let passphrase = secrets_in::read(
                "IOTP_WIFI_PASSPHRASE",
                &format!("Passphrase of \"{}\"", r.ssid),
            )?;
            let plan = Plan {
                serial: r.serial,
                target,
                ssid: r.ssid,
                passphrase,
                cert_mode: if r.cloud_key {
                    CertMode::CloudKey
                } else {
                    CertMode::DeviceCsr
                },
                online_timeout_secs: r.timeout,
            };
            if plan.cert_mode == CertMode::CloudKey {
                eprintln!(
                    "warning: the service makes the private key and sends it through this computer; prefer the device's own key (drop --cloud-key)."
                );
            }
            let events = output::progress(json);
            let online = p.provision(&plan, &events).await?;
            output::online(json, &online, "");
            Ok(())
        }
        Command::Wifi { ssid, device } => {
            let target = device.target(None)?;
            let passphrase =
                secrets_in::read("IOTP_WIFI_PASSPHRASE", &format!("Passphrase of \"{ssid}\""))?;
            let plan = provisioner::app::WifiPlan {
                target,
                ssid,
                passphrase,
            };
            let events = output::progress(json);
            let done = p.provision_wifi(&plan, &events).await?;
            output::result(json, &done, || {
                let how = match &done.joined {
                    provisioner::wizard::JoinEvidence::DeviceReported { ip } => {
                        format!("it reports address {ip}")
                    }
                    _ => "the link dropped before it could report".into(),
                };
                format!(
                    "{} joined \"{}\" (Wi-Fi only, security {}): {how}.",
                    done.softap, done.ssid, done.sec_ver
                )
            });
            Ok(())
        }
        Command::Resume {
            serial,
            ssid,
            timeout,
        } => {
            ensure_signed_in(&p, email).await?;
            let journal = match &serial {
                Some(sn) => p.interrupted_runs().into_iter().find(|j| &j.serial == sn),
                None => p.interrupted_run(),
            }
            .ok_or_else(|| Error::invalid("There is no interrupted run to resume."))?;
            // Secrets are asked for only when the stage needs them.
            let before_apply = journal.stage < provisioner::wizard::Stage::Applied;
            let (pop, passphrase) = if before_apply {
                let network = ssid.clone().or(journal.ssid.clone()).unwrap_or_default();
                (
                    Some(secrets_in::read(
                        "IOTP_POP",
                        "Proof-of-possession code printed on the device",
                    )?),
                    Some(secrets_in::read(
                        "IOTP_WIFI_PASSPHRASE",
                        &format!("Passphrase of \"{network}\""),
                    )?),
                )
            } else {
                (std::env::var("IOTP_POP").ok(), None)
            };
            let req = provisioner::app::ResumeRequest {
                serial: Some(journal.serial.clone()),
                pop,
                ssid,
                passphrase,
                online_timeout_secs: timeout,
            };
            let events = output::progress(json);
            let online = p.resume_run(&req, &events).await?;
            output::result(json, &online, || format!("{} is online.", online.serial));
            Ok(())
        }
        Command::Batch(b) => {
            ensure_signed_in(&p, email).await?;
            batch::run(Arc::new(p), json, b).await
        }
    }
}

/// `run --legacy`: warns, then pushes the credentials the way the seed lab's firmware expects.
async fn legacy_run(p: &Provisioner, json: bool, r: RunArgs) -> Result<()> {
    use provisioner::device::legacy::LEGACY_WARNING;
    use provisioner::legacy_flow::LegacyOptions;
    eprintln!("warning: {LEGACY_WARNING}");
    let softap = match &r.device.softap {
        Some(s) => s.clone(),
        None => provisioner::validate::Serial::parse(&r.serial)?.default_softap(),
    };
    let passphrase = secrets_in::read(
        "IOTP_WIFI_PASSPHRASE",
        &format!("Passphrase of \"{}\"", r.ssid),
    )?;
    let plan = Plan {
        serial: r.serial,
        target: Target {
            url: r.device.url.clone(),
            link: r.device.link.into(),
            softap,
            softap_password: None,
            // The lab firmware has no proof of possession.
            pop: String::new(),
            allow_sec0: false,
            security: None,
        },
        ssid: r.ssid,
        passphrase,
        cert_mode: CertMode::CloudKey,
        online_timeout_secs: r.timeout,
    };
    let opts = LegacyOptions {
        listen: r.legacy_listen,
        accept_risk: true,
        wait_secs: r.timeout,
    };
    let events = output::progress(json);
    let online = p.provision_legacy(&plan, &opts, &events).await?;
    output::online(json, &online, "legacy mode; ");
    Ok(())
}

async fn profile(p: &Provisioner, json: bool, cmd: ProfileCmd) -> Result<()> {
    match cmd {
        ProfileCmd::SelfHosted { url, ca, name } => {
            let ca = ca.map(|c| std::fs::canonicalize(&c).unwrap_or(c));
            let prof = Profile {
                name,
                backend: Backend::SelfHosted { url, ca_path: ca },
            };
            p.set_profile(prof.clone(), None).await?;
            output::result(json, &prof, || {
                format!("Using the self-hosted service (profile {}).", prof.name)
            });
        }
        ProfileCmd::Aws {
            stack_outputs,
            cognito_endpoint,
            name,
        } => {
            let text = std::fs::read_to_string(&stack_outputs).map_err(|e| {
                Error::invalid(format!("Cannot read {}: {e}", stack_outputs.display()))
            })?;
            let mut backend = Backend::from_stack_outputs(&text)?;
            if let Backend::Aws {
                cognito_endpoint: ep,
                ..
            } = &mut backend
            {
                *ep = cognito_endpoint;
            }
            let secret = std::env::var("IOTP_CLIENT_SECRET").ok();
            let prof = Profile { name, backend };
            p.set_profile(prof.clone(), secret).await?;
            output::result(json, &prof, || {
                format!("Using the AWS deployment (profile {}).", prof.name)
            });
        }
        ProfileCmd::Show => {
            let prof = p.profile().await;
            output::result(json, &prof, || match &prof {
                Some(pr) => format!("{}: {}", pr.name, pr.backend.api_url()),
                None => "No profile.".into(),
            });
        }
    }
    Ok(())
}

async fn device(p: &Provisioner, json: bool, email: Option<&str>, cmd: DeviceCmd) -> Result<()> {
    match cmd {
        DeviceCmd::Info(d) => {
            let info = p.device_info(&d.target(None)?).await?;
            output::result(json, &info, || {
                let window = match info.window_remaining_ms {
                    Some(ms) => format!(
                        "; provisioning window closes in {}:{:02}",
                        ms / 60_000,
                        ms / 1000 % 60
                    ),
                    None => String::new(),
                };
                format!(
                    "{} ({} firmware {}), security {}{window}",
                    info.serial, info.model, info.firmware_version, info.sec_ver
                )
            });
        }
        DeviceCmd::Scan(d) => {
            let nets = p.scan(&d.target(None)?).await?;
            output::result(json, &nets, || {
                nets.iter()
                    .map(|n| {
                        format!(
                            "{:>4} dBm  ch {:>2}  {:<10} {}",
                            n.rssi, n.channel, n.auth, n.ssid
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        DeviceCmd::Status { serial } => {
            ensure_signed_in(p, email).await?;
            let r = p.device_status(&serial).await?;
            output::result(json, &r, || {
                format!(
                    "{}: {}, last seen {}",
                    r.sn,
                    r.status.clone().unwrap_or_default(),
                    r.last_seen.clone().unwrap_or_else(|| "never".into())
                )
            });
        }
    }
    Ok(())
}
