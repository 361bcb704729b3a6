//! The signed client assertion (RS512 JWT) that authenticates the app at the token endpoint.

use secrecy::SecretString;
use serde::Serialize;
use uuid::Uuid;

use super::PlatformConfig;
use crate::error::ConfigError;

/// Seconds from now to the assertion's `exp`. The platform accepts at most five minutes
/// with a 10 s allowance (310 s); four minutes leaves 70 s for this server's clock to run
/// ahead of the platform's, and as much behind before the assertion is expired on arrival.
pub(crate) const ASSERTION_LIFETIME_SECS: i64 = 240;

/// The client assertion's claims, exactly those the platform checks.
#[derive(Serialize)]
pub(crate) struct AssertionClaims<'a> {
    pub(crate) iss: &'a str,
    pub(crate) sub: &'a str,
    pub(crate) aud: &'a str,
    pub(crate) jti: String,
    pub(crate) exp: i64,
}

/// Signs a new client assertion for `token_url` at `now` (epoch seconds): header
/// `{"alg":"RS512","typ":"JWT","kid":...}`, `iss` = `sub` = the API key, `aud` = the token
/// URL, a fresh UUID v4 `jti`, `exp` = now + 240 s.
pub(crate) fn client_assertion(
    config: &PlatformConfig,
    token_url: &str,
    now: i64,
) -> Result<SecretString, ConfigError> {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS512);
    header.typ = Some("JWT".into());
    header.kid = Some(config.kid.clone());
    let claims = AssertionClaims {
        iss: &config.api_key,
        sub: &config.api_key,
        aud: token_url,
        jti: Uuid::new_v4().to_string(),
        exp: now.saturating_add(ASSERTION_LIFETIME_SECS),
    };
    super::jws::sign(&header, &claims, &config.signing_key.0)
        .map(SecretString::from)
        .map_err(|_| ConfigError::Identity { reason: "the client assertion could not be signed with this key".into() })
}
