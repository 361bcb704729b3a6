//! The platform client: one HTTP client, the app's credentials, NHS login's keys, and the
//! wire form of a request. The sessions and the send loop are the session module's.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::nhs_login::{configured, verify, KeyCache};
use super::registry::Registry;
use super::{NhsLoginIdToken, PlatformConfig, PlatformRequest};
use crate::error::{AuthError, AuthProblem, ConfigError, DecodeProblem};
use crate::http::{append_query, check_url, http_client, CONNECT_TIMEOUT, QUERY_NAME, REQUEST_TIMEOUT};
use crate::tls::Roots;
use crate::Result;

pub(crate) static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub(crate) static X_CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");

/// The NHS API platform client of a patient-facing app: its credentials, one HTTP client
/// (redirects never followed), NHS login's keys and the patients' sessions. Cheap to
/// clone; make one, share it.
#[derive(Clone)]
pub struct PlatformClient {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) http: reqwest::Client,
    pub(crate) config: PlatformConfig,
    keys: KeyCache,
    /// The live sessions by verified identity (the session module's type, held as `Any`
    /// so that the client does not name the session and the session can name the client).
    pub(crate) sessions: Registry<dyn Any + Send + Sync>,
}

impl fmt::Debug for PlatformClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformClient").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl PlatformClient {
    /// Checks the configuration (https URLs unless plain http is allowed) and builds the
    /// client. Nothing is sent.
    pub fn new(config: PlatformConfig) -> Result<Self> {
        check_url(config.effective_token_url(), "token endpoint", config.http.allow_http)?;
        for url in config.api_bases.values() {
            check_url(url, "API base", config.http.allow_http)?;
        }
        if let Some(login) = &config.nhs_login {
            check_url(&login.jwks_url(), "NHS login JWKS", config.http.allow_http)?;
        }
        let http = http_client(
            config.http.connect_timeout_or(CONNECT_TIMEOUT),
            Roots::PlatformAnd(&config.http.ca_roots),
            None,
        )?
        .build()
        .map_err(|e| ConfigError::Http(e.into()))?;
        Ok(Self {
            inner: Arc::new(ClientInner { http, config, keys: KeyCache::default(), sessions: Registry::default() }),
        })
    }

    /// Verifies an NHS login ID token as a relying party must, against the configured
    /// [`NhsLogin`](super::NhsLogin): its RS512 signature with NHS login's published key
    /// for its `kid` (keys fetched, cached, fetched again for an unknown `kid` at most
    /// once a minute), `iss`, `aud` (the app's client id), `exp` and `iat` with the
    /// allowed skew, the `nonce` when the app sent one (pass it: `None` skips the check),
    /// `vot`, an NHS number and proofing level P9.
    ///
    /// # Errors
    /// `Auth` with [`AuthProblem::IdTokenRejected`] naming the failed check,
    /// `IdTokenExpired`, `IdentityProofingLevel`, `IdTokenUnreadable` or
    /// `NhsLoginUnavailable`; `Config` when no NHS login is configured.
    pub async fn verify_id_token(&self, compact: impl Into<String>, nonce: Option<&str>) -> Result<NhsLoginIdToken> {
        let config = &self.inner.config;
        let login = configured(config.nhs_login.as_ref())?;
        let compact = SecretString::from(compact.into());
        verify(&self.inner.http, &config.http, login, &self.inner.keys, compact, nonce).await
    }

    /// The configuration.
    pub fn config(&self) -> &PlatformConfig {
        &self.inner.config
    }

    /// The wire request: the platform's headers, the FHIR media type, the body. The
    /// request's own headers never replace the reserved ones.
    pub(crate) fn request(
        &self,
        req: &PlatformRequest,
        url: &url::Url,
        request_id: Uuid,
        token: &SecretString,
    ) -> Result<reqwest::RequestBuilder> {
        let bearer = Zeroizing::new(format!("Bearer {}", token.expose_secret()));
        let mut bearer = HeaderValue::try_from(bearer.as_str()).map_err(|_| {
            AuthError::new(AuthProblem::BadTokenAnswer(DecodeProblem::Json {
                path: "access_token".into(),
                message: "not a header value".into(),
            }))
        })?;
        bearer.set_sensitive(true);
        let media = HeaderValue::from_static(req.api.media_type());
        let mut builder = self
            .inner
            .http
            .request(req.request.method.clone(), url.clone())
            .timeout(req.request.timeout.unwrap_or(self.inner.config.http.request_timeout_or(REQUEST_TIMEOUT)))
            .header(AUTHORIZATION, bearer)
            .header(&X_REQUEST_ID, request_id.to_string())
            .header(ACCEPT, media.clone());
        if let Some(id) = &req.correlation_id {
            builder = builder.header(&X_CORRELATION_ID, id);
        }
        if let Some(body) = &req.request.body {
            builder = builder.header(CONTENT_TYPE, media).body(body.clone());
        }
        for (name, value) in &req.request.headers {
            if !is_reserved(name) {
                builder = builder.header(name, value);
            }
        }
        Ok(builder)
    }

    /// `{API base}/{path}?{query}`, the query values percent-encoded and the names kept
    /// literal, as on the SSP path (`_include:recurse`).
    pub(crate) fn url(&self, req: &PlatformRequest) -> Result<url::Url> {
        let base = self.inner.config.effective_api_base(req.api);
        let mut full = if req.path().is_empty() { base } else { format!("{base}/{}", req.path()) };
        check_url(&full, "API base", self.inner.config.http.allow_http)?;
        append_query(&mut full, false, &req.request.query, QUERY_NAME);
        Ok(url::Url::parse(&full).map_err(|_| ConfigError::Url { what: "request URL" })?)
    }
}

/// Headers the transport sets itself and a request may not add a second time.
pub(crate) fn is_reserved(name: &HeaderName) -> bool {
    name == AUTHORIZATION || name == X_REQUEST_ID || name == X_CORRELATION_ID || name == ACCEPT || name == CONTENT_TYPE
}
