//! AWS back end of the certificate service: AWS IoT Core for things, certificates and
//! policies ([`iot::IotCa`]), DynamoDB for the serial registry (table `DSN`, key `sn`) and
//! device bindings ([`registry::DynamoStore`]), the Cognito caller
//! ([`lambda::auth::CognitoClaims`]), and the adapter that lets the Lambda runtime serve the
//! `cloud` crate's router ([`lambda::handle`]), and the audit lines both back ends write
//! ([`audit::AuditLines`]).
//!
//! It is a crate of its own so that the self-hosted build (`provisiond`) never compiles the
//! AWS SDK.

pub mod audit;
pub mod error;
pub mod iot;
pub mod lambda;
pub mod policy;
pub mod registry;

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use cloud::AppState;

use crate::audit::AuditLines;
use crate::iot::IotCa;
use crate::lambda::auth::CognitoClaims;
use crate::registry::DynamoStore;

/// Table names; cloud/template.yaml creates `DSN` and `DSN_last_seen`.
#[derive(Debug, Clone)]
pub struct Tables {
    /// The serial registry, key `sn`.
    pub registry: String,
    /// Written by the IoT rule from `devices/+/hello`, key `sn`.
    pub last_seen: String,
}

impl Default for Tables {
    fn default() -> Self {
        Self {
            registry: "DSN".into(),
            last_seen: "DSN_last_seen".into(),
        }
    }
}

/// The two AWS back ends over one SDK configuration.
pub struct Backends {
    /// DynamoDB registry.
    pub store: Arc<DynamoStore>,
    /// IoT Core.
    pub ca: Arc<IotCa>,
}

impl Backends {
    /// Builds both back ends' clients from `config`; audit lines go to stdout.
    pub fn new(config: &SdkConfig, tables: Tables) -> Self {
        Self::with_audit(config, tables, AuditLines::stdout())
    }

    /// The same, with the audit lines handed to `audit`.
    pub fn with_audit(config: &SdkConfig, tables: Tables, audit: AuditLines) -> Self {
        Self {
            store: Arc::new(
                DynamoStore::new(
                    aws_sdk_dynamodb::Client::new(config),
                    tables.registry,
                    tables.last_seen,
                )
                .with_audit(audit.clone()),
            ),
            ca: Arc::new(IotCa::new(aws_sdk_iot::Client::new(config)).with_audit(audit)),
        }
    }

    /// The `cloud` router over these back ends, with callers from the Cognito claims and no
    /// `/auth/*` routes (Cognito does accounts on AWS).
    pub fn router(&self) -> axum::Router {
        cloud::router(AppState::new(
            self.store.clone(),
            self.ca.clone(),
            Arc::new(CognitoClaims),
            None,
        ))
    }
}

/// Loads the SDK configuration the usual way (in the Lambda: the role's credentials and
/// `AWS_REGION` from the environment).
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// A configuration for an AWS-compatible endpoint such as a local moto server: fixed
/// region, dummy static credentials, every client pointed at `endpoint_url`.
pub async fn local_config(endpoint_url: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint_url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "iotp-local",
        ))
        .load()
        .await
}
