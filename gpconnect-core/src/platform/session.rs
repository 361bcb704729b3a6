//! A patient's authenticated handle: their verified identity and ID token, their cached
//! access token, and the send loop.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;
use uuid::Uuid;

use super::id_token::Identity;
use super::token::{exchange, AccessToken};
use super::{NhsLoginIdToken, PlatformApi, PlatformClient, PlatformRequest};
use crate::error::{AuthError, AuthProblem, InvalidInput};
use crate::http::{error_from_response, transport_error};
use crate::request::{receive_in_span, Answer};
use crate::retry::{retrying, RetryPolicy};
use crate::{CallOptions, Error, InteractionId, NhsNumber, Request, Response, Result, StreamingResponse, Transport};

/// The bearer token sent to the sandbox, which ignores it.
const SANDBOX_TOKEN: &str = "sandbox";

/// What the platform writes when the ID token behind an access token has expired.
const GPC_TOKEN_EXPIRED: &str = "Access Token for GPC Expired";

/// One logged-in patient, from [`PlatformClient::session`] or [`PlatformClient::log_in`].
/// Cheap to clone; every clone shares the patient's access token.
///
/// A session exists only for a verified NHS login ID token and is keyed by its whole
/// identity ([`Identity`]: issuer, subject, NHS number, acting person): asking again with
/// a token of the same identity returns the same session; a token that matches a live
/// session only in part is refused ([`AuthProblem::IdentityMismatch`]).
///
/// The first call exchanges the ID token for an access token; later calls use the cached
/// token until shortly before it expires, then exchange again. Concurrent calls that find
/// no usable token wait for one exchange and share its token. When the ID token has
/// expired, calls fail before sending with [`Error::must_log_in_again`]; give the session
/// the new ID token with [`PatientSession::log_in_again`]. [`PatientSession::log_out`]
/// ends it.
#[derive(Clone)]
pub struct PatientSession {
    pub(crate) inner: Arc<SessionInner>,
}

pub(crate) struct SessionInner {
    pub(crate) client: PlatformClient,
    identity: Identity,
    /// The patient's latest ID token; never held across an await.
    id_token: std::sync::Mutex<NhsLoginIdToken>,
    /// The cached access token; held across an exchange, so callers share it.
    state: tokio::sync::Mutex<TokenState>,
}

struct TokenState {
    access: Option<AccessToken>,
    exchanges: u64,
    logged_out: bool,
}

impl fmt::Debug for PatientSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatientSession").field("identity", &self.inner.identity).finish_non_exhaustive()
    }
}

impl PlatformClient {
    /// The session of the patient this verified ID token proves (from
    /// [`verify_id_token`](Self::verify_id_token)). Nothing is sent until the first call.
    /// Asking again with a token of the same identity returns the same session, sharing
    /// its access token, and keeps the later-expiring ID token.
    ///
    /// # Errors
    /// The ID token is expired or below P9 ([`Error::must_log_in_again`]); or a live
    /// session matches its identity only in part ([`AuthProblem::IdentityMismatch`]).
    pub fn session(&self, id_token: NhsLoginIdToken) -> Result<PatientSession> {
        id_token.check(SystemTime::now())?;
        let identity = id_token.identity().clone();
        let mut fresh = Some(id_token);
        let made = self.inner.sessions.get_or_insert(&identity, || {
            let token = fresh.take().expect("made once");
            Arc::new(SessionInner {
                client: self.clone(),
                identity: identity.clone(),
                id_token: std::sync::Mutex::new(token),
                state: tokio::sync::Mutex::new(TokenState { access: None, exchanges: 0, logged_out: false }),
            }) as Arc<dyn Any + Send + Sync>
        });
        let (inner, _) = made.map_err(|_| AuthError::new(AuthProblem::IdentityMismatch))?;
        let inner = inner.downcast::<SessionInner>().map_err(|_| AuthError::new(AuthProblem::IdentityMismatch))?;
        if let Some(newer) = fresh {
            inner.offer(newer);
        }
        Ok(PatientSession { inner })
    }

    /// Verifies the ID token NHS login returned ([`verify_id_token`](Self::verify_id_token),
    /// with the `nonce` sent on the authorisation request) and returns its patient's
    /// session ([`session`](Self::session)).
    pub async fn log_in(&self, id_token: impl Into<String>, nonce: Option<&str>) -> Result<PatientSession> {
        let verified = self.verify_id_token(id_token, nonce).await?;
        self.session(verified)
    }
}

impl PatientSession {
    /// The patient's NHS number, from the verified ID token. The platform binds every call
    /// to this patient.
    pub fn nhs_number(&self) -> &NhsNumber {
        &self.inner.identity.nhs_number
    }

    /// Whose record and who is acting (proxy access).
    pub fn identity(&self) -> &Identity {
        &self.inner.identity
    }

    /// Sends a request as this patient and reads the whole answer (bounded by the
    /// configured limit). Reads are retried per the retry policy with the same
    /// `X-Request-ID`; writes never once they may have been sent.
    pub async fn send(&self, request: PlatformRequest) -> Result<Response> {
        self.send_as(&request, None).await
    }

    /// Sends a request and returns once the answer's headers are in, for large bodies
    /// (documents). Errors are mapped as by [`PatientSession::send`].
    pub async fn send_streaming(&self, request: PlatformRequest) -> Result<StreamingResponse> {
        self.send_as(&request, None).await
    }

    /// Replaces the ID token after the patient logged in with NHS login again, and drops
    /// the cached access token. The new token must be verified
    /// ([`PlatformClient::verify_id_token`]) and prove the same identity (issuer, subject,
    /// NHS number, acting person), else [`AuthProblem::IdentityMismatch`].
    pub async fn log_in_again(&self, id_token: NhsLoginIdToken) -> Result<()> {
        id_token.check(SystemTime::now())?;
        if *id_token.identity() != self.inner.identity {
            return Err(AuthError::new(AuthProblem::IdentityMismatch).into());
        }
        let mut state = self.inner.state.lock().await;
        if state.logged_out {
            return Err(AuthError::new(AuthProblem::LoggedOut).into());
        }
        *self.inner.id_token() = id_token;
        state.access = None;
        Ok(())
    }

    /// Logs the patient out: drops the access token and forgets the session, so every
    /// clone of it fails from now on ([`AuthProblem::LoggedOut`], log in again) and the
    /// identity may start a new session. NHS login itself has no logout endpoint (auth
    /// README §8.1); its ID token stays valid until it expires, so the app drops it too.
    pub async fn log_out(&self) {
        let mut state = self.inner.state.lock().await;
        state.access = None;
        state.logged_out = true;
        let as_any: Arc<dyn Any + Send + Sync> = self.inner.clone();
        self.inner.client.inner.sessions.remove(&self.inner.identity, &as_any);
    }

    /// How many token exchanges this session has made (for tests and metrics).
    pub async fn exchanges(&self) -> u64 {
        self.inner.state.lock().await.exchanges
    }

    /// A usable access token: the cached one while fresh, else one new exchange shared by
    /// every caller waiting meanwhile.
    async fn access_token(
        &self,
        interaction: InteractionId,
        timeout: Option<std::time::Duration>,
    ) -> Result<SecretString> {
        let client = &self.inner.client.inner;
        let mut state = self.inner.state.lock().await;
        if state.logged_out {
            return Err(AuthError::new(AuthProblem::LoggedOut).into());
        }
        // The platform keeps the ID token with the access token and uses it for every
        // call ("Access Token for GPC Expired" once it has expired): check it each time.
        self.inner.id_token().check(SystemTime::now())?;
        if client.config.environment == super::Environment::Sandbox && client.config.token_url.is_none() {
            // The sandbox replaces any bearer token with its own and has no token exchange.
            return Ok(SecretString::from(SANDBOX_TOKEN));
        }
        if let Some(access) = state.access.as_ref().filter(|a| a.fresh()) {
            return Ok(access.token.clone());
        }
        state.access = None;
        let id_token = self.inner.id_token().clone();
        let access = exchange(&client.http, &client.config, &id_token, interaction, timeout).await?;
        state.exchanges += 1;
        let token = access.token.clone();
        state.access = Some(access);
        Ok(token)
    }

    /// Forgets the cached token if it is still `used` (the platform refused it).
    async fn forget(&self, used: &SecretString) {
        let mut state = self.inner.state.lock().await;
        if state.access.as_ref().is_some_and(|a| a.token.expose_secret() == used.expose_secret()) {
            state.access = None;
        }
    }

    /// Sends `req` as this patient and reads the answer as `A` (the whole body, bounded,
    /// or a stream), with `retry` instead of the configured policy when given. Retries
    /// through the one retry loop of core: reads with the same `X-Request-ID` (also when
    /// the body stalls or breaks off), writes never once they may have been sent. Every
    /// error after the request may have left carries its `X-Request-ID`
    /// ([`Error::trace_id`]), to re-send with the same one.
    pub(crate) async fn send_as<A: Answer>(&self, req: &PlatformRequest, retry: Option<&RetryPolicy>) -> Result<A> {
        let client = &self.inner.client;
        let config = &client.inner.config;
        let url = &client.url(req)?;
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
            let sent = self.attempt(req, url, request_id).instrument(span.clone()).await;
            let sent = sent.map(|inner| StreamingResponse { inner, trace_id: request_id, interaction, max_body });
            receive_in_span(&span, started, sent).await
        })
        .await
    }

    /// One attempt: the session's token, the request; after a 401 (the platform refused
    /// the token before forwarding anything) once more with a freshly exchanged token;
    /// a second 401 is read: "Access Token for GPC Expired" means log in again, any other
    /// refusal of a fresh token is the app's configuration (its products).
    async fn attempt(&self, req: &PlatformRequest, url: &url::Url, request_id: Uuid) -> Result<reqwest::Response> {
        let client = &self.inner.client;
        let mut refused = false;
        loop {
            let token = self.access_token(req.interaction(), req.request.timeout).await?;
            let started = Instant::now();
            match client.request(req, url, request_id, &token)?.send().await {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) if resp.status() == http::StatusCode::UNAUTHORIZED => {
                    let error = error_from_response(resp, req.interaction(), request_id, started).await;
                    self.forget(&token).await;
                    if refused {
                        return Err(refusal_of_fresh_token(error));
                    }
                    refused = true;
                    tracing::warn!("token refused; exchanging again");
                }
                Ok(resp) => return Err(error_from_response(resp, req.interaction(), request_id, started).await),
                Err(e) => return Err(transport_error(e, started, Some(req.interaction()), Some(request_id))),
            }
        }
    }
}

/// The platform transport: every operation generic over its [`Transport`] (the
/// patient-facing access record, documents and appointments operations are the SSP
/// crates' builders) is sent as this patient through the same [`crate::Call::send`].
///
/// The API (and its base URL) comes from the interaction ([`PlatformApi::of`]); the
/// token, a fresh `X-Request-ID` (the same one when a failed read is re-sent, or the one
/// set with `request_id`), `X-Correlation-ID` when set and the FHIR media types are added
/// here. A requesting user is refused (`InvalidInput`): the platform binds every call to
/// the logged-in patient ([`Transport::bound_patient`]).
impl Transport for PatientSession {
    async fn send<A: Answer>(&self, request: Request, options: &CallOptions) -> Result<A> {
        if options.user.is_some() {
            return Err(InvalidInput::parameter(
                "user",
                "the API platform binds every call to the logged-in patient: there is no requesting user",
            )
            .into());
        }
        let api = PlatformApi::of(request.interaction);
        let base = self.inner.client.config().effective_api_base(api);
        let mut request = PlatformRequest::from_request(api, &base, request)?;
        if let Some(id) = &options.correlation_id {
            // What `HeaderValue::from_str` accepts (visible ASCII, space, tab), checked
            // without building one: the transport adds the header from the text.
            if !id.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)) {
                return Err(InvalidInput::parameter(
                    "X-Correlation-ID",
                    "not a valid header value (visible ASCII only)",
                )
                .into());
            }
            request.correlation_id = Some(id.clone());
        }
        request.request_id = options.request_id.or(request.request_id);
        if options.timeout.is_some() {
            request.request.timeout = options.timeout;
        }
        self.send_as(&request, options.retry.as_ref()).await
    }

    fn bound_patient(&self) -> Option<&NhsNumber> {
        Some(self.nhs_number())
    }
}

impl SessionInner {
    fn id_token(&self) -> std::sync::MutexGuard<'_, NhsLoginIdToken> {
        self.id_token.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes `newer` (a verified token of the same identity) if it expires later.
    fn offer(&self, newer: NhsLoginIdToken) {
        let mut current = self.id_token();
        if newer.expires_at() > current.expires_at() && newer.identity() == current.identity() {
            *current = newer;
        }
    }
}

/// A 401 to a freshly exchanged token: "Access Token for GPC Expired" means the ID token
/// behind it expired (log in again); any other refusal (`ACCESS_DENIED` for an app not
/// subscribed to the API's product, for instance) is the app's configuration. What the
/// platform said is kept in fields.
fn refusal_of_fresh_token(error: Error) -> Error {
    let expired = match &error {
        Error::Provider(p) => p.outcome.as_ref().is_some_and(|o| {
            o.issue.iter().any(|i| {
                i.codes().any(|c| c.display.is_some_and(|d| d.trim().eq_ignore_ascii_case(GPC_TOKEN_EXPIRED)))
                    || i.diagnostics.as_deref().is_some_and(|d| d.trim().eq_ignore_ascii_case(GPC_TOKEN_EXPIRED))
            })
        }),
        _ => false,
    };
    let mut auth = AuthError::new(if expired { AuthProblem::AccessTokenExpired } else { AuthProblem::AccessDenied });
    if let Error::Provider(p) = error {
        auth.status = Some(p.status);
        auth.interaction = Some(p.interaction);
        auth.request_id = Some(p.trace_id);
        auth.outcome = p.outcome;
        auth.body = p.body;
    }
    auth.into()
}
