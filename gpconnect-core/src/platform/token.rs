//! The token exchange: an NHS login ID token and a client assertion in, an access token out.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::{ACCEPT, CONTENT_TYPE};
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use super::assertion::client_assertion;
use super::{NhsLoginIdToken, PlatformConfig};
use crate::error::{AuthError, AuthProblem, DecodeProblem, RawBody, Sent, TokenRefusal};
use crate::http::{read_body, BodyProblem};
use crate::{Error, InteractionId, Result};

/// Reads a 200 answer of the token endpoint: a bearer access token and its lifetime.
fn parse_answer(body: &[u8]) -> Result<TokenAnswer, DecodeProblem> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    let parsed: TokenAnswer =
        serde_path_to_error::deserialize(de).map_err(|e| DecodeProblem::json(e.path().to_string(), e.inner()))?;
    if parsed.access_token.is_empty() || parsed.token_type.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
    {
        return Err(DecodeProblem::Json { path: "access_token".into(), message: "no bearer access token".into() });
    }
    Ok(parsed)
}

/// `grant_type` of the token exchange.
pub(crate) const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// `subject_token_type`: an ID token.
pub(crate) const SUBJECT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// `client_assertion_type`: a signed JWT.
pub(crate) const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The largest token endpoint answer read.
const MAX_TOKEN_ANSWER: usize = 64 * 1024;
/// The longest access token lifetime believed: a day. The platform gives 599 s; a larger
/// `expires_in` (however large) is clamped, never added to an `Instant` as it is.
pub(crate) const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// An access token and when it stops being usable.
#[derive(Clone)]
pub(crate) struct AccessToken {
    pub(crate) token: SecretString,
    expires_at: Instant,
    /// How long before `expires_at` it is replaced: the configured margin, at most half
    /// its lifetime (a short-lived token is still used).
    margin: Duration,
}

impl AccessToken {
    /// Whether it is still good for longer than its replacement margin.
    pub(crate) fn fresh(&self) -> bool {
        Instant::now().checked_add(self.margin).is_some_and(|t| t < self.expires_at)
    }

    /// A token issued at `started` living `expires_in` seconds (clamped to
    /// [`MAX_TOKEN_LIFETIME`]), replaced `margin` before expiry (at most half its life).
    pub(crate) fn new(token: SecretString, started: Instant, expires_in: u64, margin: Duration) -> Self {
        let lifetime = Duration::from_secs(expires_in).min(MAX_TOKEN_LIFETIME);
        Self { token, expires_at: started.checked_add(lifetime).unwrap_or(started), margin: margin.min(lifetime / 2) }
    }
}

/// The token endpoint's success answer. The platform writes numbers as JSON strings
/// (`"expires_in": "599"`); both forms are read.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(deserialize_with = "number_or_string")]
    expires_in: u64,
    #[serde(default)]
    token_type: Option<String>,
}

/// The token endpoint's error answer.
#[derive(Deserialize)]
struct RefusalAnswer {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl RefusalAnswer {
    /// The refusal, read from the platform's published statuses, codes and literal
    /// descriptions (auth README §4); the remote text is matched, never kept in the kind.
    fn kind(&self, status: u16) -> TokenRefusal {
        let error = self.error.as_deref().unwrap_or("");
        let d = self.error_description.as_deref().unwrap_or("");
        let has = |needle: &str| d.contains(needle);
        if status == 429 || status >= 500 {
            return TokenRefusal::Unavailable;
        }
        match error {
            "unauthorized_client" => return TokenRefusal::NoProductForProofingLevel,
            "access_denied" | "invalid_client" => return TokenRefusal::UnknownClient,
            "public_key error" if has("signature") => return TokenRefusal::SignatureFailed,
            "public_key error" => return TokenRefusal::PublicKeyNotRegistered,
            _ => {}
        }
        if has("subject_token") {
            if has("JWT has expired") {
                TokenRefusal::IdTokenExpired
            } else if has("'iss'") {
                TokenRefusal::WrongIssuer
            } else {
                TokenRefusal::IdTokenRejected
            }
        } else if has("client_assertion") {
            if has("'kid'") && has("no matching public key") {
                TokenRefusal::UnknownKeyId
            } else if has("'exp'") && (has("expired") || has("in future")) {
                TokenRefusal::ClockSkew
            } else if has("Invalid 'iss'/'sub'") {
                TokenRefusal::UnknownClient
            } else {
                TokenRefusal::Malformed
            }
        } else if error == "invalid_request" || error == "unsupported_grant_type" {
            TokenRefusal::Malformed
        } else {
            TokenRefusal::Unknown
        }
    }
}

/// A non-negative integer written as a JSON number or a string of digits.
pub(crate) fn number_or_string<'de, D: Deserializer<'de>>(de: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(u64),
        Text(String),
    }
    match Either::deserialize(de)? {
        Either::Number(n) => Ok(n),
        Either::Text(s) => s.trim().parse().map_err(|_| serde::de::Error::custom("not a whole number")),
    }
}

/// The form of the token exchange, exactly the five fields the platform expects; zeroed
/// when dropped (it holds the ID token and the assertion).
pub(crate) fn exchange_form(id_token: &str, assertion: &str) -> Zeroizing<String> {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", GRANT_TYPE)
        .append_pair("subject_token_type", SUBJECT_TOKEN_TYPE)
        .append_pair("subject_token", id_token)
        .append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE)
        .append_pair("client_assertion", assertion)
        .finish();
    Zeroizing::new(form)
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Exchanges `id_token` for an access token. The ID token is checked (P9, not expired)
/// first; nothing is sent if it fails. `interaction` is the call the token is for.
pub(crate) async fn exchange(
    http: &reqwest::Client,
    config: &PlatformConfig,
    id_token: &NhsLoginIdToken,
    interaction: InteractionId,
    timeout: Option<Duration>,
) -> Result<AccessToken> {
    id_token.check(SystemTime::now())?;
    let token_url = config.effective_token_url();
    let assertion = client_assertion(config, token_url, now_secs())?;
    let form = exchange_form(id_token.expose(), assertion.expose_secret());
    let span = tracing::info_span!(
        "gpconnect.platform.token",
        interaction = interaction.urn(),
        status = tracing::field::Empty
    );
    let started = Instant::now();
    let answer = http
        .post(token_url)
        .timeout(timeout.unwrap_or(config.http.request_timeout_or(crate::http::REQUEST_TIMEOUT)))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        // reqwest keeps its own copy until sent; ours is zeroed when dropped.
        .body(form.as_bytes().to_vec())
        .send()
        .await
        .map_err(|e| unreachable(e, started, interaction))?;
    let status = answer.status().as_u16();
    span.record("status", status);
    let body = match read_body(answer, MAX_TOKEN_ANSWER).await {
        Ok(body) => body,
        Err(BodyProblem::TooLarge) => {
            return Err(bad_answer(DecodeProblem::TooLarge { limit: MAX_TOKEN_ANSWER }, status, interaction))
        }
        Err(BodyProblem::Http(e)) => return Err(unreachable(e, started, interaction)),
    };
    if status != 200 {
        let refusal: Option<TokenRefusal> = serde_json::from_slice::<RefusalAnswer>(&body).ok().map(|r| r.kind(status));
        let refusal = refusal.unwrap_or(if status == 429 || status >= 500 {
            TokenRefusal::Unavailable
        } else {
            TokenRefusal::Unknown
        });
        let description = serde_json::from_slice::<RefusalAnswer>(&body).ok().and_then(|r| r.error_description);
        span.in_scope(|| tracing::warn!(refusal = ?refusal, status, "token exchange refused"));
        return Err(AuthError {
            status: Some(status),
            description,
            interaction: Some(interaction),
            body: RawBody::new(body),
            ..AuthError::new(AuthProblem::TokenRefused { refusal })
        }
        .into());
    }
    let parsed = parse_answer(&body).map_err(|problem| bad_answer(problem, status, interaction))?;
    span.in_scope(|| tracing::info!(expires_in = parsed.expires_in, "access token issued"));
    Ok(AccessToken::new(SecretString::from(parsed.access_token), started, parsed.expires_in, config.refresh_margin))
}

/// The token endpoint could not be reached or broke off. The API request itself was not
/// sent, so even a write can be tried again.
fn unreachable(e: reqwest::Error, started: Instant, interaction: InteractionId) -> Error {
    if e.is_timeout() {
        Error::Timeout {
            elapsed: started.elapsed(),
            sent: Sent::No,
            interaction: Some(interaction),
            trace_id: None,
            status: None,
        }
    } else {
        Error::Transport { source: e.into(), sent: Sent::No, interaction: Some(interaction), trace_id: None }
    }
}

fn bad_answer(problem: DecodeProblem, status: u16, interaction: InteractionId) -> Error {
    AuthError {
        status: Some(status),
        interaction: Some(interaction),
        ..AuthError::new(AuthProblem::BadTokenAnswer(problem))
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_answers_are_read_with_numbers_as_strings_or_numbers() {
        let spec: TokenAnswer = serde_json::from_str(
            r#"{"access_token":"abc","expires_in":"599","token_type":"Bearer",
                "issued_token_type":"urn:ietf:params:oauth:token-type:access_token",
                "refresh_token":"r","refresh_token_expires_in":"3599","refresh_count":"0"}"#,
        )
        .unwrap();
        assert_eq!(spec.expires_in, 599);
        let number: TokenAnswer = serde_json::from_str(r#"{"access_token":"abc","expires_in":599}"#).unwrap();
        assert_eq!(number.expires_in, 599);
        assert!(serde_json::from_str::<TokenAnswer>(r#"{"access_token":"abc","expires_in":"soon"}"#).is_err());
    }

    #[test]
    fn broken_token_answers_are_decode_problems_never_panics() {
        let good = br#"{"access_token":"abc","expires_in":"599","token_type":"Bearer"}"#;
        assert!(parse_answer(good).is_ok());
        assert!(parse_answer(br#"{"access_token":"","expires_in":"599"}"#).is_err());
        assert!(parse_answer(br#"{"access_token":"a","expires_in":"599","token_type":"mac"}"#).is_err());
        assert!(parse_answer(br#"{"access_token":"a","expires_in":"-1"}"#).is_err());
        // Random corruptions of a good answer: every outcome is a value, never a panic.
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..5000 {
            let mut bytes = good.to_vec();
            for _ in 0..rng.usize(1..6) {
                let i = rng.usize(..bytes.len());
                bytes[i] = rng.u8(..);
            }
            bytes.truncate(rng.usize(..=bytes.len()));
            let _ = parse_answer(&bytes);
        }
    }

    /// Every refusal of the platform's table (auth README §4), as it writes them.
    #[test]
    fn token_endpoint_refusals_are_read_from_the_platforms_own_answers() {
        use TokenRefusal::*;
        let table: &[(u16, &str, &str, TokenRefusal)] = &[
            (415, "invalid_request", "Content-Type header must be application/x-www-form-urlencoded", Malformed),
            (400, "invalid_request", "Missing or invalid client_assertion_type - must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'", Malformed),
            (400, "invalid_request", "grant_type is invalid", Malformed),
            (400, "invalid_request", "Malformed JWT in client_assertion", Malformed),
            (400, "invalid_request", "Missing 'kid' header in client_assertion JWT", Malformed),
            (401, "invalid_request", "Invalid 'kid' header in client_assertion JWT - no matching public key", UnknownKeyId),
            (400, "invalid_request", "Invalid 'exp' claim in client_assertion JWT - JWT has expired", ClockSkew),
            (400, "invalid_request", "Invalid 'exp' claim in client_assertion JWT - more than 5 minutes in future", ClockSkew),
            (401, "invalid_request", "Invalid 'iss'/'sub' claims in client_assertion JWT", UnknownClient),
            (400, "invalid_request", "Non-unique 'jti' claim in client_assertion JWT", Malformed),
            (401, "invalid_request", "Missing or invalid 'aud' claim in client_assertion JWT", Malformed),
            (401, "public_key error", "JWT signature verification failed", SignatureFailed),
            (403, "public_key error", "You need to register a public key to use this authentication method - please contact support to configure", PublicKeyNotRegistered),
            (403, "public_key error", "The JWKS endpoint, for your client_assertion can't be reached", PublicKeyNotRegistered),
            (400, "invalid_request", "Invalid 'exp' claim in subject_token JWT - JWT has expired", IdTokenExpired),
            (400, "invalid_request", "Missing or non-matching 'iss' claim in subject_token JWT", WrongIssuer),
            (400, "invalid_request", "Malformed JWT in subject_token", IdTokenRejected),
            (400, "invalid_request", "subject_token is invalid", IdTokenRejected),
            (401, "invalid_request", "Invalid 'kid' header in subject_token JWT - no matching public key", IdTokenRejected),
            (401, "unauthorized_client", "you have tried to request authorization but your application is not configured to use this authorization grant type", NoProductForProofingLevel),
            (401, "access_denied", "The developer app associated with the API key is not approved or revoked", UnknownClient),
            (503, "server_error", "scripted failure", Unavailable),
            (429, "", "", Unavailable),
            (400, "something_new", "words", Unknown),
        ];
        for (status, error, description, expected) in table {
            let answer = RefusalAnswer { error: Some((*error).into()), error_description: Some((*description).into()) };
            assert_eq!(answer.kind(*status), *expected, "{status} {error} {description}");
            let auth = AuthError::new(AuthProblem::TokenRefused { refusal: *expected });
            assert_eq!(auth.must_log_in_again(), *expected == IdTokenExpired, "{expected:?}");
        }
    }

    #[test]
    fn a_huge_expires_in_is_clamped_to_a_day() {
        let now = Instant::now();
        let token = AccessToken::new(SecretString::from("t"), now, u64::MAX, Duration::from_secs(60));
        assert!(token.fresh());
        assert!(token.expires_at <= now + MAX_TOKEN_LIFETIME);
        let short = AccessToken::new(SecretString::from("t"), now, 0, Duration::from_secs(60));
        assert!(!short.fresh());
    }

    #[test]
    fn the_exchange_form_has_exactly_the_five_fields() {
        let form = exchange_form("id.token.sig", "a.b.c");
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(form.as_bytes()).into_owned().collect();
        assert_eq!(
            pairs,
            [
                ("grant_type".into(), GRANT_TYPE.into()),
                ("subject_token_type".into(), SUBJECT_TOKEN_TYPE.into()),
                ("subject_token".into(), "id.token.sig".into()),
                ("client_assertion_type".into(), CLIENT_ASSERTION_TYPE.into()),
                ("client_assertion".into(), "a.b.c".into()),
            ]
        );
    }
}
