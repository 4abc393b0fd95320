//! Turning AWS SDK errors into the core's `BackendError`.

use std::fmt;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use cloud::backend::BackendError;

/// Error codes after which a retry may succeed (the API answers 503 `unavailable`).
const TRANSIENT: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "ServiceUnavailableException",
    "ServiceUnavailable",
    "InternalFailureException",
    "InternalServerError",
    "InternalFailure",
];

/// Wraps an SDK error with the operation's name. The text holds AWS's error code and message,
/// never a request body (a request may carry a CSR or a private key).
pub(crate) fn backend_error<E, R>(operation: &'static str, err: SdkError<E, R>) -> BackendError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    let transient = match &err {
        SdkError::ServiceError(s) => s.err().code().is_some_and(|c| TRANSIENT.contains(&c)),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        _ => false,
    };
    let message = format!("AWS {operation} failed: {}", Chain(&err));
    tracing::warn!(%message, "AWS call failed");
    if transient {
        BackendError::Unavailable(message)
    } else {
        BackendError::Internal(message)
    }
}

/// Prints an error with its sources: the SDK's own `Display` is just "service error".
struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
}
