//! The AWS deployment's audit trail: one CloudWatch Logs JSON line per audited event
//! ([`cloud::audit::Event::json_line`]) on the Lambda's stdout, which the Lambda service
//! sends to the function's log group. The back ends write a line only after the change it
//! records succeeded (the conditional write, the revocation). Account events (sign-up,
//! failed sign-ins) are Cognito's, in CloudTrail, not here.

use std::io::Write;
use std::sync::Arc;

use cloud::audit::{Event, now_ms};

/// Where the lines go: stdout, or (for tests and tools) any function of the line.
#[derive(Clone)]
pub struct AuditLines(Arc<dyn Fn(&str) + Send + Sync>);

impl AuditLines {
    /// The Lambda's stdout (CloudWatch Logs). Each line is written under the stdout lock in
    /// one piece, so log lines of concurrent requests never interleave with it.
    pub fn stdout() -> Self {
        Self(Arc::new(|line| {
            let mut out = std::io::stdout().lock();
            let written = writeln!(out, "{line}").and_then(|()| out.flush());
            if let Err(e) = written {
                tracing::error!(error = %e, "could not write an audit line");
            }
        }))
    }

    /// Hands every line to `sink`.
    pub fn to(sink: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Self(Arc::new(sink))
    }

    /// Writes `event` as one line, stamped now.
    pub fn record(&self, event: &Event) {
        (self.0)(&event.json_line(now_ms()));
    }
}

impl Default for AuditLines {
    fn default() -> Self {
        Self::stdout()
    }
}
