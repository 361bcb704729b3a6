//! A patient's authenticated handle: their ID token, their cached access token, the send path.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use secrecy::SecretString;

use super::token::{exchange, AccessToken};
use super::{NhsLoginIdToken, PlatformApi, PlatformClient, PlatformRequest};
use crate::error::{AuthError, AuthProblem, InvalidInput};
use crate::request::Answer;
use crate::{CallOptions, InteractionId, NhsNumber, Request, Response, Result, StreamingResponse, Transport};

/// The bearer token sent to the sandbox, which ignores it.
const SANDBOX_TOKEN: &str = "sandbox";

/// One logged-in patient, from [`PlatformClient::session`]. Cheap to clone; every clone
/// shares the patient's access token.
///
/// The first call exchanges the NHS login ID token for an access token; later calls use
/// the cached token until shortly before it expires, then exchange again. Concurrent calls
/// that find no usable token wait for one exchange and share its token. When the ID token
/// has expired, calls fail before sending with [`Error::must_log_in_again`](crate::Error::must_log_in_again);
/// give the session the new ID token with [`PatientSession::log_in_again`].
#[derive(Clone)]
pub struct PatientSession {
    pub(crate) inner: Arc<SessionInner>,
}

pub(crate) struct SessionInner {
    pub(crate) client: PlatformClient,
    pub(crate) nhs_number: Option<NhsNumber>,
    /// The patient's latest ID token; never held across an await.
    pub(crate) id_token: std::sync::Mutex<NhsLoginIdToken>,
    /// The cached access token; held across an exchange, so callers share it.
    state: tokio::sync::Mutex<TokenState>,
}

struct TokenState {
    access: Option<AccessToken>,
    exchanges: u64,
}

impl fmt::Debug for PatientSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatientSession").field("nhs_number", &self.inner.nhs_number).finish_non_exhaustive()
    }
}

impl PatientSession {
    pub(crate) fn new(client: PlatformClient, id_token: NhsLoginIdToken) -> Self {
        let nhs_number = id_token.nhs_number();
        Self {
            inner: Arc::new(SessionInner {
                client,
                nhs_number,
                id_token: std::sync::Mutex::new(id_token),
                state: tokio::sync::Mutex::new(TokenState { access: None, exchanges: 0 }),
            }),
        }
    }

    /// The patient's NHS number, from the ID token's `nhs_number` claim. The platform binds
    /// every call to this patient.
    pub fn nhs_number(&self) -> Option<&NhsNumber> {
        self.inner.nhs_number.as_ref()
    }

    /// Sends a request as this patient and reads the whole answer (bounded by the
    /// configured limit). Reads are retried per the retry policy with the same
    /// `X-Request-ID`; writes never once they may have been sent.
    pub async fn send(&self, request: PlatformRequest) -> Result<Response> {
        self.inner.client.send(self, &request, None).await
    }

    /// Sends a request and returns once the answer's headers are in, for large bodies
    /// (documents). Errors are mapped as by [`PatientSession::send`].
    pub async fn send_streaming(&self, request: PlatformRequest) -> Result<StreamingResponse> {
        self.inner.client.send(self, &request, None).await
    }

    /// Replaces the ID token after the patient logged in with NHS login again, and drops
    /// the cached access token. The new token must be for the same patient.
    pub async fn log_in_again(&self, id_token: NhsLoginIdToken) -> Result<()> {
        id_token.check(SystemTime::now())?;
        let mut state = self.inner.state.lock().await;
        {
            let mut current = self.inner.id_token();
            if id_token.subject() != current.subject() || id_token.nhs_number().as_ref() != self.nhs_number() {
                return Err(crate::error::InvalidInput::parameter("id_token", "is for another patient").into());
            }
            *current = id_token;
        }
        state.access = None;
        Ok(())
    }

    /// How many token exchanges this session has made (for tests and metrics).
    pub async fn exchanges(&self) -> u64 {
        self.inner.state.lock().await.exchanges
    }

    /// A usable access token: the cached one while fresh, else one new exchange shared by
    /// every caller waiting meanwhile.
    pub(crate) async fn access_token(&self, interaction: InteractionId) -> Result<SecretString> {
        let client = &self.inner.client.inner;
        // The platform keeps the ID token with the access token and uses it for every
        // call ("Access Token for GPC Expired" once it has expired): check it each time.
        self.inner.id_token().check(SystemTime::now())?;
        if client.config.environment == super::Environment::Sandbox && client.config.token_url.is_none() {
            // The sandbox replaces any bearer token with its own and has no token exchange.
            return Ok(SecretString::from(SANDBOX_TOKEN));
        }
        let mut state = self.inner.state.lock().await;
        if let Some(access) = state.access.as_ref().filter(|a| a.fresh()) {
            return Ok(access.token.clone());
        }
        state.access = None;
        let id_token = self.inner.id_token().clone();
        let access = exchange(&client.http, &client.config, &id_token, interaction).await?;
        state.exchanges += 1;
        let token = access.token.clone();
        state.access = Some(access);
        Ok(token)
    }

    /// Forgets the cached token if it is still `used` (the platform refused it).
    pub(crate) async fn forget(&self, used: &SecretString) {
        use secrecy::ExposeSecret;
        let mut state = self.inner.state.lock().await;
        if state.access.as_ref().is_some_and(|a| a.token.expose_secret() == used.expose_secret()) {
            state.access = None;
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
        self.inner.client.send(self, &request, options.retry.as_ref()).await
    }

    fn bound_patient(&self) -> Option<&NhsNumber> {
        self.nhs_number()
    }
}

impl SessionInner {
    pub(crate) fn id_token(&self) -> std::sync::MutexGuard<'_, NhsLoginIdToken> {
        self.id_token.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes `newer` instead of the current ID token if it expires later.
    pub(crate) fn offer(&self, newer: NhsLoginIdToken) {
        let mut current = self.id_token();
        if newer.expires_at() > current.expires_at() && newer.nhs_number() == current.nhs_number() {
            *current = newer;
        }
    }
}

/// The error for a platform that keeps refusing fresh tokens.
pub(crate) fn access_token_expired() -> AuthError {
    AuthError::new(AuthProblem::AccessTokenExpired)
}
