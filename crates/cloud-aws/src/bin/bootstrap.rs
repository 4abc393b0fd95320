//! The AWS Lambda: the certificate service's router behind API Gateway (see
//! cloud/template.yaml and docs/aws.md).

use cloud_aws::lambda::{CredentialMode, handle};
use cloud_aws::{Backends, Tables};
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let tables = Tables {
        registry: env_or("IOTP_DSN_TABLE", "DSN"),
        last_seen: env_or("IOTP_LAST_SEEN_TABLE", "DSN_last_seen"),
    };
    let mode = env_or("IOTP_CREDENTIAL_MODE", "csr");
    let mode = CredentialMode::parse(&mode).ok_or_else(|| {
        format!("IOTP_CREDENTIAL_MODE is {mode:?}; it must be csr or csr-and-seed")
    })?;
    let config = cloud_aws::load_config().await;
    let router = Backends::new(&config, tables).router();
    // The event is never logged: it carries the ID token and CSRs.
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let router = router.clone();
        async move { Ok::<Value, Error>(handle(router, mode, event.payload).await) }
    }))
    .await
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}
