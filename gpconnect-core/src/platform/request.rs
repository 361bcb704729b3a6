//! One patient-facing API request, before the platform transport adds the token and headers.

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use uuid::Uuid;

use super::PlatformApi;
use crate::error::InvalidInput;
use crate::request::Target;
use crate::{InteractionId, Request};

/// One request to a patient-facing API, built by the operations of `gpconnect-patient`.
///
/// `path` is relative to the API's base (`Slot`, `Patient/9000000009/MedicationRequest`).
/// The interaction names the operation and decides whether it is a write (never retried
/// once it may have been sent). `Debug` leaves out query values, the body and the
/// correlation id.
#[derive(Clone)]
#[must_use]
pub struct PlatformRequest {
    pub(crate) api: PlatformApi,
    /// Core's one request shape: interaction, method, path (always a [`Target::Path`]
    /// under the API's base), query, body, extra headers, timeout.
    pub(crate) request: Request,
    pub(crate) correlation_id: Option<String>,
    pub(crate) request_id: Option<Uuid>,
}

impl std::fmt::Debug for PlatformRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.request;
        f.debug_struct("PlatformRequest")
            .field("interaction", &r.interaction)
            .field("api", &self.api)
            .field("method", &r.method)
            .field("query", &r.query.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .field("body_bytes", &r.body.as_ref().map(|b| b.len()))
            .finish_non_exhaustive()
    }
}

impl PlatformRequest {
    /// A GET of `path` under the API's base.
    pub fn get(interaction: InteractionId, api: PlatformApi, path: impl Into<String>) -> Self {
        Self::new(interaction, api, Method::GET, path.into(), None)
    }

    /// A POST with a FHIR JSON body.
    pub fn post(interaction: InteractionId, api: PlatformApi, path: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self::new(interaction, api, Method::POST, path.into(), Some(body.into()))
    }

    /// A PUT with a FHIR JSON body.
    pub fn put(interaction: InteractionId, api: PlatformApi, path: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self::new(interaction, api, Method::PUT, path.into(), Some(body.into()))
    }

    fn new(interaction: InteractionId, api: PlatformApi, method: Method, path: String, body: Option<Bytes>) -> Self {
        let request = Request {
            interaction,
            method,
            target: Target::Path(path.trim_start_matches('/').to_owned()),
            query: Vec::new(),
            body,
            headers: Vec::new(),
            user: None,
            confidentiality: None,
            timeout: None,
        };
        Self { api, request, correlation_id: None, request_id: None }
    }

    /// Adds a query parameter; repeated names are kept in order (`start=ge..&start=le..`).
    /// Values are percent-encoded by the transport.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.request = self.request.query(name, value);
        self
    }

    /// Adds a header such as `If-Match`.
    pub fn header(mut self, name: http::HeaderName, value: http::HeaderValue) -> Self {
        self.request = self.request.header(name, value);
        self
    }

    /// Sends `X-Correlation-ID` with this value (the platform mirrors it back). Avoid `.`.
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// Uses this `X-Request-ID` instead of a fresh one: to re-send, later, a request whose
    /// outcome is unknown, so the platform can recognise it as the same request.
    pub fn request_id(mut self, id: Uuid) -> Self {
        self.request_id = Some(id);
        self
    }

    /// A timeout for this call, overriding the client default.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.request = self.request.timeout(timeout);
        self
    }

    /// The interaction this request performs.
    pub fn interaction(&self) -> InteractionId {
        self.request.interaction
    }

    /// The API it goes to.
    pub fn api(&self) -> PlatformApi {
        self.api
    }

    /// The path under the API's base.
    pub(crate) fn path(&self) -> &str {
        match &self.request.target {
            Target::Path(path) | Target::Absolute(path) => path,
        }
    }

    /// The platform form of an operation's [`Request`] for `api`: its method, path (under
    /// the API's base), query, body, extra headers and timeout. An absolute URL must lie
    /// under `base` (the API's base URL in use); SSP-only parts (user, confidentiality)
    /// do not apply and are refused.
    pub(crate) fn from_request(api: PlatformApi, base: &str, mut request: Request) -> Result<Self, InvalidInput> {
        if request.user.is_some() || request.confidentiality.is_some() {
            return Err(InvalidInput::parameter("request", "a requesting user or confidentiality is SSP-only"));
        }
        if let Target::Absolute(url) = &request.target {
            let path = url
                .strip_prefix(base)
                .and_then(|rest| rest.strip_prefix('/'))
                .map(str::to_owned)
                .ok_or_else(|| InvalidInput::parameter("url", "is not under the API's base URL"))?;
            request.target = Target::Path(path);
        }
        Ok(Self { api, request, correlation_id: None, request_id: None })
    }
}
