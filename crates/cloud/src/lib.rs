//! The certificate service: one core and one axum router over pluggable back ends.
//!
//! - [`serial`], [`csr`]: input validation done before any back end is touched.
//! - [`backend`]: the traits a deployment implements ([`backend::DeviceStore`],
//!   [`backend::CertificateAuthority`]); [`identity::Authenticator`] says who calls;
//!   [`accounts::Accounts`] serves `/auth/*` where the service has its own accounts.
//! - [`service`]: the provisioning logic; [`router::router`]: the HTTP API.
//! - [`audit`]: the audited events both deployments record.
//! - `local` (feature `selfhosted`): SQLite, local CA, accounts, mosquitto: `provisiond`.

#![warn(missing_docs)]

pub mod accounts;
pub mod audit;
pub mod backend;
pub mod csr;
pub mod dto;
pub mod error;
pub mod identity;
pub mod openapi;
pub mod router;
pub mod serial;
pub mod service;

#[cfg(feature = "selfhosted")]
pub mod local;

pub use error::{ApiError, ErrorCode};
pub use router::{AppState, router};
