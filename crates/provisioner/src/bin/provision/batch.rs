//! `provision batch`: one device per CSV line, a results CSV, and no stop at a failure.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args as ClapArgs;
use provisioner::ErrorCode;
use provisioner::app::{Plan, Provisioner, Target, WifiPlan};
use provisioner::wizard::{CertMode, ProgressEvent};
use provisioner::{Error, Result};
use serde::Serialize;

use crate::cli::LinkArg;
use crate::output;

/// Batch arguments.
#[derive(ClapArgs, Debug)]
pub struct BatchArgs {
    /// CSV with `serial,softap,pop,ssid,passphrase[,url]` (a header line is allowed). An
    /// empty passphrase cell takes IOTP_WIFI_PASSPHRASE (open network if that is unset too).
    pub file: PathBuf,
    /// Where to write the results CSV.
    #[arg(long, default_value = "results.csv")]
    pub out: PathBuf,
    /// Default device address when a line has no url column.
    #[arg(long, default_value = Target::SOFTAP_URL)]
    pub url: String,
    /// How to reach each device's network.
    #[arg(long, value_enum, default_value = "auto")]
    pub link: LinkArg,
    /// Devices provisioned at once (only with --link direct: one radio joins one AP at a time).
    #[arg(long, default_value_t = 1)]
    pub parallel: usize,
    /// Let the service make the private keys.
    #[arg(long)]
    pub cloud_key: bool,
    /// Seconds to wait for each device's first message.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// Give a Wi-Fi-only device (stock ESP-IDF firmware, no `iot_cred`) its Wi-Fi settings
    /// alone (result `wifi_only`) instead of failing its line (code `wifi_only_device`).
    #[arg(long)]
    pub wifi_only: bool,
}

/// One line of the results CSV.
#[derive(Debug, Serialize)]
pub struct Outcome {
    line: usize,
    serial: String,
    result: &'static str,
    code: String,
    message: String,
    certificate_id: String,
    last_seen: String,
}

fn plan_from(rec: &csv::StringRecord, args: &BatchArgs) -> Result<Plan> {
    let cell = |i: usize| rec.get(i).map(str::trim).unwrap_or("");
    if rec.len() < 5 {
        return Err(Error::invalid(format!(
            "A line needs 5 columns (serial,softap,pop,ssid,passphrase); this one has {}.",
            rec.len()
        )));
    }
    let passphrase = match rec.get(4).unwrap_or("") {
        "" => std::env::var("IOTP_WIFI_PASSPHRASE").unwrap_or_default(),
        p => p.to_owned(),
    };
    let url = match cell(5) {
        "" => args.url.clone(),
        u => u.to_owned(),
    };
    Ok(Plan {
        serial: cell(0).to_owned(),
        target: Target {
            url,
            link: args.link.into(),
            softap: cell(1).to_owned(),
            softap_password: None,
            pop: cell(2).to_owned(),
            allow_sec0: false,
            security: None,
        },
        ssid: rec.get(3).unwrap_or("").to_owned(),
        passphrase,
        cert_mode: if args.cloud_key {
            CertMode::CloudKey
        } else {
            CertMode::DeviceCsr
        },
        online_timeout_secs: args.timeout,
    })
}

/// Runs the batch.
pub async fn run(p: Arc<Provisioner>, json: bool, args: BatchArgs) -> Result<()> {
    if args.parallel > 1 && !matches!(args.link, LinkArg::Direct) {
        return Err(Error::invalid(
            "--parallel needs --link direct: one Wi-Fi radio can join one device at a time.",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(&args.file)
        .map_err(|e| Error::invalid(format!("Cannot read {}: {e}", args.file.display())))?;
    let mut jobs = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                jobs.push((
                    line,
                    String::new(),
                    Err(Error::invalid(format!("Unreadable line: {e}"))),
                ));
                continue;
            }
        };
        if line == 1
            && rec
                .get(0)
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("serial"))
        {
            continue;
        }
        let serial = rec.get(0).unwrap_or("").trim().to_owned();
        jobs.push((line, serial, plan_from(&rec, &args)));
    }
    let wifi_only = args.wifi_only;
    let sem = Arc::new(tokio::sync::Semaphore::new(args.parallel.max(1)));
    let mut handles = Vec::new();
    for (line, serial, plan) in jobs {
        let (p, sem) = (p.clone(), sem.clone());
        handles.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await.expect("semaphore open");
            let quiet = |_: ProgressEvent| {};
            let (r, plan) = match plan {
                Ok(plan) => {
                    let r = p.provision(&plan, &quiet).await;
                    (r, Some(plan))
                }
                Err(e) => (Err(e), None),
            };
            let r = match (r, plan) {
                (Err(e), Some(plan)) if e.code == ErrorCode::WifiOnlyDevice && wifi_only => {
                    let wifi = WifiPlan {
                        target: plan.target,
                        ssid: plan.ssid,
                        passphrase: plan.passphrase,
                    };
                    match p.provision_wifi(&wifi, &quiet).await {
                        Ok(done) => {
                            return Outcome {
                                line,
                                serial,
                                result: "wifi_only",
                                code: String::new(),
                                message: format!(
                                    "Wi-Fi-only device: joined \"{}\" at security {}, no certificate",
                                    done.ssid, done.sec_ver
                                ),
                                certificate_id: String::new(),
                                last_seen: String::new(),
                            };
                        }
                        Err(e) => Err(e),
                    }
                }
                (r, _) => r,
            };
            match r {
                Ok(o) => Outcome {
                    line,
                    serial,
                    result: "ok",
                    code: String::new(),
                    message: String::new(),
                    certificate_id: o.certificate_id,
                    last_seen: o.last_seen.unwrap_or_default(),
                },
                Err(e) => Outcome {
                    line,
                    serial,
                    result: "failed",
                    code: e.code.to_string(),
                    message: e.message,
                    certificate_id: String::new(),
                    last_seen: String::new(),
                },
            }
        }));
    }
    let mut outcomes = Vec::new();
    for h in handles {
        let o = h.await.map_err(|e| {
            Error::new(
                provisioner::ErrorCode::Cancelled,
                format!("a batch task failed: {e}"),
            )
        })?;
        if !json {
            match o.result {
                "ok" => eprintln!("  ok   line {} {}", o.line, o.serial),
                "wifi_only" => eprintln!("  wifi line {} {}: {}", o.line, o.serial, o.message),
                _ => eprintln!("  FAIL line {} {}: {}", o.line, o.serial, o.message),
            }
        }
        outcomes.push(o);
    }
    let mut w = csv::Writer::from_path(&args.out)
        .map_err(|e| Error::storage(&args.out.display().to_string(), e))?;
    for o in &outcomes {
        w.serialize(o)
            .map_err(|e| Error::storage(&args.out.display().to_string(), e))?;
    }
    w.flush()
        .map_err(|e| Error::storage(&args.out.display().to_string(), e))?;
    let ok = outcomes.iter().filter(|o| o.result != "failed").count();
    let wifi_only = outcomes.iter().filter(|o| o.result == "wifi_only").count();
    let summary = serde_json::json!({"ok": ok, "wifi_only": wifi_only, "failed": outcomes.len() - ok, "results": args.out});
    output::result(json, &summary, || {
        format!(
            "{ok} of {} devices provisioned ({wifi_only} with Wi-Fi only); results in {}",
            outcomes.len(),
            args.out.display()
        )
    });
    if ok == outcomes.len() {
        Ok(())
    } else {
        Err(Error::new(
            provisioner::ErrorCode::DeviceOffline,
            format!(
                "{} of {} devices failed: see {}",
                outcomes.len() - ok,
                outcomes.len(),
                args.out.display()
            ),
        ))
    }
}
