//! The session gate: which HTTP client owns the session (its cookie), the secure session
//! itself, and the lock-out after repeated wrong proofs of possession.

use alloc::vec::Vec;

use protocol::security::device::{DeviceError, DeviceSecurity, DeviceSession};

/// Session owner, secure session and failure counting.
pub(super) struct Gate {
    session: DeviceSession,
    cookie: Option<u32>,
    /// A newer client's handshake while `session` is established: it replaces `session`
    /// only once its proof of possession succeeded, so starting a handshake (without the
    /// PoP) cannot end the running client's session.
    pending: Option<(u32, DeviceSession)>,
    failures: u32,
    locked_until: Option<u64>,
    max_failures: u32,
    lockout_ms: u64,
}

/// Outcome of a `prov-session` request as the gate sees it.
pub(super) enum SessionOutcome {
    /// Respond with this body and this client's session cookie; `established` when the
    /// handshake just completed.
    Reply {
        body: Vec<u8>,
        cookie: u32,
        established: bool,
    },
    /// The proof was wrong; respond with `body`; `locked_until` if this locked the device.
    Rejected {
        body: Vec<u8>,
        failures: u32,
        locked_until: Option<u64>,
    },
    /// The request was refused before touching the session.
    Refused(DeviceError),
    /// Sessions are locked until this time.
    Locked(u64),
}

impl Gate {
    pub(super) fn new(security: DeviceSecurity, max_failures: u32, lockout_ms: u64) -> Self {
        Self {
            session: DeviceSession::new(security),
            cookie: None,
            pending: None,
            failures: 0,
            locked_until: None,
            max_failures,
            lockout_ms,
        }
    }

    /// After a boot: `failures` wrong proofs were recorded before it. At the limit, sessions
    /// stay locked for a full lock-out period from now (the clock restarted with the boot).
    pub(super) fn restore_failures(&mut self, failures: u32, now_ms: u64) {
        self.failures = failures;
        if failures >= self.max_failures {
            self.locked_until = Some(now_ms.saturating_add(self.lockout_ms));
        }
    }

    /// Ends a lock-out whose time is up; true when it did (the failure count restarts).
    pub(super) fn expire_lock(&mut self, now_ms: u64) -> bool {
        match self.locked_until {
            Some(until) if now_ms >= until => {
                self.locked_until = None;
                self.failures = 0;
                true
            }
            _ => false,
        }
    }

    /// Forgets the current session and its owner.
    pub(super) fn drop_session(&mut self) {
        self.session.reset();
        self.cookie = None;
        self.pending = None;
    }

    /// Whether `cookie` owns an established session.
    pub(super) fn owns_established(&self, cookie: Option<u32>) -> bool {
        cookie.is_some() && cookie == self.cookie && self.session.is_established()
    }

    pub(super) fn session(&mut self) -> &mut DeviceSession {
        &mut self.session
    }

    /// Handles a `prov-session` body from the client holding `cookie`; `new_cookie` is used
    /// if this client is neither the current owner nor the pending one. A new client replaces
    /// a session that is not established at once (as ESP-IDF's HTTP transport does); an
    /// established one only when the new client's handshake proved the PoP.
    pub(super) fn handle(
        &mut self,
        cookie: Option<u32>,
        new_cookie: u32,
        body: &[u8],
        rng: &mut (impl rand_core::CryptoRng + ?Sized),
        now_ms: u64,
    ) -> SessionOutcome {
        // The caller ends an expired lock-out first (`expire_lock`), so it can forget the
        // failures it recorded in flash too.
        if let Some(until) = self.locked_until {
            return SessionOutcome::Locked(until);
        }
        if let (Some(c), Some(owner)) = (cookie, self.cookie)
            && c == owner
        {
            return match self.session.handle(body, rng) {
                Ok(resp) => {
                    let established = self.session.is_established();
                    self.note_success(established);
                    SessionOutcome::Reply {
                        body: resp,
                        cookie: owner,
                        established,
                    }
                }
                Err(e) => self.note_error(e, now_ms),
            };
        }
        if let (Some(c), Some((pending_cookie, _))) = (cookie, &self.pending)
            && c == *pending_cookie
        {
            let (pending_cookie, mut pending) = self.pending.take().expect("checked above");
            return match pending.handle(body, rng) {
                Ok(resp) => {
                    let established = pending.is_established();
                    if established {
                        self.session = pending;
                        self.cookie = Some(pending_cookie);
                    } else {
                        self.pending = Some((pending_cookie, pending));
                    }
                    self.note_success(established);
                    SessionOutcome::Reply {
                        body: resp,
                        cookie: pending_cookie,
                        established,
                    }
                }
                Err(e) => {
                    // A wrong proof ends the pending handshake; a refused request leaves it.
                    if !matches!(e, DeviceError::AuthFailed { .. }) {
                        self.pending = Some((pending_cookie, pending));
                    }
                    self.note_error(e, now_ms)
                }
            };
        }
        // A request from a new client: try it on a fresh session, keep the old one if the
        // request is rubbish (so a stray request cannot kick out the real client).
        let mut fresh = DeviceSession::new(self.session.security().clone());
        match fresh.handle(body, rng) {
            Ok(resp) => {
                let established = fresh.is_established();
                if self.session.is_established() && !established {
                    self.pending = Some((new_cookie, fresh));
                } else {
                    self.session = fresh;
                    self.cookie = Some(new_cookie);
                    self.pending = None;
                }
                self.note_success(established);
                SessionOutcome::Reply {
                    body: resp,
                    cookie: new_cookie,
                    established,
                }
            }
            Err(e) => self.note_error(e, now_ms),
        }
    }

    fn note_success(&mut self, established: bool) {
        if established {
            self.failures = 0;
        }
    }

    fn note_error(&mut self, e: DeviceError, now_ms: u64) -> SessionOutcome {
        match e {
            DeviceError::AuthFailed { response } => {
                self.failures += 1;
                let failures = self.failures;
                let locked_until = if failures >= self.max_failures {
                    let until = now_ms.saturating_add(self.lockout_ms);
                    self.locked_until = Some(until);
                    self.session.reset();
                    self.cookie = None;
                    self.pending = None;
                    Some(until)
                } else {
                    None
                };
                SessionOutcome::Rejected {
                    body: response,
                    failures,
                    locked_until,
                }
            }
            other => SessionOutcome::Refused(other),
        }
    }
}
