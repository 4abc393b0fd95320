//! Connection-level limits of the HTTPS API, so slow or numerous clients cannot hold the
//! server's sockets: a global and a per-IP cap on open connections (checked right after
//! `accept`, before any TLS work), and the timers `tls::serve` applies (handshake, request
//! head, whole request).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The limits `provisiond serve` applies to every HTTPS connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Open connections at once, all clients together.
    pub max_connections: usize,
    /// Open connections at once from one IP address.
    pub max_per_ip: usize,
    /// Time a client has to finish the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time a client has to send a complete request head; also the longest a kept-alive
    /// connection may sit idle between requests (hyper starts this timer as soon as it waits
    /// for the next head).
    pub header_timeout: Duration,
    /// Time a request may take from head to response, body upload included.
    pub request_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            max_connections: 2048,
            max_per_ip: 64,
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Counts open connections, globally and per IP address.
#[derive(Debug)]
pub struct ConnCounter {
    limits: ConnLimits,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub struct ConnSlot {
    counter: Arc<ConnCounter>,
    ip: IpAddr,
}

impl ConnCounter {
    /// A counter enforcing `limits`.
    pub fn new(limits: ConnLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            open: Mutex::new((0, HashMap::new())),
        })
    }

    /// Takes a place for a connection from `ip`, or `None` when either cap is reached.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<ConnSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per_ip) = &mut *open;
        let mine = per_ip.get(&ip).copied().unwrap_or(0);
        if *total >= self.limits.max_connections || mine >= self.limits.max_per_ip {
            return None;
        }
        *total += 1;
        per_ip.insert(ip, mine + 1);
        Some(ConnSlot {
            counter: self.clone(),
            ip,
        })
    }
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        let mut open = self.counter.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per_ip) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_are_per_ip_and_global_and_freed_on_drop() {
        let c = ConnCounter::new(ConnLimits {
            max_connections: 3,
            max_per_ip: 2,
            ..ConnLimits::default()
        });
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let s1 = c.admit(a).unwrap();
        let _s2 = c.admit(a).unwrap();
        assert!(c.admit(a).is_none(), "per-IP cap");
        let _s3 = c.admit(b).unwrap();
        assert!(c.admit(b).is_none(), "global cap");
        drop(s1);
        assert!(c.admit(a).is_some(), "a freed place is reusable");
    }
}
