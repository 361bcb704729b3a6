//! A handle on one provider (a GP practice): where its capabilities live and who asks.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::error::{ConfigError, DirectoryError, DirectoryProblem, InvalidInput};
use crate::{Asid, Capability, Client, Error, InteractionId, OdsCode, Request, Response, Result, User};

/// A provider's service root URL for one capability and the ASID it answers as (`Ssp-To`).
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceRoot {
    /// The service root URL as registered in SDS (no SSP prefix, no trailing slash);
    /// also the JWT `aud`.
    pub url: String,
    /// The provider system's ASID.
    pub asid: Asid,
}

impl ServiceRoot {
    /// A root configured by hand.
    pub fn new(url: impl Into<String>, asid: Asid) -> Result<Self, ConfigError> {
        let url = url.into();
        let parsed = url::Url::parse(&url).map_err(|_| ConfigError::Url { what: "provider endpoint" })?;
        if !parsed.has_host() {
            return Err(ConfigError::Url { what: "provider endpoint" });
        }
        Ok(Self { url: url.trim_end_matches('/').to_owned(), asid })
    }
}

impl fmt::Debug for ServiceRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceRoot({} as {})", self.url, self.asid)
    }
}

/// A handle on one provider, from [`Client::provider`]. Cheap to clone.
///
/// Each API crate adds its operations to it (`provider.structured()`,
/// `provider.appointments()`, ...). A handle can carry the logged-on user
/// ([`Provider::with_user`]) for every operation made through it.
#[derive(Clone)]
pub struct Provider {
    client: Client,
    ods: OdsCode,
    roots: Arc<HashMap<Capability, ServiceRoot>>,
    user: Option<User>,
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider").field("ods", &self.ods).field("roots", &self.roots).finish_non_exhaustive()
    }
}

impl Provider {
    pub(crate) fn new(client: Client, ods: OdsCode) -> Self {
        Self { client, ods, roots: Arc::default(), user: None }
    }

    /// Configures a capability's service root by hand instead of looking it up in SDS.
    pub fn with_root(mut self, capability: Capability, root: ServiceRoot) -> Self {
        Arc::make_mut(&mut self.roots).insert(capability, root);
        self
    }

    /// Makes every operation through this handle name `user` as the requester, unless
    /// the operation names another.
    pub fn with_user(mut self, user: User) -> Self {
        self.user = Some(user);
        self
    }

    /// The provider's ODS code.
    pub fn ods(&self) -> &OdsCode {
        &self.ods
    }

    /// The client this handle sends through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Where requests for `interaction` go: the root configured by hand for its
    /// capability, or an SDS look-up with this very interaction ID (cached).
    pub async fn service_root(&self, interaction: InteractionId) -> Result<ServiceRoot> {
        if let Some(root) = self.roots.get(&interaction.capability()) {
            return Ok(root.clone());
        }
        match &self.client.inner.sds {
            Some(sds) => sds.resolve(&self.ods, interaction).await,
            None => Err(Error::Directory(Box::new(DirectoryError {
                ods: self.ods.clone(),
                interaction,
                problem: DirectoryProblem::NotConfigured,
            }))),
        }
    }

    /// Sends a request and reads the whole answer: the path every operation takes.
    ///
    /// Reads are retried per the client's policy; writes never once they may have been sent.
    pub async fn send(&self, request: Request) -> Result<Response> {
        let (root, user) = self.prepare(&request).await?;
        self.client.execute(self.call(&root, &user, &request)).await
    }

    /// Sends a request and returns as soon as the answer's headers are in, for bodies
    /// too large to hold in memory (documents). Errors are mapped as by [`Provider::send`].
    pub async fn send_streaming(&self, request: Request) -> Result<StreamingResponse> {
        let (root, user) = self.prepare(&request).await?;
        let (inner, trace_id) = self.client.execute_streaming(self.call(&root, &user, &request)).await?;
        Ok(StreamingResponse::new(inner, trace_id, request.interaction))
    }

    async fn prepare(&self, request: &Request) -> Result<(ServiceRoot, User)> {
        let user = request.user.clone().or_else(|| self.user.clone()).ok_or(InvalidInput::MissingUser)?;
        let root = self.service_root(request.interaction).await?;
        Ok((root, user))
    }

    fn call<'a>(&'a self, root: &'a ServiceRoot, user: &'a User, request: &'a Request) -> crate::transport::Call<'a> {
        crate::transport::Call { ods: &self.ods, root, user, request }
    }
}

/// A success answer whose body is still to be read, chunk by chunk.
#[derive(Debug)]
pub struct StreamingResponse {
    inner: reqwest::Response,
    trace_id: uuid::Uuid,
    interaction: InteractionId,
}

impl StreamingResponse {
    pub(crate) fn new(inner: reqwest::Response, trace_id: uuid::Uuid, interaction: InteractionId) -> Self {
        Self { inner, trace_id, interaction }
    }

    /// The `Ssp-TraceID` of the request.
    pub fn trace_id(&self) -> uuid::Uuid {
        self.trace_id
    }

    /// The interaction.
    pub fn interaction(&self) -> InteractionId {
        self.interaction
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.inner.status().as_u16()
    }

    /// The response headers.
    pub fn headers(&self) -> &http::HeaderMap {
        self.inner.headers()
    }

    /// The declared body length, if the answer gave one.
    pub fn content_length(&self) -> Option<u64> {
        self.inner.content_length()
    }

    /// The next chunk of the body, `None` at the end. A broken transfer is an error
    /// carrying the trace ID.
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>> {
        let started = std::time::Instant::now();
        let (interaction, trace_id) = (self.interaction, self.trace_id);
        self.inner.chunk().await.map_err(|e| crate::transport::transport_error(e, started, interaction, trace_id))
    }
}
