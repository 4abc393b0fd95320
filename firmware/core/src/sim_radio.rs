//! A simulated radio environment: access points with SSID, passphrase, channel, RSSI and auth
//! mode; the outcome and delay of a join follow from them. The simulator, the tests and the
//! fuzz target run the core over it.

use alloc::string::String;
use alloc::vec::Vec;

use crate::hal::{AuthMode, JoinFailure, JoinProgress, JoinRequest, Radio, ScanEntry};

/// One simulated access point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimAp {
    /// Network name.
    pub ssid: String,
    /// Passphrase; `None` for an open network.
    pub passphrase: Option<String>,
    /// Channel.
    pub channel: u8,
    /// Signal strength in dBm.
    pub rssi: i8,
    /// Authentication mode announced in scans.
    pub auth: AuthMode,
    /// BSSID.
    pub bssid: [u8; 6],
    /// Join time; `None` = derived from the signal strength.
    pub join_delay_ms: Option<u64>,
}

impl SimAp {
    /// How long joining this AP takes: weaker signals take longer.
    pub fn join_delay(&self) -> u64 {
        self.join_delay_ms
            .unwrap_or(200 + 4 * u64::from(self.rssi.unsigned_abs()))
    }
}

/// Time a join takes to give up on a network that is not there.
pub const NOT_FOUND_DELAY_MS: u64 = 600;

struct PendingJoin {
    done_at: u64,
    outcome: JoinProgress,
}

/// A radio over a list of simulated access points.
pub struct SimRadio {
    aps: Vec<SimAp>,
    softap: Option<String>,
    join: Option<PendingJoin>,
    joined: bool,
    /// After a join starts, the SoftAP is unreachable for this long (a single-radio device
    /// moving its AP to the router's channel).
    drop_link_ms: u64,
    link_back_at: u64,
}

impl SimRadio {
    /// A radio seeing these access points.
    pub fn new(aps: Vec<SimAp>) -> Self {
        Self {
            aps,
            softap: None,
            join: None,
            joined: false,
            drop_link_ms: 0,
            link_back_at: 0,
        }
    }

    /// The default environment: `HomeWiFi` (WPA2, passphrase `correct horse`, strong) and
    /// `Neighbour` (WPA2, weak) and `CoffeeShop` (open).
    pub fn default_aps() -> Vec<SimAp> {
        let ap = |ssid: &str, pass: Option<&str>, channel, rssi, auth, last| SimAp {
            ssid: String::from(ssid),
            passphrase: pass.map(String::from),
            channel,
            rssi,
            auth,
            bssid: [0x02, 0x00, 0x00, 0x00, 0x00, last],
            join_delay_ms: None,
        };
        alloc::vec![
            ap(
                "HomeWiFi",
                Some("correct horse"),
                6,
                -42,
                AuthMode::Wpa2Psk,
                1
            ),
            ap(
                "Neighbour",
                Some("not yours at all"),
                11,
                -80,
                AuthMode::Wpa2Psk,
                2
            ),
            ap("CoffeeShop", None, 1, -67, AuthMode::Open, 3),
        ]
    }

    /// Makes the SoftAP unreachable for `ms` after every join start.
    pub fn set_drop_link_after_join(&mut self, ms: u64) {
        self.drop_link_ms = ms;
    }

    /// Name of the SoftAP, if it is up.
    pub fn softap(&self) -> Option<&str> {
        self.softap.as_deref()
    }

    /// Whether a client can reach the SoftAP at `now_ms`.
    pub fn softap_reachable(&self, now_ms: u64) -> bool {
        self.softap.is_some() && now_ms >= self.link_back_at
    }

    /// Whether the station is associated.
    pub fn is_joined(&self) -> bool {
        self.joined
    }

    fn outcome(&self, req: &JoinRequest) -> (u64, JoinProgress) {
        let candidates = self.aps.iter().enumerate().filter(|(_, ap)| {
            ap.ssid.as_bytes() == &req.ssid[..]
                && req.bssid.is_none_or(|b| b == ap.bssid)
                && (req.channel == 0 || req.channel == ap.channel)
        });
        let Some((idx, ap)) = candidates.max_by_key(|(_, ap)| ap.rssi) else {
            return (
                NOT_FOUND_DELAY_MS,
                JoinProgress::Failed(JoinFailure::NetworkNotFound),
            );
        };
        let accepted = match &ap.passphrase {
            None => true,
            Some(p) => p.as_bytes() == &req.passphrase[..],
        };
        let outcome = if accepted {
            JoinProgress::Connected {
                ip: [192, 168, 1, 100 + idx as u8],
                channel: ap.channel,
                bssid: ap.bssid,
            }
        } else {
            JoinProgress::Failed(JoinFailure::AuthError)
        };
        (ap.join_delay(), outcome)
    }
}

impl Radio for SimRadio {
    fn start_softap(&mut self, ssid: &str) {
        self.softap = Some(String::from(ssid));
        self.link_back_at = 0;
    }

    fn stop_softap(&mut self) {
        self.softap = None;
    }

    fn scan(&mut self) -> Vec<ScanEntry> {
        let mut v: Vec<ScanEntry> = self
            .aps
            .iter()
            .map(|ap| ScanEntry {
                ssid: ap.ssid.as_bytes().to_vec(),
                channel: ap.channel,
                rssi: ap.rssi,
                bssid: ap.bssid,
                auth: ap.auth,
            })
            .collect();
        v.sort_by_key(|e| core::cmp::Reverse(e.rssi));
        v
    }

    fn begin_join(&mut self, request: &JoinRequest, now_ms: u64) {
        let (delay, outcome) = self.outcome(request);
        self.joined = false;
        self.join = Some(PendingJoin {
            done_at: now_ms.saturating_add(delay),
            outcome,
        });
        if self.drop_link_ms > 0 {
            self.link_back_at = now_ms.saturating_add(self.drop_link_ms);
        }
    }

    fn poll_join(&mut self, now_ms: u64) -> JoinProgress {
        match &self.join {
            None => JoinProgress::Failed(JoinFailure::NetworkNotFound),
            Some(j) if now_ms < j.done_at => JoinProgress::Pending,
            Some(j) => {
                self.joined = matches!(j.outcome, JoinProgress::Connected { .. });
                j.outcome.clone()
            }
        }
    }

    fn disconnect(&mut self) {
        self.join = None;
        self.joined = false;
    }
}
