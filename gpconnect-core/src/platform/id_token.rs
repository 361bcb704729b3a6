//! The patient's NHS login ID token, verified as a relying party must, and the identity
//! it proves.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{AuthError, AuthProblem};
use crate::{Error, NhsNumber};

/// The identity proofing level the GP Connect patient-facing APIs require.
pub const REQUIRED_PROOFING_LEVEL: &str = "P9";

/// The largest ID token accepted (bytes); NHS login tokens are a few kilobytes.
pub(crate) const MAX_ID_TOKEN: usize = 16 * 1024;

/// The longest claim value kept (`sub` is at most 255 ASCII characters in NHS login).
const MAX_CLAIM: usize = 256;

/// An NHS login ID token (a compact JWT) that passed every relying-party check: its
/// signature against NHS login's published keys, issuer, audience, expiry and issue time
/// with the allowed skew, nonce, proofing level P9 and vector of trust. Only
/// [`PlatformClient::verify_id_token`](super::PlatformClient::verify_id_token) makes one,
/// so a session can only ever be made from a verified token.
///
/// `Debug` shows only the proofing level and expiry; the token itself is a secret.
#[derive(Clone)]
pub struct NhsLoginIdToken {
    raw: SecretString,
    claims: IdClaims,
    identity: Identity,
}

/// The claims the SDK reads; unknown claims are ignored, as NHS login asks.
#[derive(Clone, Deserialize)]
pub(crate) struct IdClaims {
    pub(crate) iss: String,
    pub(crate) sub: String,
    pub(crate) aud: Audience,
    pub(crate) exp: i64,
    pub(crate) iat: i64,
    #[serde(default)]
    pub(crate) nonce: Option<String>,
    #[serde(default)]
    pub(crate) vot: Option<String>,
    #[serde(default)]
    pub(crate) identity_proofing_level: Option<String>,
    #[serde(default)]
    pub(crate) nhs_number: Option<String>,
    /// Proxy access: who is acting for the patient.
    #[serde(default)]
    pub(crate) act: Option<Actor>,
}

/// `aud`: one string or an array of them.
#[derive(Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub(crate) fn contains(&self, client_id: &str) -> bool {
        match self {
            Audience::One(a) => a == client_id,
            Audience::Many(all) => all.iter().any(|a| a == client_id),
        }
    }
}

/// The `act` claim of a proxy-access token: the person acting for the patient.
#[derive(Clone, Deserialize)]
pub(crate) struct Actor {
    pub(crate) sub: String,
}

/// Who a session is for, and who is acting: the whole key of a patient session. Two ID
/// tokens share a session only when every part is equal.
///
/// `Debug` masks the NHS number and leaves out the subjects.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The NHS login issuer (`iss`).
    pub(crate) issuer: String,
    /// The NHS login subject (`sub`): whose record.
    pub(crate) subject: String,
    /// The patient's NHS number (`nhs_number`).
    pub(crate) nhs_number: NhsNumber,
    /// The acting person's subject (`act.sub`) under proxy access; `None` when the patient
    /// acts for themselves.
    pub(crate) actor: Option<String>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("nhs_number", &self.nhs_number)
            .field("proxy", &self.actor.is_some())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The NHS login issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The NHS login subject whose record this is.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The patient's NHS number: whose record.
    pub fn nhs_number(&self) -> &NhsNumber {
        &self.nhs_number
    }

    /// Under proxy access, the NHS login subject of the person acting for the patient
    /// (`act.sub`), for audit; `None` when the patient acts for themselves.
    pub fn actor(&self) -> Option<&str> {
        self.actor.as_deref()
    }
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
    /// A token whose signature, issuer, audience, times, nonce and vector of trust have
    /// been checked by the caller (the verifier); proofing level and NHS number are
    /// checked here.
    pub(crate) fn from_verified(raw: SecretString, claims: IdClaims) -> Result<Self, Error> {
        // Both come with the `profile` scope; a P0 login has no proofing level (log in
        // again with P9), a login without `profile` has neither (the app's request).
        let Some(nhs) = claims.nhs_number.as_deref() else {
            return Err(rejected(crate::error::IdTokenCheck::ProfileScope));
        };
        let nhs_number = NhsNumber::parse(nhs).map_err(|_| unreadable())?;
        if [&claims.iss, &claims.sub].iter().any(|c| c.is_empty() || c.len() > MAX_CLAIM)
            || claims.act.as_ref().is_some_and(|a| a.sub.is_empty() || a.sub.len() > MAX_CLAIM)
        {
            return Err(unreadable());
        }
        let identity = Identity {
            issuer: claims.iss.clone(),
            subject: claims.sub.clone(),
            nhs_number,
            actor: claims.act.as_ref().map(|a| a.sub.clone()),
        };
        let token = Self { raw, claims, identity };
        token.check_level()?;
        Ok(token)
    }

    /// The `identity_proofing_level` claim (`P9`, `P5`, ...).
    pub fn identity_proofing_level(&self) -> Option<&str> {
        self.claims.identity_proofing_level.as_deref()
    }

    /// Whose record and who is acting: the session's key.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The patient's NHS number from the `nhs_number` claim.
    pub fn nhs_number(&self) -> &NhsNumber {
        &self.identity.nhs_number
    }

    /// The NHS login subject (`sub`).
    pub fn subject(&self) -> &str {
        &self.identity.subject
    }

    /// When the token expires (`exp`). A huge or negative `exp` is clamped, never a panic.
    pub fn expires_at(&self) -> SystemTime {
        epoch_plus(self.claims.exp)
    }

    /// Checks the token can still be exchanged at `now`: proofing level P9 and not
    /// expired. Both failures mean the patient must log in with NHS login again.
    pub fn check(&self, now: SystemTime) -> Result<(), Error> {
        self.check_level()?;
        if self.expires_at() <= now {
            return Err(AuthError::new(AuthProblem::IdTokenExpired).into());
        }
        Ok(())
    }

    /// Proofing level P9, else the patient must log in again with a P9 identity.
    fn check_level(&self) -> Result<(), Error> {
        let level = self.claims.identity_proofing_level.as_deref();
        if level.map(|l| l.get(..2)) != Some(Some(REQUIRED_PROOFING_LEVEL)) {
            return Err(AuthError::new(AuthProblem::IdentityProofingLevel {
                level: level.map(|l| l.chars().take(8).collect()),
            })
            .into());
        }
        Ok(())
    }

    pub(crate) fn expose(&self) -> &str {
        self.raw.expose_secret()
    }
}

/// `UNIX_EPOCH + secs`, saturating: negative is the epoch, beyond what the platform's
/// `SystemTime` holds is the furthest it holds (about year 2262 or beyond).
pub(crate) fn epoch_plus(secs: i64) -> SystemTime {
    let secs = u64::try_from(secs).unwrap_or(0);
    // `checked_add` fails where the platform's SystemTime cannot hold it; step down.
    let mut d = Duration::from_secs(secs);
    loop {
        if let Some(t) = UNIX_EPOCH.checked_add(d) {
            return t;
        }
        d /= 2;
    }
}

pub(crate) fn unreadable() -> Error {
    AuthError::new(AuthProblem::IdTokenUnreadable).into()
}

pub(crate) fn rejected(check: crate::error::IdTokenCheck) -> Error {
    AuthError::new(AuthProblem::IdTokenRejected(check)).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_or_negative_exp_never_panics() {
        assert_eq!(epoch_plus(-5), UNIX_EPOCH);
        assert!(epoch_plus(i64::MAX) > epoch_plus(4_000_000_000));
        assert_eq!(epoch_plus(10), UNIX_EPOCH + Duration::from_secs(10));
    }
}
