//! Command line of `device-sim`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// Runs the device firmware core on this machine: the SoftAP provisioning endpoints over HTTP,
/// flash in a file, a simulated Wi-Fi environment, and a real MQTT-over-TLS client.
///
/// Prints one JSON label line on stdout (serial, SoftAP name, PoP, QR payload, listen address),
/// then logs on stderr. The PoP is taken from IOTP_DEVICE_POP, or --pop (visible in the process
/// list: demos only), or made up at random and shown only in the label line.
///
/// Default radio environment (without --radio): "HomeWiFi" (WPA2, passphrase "correct horse",
/// channel 6, -42 dBm), "Neighbour" (WPA2, passphrase "not yours at all", channel 11, -80 dBm),
/// "CoffeeShop" (open, channel 1, -67 dBm). A join takes 200 ms + 4 ms per dBm below 0 unless the
/// AP sets join_delay_ms; an unknown SSID fails with NetworkNotFound after 600 ms, a wrong
/// passphrase with AuthError.
#[derive(Parser, Debug)]
#[command(name = "device-sim", version)]
pub struct Args {
    /// Serial number (4..=32 of [A-Za-z0-9_-], starting with a letter or digit).
    #[arg(long)]
    pub serial: String,
    /// Proof-of-possession code (prefer the IOTP_DEVICE_POP environment variable).
    #[arg(long, env = "IOTP_DEVICE_POP", hide_env_values = true)]
    pub pop: Option<String>,
    /// Security level: 0 (none), 1 (X25519 + PoP), 2 (SRP6a + PoP).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=2))]
    pub security: u32,
    /// Security 2: the SRP username the device's verifier is made with from the PoP (ESP-IDF's
    /// default is `wifiprov`; a client must send the same one).
    #[arg(long, default_value = protocol::security::DEFAULT_SEC2_USERNAME, conflicts_with = "sec2_credentials")]
    pub sec2_username: String,
    /// Security 2: a JSON file `{"salt": HEX, "verifier": HEX}` holding the salt and verifier a
    /// manufacturer made from a username and password (as `esp_prov --sec2_gen_cred` makes them for
    /// ESP-IDF firmware). The device then stores only these; the PoP is not used and the label
    /// line shows none.
    #[arg(long)]
    pub sec2_credentials: Option<PathBuf>,
    /// Address of the SoftAP HTTP server; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Flash image file (created if missing); without it flash lives in memory.
    #[arg(long)]
    pub flash: Option<PathBuf>,
    /// Radio environment JSON: {"access_points":[{"ssid","passphrase"|null,"channel","rssi","auth","bssid"?,"join_delay_ms"?}]}.
    #[arg(long)]
    pub radio: Option<PathBuf>,
    /// Provisioning window in seconds.
    #[arg(long, default_value_t = 300)]
    pub window_secs: u64,
    /// After apply the SoftAP stops answering for a while, as a single-radio device's AP moves
    /// to the router's channel.
    #[arg(long)]
    pub drop_link_after_apply: bool,
    /// How long the link is down with --drop-link-after-apply, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    pub drop_link_ms: u64,
    /// Seconds provisioning stays locked after 5 wrong PoPs.
    #[arg(long, default_value_t = 60)]
    pub lockout_secs: u64,
    /// Seconds the SoftAP stays up after a successful apply.
    #[arg(long, default_value_t = 30)]
    pub grace_secs: u64,
    /// Delay added to every SoftAP request, in milliseconds (a slow radio link).
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Model name reported by device info.
    #[arg(long, default_value = "iotp-sim")]
    pub model: String,
    /// Wipe the flash before starting (factory reset).
    #[arg(long)]
    pub factory_reset: bool,
    /// Behave like the seed lab firmware: connect as a TLS client to the app at this address
    /// (port 7070 on a real SoftAP), read key, certificate, SSID and passphrase, then join and
    /// go online. The SoftAP HTTP endpoints keep running.
    #[arg(long, requires_all = ["legacy_broker", "legacy_broker_ca"])]
    pub legacy_connect: Option<SocketAddr>,
    /// The broker the lab firmware had built in (host:port), for --legacy-connect.
    #[arg(long)]
    pub legacy_broker: Option<String>,
    /// CA (PEM file) the lab firmware had built in for its broker, for --legacy-connect.
    #[arg(long)]
    pub legacy_broker_ca: Option<PathBuf>,
}

/// Whether a serial has the agreed syntax.
pub fn valid_serial(s: &str) -> bool {
    (4..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && s.as_bytes()[0].is_ascii_alphanumeric()
}
