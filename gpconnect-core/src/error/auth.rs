//! NHS login and API platform authentication failures (patient-facing APIs).

use super::*;

/// NHS login / API platform authentication failed. `Display` names the problem only;
/// what the token endpoint or the platform said stays in fields.
#[derive(Debug)]
pub struct AuthError {
    /// What went wrong.
    pub problem: AuthProblem,
    /// The HTTP status, when the token endpoint or the platform answered.
    pub status: Option<u16>,
    /// The OAuth `error_description` of a token endpoint refusal. Remote text: keep it out
    /// of logs shown to patients.
    pub description: Option<String>,
    /// The OperationOutcome of a platform refusal.
    pub outcome: Option<OperationOutcome>,
    /// The interaction under way, for refusals of an API call.
    pub interaction: Option<InteractionId>,
    /// The `X-Request-ID` of the API call refused.
    pub request_id: Option<Uuid>,
    /// The raw answer, at most [`MAX_ERROR_BODY`] bytes.
    pub body: RawBody,
}

impl AuthError {
    /// An error with nothing but its problem.
    pub fn new(problem: AuthProblem) -> Self {
        Self {
            problem,
            status: None,
            description: None,
            outcome: None,
            interaction: None,
            request_id: None,
            body: RawBody::default(),
        }
    }

    /// Whether only a new NHS login can help.
    pub fn must_log_in_again(&self) -> bool {
        match &self.problem {
            AuthProblem::IdTokenExpired
            | AuthProblem::IdTokenUnreadable
            | AuthProblem::IdentityProofingLevel { .. }
            | AuthProblem::AccessTokenExpired => true,
            AuthProblem::TokenRefused { subject_token, .. } => *subject_token,
            AuthProblem::BadTokenAnswer(_) => false,
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.problem, f)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        Ok(())
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        Error::Auth(Box::new(e))
    }
}

/// What went wrong with NHS login / API platform authentication.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthProblem {
    /// The NHS login ID token has expired: the patient must log in again.
    #[error("the NHS login ID token has expired: the patient must log in again")]
    IdTokenExpired,
    /// The ID token is not a readable JWT with an `exp`: the patient must log in again.
    #[error("the NHS login ID token is not a readable JWT: the patient must log in again")]
    IdTokenUnreadable,
    /// The patient's identity proofing level is not P9, which these APIs require.
    #[error(
        "the patient's identity proofing level, {}, is below the P9 these APIs require: the patient must log in \
         again with a P9 identity",
        proofing_level(level.as_deref())
    )]
    IdentityProofingLevel {
        /// The level in the token (`P5`, `P0`), if any.
        level: Option<String>,
    },
    /// The platform said the access token (or the ID token behind it) has expired, even
    /// after a fresh exchange: the patient must log in again.
    #[error("the platform says the access token has expired: the patient must log in again")]
    AccessTokenExpired,
    /// The token endpoint refused the exchange.
    #[error("the token endpoint refused the exchange: {}", oauth_refusal(error, *subject_token))]
    TokenRefused {
        /// The OAuth `error` code (`invalid_request`, `unauthorized_client`, ...).
        error: String,
        /// Whether the refusal is about the ID token (`subject_token`): log in again.
        subject_token: bool,
    },
    /// The token endpoint answered 200 with something that is not a token response.
    #[error("the token endpoint's answer is not a token response: {0}; report it with the request id")]
    BadTokenAnswer(DecodeProblem),
}

/// A proofing level as NHS login writes them (`P0`, `P5`, `P9`), else a neutral word: the
/// token's value is not quoted.
fn proofing_level(level: Option<&str>) -> &'static str {
    match level {
        Some("P0") => "P0",
        Some("P5") => "P5",
        Some("P9") => "P9",
        Some(_) => "one this SDK does not know",
        None => "not stated",
    }
}

/// An OAuth error code in words with the fix; an unknown code is not quoted.
fn oauth_refusal(code: &str, subject_token: bool) -> &'static str {
    if subject_token {
        return "it refused the NHS login ID token: the patient must log in again";
    }
    match code {
        "invalid_client" | "unauthorized_client" => {
            "it does not know this application: check the API key, the key id (kid) and the private key registered \
             for it"
        }
        "invalid_grant" => "it refused the grant: the patient must log in again",
        "invalid_request" => "it called the request malformed: report it with the request id",
        "invalid_scope" => "the application may not use this scope: check its registration",
        "unsupported_grant_type" => "it does not support the token exchange: check the token endpoint address",
        _ => "with an error code this SDK does not know",
    }
}
