//! The patient's NHS login ID token: what the SDK reads from it before exchanging it.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{AuthError, AuthProblem};
use crate::{Error, NhsNumber};

/// The identity proofing level the GP Connect patient-facing APIs require.
pub const REQUIRED_PROOFING_LEVEL: &str = "P9";

/// The largest ID token accepted (bytes); NHS login tokens are a few kilobytes.
const MAX_ID_TOKEN: usize = 16 * 1024;

/// An NHS login ID token (a compact JWT) as the app received it from NHS login.
///
/// The SDK reads its claims (it does not check the signature: the platform does that
/// against NHS login's keys) to refuse, before anything is sent, a token that is expired
/// or below identity proofing level P9. `Debug` shows only the proofing level and expiry;
/// the token itself is a secret.
#[derive(Clone)]
pub struct NhsLoginIdToken {
    raw: SecretString,
    claims: IdClaims,
}

#[derive(Clone, Deserialize)]
struct IdClaims {
    #[serde(default)]
    sub: Option<String>,
    exp: i64,
    #[serde(default)]
    identity_proofing_level: Option<String>,
    #[serde(default)]
    nhs_number: Option<String>,
}

impl fmt::Debug for NhsLoginIdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NhsLoginIdToken")
            .field("identity_proofing_level", &self.claims.identity_proofing_level)
            .field("exp", &self.claims.exp)
            .finish_non_exhaustive()
    }
}

impl NhsLoginIdToken {
    /// Reads an ID token's claims. A string that is not a JWT with an integer `exp` is
    /// refused ([`Error::must_log_in_again`] is true: only a new login gives a usable token).
    pub fn parse(compact: impl Into<String>) -> Result<Self, Error> {
        let raw = SecretString::from(compact.into());
        let claims = decode_claims(raw.expose_secret()).ok_or_else(unreadable)?;
        Ok(Self { raw, claims })
    }

    /// The `identity_proofing_level` claim (`P9`, `P5`, ...).
    pub fn identity_proofing_level(&self) -> Option<&str> {
        self.claims.identity_proofing_level.as_deref()
    }

    /// The patient's NHS number from the `nhs_number` claim, when present and valid.
    pub fn nhs_number(&self) -> Option<NhsNumber> {
        self.claims.nhs_number.as_deref().and_then(|n| NhsNumber::parse(n).ok())
    }

    /// The NHS login subject (`sub`): the patient's pseudonymous NHS login id.
    pub fn subject(&self) -> Option<&str> {
        self.claims.sub.as_deref()
    }

    /// When the token expires (`exp`).
    pub fn expires_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.claims.exp.max(0) as u64)
    }

    /// Checks the token can still be exchanged at `now`: proofing level P9 and not
    /// expired. Both failures mean the patient must log in with NHS login again.
    pub fn check(&self, now: SystemTime) -> Result<(), Error> {
        let level = self.claims.identity_proofing_level.as_deref();
        if level.map(|l| l.get(..2)) != Some(Some(REQUIRED_PROOFING_LEVEL)) {
            return Err(AuthError::new(AuthProblem::IdentityProofingLevel {
                level: level.map(|l| l.chars().take(8).collect()),
            })
            .into());
        }
        if self.expires_at() <= now {
            return Err(AuthError::new(AuthProblem::IdTokenExpired).into());
        }
        Ok(())
    }

    pub(crate) fn expose(&self) -> &str {
        self.raw.expose_secret()
    }
}

fn unreadable() -> Error {
    AuthError::new(AuthProblem::IdTokenUnreadable).into()
}

/// The claims of a compact JWT, without checking its signature.
fn decode_claims(compact: &str) -> Option<IdClaims> {
    if compact.len() > MAX_ID_TOKEN {
        return None;
    }
    let mut parts = compact.split('.');
    let (_header, claims, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(claims.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: &str) -> String {
        format!("eyJhbGciOiJSUzUxMiJ9.{}.c2ln", URL_SAFE_NO_PAD.encode(claims))
    }

    #[test]
    fn claims_are_read_without_the_signature_and_checked_locally() {
        let now = SystemTime::now();
        let exp = now.duration_since(UNIX_EPOCH).unwrap().as_secs() + 600;
        let ok = NhsLoginIdToken::parse(token(&format!(
            r#"{{"sub":"s","exp":{exp},"identity_proofing_level":"P9","nhs_number":"9000000009"}}"#
        )))
        .unwrap();
        assert_eq!(ok.nhs_number().unwrap().expose(), "9000000009");
        assert_eq!(ok.identity_proofing_level(), Some("P9"));
        assert!(ok.check(now).is_ok());
        assert!(ok.check(now + Duration::from_secs(601)).unwrap_err().must_log_in_again());

        let p5 = NhsLoginIdToken::parse(token(&format!(r#"{{"exp":{exp},"identity_proofing_level":"P5"}}"#))).unwrap();
        assert!(p5.check(now).unwrap_err().must_log_in_again());

        let mut rng = fastrand::Rng::with_seed(9);
        let good = token(&format!(r#"{{"exp":{exp},"identity_proofing_level":"P9"}}"#));
        for _ in 0..5000 {
            let mut bytes = good.clone().into_bytes();
            let i = rng.usize(..bytes.len());
            bytes[i] = rng.alphanumeric() as u8;
            bytes.truncate(rng.usize(..=bytes.len()));
            let _ = NhsLoginIdToken::parse(String::from_utf8(bytes).unwrap());
        }
        for bad in ["", "a.b", "a.b.c.d", &token(r#"{"exp":"soon"}"#), &token("not json"), &"x".repeat(20_000)] {
            assert!(NhsLoginIdToken::parse(bad).unwrap_err().must_log_in_again(), "{bad}");
        }
    }
}
