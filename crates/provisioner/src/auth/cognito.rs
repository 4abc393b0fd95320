//! Amazon Cognito user pools through the official SDK. These calls are public (no AWS
//! credentials): the SDK is built with `no_credentials()`.

use aws_sdk_cognitoidentityprovider as cip;
use base64::Engine;
use cip::error::{ProvideErrorMetadata, SdkError};
use cip::types::{AttributeType, AuthFlowType};

use super::{Auth, SignUpNext, Tokens, secret_hash};
use crate::error::{Error, ErrorCode, Result};
use crate::validate::Email;

/// A Cognito user pool app client.
pub struct CognitoAuth {
    client: cip::Client,
    client_id: String,
    client_secret: Option<String>,
}

impl CognitoAuth {
    /// A provider for this pool's app client. `endpoint` overrides the AWS endpoint (moto).
    pub async fn new(
        region: &str,
        client_id: &str,
        client_secret: Option<String>,
        endpoint: Option<&str>,
    ) -> Self {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .no_credentials()
            .region(aws_config::Region::new(region.to_owned()));
        if let Some(url) = endpoint {
            loader = loader.endpoint_url(url);
        }
        let conf = loader.load().await;
        Self {
            client: cip::Client::new(&conf),
            client_id: client_id.to_owned(),
            client_secret,
        }
    }

    fn hash(&self, username: &str) -> Option<String> {
        self.client_secret
            .as_deref()
            .map(|s| secret_hash(s, username, &self.client_id))
    }
}

/// Turns an SDK error into an actionable [`Error`].
fn map_err<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    e: SdkError<E, R>,
) -> Error {
    if matches!(e, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) {
        return Error::new(
            ErrorCode::Unreachable,
            "Amazon Cognito cannot be reached: check the network connection.",
        );
    }
    let code = e.code().unwrap_or("").to_owned();
    let server_msg = e.message().unwrap_or("").to_owned();
    let (c, msg): (ErrorCode, String) = match code.as_str() {
        "NotAuthorizedException" if server_msg.contains("expired") || server_msg.contains("revoked") => {
            (ErrorCode::SessionExpired, "Your session has ended: sign in again.".into())
        }
        "NotAuthorizedException" | "UserNotFoundException" => (
            ErrorCode::BadCredentials,
            "Wrong e-mail or password.".into(),
        ),
        "UserNotConfirmedException" => (
            ErrorCode::UserNotConfirmed,
            "The account is not confirmed yet: enter the code that was e-mailed to you (or ask for a new one).".into(),
        ),
        "UsernameExistsException" | "AliasExistsException" => (
            ErrorCode::UserExists,
            "An account with this e-mail already exists: sign in, or reset the password.".into(),
        ),
        "CodeMismatchException" => (
            ErrorCode::BadCode,
            "The code is wrong: check the e-mail and type it again.".into(),
        ),
        "ExpiredCodeException" => (
            ErrorCode::BadCode,
            "The code has expired or is wrong: ask for a new one.".into(),
        ),
        "InvalidPasswordException" => (
            ErrorCode::WeakPassword,
            format!("The password is not accepted: {server_msg}"),
        ),
        "InvalidParameterException" => (ErrorCode::InvalidInput, server_msg.clone()),
        "TooManyRequestsException" | "LimitExceededException" | "TooManyFailedAttemptsException" => (
            ErrorCode::TooManyAttempts,
            "Too many attempts: wait a few minutes and try again.".into(),
        ),
        "" => (
            ErrorCode::Server,
            format!("Amazon Cognito failed: {}", cip::error::DisplayErrorContext(&e)),
        ),
        other => (ErrorCode::Server, format!("Amazon Cognito refused the request ({other}): {server_msg}")),
    };
    Error::new(c, msg)
}

/// Reads one string claim of a JWT without checking it (the server checks it; we only need
/// the user name Cognito knows us by).
fn jwt_claim(token: &str, claim: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get(claim)?.as_str().map(str::to_owned)
}

fn tokens_from(
    email: &str,
    r: Option<&cip::types::AuthenticationResultType>,
    old_refresh: Option<&str>,
) -> Result<Tokens> {
    let r = r.ok_or_else(|| {
        Error::new(
            ErrorCode::BadCredentials,
            "Cognito asks for another sign-in step (e.g. a new password) that this app does not support: finish it in the hosted UI, then sign in again.",
        )
    })?;
    let id = r
        .id_token()
        .ok_or_else(|| Error::new(ErrorCode::Server, "Cognito returned no ID token."))?;
    Ok(Tokens {
        email: email.to_owned(),
        id_token: id.to_owned(),
        access_token: r.access_token().map(str::to_owned),
        refresh_token: r.refresh_token().or(old_refresh).map(str::to_owned),
        expires_at: Tokens::expiry_from_now(u64::try_from(r.expires_in()).unwrap_or(0)),
    })
}

#[async_trait::async_trait]
impl Auth for CognitoAuth {
    async fn sign_up(&self, email: &Email, password: &str) -> Result<SignUpNext> {
        let attr = AttributeType::builder()
            .name("email")
            .value(email.as_str())
            .build()
            .map_err(|e| Error::invalid(e.to_string()))?;
        let out = self
            .client
            .sign_up()
            .client_id(&self.client_id)
            .username(email.as_str())
            .password(password)
            .set_secret_hash(self.hash(email.as_str()))
            .user_attributes(attr)
            .send()
            .await
            .map_err(map_err)?;
        Ok(if out.user_confirmed() {
            SignUpNext::Done
        } else {
            SignUpNext::ConfirmWithCode
        })
    }

    async fn confirm_sign_up(&self, email: &Email, code: &str) -> Result<()> {
        self.client
            .confirm_sign_up()
            .client_id(&self.client_id)
            .username(email.as_str())
            .confirmation_code(code.trim())
            .set_secret_hash(self.hash(email.as_str()))
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn resend_code(&self, email: &Email) -> Result<()> {
        self.client
            .resend_confirmation_code()
            .client_id(&self.client_id)
            .username(email.as_str())
            .set_secret_hash(self.hash(email.as_str()))
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn sign_in(&self, email: &Email, password: &str) -> Result<Tokens> {
        let mut req = self
            .client
            .initiate_auth()
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .client_id(&self.client_id)
            .auth_parameters("USERNAME", email.as_str())
            .auth_parameters("PASSWORD", password);
        if let Some(h) = self.hash(email.as_str()) {
            req = req.auth_parameters("SECRET_HASH", h);
        }
        let out = req.send().await.map_err(map_err)?;
        tokens_from(email.as_str(), out.authentication_result(), None)
    }

    async fn refresh(&self, tokens: &Tokens) -> Result<Tokens> {
        let refresh = tokens.refresh_token.as_deref().ok_or_else(|| {
            Error::new(
                ErrorCode::SessionExpired,
                "Your session has ended: sign in again.",
            )
        })?;
        // With e-mail sign-in Cognito's user name is the generated one in the token, and the
        // SECRET_HASH must be computed over that name.
        let username =
            jwt_claim(&tokens.id_token, "cognito:username").unwrap_or_else(|| tokens.email.clone());
        let mut req = self
            .client
            .initiate_auth()
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .client_id(&self.client_id)
            .auth_parameters("REFRESH_TOKEN", refresh);
        if let Some(h) = self.hash(&username) {
            req = req.auth_parameters("SECRET_HASH", h);
        }
        let out = req.send().await.map_err(map_err)?;
        tokens_from(&tokens.email, out.authentication_result(), Some(refresh))
    }

    async fn forgot_password(&self, email: &Email) -> Result<()> {
        self.client
            .forgot_password()
            .client_id(&self.client_id)
            .username(email.as_str())
            .set_secret_hash(self.hash(email.as_str()))
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn confirm_forgot_password(
        &self,
        email: &Email,
        code: &str,
        new_password: &str,
    ) -> Result<()> {
        self.client
            .confirm_forgot_password()
            .client_id(&self.client_id)
            .username(email.as_str())
            .confirmation_code(code.trim())
            .password(new_password)
            .set_secret_hash(self.hash(email.as_str()))
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn sign_out(&self, tokens: &Tokens) -> Result<()> {
        let access = tokens.access_token.as_deref().ok_or_else(|| {
            Error::new(
                ErrorCode::NotSignedIn,
                "There is no Cognito session to sign out of.",
            )
        })?;
        self.client
            .global_sign_out()
            .access_token(access)
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_jwt_claim() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let t = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"none"}"#),
            b64(r#"{"cognito:username":"u-123"}"#)
        );
        assert_eq!(jwt_claim(&t, "cognito:username").as_deref(), Some("u-123"));
        assert_eq!(jwt_claim("garbage", "x"), None);
    }
}
