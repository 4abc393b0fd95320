//! Accounts of the self-hosted `provisiond` (its `/auth/*` routes).

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Auth, SignUpNext, Tokens};
use crate::error::{Error, ErrorCode, Result};
use crate::http::Api;
use crate::validate::Email;

/// The self-hosted service's account provider.
pub struct SelfHostedAuth {
    api: Api,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignInAnswer {
    id_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    expires_in: u64,
}

impl SelfHostedAuth {
    /// A provider talking to this API.
    pub fn new(api: Api) -> Self {
        Self { api }
    }

    async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Result<Value> {
        self.api.call(Method::POST, path, Some(&body), token).await
    }
}

fn unsupported(e: Error, what: &str) -> Error {
    if e.code == ErrorCode::NotFound {
        Error::new(
            ErrorCode::Server,
            format!(
                "This server cannot {what}: ask its administrator (`provisiond user code EMAIL` shows a pending code)."
            ),
        )
    } else {
        e
    }
}

/// The self-hosted service e-mails nothing: its answers about codes are rephrased to say
/// where the code is (the administrator's `provisiond user code`), the server's own words
/// kept as the detail.
fn where_the_code_is(e: Error, email: &Email) -> Error {
    let email = email.as_str();
    let message = match e.code {
        ErrorCode::UserNotConfirmed => format!(
            "The account {email} is not confirmed yet. This service sends no e-mail: its administrator reads your code with `provisiond user code {email}`."
        ),
        ErrorCode::BadCode => format!(
            "This code is wrong or has expired. This service sends no e-mail: ask its administrator for the current code (`provisiond user code {email}`)."
        ),
        _ => return e,
    };
    Error::new(e.code, message).with_detail(e.message)
}

#[async_trait::async_trait]
impl Auth for SelfHostedAuth {
    async fn sign_up(&self, email: &Email, password: &str) -> Result<SignUpNext> {
        self.post(
            "/auth/signup",
            json!({"email": email.as_str(), "password": password}),
            None,
        )
        .await?;
        Ok(SignUpNext::ConfirmWithCode)
    }

    async fn confirm_sign_up(&self, email: &Email, code: &str) -> Result<()> {
        self.post(
            "/auth/confirm",
            json!({"email": email.as_str(), "code": code.trim()}),
            None,
        )
        .await
        .map(drop)
        .map_err(|e| where_the_code_is(e, email))
    }

    async fn resend_code(&self, email: &Email) -> Result<()> {
        self.post("/auth/resend", json!({"email": email.as_str()}), None)
            .await
            .map(drop)
            .map_err(|e| unsupported(e, "send codes again"))
    }

    async fn sign_in(&self, email: &Email, password: &str) -> Result<Tokens> {
        let v = self
            .post(
                "/auth/signin",
                json!({"email": email.as_str(), "password": password}),
                None,
            )
            .await
            .map_err(|e| match e.code {
                // A 401 from sign-in is a wrong password, not an expired session.
                ErrorCode::SessionExpired => {
                    Error::new(ErrorCode::BadCredentials, "Wrong e-mail or password.")
                }
                _ => where_the_code_is(e, email),
            })?;
        let a: SignInAnswer = serde_json::from_value(v).map_err(|e| {
            Error::new(
                ErrorCode::Server,
                format!("Unexpected sign-in answer: {e}."),
            )
        })?;
        Ok(Tokens {
            email: email.as_str().to_owned(),
            id_token: a.id_token,
            access_token: a.access_token,
            refresh_token: a.refresh_token,
            expires_at: Tokens::expiry_from_now(a.expires_in),
        })
    }

    async fn refresh(&self, tokens: &Tokens) -> Result<Tokens> {
        let refresh = tokens.refresh_token.as_deref().ok_or_else(|| {
            Error::new(
                ErrorCode::SessionExpired,
                "Your session has ended: sign in again.",
            )
        })?;
        let v = self
            .post("/auth/refresh", json!({"refreshToken": refresh}), None)
            .await
            .map_err(|e| match e.code {
                ErrorCode::SessionExpired | ErrorCode::BadCredentials | ErrorCode::InvalidInput => {
                    Error::new(
                        ErrorCode::SessionExpired,
                        "Your session has ended: sign in again.",
                    )
                }
                _ => e,
            })?;
        let a: SignInAnswer = serde_json::from_value(v).map_err(|e| {
            Error::new(
                ErrorCode::Server,
                format!("Unexpected refresh answer: {e}."),
            )
        })?;
        Ok(Tokens {
            email: tokens.email.clone(),
            id_token: a.id_token,
            access_token: a.access_token.or_else(|| tokens.access_token.clone()),
            refresh_token: a.refresh_token.or_else(|| tokens.refresh_token.clone()),
            expires_at: Tokens::expiry_from_now(a.expires_in),
        })
    }

    async fn forgot_password(&self, email: &Email) -> Result<()> {
        self.post("/auth/forgot", json!({"email": email.as_str()}), None)
            .await
            .map(drop)
            .map_err(|e| unsupported(e, "reset passwords"))
    }

    async fn confirm_forgot_password(
        &self,
        email: &Email,
        code: &str,
        new_password: &str,
    ) -> Result<()> {
        self.post(
            "/auth/confirm-forgot",
            json!({"email": email.as_str(), "code": code.trim(), "password": new_password}),
            None,
        )
        .await
        .map(drop)
        .map_err(|e| where_the_code_is(unsupported(e, "reset passwords"), email))
    }

    async fn sign_out(&self, tokens: &Tokens) -> Result<()> {
        self.post(
            "/auth/signout",
            json!({"refreshToken": tokens.refresh_token}),
            Some(&tokens.id_token),
        )
        .await
        .map(drop)
    }
}
