//! NHS login and API platform authentication failures (patient-facing APIs).

use super::*;

/// NHS login / API platform authentication failed. `Display` names the problem and its
/// fix only; `Debug` shows the problem (codes from closed lists), the status, the
/// interaction and the request id. What the token endpoint or the platform wrote stays in
/// fields that neither prints.
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

crate::redacted_debug!(AuthError, problem, status, interaction, request_id);

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

    /// Whether only a new NHS login can help: the ID token has expired (or the platform
    /// says the token behind the access token has), is unreadable or below P9, or the
    /// session was logged out. Problems of the app's configuration or registration, and
    /// tokens that fail a relying-party check, are not this: a new login would not help.
    pub fn must_log_in_again(&self) -> bool {
        match &self.problem {
            AuthProblem::IdTokenExpired
            | AuthProblem::IdTokenUnreadable
            | AuthProblem::IdentityProofingLevel { .. }
            | AuthProblem::AccessTokenExpired
            | AuthProblem::LoggedOut => true,
            AuthProblem::TokenRefused { refusal } => *refusal == TokenRefusal::IdTokenExpired,
            _ => false,
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
    /// The NHS login ID token has expired (beyond the allowed clock skew): the patient
    /// must log in again.
    #[error("the NHS login ID token has expired: the patient must log in again")]
    IdTokenExpired,
    /// The ID token is not a readable JWT: the patient must log in again.
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
    /// The ID token failed one of the checks NHS login puts on a relying party: it was not
    /// made for this app by this environment's NHS login, or was tampered with or replayed.
    /// No session is made from it.
    #[error("the NHS login ID token failed a relying-party check: {0}")]
    IdTokenRejected(IdTokenCheck),
    /// NHS login's signing keys (its JWKS) could not be fetched or read, so no ID token can
    /// be verified: check the issuer address and the network.
    #[error(
        "NHS login's signing keys could not be fetched or read: check the NHS login issuer address and the network"
    )]
    NhsLoginUnavailable,
    /// A live session holds an identity that this verified ID token matches only in part
    /// (same NHS login subject with another NHS number, or the same NHS number under
    /// another subject): refused, never answered with the other session.
    #[error(
        "the ID token's identity matches another live session only in part (subject, NHS number or acting person): \
         refused; log that session out first if this is expected"
    )]
    IdentityMismatch,
    /// The patient declined or cancelled the NHS login (`access_denied`): show the app's
    /// no-consent screen.
    #[error("the patient declined or cancelled the NHS login: show the no-consent screen")]
    LoginDeclined,
    /// The login callback's `state` is not the one sent: a forged or stale callback,
    /// refused.
    #[error("the login callback's state is not the one this login sent: refused; start the login again")]
    LoginStateMismatch,
    /// NHS login refused the authorisation or the code exchange (code expired or used,
    /// client assertion or redirect URI not as registered): start the login again; if it
    /// persists, check the app's NHS login registration.
    #[error(
        "NHS login refused the login or the code exchange: start the login again; if it persists, check the NHS \
         login registration (client id, key, redirect URI)"
    )]
    NhsLoginRefused,
    /// The session was logged out: the patient must log in again.
    #[error("the session was logged out: the patient must log in again")]
    LoggedOut,
    /// The platform said the access token (or the ID token behind it) has expired, even
    /// after a fresh exchange ("Access Token for GPC Expired"): the patient must log in again.
    #[error("the platform says the access token has expired: the patient must log in again")]
    AccessTokenExpired,
    /// The platform refused a fresh access token for another reason (`ACCESS_DENIED` other
    /// than expiry): typically the app is not subscribed to this API's product on the
    /// developer portal. A new login will not help.
    #[error(
        "the platform refused the access token for this API: check the application is subscribed to the API's \
         product (P9 scope) in the developer portal"
    )]
    AccessDenied,
    /// The token endpoint refused the exchange.
    #[error("the token endpoint refused the exchange: {refusal}")]
    TokenRefused {
        /// Why, from the platform's published refusals (auth README §4).
        refusal: TokenRefusal,
    },
    /// The token endpoint answered 200 with something that is not a token response.
    #[error("the token endpoint's answer is not a token response: {0}; report it with the request id")]
    BadTokenAnswer(DecodeProblem),
}

/// The relying-party check an NHS login ID token failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenCheck {
    /// Not signed with RS512 (unsigned, `alg: none`, or another algorithm).
    #[error("it is not signed with RS512")]
    Algorithm,
    /// Signed with a key (`kid`) NHS login does not publish, even after refreshing its keys.
    #[error("its signing key is not one of NHS login's")]
    UnknownKey,
    /// The signature does not match NHS login's key.
    #[error("its signature does not verify")]
    Signature,
    /// Issued by another NHS login environment (`iss`): check the configured issuer.
    #[error("another issuer made it: check the configured NHS login environment")]
    Issuer,
    /// Issued to another NHS login client (`aud`): check the configured client id.
    #[error("it was issued to another NHS login client: check the configured client id")]
    Audience,
    /// Issued in the future (`iat`) beyond the allowed clock skew: check the server clock.
    #[error("it is issued in the future beyond the allowed clock skew: check the server's clock")]
    IssuedInFuture,
    /// The `nonce` is missing or not the one the app sent with this login.
    #[error("its nonce is not the one sent with this login")]
    Nonce,
    /// The vector of trust (`vot`) is not one the app accepts (P9 by default).
    #[error("its vector of trust is not one this application accepts")]
    VectorOfTrust,
    /// No `nhs_number` or `identity_proofing_level`: the login did not ask for the
    /// `profile` scope.
    #[error("it carries no NHS number or proofing level: request the `profile` scope")]
    ProfileScope,
}

/// Why the platform's token endpoint refused an exchange, read from its status, OAuth
/// `error` and `error_description` (auth README §4). Each has a fix for the right person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRefusal {
    /// The ID token has expired by the platform's clock: the patient must log in again.
    #[error("the NHS login ID token has expired: the patient must log in again")]
    IdTokenExpired,
    /// The ID token's issuer is not the NHS login the platform environment pairs with.
    #[error(
        "the NHS login that made the ID token is not the one this platform environment pairs with: check which NHS \
         login environment the app uses"
    )]
    WrongIssuer,
    /// The platform refused the ID token itself (malformed, unknown NHS login key, no `aud`).
    #[error("it refused the NHS login ID token: check the NHS login environment; report it with the time")]
    IdTokenRejected,
    /// No public key with the assertion's `kid` in the app's JWKS.
    #[error("no public key with this key id (kid) in the application's JWKS: check the kid and the published JWKS")]
    UnknownKeyId,
    /// The API key (`iss`/`sub` of the assertion) is unknown, or the app is not approved.
    #[error("it does not know this application or it is not approved: check the API key in the developer portal")]
    UnknownClient,
    /// The app has no JWKS URL registered, or its JWKS cannot be reached.
    #[error(
        "the application's public key is not registered or its JWKS cannot be reached: register the JWKS URL in \
         the developer portal"
    )]
    PublicKeyNotRegistered,
    /// The assertion's signature does not verify with the published key.
    #[error("the client assertion's signature does not verify: the private key does not match the published key")]
    SignatureFailed,
    /// The assertion's `exp` is expired or too far ahead by the platform's clock.
    #[error("the client assertion's expiry is out of range: check the server's clock")]
    ClockSkew,
    /// The app's products give no scope at the ID token's proofing level
    /// (`unauthorized_client`): subscribe the app to the P9 products.
    #[error("the application has no product for this proofing level: subscribe it to the API's P9 product")]
    NoProductForProofingLevel,
    /// The request was malformed by the platform's rules: an SDK or proxy fault.
    #[error("it called the request malformed: report it with the time")]
    Malformed,
    /// Busy or failing (429, 5xx): try again later.
    #[error("it is busy or failing: try again later")]
    Unavailable,
    /// A refusal this SDK does not know (its text is not quoted).
    #[error("with a refusal this SDK does not know")]
    Unknown,
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
