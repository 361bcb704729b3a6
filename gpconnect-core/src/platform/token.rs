//! The token exchange: an NHS login ID token and a client assertion in, an access token out.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::{ACCEPT, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use super::assertion::client_assertion;
use super::{NhsLoginIdToken, PlatformConfig};
use crate::error::{AuthError, AuthProblem, DecodeProblem, RawBody};
use crate::transport::{read_body, BodyProblem};
use crate::{Error, InteractionId, Result};

/// `grant_type` of the token exchange.
pub(crate) const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// `subject_token_type`: an ID token.
pub(crate) const SUBJECT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// `client_assertion_type`: a signed JWT.
pub(crate) const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The largest token endpoint answer read.
const MAX_TOKEN_ANSWER: usize = 64 * 1024;

/// An access token and when it stops being usable.
#[derive(Clone)]
pub(crate) struct AccessToken {
    pub(crate) token: SecretString,
    pub(crate) expires_at: Instant,
}

impl AccessToken {
    /// Whether it is still good for at least `margin`.
    pub(crate) fn fresh(&self, margin: Duration) -> bool {
        Instant::now() + margin < self.expires_at
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
struct TokenRefusal {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
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

/// The form of the token exchange, exactly the five fields the platform expects.
pub(crate) fn exchange_form(id_token: &str, assertion: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", GRANT_TYPE)
        .append_pair("subject_token_type", SUBJECT_TOKEN_TYPE)
        .append_pair("subject_token", id_token)
        .append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE)
        .append_pair("client_assertion", assertion)
        .finish()
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
    let request_id = uuid::Uuid::new_v4();
    let answer = http
        .post(token_url)
        .timeout(config.request_timeout)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .body(form)
        .send()
        .await
        .map_err(|e| crate::transport::transport_error(e, started, interaction, request_id))?;
    let status = answer.status().as_u16();
    span.record("status", status);
    let body = match read_body(answer, MAX_TOKEN_ANSWER).await {
        Ok(body) => body,
        Err(BodyProblem::TooLarge) => {
            return Err(bad_answer(DecodeProblem::TooLarge { limit: MAX_TOKEN_ANSWER }, status, interaction))
        }
        Err(BodyProblem::Http(e)) => {
            return Err(crate::transport::transport_error(e, started, interaction, request_id))
        }
    };
    if status != 200 {
        let refusal: Option<TokenRefusal> = serde_json::from_slice(&body).ok();
        let error = refusal.as_ref().and_then(|r| r.error.clone()).unwrap_or_else(|| "(none)".into());
        let description = refusal.and_then(|r| r.error_description);
        let subject_token = description.as_deref().is_some_and(|d| d.contains("subject_token"));
        span.in_scope(|| tracing::warn!(error = %error, "token exchange refused"));
        return Err(AuthError {
            status: Some(status),
            description,
            interaction: Some(interaction),
            body: RawBody::new(body),
            ..AuthError::new(AuthProblem::TokenRefused { error: error.chars().take(64).collect(), subject_token })
        }
        .into());
    }
    let parsed: TokenAnswer = {
        let de = &mut serde_json::Deserializer::from_slice(&body);
        serde_path_to_error::deserialize(de)
            .map_err(|e| bad_answer(DecodeProblem::json(e.path().to_string(), e.inner()), status, interaction))?
    };
    if parsed.access_token.is_empty() || parsed.token_type.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
    {
        return Err(bad_answer(
            DecodeProblem::Json { path: "access_token".into(), message: "no bearer access token".into() },
            status,
            interaction,
        ));
    }
    span.in_scope(|| tracing::info!(expires_in = parsed.expires_in, "access token issued"));
    Ok(AccessToken {
        token: SecretString::from(parsed.access_token),
        expires_at: started + Duration::from_secs(parsed.expires_in),
    })
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
