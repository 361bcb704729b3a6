//! Shared set-up for the patient-facing examples: a patient session on the NHS API
//! platform from `GPCONNECT_PLATFORM_*` and `GPCONNECT_NHS_LOGIN_*` environment variables
//! (`_CLIENT_ID`, optional `_ISSUER` and `_NONCE`), or, when
//! `GPCONNECT_NHS_LOGIN_ID_TOKEN` is not set, the local servers: the testkit's token
//! endpoint (checking the client assertion and ID token as the platform does) and
//! Stoplight Prism serving the NHS OpenAPI file of the API (installed under `target/` on
//! first use; needs Node.js and npm). No credentials are needed locally.
#![allow(dead_code)]

use std::env;
use std::error::Error;

use gpconnect::patient::{Environment, NhsLogin, PatientSession, PlatformClient, PlatformConfig};
use gpconnect::platform::PlatformApi;
use gpconnect_testkit::platform::{id_token, MockTokenEndpoint};
use gpconnect_testkit::prism::Prism;

/// What an example works with.
pub struct Setup {
    /// The logged-in patient.
    pub session: PatientSession,
    /// The local servers, kept alive while the example runs (None against the platform).
    pub local: Option<(MockTokenEndpoint, Prism)>,
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Connects to the platform from the environment, or starts the local servers for `api`
/// with a patient whose NHS number is `local_nhs` (the patient the spec's example
/// answers are about).
pub async fn connect(api: PlatformApi, local_nhs: &str) -> Result<Setup, Box<dyn Error>> {
    if let Some(id_token_text) = var("GPCONNECT_NHS_LOGIN_ID_TOKEN") {
        let required = |name: &str| var(name).ok_or_else(|| format!("{name} is required with an ID token"));
        let environment = match var("GPCONNECT_PLATFORM_ENV").as_deref() {
            Some("production") => Environment::Production,
            Some("sandbox") => Environment::Sandbox,
            _ => Environment::Integration,
        };
        let key = std::fs::read(required("GPCONNECT_PLATFORM_KEY_FILE")?)?;
        let mut config = PlatformConfig::new(
            environment,
            required("GPCONNECT_PLATFORM_API_KEY")?,
            required("GPCONNECT_PLATFORM_KID")?,
            &key,
        )?;
        if let Some(url) = var("GPCONNECT_PLATFORM_TOKEN_URL") {
            config = config.token_url(url);
        }
        // The ID token is verified as NHS login's relying party must before any session
        // exists: the app's NHS login client id, and the issuer the environment pairs with.
        let issuer = var("GPCONNECT_NHS_LOGIN_ISSUER").unwrap_or_else(|| match environment {
            Environment::Production => NhsLogin::PRODUCTION.into(),
            Environment::Sandbox => NhsLogin::SANDPIT.into(),
            _ => NhsLogin::INTEGRATION.into(),
        });
        let config = config.nhs_login(NhsLogin::new(issuer, required("GPCONNECT_NHS_LOGIN_CLIENT_ID")?));
        let nonce = var("GPCONNECT_NHS_LOGIN_NONCE");
        let session = PlatformClient::new(config)?.log_in(id_token_text, nonce.as_deref()).await?;
        return Ok(Setup { session, local: None });
    }
    eprintln!("GPCONNECT_NHS_LOGIN_ID_TOKEN not set: using a local token endpoint and Prism (no credentials needed)");
    let tokens = MockTokenEndpoint::start().await;
    let prism = Prism::start(api).await;
    let client = PlatformClient::new(prism.configure(tokens.config()))?;
    let token = id_token().nhs_number(Some(local_nhs)).build();
    let session = client.log_in(token, None).await?;
    Ok(Setup { session, local: Some((tokens, prism)) })
}

/// A FHIR date-time as a patient reads it: `2022-10-13 09:20`.
pub fn when(value: Option<&gpconnect::fhir::FhirDateTime>) -> String {
    match value {
        Some(v) => match v.to_datetime() {
            Some(t) => t.format("%-d %b %Y %H:%M").to_string(),
            None => v.to_date().map(|d| d.format("%-d %b %Y").to_string()).unwrap_or_else(|| v.as_str().to_owned()),
        },
        None => "?".into(),
    }
}
