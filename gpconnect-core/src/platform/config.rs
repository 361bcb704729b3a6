//! Where the platform is and how the SDK talks to it: environments, APIs, credentials.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use super::NhsLogin;
use crate::error::ConfigError;
use crate::HttpSettings;

/// An NHS API platform environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Environment {
    /// `https://sandbox.api.service.nhs.uk`: open access, canned answers (Prism serving the
    /// specs' examples). The sandbox replaces any bearer token with its own, so no token
    /// exchange is made there (unless a token URL is configured) and `Bearer sandbox` is
    /// sent; the ID token is still checked locally.
    Sandbox,
    /// `https://int.api.service.nhs.uk`: integration testing with NHS login.
    Integration,
    /// `https://api.service.nhs.uk`: live.
    Production,
}

impl Environment {
    /// The environment's host URL, without a trailing slash.
    pub fn host(self) -> &'static str {
        match self {
            Environment::Sandbox => "https://sandbox.api.service.nhs.uk",
            Environment::Integration => "https://int.api.service.nhs.uk",
            Environment::Production => "https://api.service.nhs.uk",
        }
    }

    /// The token endpoint for real NHS login ID tokens; also the client assertion's `aud`.
    pub fn token_url(self) -> &'static str {
        match self {
            Environment::Sandbox => "https://sandbox.api.service.nhs.uk/oauth2/token",
            Environment::Integration => "https://int.api.service.nhs.uk/oauth2/token",
            Environment::Production => "https://api.service.nhs.uk/oauth2/token",
        }
    }

    /// The token endpoint that accepts ID tokens from the platform's mock NHS login
    /// (Keycloak realm `NHS-Login-mock-int`): integration only. Pass it to
    /// [`PlatformConfig::token_url`].
    pub fn mock_nhs_login_token_url(self) -> Option<&'static str> {
        match self {
            Environment::Integration => Some("https://int.api.service.nhs.uk/oauth2-mock/token"),
            _ => None,
        }
    }

    /// The base URL of one API in this environment (no trailing slash).
    pub fn api_base(self, api: PlatformApi) -> String {
        format!("{}/{}", self.host(), api.base_path())
    }
}

/// The FHIR version an API speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FhirVersion {
    /// FHIR STU3 (access record, appointments).
    Stu3,
    /// FHIR R4, UK Core (prescriptions).
    R4,
}

/// One of the three patient-facing GP Connect APIs on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PlatformApi {
    /// Access Record (STU3): structured record and documents.
    AccessRecord,
    /// Appointments Management (STU3).
    Appointments,
    /// Prescriptions Management (R4).
    Prescriptions,
}

impl PlatformApi {
    /// The API an interaction is sent to: Prescriptions Management for its three
    /// interactions, Access Record for the structured record and documents, Appointments
    /// Management for the rest (slots and appointments).
    pub fn of(interaction: crate::InteractionId) -> Self {
        use crate::{Capability, InteractionId};
        if [
            InteractionId::ReadMedicationRequests,
            InteractionId::RequestPrescription,
            InteractionId::SearchPrescriptionRequests,
        ]
        .contains(&interaction)
        {
            return PlatformApi::Prescriptions;
        }
        match interaction.capability() {
            Capability::Structured | Capability::Documents => PlatformApi::AccessRecord,
            Capability::Foundations => PlatformApi::Appointments,
        }
    }

    /// The API's base path on the platform.
    pub fn base_path(self) -> &'static str {
        match self {
            PlatformApi::AccessRecord => "gp-connect/patient-facing/access-record-fhir/FHIR/STU3",
            PlatformApi::Appointments => "gp-connect/patient-facing/appointments-management-fhir/FHIR/STU3",
            PlatformApi::Prescriptions => "gp-connect/patient-facing/prescriptions-management-fhir/FHIR/R4",
        }
    }

    /// The FHIR version it speaks.
    pub fn fhir_version(self) -> FhirVersion {
        match self {
            PlatformApi::Prescriptions => FhirVersion::R4,
            _ => FhirVersion::Stu3,
        }
    }

    /// The media type sent in `Accept` and, with a body, `Content-Type`: the only one the
    /// specs declare, `application/fhir+json`, for STU3 and R4 alike.
    pub fn media_type(self) -> &'static str {
        "application/fhir+json"
    }
}

/// The application's platform credentials and the transport settings.
///
/// The API key (the app's client id on the developer portal), the `kid` of the public key
/// published in the app's JWKS, and the matching RSA private key (PEM, PKCS#1 or PKCS#8)
/// that signs the client assertions. `Debug` shows neither the key nor the API key.
///
/// ```no_run
/// use gpconnect_core::platform::{Environment, PlatformConfig};
/// # fn demo(key_pem: &[u8]) -> Result<(), gpconnect_core::error::ConfigError> {
/// let config = PlatformConfig::new(Environment::Integration, "my-api-key", "key-1", key_pem)?
///     .token_url(Environment::Integration.mock_nhs_login_token_url().unwrap());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PlatformConfig {
    pub(crate) environment: Environment,
    pub(crate) api_key: String,
    pub(crate) kid: String,
    pub(crate) signing_key: SigningKey,
    /// Public keys published beside the signing key (rotation), by `kid`.
    pub(crate) published: Vec<(String, jsonwebtoken::DecodingKey)>,
    pub(crate) nhs_login: Option<NhsLogin>,
    pub(crate) token_url: Option<String>,
    pub(crate) api_bases: HashMap<PlatformApi, String>,
    pub(crate) http: HttpSettings,
    pub(crate) max_response_bytes: usize,
    pub(crate) refresh_margin: Duration,
}

/// The RSA private key that signs client assertions. `Debug` shows nothing of it; the key
/// bytes are zeroed when dropped (jsonwebtoken's `EncodingKey` zeroizes itself).
#[derive(Clone)]
pub(crate) struct SigningKey(pub(crate) jsonwebtoken::EncodingKey);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl fmt::Debug for PlatformConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformConfig")
            .field("environment", &self.environment)
            .field("kid", &self.kid)
            .field("nhs_login", &self.nhs_login)
            .field("apis_overridden", &self.api_bases.keys().collect::<Vec<_>>())
            .field("allow_http", &self.http.allow_http)
            .finish_non_exhaustive()
    }
}

impl PlatformConfig {
    /// The environment, the app's API key, the key id (`kid`) and the RSA private key (PEM).
    /// The key is parsed now: an unusable key is an error here, not at the first request.
    pub fn new(
        environment: Environment,
        api_key: impl Into<String>,
        kid: impl Into<String>,
        private_key_pem: &[u8],
    ) -> Result<Self, ConfigError> {
        super::jws::check_backend()?;
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key_pem).map_err(|_| ConfigError::Identity {
            reason: "the client assertion key is not an RSA private key in PEM".into(),
        })?;
        let (api_key, kid) = (api_key.into(), kid.into());
        if api_key.trim().is_empty() {
            return Err(ConfigError::Missing("API key"));
        }
        if kid.trim().is_empty() {
            return Err(ConfigError::Missing("kid"));
        }
        Ok(Self {
            environment,
            api_key,
            kid,
            signing_key: SigningKey(key),
            published: Vec::new(),
            nhs_login: None,
            token_url: None,
            api_bases: HashMap::new(),
            http: HttpSettings::default(),
            max_response_bytes: 16 * 1024 * 1024,
            refresh_margin: Duration::from_secs(60),
        })
    }

    /// The NHS login the app is registered with: its ID tokens are verified against it
    /// before any session exists ([`PlatformClient::verify_id_token`](super::PlatformClient::verify_id_token)).
    /// Required for sessions.
    pub fn nhs_login(mut self, login: NhsLogin) -> Self {
        self.nhs_login = Some(login);
        self
    }

    /// Publishes another public key (PEM, RSA) under `kid` in [`jwks`](Self::jwks), beside
    /// the signing key: for rotation, publish the new key first, wait for the platform's
    /// cache (an hour, auth README §5), then sign with it.
    pub fn publish_key(mut self, kid: impl Into<String>, public_key_pem: &[u8]) -> Result<Self, ConfigError> {
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(public_key_pem)
            .map_err(|_| ConfigError::Identity { reason: "a published key is not an RSA public key in PEM".into() })?;
        self.published.push((kid.into(), key));
        Ok(self)
    }

    /// The JWKS document to publish at the URL registered for the app (auth README §5):
    /// the signing key's public half and every [`publish_key`](Self::publish_key), each
    /// with its `kid`, `alg: RS512`, `use: sig`.
    pub fn jwks(&self) -> Result<String, ConfigError> {
        use jsonwebtoken::jwk::{JwkSet, PublicKeyUse};
        use jsonwebtoken::Algorithm::RS512;
        let unusable = || ConfigError::Identity { reason: "a key could not be written as a JWK".into() };
        let mut keys = vec![(
            self.kid.clone(),
            super::jws::rsa_jwk_of_private(&self.signing_key.0, RS512).map_err(|_| unusable())?,
        )];
        for (kid, key) in &self.published {
            keys.push((kid.clone(), super::jws::rsa_jwk_of_public(key, RS512).map_err(|_| unusable())?));
        }
        let keys = keys
            .into_iter()
            .map(|(kid, mut jwk)| {
                jwk.common.key_id = Some(kid);
                jwk.common.public_key_use = Some(PublicKeyUse::Signature);
                jwk
            })
            .collect();
        serde_json::to_string(&JwkSet { keys }).map_err(|_| unusable())
    }

    /// Posts token requests here instead of the environment's token endpoint (for the
    /// mock NHS login endpoint, or a local test server). Also the assertion's `aud`.
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// Sends one API's requests to this base URL instead of the environment's (for a
    /// local mock such as Prism, which serves the paths without the platform prefix).
    pub fn api_base(mut self, api: PlatformApi, url: impl Into<String>) -> Self {
        self.api_bases.insert(api, url.into());
        self
    }

    /// Timeouts (default 10 s to connect, 30 s per request), how reads are retried
    /// (writes never are once they may have been sent), extra trusted CAs and whether
    /// plain `http://` token and API URLs are allowed (for local tests against a mock only).
    pub fn http(mut self, settings: impl FnOnce(HttpSettings) -> HttpSettings) -> Self {
        self.http = settings(std::mem::take(&mut self.http));
        self
    }

    /// [`http`](Self::http) for a change that can fail, such as
    /// [`HttpSettings::add_ca_pem`].
    pub fn try_http(
        mut self,
        settings: impl FnOnce(HttpSettings) -> Result<HttpSettings, ConfigError>,
    ) -> Result<Self, ConfigError> {
        self.http = settings(std::mem::take(&mut self.http))?;
        Ok(self)
    }

    /// The largest answer read into memory (default 16 MiB; the platform itself cuts
    /// answers at 10 MB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// How long before its expiry an access token is replaced (default 60 s; at most half
    /// the token's lifetime).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The token endpoint in use (the override, or the environment's).
    pub fn effective_token_url(&self) -> &str {
        self.token_url.as_deref().unwrap_or(self.environment.token_url())
    }

    /// The base URL in use for `api` (the override, or the environment's).
    pub fn effective_api_base(&self, api: PlatformApi) -> String {
        match self.api_bases.get(&api) {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => self.environment.api_base(api),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_have_the_platform_urls() {
        assert_eq!(Environment::Production.token_url(), "https://api.service.nhs.uk/oauth2/token");
        assert_eq!(Environment::Integration.token_url(), "https://int.api.service.nhs.uk/oauth2/token");
        assert_eq!(Environment::Sandbox.token_url(), "https://sandbox.api.service.nhs.uk/oauth2/token");
        assert_eq!(
            Environment::Integration.mock_nhs_login_token_url(),
            Some("https://int.api.service.nhs.uk/oauth2-mock/token")
        );
        assert_eq!(Environment::Production.mock_nhs_login_token_url(), None);
        assert_eq!(
            Environment::Sandbox.api_base(PlatformApi::Prescriptions),
            "https://sandbox.api.service.nhs.uk/gp-connect/patient-facing/prescriptions-management-fhir/FHIR/R4"
        );
        assert_eq!(
            Environment::Production.api_base(PlatformApi::AccessRecord),
            "https://api.service.nhs.uk/gp-connect/patient-facing/access-record-fhir/FHIR/STU3"
        );
        assert_eq!(
            Environment::Integration.api_base(PlatformApi::Appointments),
            "https://int.api.service.nhs.uk/gp-connect/patient-facing/appointments-management-fhir/FHIR/STU3"
        );
        assert_eq!(PlatformApi::Prescriptions.fhir_version(), FhirVersion::R4);
        assert_eq!(PlatformApi::Appointments.fhir_version(), FhirVersion::Stu3);
    }
}
