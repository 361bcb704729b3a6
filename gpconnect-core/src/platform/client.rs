//! The platform transport: one HTTP client, the patient sessions, and the send loop.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Instant, SystemTime};

use http::header::{HeaderName, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use percent_encoding::utf8_percent_encode;
use secrecy::ExposeSecret;
use tracing::Instrument;
use uuid::Uuid;

use super::session::{access_token_expired, SessionInner};
use super::{NhsLoginIdToken, PatientSession, PlatformConfig, PlatformRequest};
use crate::error::{ConfigError, Error};
use crate::transport::{check_url, error_from_response, read_response, transport_error, QUERY};
use crate::{Response, Result};

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
        check_url(config.effective_token_url(), "token endpoint", config.allow_http)?;
        for url in config.api_bases.values() {
            check_url(url, "API base", config.allow_http)?;
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .tls_version_min(reqwest::tls::Version::TLS_1_2)
            .user_agent(concat!("gpconnect-rust/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ConfigError::Http)?;
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

    pub(crate) async fn execute(&self, session: &PatientSession, req: &PlatformRequest) -> Result<Response> {
        let (resp, request_id) = self.execute_streaming(session, req).await?;
        read_response(resp, self.inner.config.max_response_bytes, req.interaction, request_id).await
    }

    /// The send loop: token, headers, retries for reads (same `X-Request-ID`), one fresh
    /// exchange after a 401.
    pub(crate) async fn execute_streaming(
        &self,
        session: &PatientSession,
        req: &PlatformRequest,
    ) -> Result<(reqwest::Response, Uuid)> {
        let config = &self.inner.config;
        let url = self.url(req)?;
        let timeout = req.timeout.unwrap_or(config.request_timeout);
        let request_id = req.request_id.unwrap_or_else(Uuid::new_v4);
        let first = Instant::now();
        let mut attempt = 0;
        let mut refused_once = false;
        loop {
            attempt += 1;
            let span = tracing::info_span!(
                "gpconnect.platform.request",
                interaction = req.interaction.urn(),
                api = ?req.api,
                request_id = %request_id,
                attempt,
                status = tracing::field::Empty,
                elapsed_ms = tracing::field::Empty,
            );
            let token = match session.access_token(req.interaction).instrument(span.clone()).await {
                Ok(token) => token,
                Err(error) => {
                    if self.may_retry(&error, attempt, first) {
                        tokio::time::sleep(config.retry.delay(attempt, None)).await;
                        continue;
                    }
                    return Err(error);
                }
            };
            let media = req.api.media_type();
            let mut builder = self
                .inner
                .http
                .request(req.method.clone(), url.clone())
                .timeout(timeout)
                .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()))
                .header(&X_REQUEST_ID, request_id.to_string())
                .header(ACCEPT, media);
            if let Some(id) = &req.correlation_id {
                builder = builder.header(&X_CORRELATION_ID, id);
            }
            if let Some(body) = &req.body {
                builder = builder.header(CONTENT_TYPE, media).body(body.clone());
            }
            for (name, value) in &req.headers {
                builder = builder.header(name, value);
            }
            let started = Instant::now();
            let result = builder.send().instrument(span.clone()).await;
            span.record("elapsed_ms", started.elapsed().as_millis() as u64);
            let error = match result {
                Ok(resp) if resp.status().is_success() => {
                    span.record("status", resp.status().as_u16());
                    span.in_scope(|| tracing::info!("answered"));
                    return Ok((resp, request_id));
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    span.record("status", status);
                    let error = error_from_response(resp, req.interaction, request_id, started).await;
                    if status == 401 {
                        // The platform refused the token before forwarding anything: try
                        // once more with a fresh exchange, then say the patient must log in.
                        session.forget(&token).await;
                        if !refused_once {
                            refused_once = true;
                            span.in_scope(|| tracing::warn!("token refused; exchanging again"));
                            continue;
                        }
                        return Err(expired_from(error));
                    }
                    error
                }
                Err(e) => transport_error(e, started, req.interaction, request_id),
            };
            let retry = self.may_retry(&error, attempt, first);
            span.in_scope(|| tracing::warn!(kind = ?error.kind(), retry, "failed"));
            if !retry {
                return Err(error);
            }
            let retry_after = match &error {
                Error::Provider(p) => p.retry_after,
                _ => None,
            };
            tokio::time::sleep(config.retry.delay(attempt, retry_after)).await;
        }
    }

    fn may_retry(&self, error: &Error, attempt: u32, first: Instant) -> bool {
        let policy = &self.inner.config.retry;
        error.is_retryable() && attempt < policy.max_attempts && first.elapsed() < policy.max_elapsed
    }

    /// `{API base}/{path}?{query}`, the query percent-encoded as for the SSP.
    fn url(&self, req: &PlatformRequest) -> Result<url::Url> {
        let base = self.inner.config.effective_api_base(req.api);
        let mut full = if req.path.is_empty() { base } else { format!("{base}/{}", req.path) };
        check_url(&full, "API base", self.inner.config.allow_http)?;
        for (i, (name, value)) in req.query.iter().enumerate() {
            full.push(if i == 0 { '?' } else { '&' });
            full.extend(utf8_percent_encode(name, QUERY));
            full.push('=');
            full.extend(utf8_percent_encode(value, QUERY));
        }
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
