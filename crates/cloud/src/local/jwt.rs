//! ES256 ID tokens, made and checked by the `jsonwebtoken` crate (aws-lc-rs backend): signed
//! with a P-256 key kept in `DIR/jwt.key` (0600), verified with its public half. Only
//! `alg: ES256` is accepted, so a token cannot pick a weaker algorithm or `none`.

use std::path::Path;

use async_trait::async_trait;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use http::request::Parts;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::files;
use crate::backend::BackendError;
use crate::error::{ApiError, ErrorCode};
use crate::identity::{Authenticator, Caller, UserId, bearer_token};

/// Issuer claim of our tokens.
pub const ISSUER: &str = "provisiond";
/// Lifetime of an ID token.
pub const ID_TOKEN_SECS: u64 = 3600;

/// The token signing key and its public half.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

/// The claims we sign.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer, always [`ISSUER`].
    pub iss: String,
    /// User id (the e-mail address).
    pub sub: String,
    /// E-mail address.
    pub email: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Always "id".
    pub token_use: String,
    /// When the token was made, Unix milliseconds (a sign-out voids tokens made before it).
    #[serde(default)]
    pub auth_ms: i64,
}

impl JwtKeys {
    /// Loads `DIR/jwt.key` or creates it.
    pub fn load_or_create(dir: &Path) -> Result<Self, BackendError> {
        let path = dir.join("jwt.key");
        let pkcs8 = if path.exists() {
            std::fs::read(&path).map_err(|e| BackendError::Internal(format!("jwt.key: {e}")))?
        } else {
            let doc = EcdsaKeyPair::generate_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(|_| BackendError::Internal("cannot make the token key".into()))?;
            files::write_secret(&path, doc.as_ref())
                .map_err(|e| BackendError::Internal(format!("jwt.key: {e}")))?;
            doc.as_ref().to_vec()
        };
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8)
            .map_err(|_| BackendError::Internal("jwt.key is not a P-256 PKCS#8 key".into()))?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        // Expiry is checked against the caller's clock in `verify`, with its own error code.
        validation.validate_exp = false;
        Ok(Self {
            encoding: EncodingKey::from_ec_der(&pkcs8),
            decoding: DecodingKey::from_ec_der(key.public_key().as_ref()),
            validation,
        })
    }

    /// Signs an ID token for `email`.
    pub fn sign(&self, email: &str, now: i64) -> Result<String, BackendError> {
        let claims = Claims {
            iss: ISSUER.into(),
            sub: email.into(),
            email: email.into(),
            iat: now,
            exp: now + ID_TOKEN_SECS as i64,
            token_use: "id".into(),
            auth_ms: super::sign_outs::now_ms(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &self.encoding)
            .map_err(|_| BackendError::Internal("token signing failed".into()))
    }

    /// Verifies a token's algorithm, signature, issuer and expiry.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, ApiError> {
        let bad = |m: &str| ApiError::new(ErrorCode::InvalidToken, m.to_owned());
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                bad(match e.kind() {
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        "the token is not signed with ES256"
                    }
                    ErrorKind::InvalidSignature => "the token signature does not verify",
                    ErrorKind::InvalidIssuer | ErrorKind::MissingRequiredClaim(_) => {
                        "the token was not issued by this service"
                    }
                    _ => "the token is malformed",
                })
            })?
            .claims;
        if claims.token_use != "id" {
            return Err(bad("the token was not issued by this service"));
        }
        if claims.exp <= now {
            return Err(ApiError::new(
                ErrorCode::TokenExpired,
                "the token has expired; sign in again or refresh it",
            ));
        }
        Ok(claims)
    }
}

/// How many verified tokens the authenticator remembers.
const CACHE_LEN: usize = 4096;

/// A verified token's (sub, email, exp, auth_ms).
type Verified = (String, String, i64, i64);

/// The self-hosted [`Authenticator`]: our own ID tokens. A client sends the same token with
/// every request for an hour, so verified tokens are remembered (by SHA-256, with their
/// expiry, which is still checked on every request) instead of verifying the signature again.
pub struct JwtAuthenticator {
    keys: std::sync::Arc<JwtKeys>,
    sign_outs: Option<std::sync::Arc<super::sign_outs::SignOuts>>,
    verified: std::sync::Mutex<std::collections::HashMap<[u8; 32], Verified>>,
}

impl JwtAuthenticator {
    /// Verifies with `keys`.
    pub fn new(keys: std::sync::Arc<JwtKeys>) -> Self {
        Self {
            keys,
            sign_outs: None,
            verified: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Verifies with `keys` and refuses tokens made before their account's last sign-out.
    pub fn with_sign_outs(
        keys: std::sync::Arc<JwtKeys>,
        sign_outs: std::sync::Arc<super::sign_outs::SignOuts>,
    ) -> Self {
        Self {
            sign_outs: Some(sign_outs),
            ..Self::new(keys)
        }
    }
}

#[async_trait]
impl Authenticator for JwtAuthenticator {
    async fn authenticate(&self, parts: &Parts) -> Result<Caller, ApiError> {
        use sha2::Digest;
        let token = bearer_token(parts)?;
        let now = super::db::now_secs();
        let digest: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        let cached = self
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&digest)
            .cloned();
        let (sub, email, auth_ms) = match cached {
            Some((sub, email, exp, auth_ms)) if exp > now => (sub, email, auth_ms),
            _ => {
                let claims = self.keys.verify(token, now)?;
                let mut cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
                if cache.len() >= CACHE_LEN {
                    cache.clear();
                }
                cache.insert(
                    digest,
                    (
                        claims.sub.clone(),
                        claims.email.clone(),
                        claims.exp,
                        claims.auth_ms,
                    ),
                );
                (claims.sub, claims.email, claims.auth_ms)
            }
        };
        if self
            .sign_outs
            .as_ref()
            .is_some_and(|s| s.voids(&sub, auth_ms))
        {
            return Err(ApiError::new(
                ErrorCode::InvalidToken,
                "this session was signed out; sign in again",
            ));
        }
        Ok(Caller {
            user_id: UserId(sub),
            email: Some(email),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    fn check(keys: &JwtKeys, token: &str, now: i64, expected: Result<&str, ErrorCode>) {
        match (keys.verify(token, now), expected) {
            (Ok(c), Ok(email)) => assert_eq!(c.email, email),
            (Err(e), Err(code)) => assert_eq!(e.code, code, "{}", e.message),
            (got, want) => panic!("token {token:?}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn token_verification() {
        let dir = tempfile::tempdir().unwrap();
        let keys = JwtKeys::load_or_create(dir.path()).unwrap();
        let other = JwtKeys::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        let now = 1_800_000_000;
        let good = keys.sign("a@example.com", now).unwrap();
        let (h, rest) = good.split_once('.').unwrap();
        let (c, s) = rest.split_once('.').unwrap();
        let none_header = B64.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let hs_header = B64.encode(r#"{"alg":"HS256","typ":"JWT"}"#);

        check(&keys, &good, now, Ok("a@example.com"));
        check(
            &keys,
            &good,
            now + ID_TOKEN_SECS as i64 - 1,
            Ok("a@example.com"),
        );
        check(
            &keys,
            &good,
            now + ID_TOKEN_SECS as i64,
            Err(ErrorCode::TokenExpired),
        );
        check(&other, &good, now, Err(ErrorCode::InvalidToken));
        check(
            &keys,
            &format!("{none_header}.{c}."),
            now,
            Err(ErrorCode::InvalidToken),
        );
        check(
            &keys,
            &format!("{hs_header}.{c}.{s}"),
            now,
            Err(ErrorCode::InvalidToken),
        );
        check(
            &keys,
            &format!("{h}.{c}"),
            now,
            Err(ErrorCode::InvalidToken),
        );
        check(
            &keys,
            &format!("{good}.x"),
            now,
            Err(ErrorCode::InvalidToken),
        );
        check(&keys, "", now, Err(ErrorCode::InvalidToken));
        check(
            &keys,
            &format!("{h}.{c}.{}", B64.encode([0u8; 64])),
            now,
            Err(ErrorCode::InvalidToken),
        );
        // The key survives a reload from its file.
        let again = JwtKeys::load_or_create(dir.path()).unwrap();
        check(&again, &good, now, Ok("a@example.com"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("jwt.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
