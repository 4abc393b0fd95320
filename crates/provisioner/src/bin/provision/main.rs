//! `provision`: the whole host flow from a terminal or a script. Secrets (passwords, PoP,
//! Wi-Fi passphrases) are read from the environment or a prompt, never from argv.

mod batch;
mod cli;
mod output;
mod secrets_in;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    // Libraries' log lines (rustls' certificate verifier, the keyring) are not for the person
    // at the terminal: every failure reaches them as one error sentence. `--verbose` shows
    // them, and PROVISION_LOG sets any filter.
    let default_filter = if args.verbose {
        "info,provisioner=debug,provision=debug"
    } else {
        "off,provisioner=warn,provision=warn"
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PROVISION_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (json, verbose) = (args.json, args.verbose);
    let account = cli::account_of(&args);
    match rt.block_on(cli::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let next = cli::next_step(&e, account.as_deref());
            output::error(json, verbose, &e, next.as_deref());
            ExitCode::FAILURE
        }
    }
}
