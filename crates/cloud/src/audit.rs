//! The audit trail's events, shared by both deployments: who did what to which account or
//! device. The back ends record them inside the write that makes the change (the SQLite
//! store in the same transaction, hash-chained in `local::audit`; the AWS back end as one
//! CloudWatch JSON line per event after its conditional write succeeded), so both report the
//! same events with the same fields. [`crate::backend`]'s traits say which write records
//! which event.
//!
//! An event never holds a secret: no password, code, token, private key, CSR or PoP. Its
//! detail carries ids only (certificate ids, counts, reasons).

use serde_json::{Value, json};

use crate::backend::CertificateId;
use crate::identity::UserId;
use crate::serial::Serial;

/// The actor of changes the service makes on its own (retiring the certificates a re-key
/// replaced, discarding one whose lease was lost).
pub const SERVICE: &str = "service";
/// The actor of the self-hosted admin commands (`provisiond serial|device|user ...`).
pub const ADMIN: &str = "admin";
/// Actor and subject of a refused sign-in for an address that has no account.
pub const UNKNOWN_ACCOUNT: &str = "unknown_account";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An account was created (subject: the e-mail address).
    SignUp,
    /// A sign-in was refused (wrong password, unknown account, locked out).
    SignInFailed,
    /// An account was confirmed with its code.
    Confirm,
    /// A password was reset with a reset code.
    PasswordReset,
    /// A device was bound to its first user (subject: the serial).
    Claim,
    /// A certificate became the device's.
    Issue,
    /// A certificate was revoked.
    Revoke,
    /// A device was unbound from its owner, so the next account to provision it owns it
    /// (the first half of a transfer; the claim that follows is the second).
    Transfer,
    /// A serial was registered.
    SerialAdd,
    /// An admin read an account's pending code (the code itself is not recorded).
    CodeShown,
}

impl Action {
    /// The stable name stored in the log and shown by `provisiond audit list`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignUp => "sign_up",
            Action::SignInFailed => "sign_in_failed",
            Action::Confirm => "confirm",
            Action::PasswordReset => "password_reset",
            Action::Claim => "claim",
            Action::Issue => "issue",
            Action::Revoke => "revoke",
            Action::Transfer => "transfer",
            Action::SerialAdd => "serial_add",
            Action::CodeShown => "code_shown",
        }
    }
}

/// Why a sign-in was refused (recorded, never told to the caller in more detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFailure {
    /// No such account.
    UnknownAccount,
    /// The password did not match.
    WrongPassword,
    /// Too many attempts in the window: not checked.
    LockedOut,
}

/// One audited event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Who: a user id, [`ADMIN`] or [`SERVICE`].
    pub actor: String,
    /// What.
    pub action: Action,
    /// On what: an e-mail address or a serial.
    pub subject: String,
    /// Ids and reasons, a JSON object; never a secret.
    pub detail: Value,
}

impl Event {
    fn new(actor: &str, action: Action, subject: &str, detail: Value) -> Self {
        Self {
            actor: actor.to_owned(),
            action,
            subject: subject.to_owned(),
            detail,
        }
    }

    /// An account was created by its owner.
    pub fn sign_up(email: &str) -> Self {
        Self::new(email, Action::SignUp, email, json!({}))
    }

    /// A refused sign-in for the account `email` (the caller is not known, so the actor is
    /// the account that was tried). `None`: no such account; what was typed is not recorded,
    /// since a password typed into the e-mail field must not end up in the log.
    pub fn sign_in_failed(email: Option<&str>, why: SignInFailure) -> Self {
        let reason = match why {
            SignInFailure::UnknownAccount => "unknown_account",
            SignInFailure::WrongPassword => "wrong_password",
            SignInFailure::LockedOut => "locked_out",
        };
        let who = email.unwrap_or(UNKNOWN_ACCOUNT);
        Self::new(who, Action::SignInFailed, who, json!({ "reason": reason }))
    }

    /// An account confirmed with its code.
    pub fn confirm(email: &str) -> Self {
        Self::new(email, Action::Confirm, email, json!({}))
    }

    /// A password reset with a reset code.
    pub fn password_reset(email: &str) -> Self {
        Self::new(email, Action::PasswordReset, email, json!({}))
    }

    /// `user` became the owner of `sn`.
    pub fn claim(user: &UserId, sn: &Serial) -> Self {
        Self::new(&user.0, Action::Claim, sn.as_str(), json!({}))
    }

    /// `certificate` became the device's, for its owner `user`.
    pub fn issue(user: &str, sn: &Serial, certificate: &CertificateId) -> Self {
        Self::new(
            user,
            Action::Issue,
            sn.as_str(),
            json!({ "certificate_id": certificate.0 }),
        )
    }

    /// `certificate` of `sn` was revoked by `actor`; `reason` is `re-key` (replaced by
    /// `kept`), `lease_lost` or `admin`.
    pub fn revoke(
        actor: &str,
        sn: &Serial,
        certificate: &CertificateId,
        reason: &str,
        kept: Option<&CertificateId>,
    ) -> Self {
        let mut detail = json!({ "certificate_id": certificate.0, "reason": reason });
        if let Some(kept) = kept {
            detail["replaced_by"] = json!(kept.0);
        }
        Self::new(actor, Action::Revoke, sn.as_str(), detail)
    }

    /// An admin unbound `sn` from `previous_owner`.
    pub fn transfer(sn: &Serial, previous_owner: Option<&str>) -> Self {
        Self::new(
            ADMIN,
            Action::Transfer,
            sn.as_str(),
            json!({ "previous_owner": previous_owner }),
        )
    }

    /// An admin registered `sn`.
    pub fn serial_add(sn: &Serial) -> Self {
        Self::new(ADMIN, Action::SerialAdd, sn.as_str(), json!({}))
    }

    /// An admin read the pending code of `email` (the code is not recorded).
    pub fn code_shown(email: &str) -> Self {
        Self::new(ADMIN, Action::CodeShown, email, json!({}))
    }

    /// The event as one CloudWatch Logs JSON line (the Lambda's stdout): `{"audit":true,
    /// "at":<ms>,"actor","action","subject","detail"}`, so a metric filter or Logs Insights
    /// query selects `$.audit IS TRUE`.
    pub fn json_line(&self, at_ms: i64) -> String {
        json!({
            "audit": true,
            "at": at_ms,
            "actor": self.actor,
            "action": self.action.as_str(),
            "subject": self.subject,
            "detail": self.detail,
        })
        .to_string()
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_line_has_the_cloudwatch_fields_and_one_line() {
        let sn = Serial::parse("SN0001").unwrap();
        let e = Event::revoke(
            SERVICE,
            &sn,
            &CertificateId("old".into()),
            "re-key",
            Some(&CertificateId("new".into())),
        );
        let line = e.json_line(1234);
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["audit"], true);
        assert_eq!(v["at"], 1234);
        assert_eq!(v["action"], "revoke");
        assert_eq!(v["subject"], "SN0001");
        assert_eq!(v["detail"]["replaced_by"], "new");
    }
}
