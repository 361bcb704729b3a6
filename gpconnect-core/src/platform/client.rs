//! The platform transport: one HTTP client, the patient sessions, and the send loop.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Instant, SystemTime};

use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;
use uuid::Uuid;

use super::session::{access_token_expired, SessionInner};
use super::{NhsLoginIdToken, PatientSession, PlatformConfig, PlatformRequest};
use crate::error::{AuthError, AuthProblem, ConfigError, DecodeProblem, Error};
use crate::http::{
    append_query, check_url, error_from_response, http_client, transport_error, CONNECT_TIMEOUT, QUERY, REQUEST_TIMEOUT,
};
use crate::request::{receive_in_span, Answer};
use crate::retry::{retrying, RetryPolicy};
use crate::{Result, StreamingResponse};

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static X_CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");

/// The NHS API platform client of a patient-facing app: its credentials, one HTTP client
/// (redirects never followed) and the patients' sessions. Cheap to clone; make one, share it.
#[derive(Clone)]
pub struct PlatformClient {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) http: reqwest::Client,
    pub(crate) config: PlatformConfig,
    sessions: Mutex<HashMap<String, Weak<SessionInner>>>,
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
        let http = http_client(config.http.connect_timeout_or(CONNECT_TIMEOUT))
            .tls_certs_merge(config.http.ca_roots.clone())
            .build()
            .map_err(|e| ConfigError::Http(e.into()))?;
        Ok(Self { inner: Arc::new(ClientInner { http, config, sessions: Mutex::default() }) })
    }

    /// The session of the patient this NHS login ID token belongs to. The token is
    /// checked now (P9, not expired; else [`Error::must_log_in_again`]); nothing is sent
    /// until the first call. Asking again for the same patient (same NHS login subject)
    /// returns the same session, sharing its access token.
    pub fn session(&self, id_token: NhsLoginIdToken) -> Result<PatientSession> {
        id_token.check(SystemTime::now())?;
        let key =
            id_token.subject().map(str::to_owned).or_else(|| id_token.nhs_number().map(|n| n.expose().to_owned()));
        let Some(key) = key else {
            return Ok(PatientSession::new(self.clone(), id_token));
        };
        let mut sessions = self.inner.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.retain(|_, s| s.strong_count() > 0);
        if let Some(inner) = sessions.get(&key).and_then(Weak::upgrade) {
            inner.offer(id_token);
            return Ok(PatientSession { inner });
        }
        let session = PatientSession::new(self.clone(), id_token);
        sessions.insert(key, Arc::downgrade(&session.inner));
        Ok(session)
    }

    /// The configuration.
    pub fn config(&self) -> &PlatformConfig {
        &self.inner.config
    }

    /// Sends `req` as the patient of `session` and reads the answer as `A` (the whole
    /// body, bounded, or a stream), with `retry` instead of the configured policy when
    /// given. Retries through the one retry loop of core: reads
    /// with the same `X-Request-ID` (also when the body stalls or breaks off), writes
    /// never once they may have been sent.
    pub(crate) async fn send<A: Answer>(
        &self,
        session: &PatientSession,
        req: &PlatformRequest,
        retry: Option<&RetryPolicy>,
    ) -> Result<A> {
        let config = &self.inner.config;
        let url = &self.url(req)?;
        let request_id = req.request_id.unwrap_or_else(Uuid::new_v4);
        let interaction = req.interaction();
        let max_body = config.max_response_bytes;
        retrying(retry.unwrap_or(&config.http.retry), interaction.effect(), move |attempt| async move {
            let span = tracing::info_span!(
                "gpconnect.platform.request",
                interaction = interaction.urn(),
                api = ?req.api,
                request_id = %request_id,
                attempt,
                status = tracing::field::Empty,
                elapsed_ms = tracing::field::Empty,
            );
            let started = Instant::now();
            let sent = self.attempt(session, req, url, request_id).instrument(span.clone()).await;
            let sent = sent.map(|inner| StreamingResponse { inner, trace_id: request_id, interaction, max_body });
            receive_in_span(&span, started, sent).await
        })
        .await
    }

    /// One attempt: the session's token, the request; after a 401 (the platform refused
    /// the token before forwarding anything) once more with a freshly exchanged token,
    /// then the patient must log in again.
    async fn attempt(
        &self,
        session: &PatientSession,
        req: &PlatformRequest,
        url: &url::Url,
        request_id: Uuid,
    ) -> Result<reqwest::Response> {
        let mut refused = false;
        loop {
            let token = session.access_token(req.interaction()).await?;
            let started = Instant::now();
            match self.request(req, url, request_id, &token)?.send().await {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) if resp.status() == http::StatusCode::UNAUTHORIZED => {
                    let error = error_from_response(resp, req.interaction(), request_id, started).await;
                    session.forget(&token).await;
                    if refused {
                        return Err(expired_from(error));
                    }
                    refused = true;
                    tracing::warn!("token refused; exchanging again");
                }
                Ok(resp) => return Err(error_from_response(resp, req.interaction(), request_id, started).await),
                Err(e) => return Err(transport_error(e, started, Some(req.interaction()), Some(request_id))),
            }
        }
    }

    /// The wire request: the platform's headers, the FHIR media type, the body.
    fn request(
        &self,
        req: &PlatformRequest,
        url: &url::Url,
        request_id: Uuid,
        token: &SecretString,
    ) -> Result<reqwest::RequestBuilder> {
        let mut bearer = HeaderValue::try_from(format!("Bearer {}", token.expose_secret())).map_err(|_| {
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
            builder = builder.header(name, value);
        }
        Ok(builder)
    }

    /// `{API base}/{path}?{query}`, the query percent-encoded as for the SSP.
    fn url(&self, req: &PlatformRequest) -> Result<url::Url> {
        let base = self.inner.config.effective_api_base(req.api);
        let mut full = if req.path().is_empty() { base } else { format!("{base}/{}", req.path()) };
        check_url(&full, "API base", self.inner.config.http.allow_http)?;
        append_query(&mut full, false, &req.request.query, QUERY);
        Ok(url::Url::parse(&full).map_err(|_| ConfigError::Url { what: "request URL" })?)
    }
}

/// A second 401 in a row: the platform's refusal as "log in again", keeping what it said.
fn expired_from(error: Error) -> Error {
    let mut auth = access_token_expired();
    if let Error::Provider(p) = error {
        auth.status = Some(p.status);
        auth.interaction = Some(p.interaction);
        auth.request_id = Some(p.trace_id);
        auth.outcome = p.outcome;
        auth.body = p.body;
    }
    auth.into()
}
