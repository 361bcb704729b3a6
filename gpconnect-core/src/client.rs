//! The client: the SSP transport, the consumer, the retry policy, the resolver, and the
//! dispatcher every request goes through (token, headers, retries, tracing).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderValue;
use tracing::Instrument;
use uuid::Uuid;

use crate::call_options::CallOptions;
use crate::config::{Consumer, SspConfig};
use crate::error::{ConfigError, InvalidInput};
use crate::http::{check_url, CONNECT_TIMEOUT};
use crate::jwt::TokenCache;
use crate::request::{receive_in_span, Answer, Request, StreamingResponse};
use crate::resolver::Resolver;
use crate::retry::{retrying, RetryPolicy};
use crate::sds::{SdsClient, SdsConfig};
use crate::service_root::ServiceRoot;
use crate::ssp::{Attempt, Ssp};
use crate::{Capability, OdsCode, Result, User};

/// A GP Connect client: the SSP connection, the consumer's identity, the policies and
/// where providers are (SDS, or roots set by hand).
///
/// Cheap to clone; make one and share it. Operations hang off a [`Provider`](crate::Provider)
/// from [`Client::provider`].
///
/// ```no_run
/// use gpconnect_core::{Client, Consumer, Device, Identity, SspConfig};
/// # fn demo(cert: &[u8], key: &[u8]) -> gpconnect_core::Result<()> {
/// let gp = Client::builder()
///     .ssp(SspConfig::new("https://proxy.intspineservices.nhs.uk", "200000000115".parse()?)
///         .identity(Identity::from_pem(cert, key)?))
///     .consumer(Consumer::builder()
///         .ods("A1001".parse()?)
///         .organisation_name("Test Hospital")
///         .issuer("https://consumer.example.nhs.uk/")
///         .device(
///             Device::builder()
///                 .system("https://consumer.example.nhs.uk/Id/device")
///                 .value("CONS-1")
///                 .model("Consumer")
///                 .version("1.0")
///                 .build()?,
///         )
///         .build()?)
///     .build()?;
/// let practice = gp.provider(&"A20047".parse()?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    ssp: Ssp,
    consumer: Consumer,
    retry: RetryPolicy,
    resolver: Resolver,
    tokens: TokenCache,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("ssp", &self.inner.ssp.base())
            .field("consumer_asid", self.inner.ssp.consumer_asid())
            .field("consumer", &self.inner.consumer.ods)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]; see [`Client::builder`].
#[derive(Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    ssp: Option<SspConfig>,
    consumer: Option<Consumer>,
    sds: Option<SdsConfig>,
    roots: HashMap<OdsCode, HashMap<Capability, Arc<ServiceRoot>>>,
}

impl ClientBuilder {
    /// The SSP to send through (required).
    pub fn ssp(mut self, ssp: SspConfig) -> Self {
        self.ssp = Some(ssp);
        self
    }

    /// The consumer system (required).
    pub fn consumer(mut self, consumer: Consumer) -> Self {
        self.consumer = Some(consumer);
        self
    }

    /// The Spine Directory Service FHIR API, for finding providers by ODS code.
    pub fn sds(mut self, sds: SdsConfig) -> Self {
        self.sds = Some(sds);
        self
    }

    /// Sets a provider's service root for one capability by hand, instead of looking it
    /// up in SDS (a provider handle can also override it: [`Provider::with_root`](crate::Provider::with_root)).
    pub fn service_root(mut self, ods: &OdsCode, capability: Capability, root: ServiceRoot) -> Self {
        self.roots.entry(ods.clone()).or_default().insert(capability, Arc::new(root));
        self
    }

    /// Checks the configuration and builds the client. Nothing is sent.
    pub fn build(self) -> Result<Client> {
        let ssp_config = self.ssp.ok_or(ConfigError::Missing("ssp"))?;
        let consumer = self.consumer.ok_or(ConfigError::Missing("consumer"))?;
        let ssp = Ssp::new(&ssp_config)?;
        let retry = ssp_config.http.retry.clone();
        let sds = match self.sds {
            Some(cfg) => {
                check_url(&cfg.url, "sds", ssp_config.http.allow_http)?;
                let connect_timeout = ssp_config.http.connect_timeout_or(CONNECT_TIMEOUT);
                Some(SdsClient::new(cfg, connect_timeout, retry.clone(), ssp.max_body)?)
            }
            None => None,
        };
        let resolver = Resolver { roots: self.roots, sds };
        Ok(Client { inner: Arc::new(Inner { ssp, consumer, retry, resolver, tokens: TokenCache::default() }) })
    }
}

/// One call ready for the dispatcher: who asks, where it goes, what it is.
pub(crate) struct Dispatch<'a> {
    pub(crate) ods: &'a OdsCode,
    pub(crate) root: &'a ServiceRoot,
    pub(crate) user: &'a User,
    pub(crate) request: &'a Request,
    pub(crate) options: &'a CallOptions,
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The consumer system this client speaks for.
    pub fn consumer(&self) -> &Consumer {
        &self.inner.consumer
    }

    /// The service root for `interaction` at the provider `ods` (roots set by hand on
    /// the builder, else SDS).
    pub(crate) async fn resolve(&self, ods: &OdsCode, interaction: crate::InteractionId) -> Result<Arc<ServiceRoot>> {
        self.inner.resolver.resolve(ods, interaction).await
    }

    /// Sends a call through the SSP and takes its answer as `A` (a [`Response`](crate::Response)
    /// reads the whole body; a [`StreamingResponse`] returns once the headers are in),
    /// retrying as the policy and the interaction's effect allow: a read whose body stalls
    /// or breaks off is sent again, a write never once it may have been sent. Each attempt
    /// has its own `Ssp-TraceID`, token and tracing span.
    pub(crate) async fn dispatch<A: Answer>(&self, call: Dispatch<'_>) -> Result<A> {
        let inner = &*self.inner;
        let request = call.request;
        let interaction = request.interaction;
        let url = inner.ssp.url(call.root, &request.target, &request.query)?;
        let timeout = call.options.timeout.or(request.timeout).unwrap_or(inner.ssp.request_timeout);
        let policy = call.options.retry.as_ref().unwrap_or(&inner.retry);
        let (url, max) = (&url, inner.ssp.max_body);
        retrying(policy, interaction.effect(), move |attempt| async move {
            let trace_id = Uuid::new_v4();
            let token = self.bearer(call.user, call.root, request)?;
            let span = tracing::info_span!(
                "gpconnect.request",
                interaction = interaction.urn(),
                ods = %call.ods,
                asid = %call.root.asid,
                trace_id = %trace_id,
                attempt,
                status = tracing::field::Empty,
                elapsed_ms = tracing::field::Empty,
            );
            let started = std::time::Instant::now();
            let attempt = Attempt { url, root: call.root, request, token: &token, trace_id, timeout };
            let sent = inner.ssp.send(attempt).instrument(span.clone()).await;
            let sent = sent.map(|inner| StreamingResponse { inner, trace_id, interaction, max_body: max });
            receive_in_span(&span, started, sent).await
        })
        .await
    }

    /// The `Authorization` header value: `Bearer` and a token for this attempt (`iat` now).
    fn bearer(&self, user: &User, root: &ServiceRoot, request: &Request) -> Result<HeaderValue, InvalidInput> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        let inner = &*self.inner;
        let bearer =
            inner.tokens.bearer(&inner.consumer, user, &root.url, request.interaction, request.confidentiality, now)?;
        let mut value = HeaderValue::try_from(bearer).map_err(|_| InvalidInput::Requester {
            field: "requesting_practitioner",
            problem: "a claim cannot be sent in a header",
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}
