//! The Spine Security Proxy transport: one HTTP client, the `Ssp-*` headers, the token,
//! retries for reads, timeouts and a tracing span per request.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use http::header::{HeaderName, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use tracing::Instrument;
use uuid::Uuid;

use crate::config::{Consumer, RetryPolicy, SspConfig};
use crate::error::{ConfigError, DecodeProblem, Error, ProviderError, RawBody, Result, Sent, MAX_ERROR_BODY};
use crate::fhir::OperationOutcome;
use crate::jwt::Claims;
use crate::provider::ServiceRoot;
use crate::request::{RawBytes, Request, Response, Target, FHIR_JSON};
use crate::sds::{SdsClient, SdsConfig};
use crate::{Asid, GpcCode, InteractionId, OdsCode, Provider, User};

/// Query encoding: everything but unreserved characters and `/` `@` `,`; `+` and `:` are
/// encoded too, as the appointments pages ask (`ge2019-03-29T12:00:00+00:00`).
pub(crate) const QUERY: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'+')
    .add(b'&')
    .add(b'=')
    .add(b'%')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'^')
    .add(b'\\')
    .add(b'\'')
    .add(b';')
    .add(b'!')
    .add(b'$')
    .add(b'(')
    .add(b')')
    .add(b'*')
    .add(b':');

static SSP_TRACE_ID: HeaderName = HeaderName::from_static("ssp-traceid");
static SSP_FROM: HeaderName = HeaderName::from_static("ssp-from");
static SSP_TO: HeaderName = HeaderName::from_static("ssp-to");
static SSP_INTERACTION_ID: HeaderName = HeaderName::from_static("ssp-interactionid");

/// A GP Connect client: the SSP connection, the consumer's identity and the policies.
///
/// Cheap to clone; make one and share it. Operations hang off a [`Provider`] from
/// [`Client::provider`].
///
/// ```no_run
/// use gpconnect_core::{Client, Consumer, Device, Identity, SspConfig};
/// # fn demo(cert: &[u8], key: &[u8]) -> gpconnect_core::Result<()> {
/// let gp = Client::builder()
///     .ssp(SspConfig::new("https://proxy.intspineservices.nhs.uk", "200000000115".parse()?)
///         .identity(Identity::from_pem(cert, key)?))
///     .consumer(Consumer::new(
///         "A1001".parse()?,
///         "Test Hospital",
///         "https://consumer.example.nhs.uk/",
///         Device::new("https://consumer.example.nhs.uk/Id/device", "CONS-1", "Consumer", "1.0"),
///     ))
///     .build()?;
/// let practice = gp.provider(&"A20047".parse()?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    ssp: String,
    consumer_asid: Asid,
    pub(crate) consumer: Consumer,
    retry: RetryPolicy,
    request_timeout: Duration,
    max_body: usize,
    allow_http: bool,
    pub(crate) sds: Option<SdsClient>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("ssp", &self.inner.ssp)
            .field("consumer_asid", &self.inner.consumer_asid)
            .field("consumer", &self.inner.consumer.ods)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]; see [`Client::builder`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    ssp: Option<SspConfig>,
    consumer: Option<Consumer>,
    sds: Option<SdsConfig>,
    retry: Option<RetryPolicy>,
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

    /// The retry policy for reads (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Checks the configuration and builds the client. Nothing is sent.
    pub fn build(self) -> Result<Client> {
        let ssp = self.ssp.ok_or(ConfigError::Missing("ssp"))?;
        let consumer = self.consumer.ok_or(ConfigError::Missing("consumer"))?;
        let base = check_url(&ssp.url, "ssp", ssp.allow_http)?;
        let mut http = reqwest::Client::builder()
            .connect_timeout(ssp.connect_timeout)
            .tls_version_min(reqwest::tls::Version::TLS_1_2)
            .tls_certs_merge(ssp.ca_roots.clone())
            .user_agent(concat!("gpconnect-rust/", env!("CARGO_PKG_VERSION")));
        if let Some(identity) = &ssp.identity {
            http = http.identity(identity.0.clone());
        }
        let http = http.build().map_err(ConfigError::Http)?;
        let sds = match self.sds {
            Some(cfg) => {
                check_url(&cfg.url, "sds", ssp.allow_http)?;
                Some(SdsClient::new(cfg, ssp.connect_timeout)?)
            }
            None => None,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                ssp: base,
                consumer_asid: ssp.consumer_asid,
                consumer,
                retry: self.retry.unwrap_or_default(),
                request_timeout: ssp.request_timeout,
                max_body: ssp.max_response_bytes,
                allow_http: ssp.allow_http,
                sds,
            }),
        })
    }
}

/// Parses a base URL, insisting on https unless plain http is allowed; returns it
/// without a trailing slash.
pub(crate) fn check_url(url: &str, what: &'static str, allow_http: bool) -> Result<String, ConfigError> {
    let parsed = url::Url::parse(url).map_err(|_| ConfigError::Url { what })?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_http => {}
        _ => return Err(ConfigError::NotHttps { what }),
    }
    if !parsed.has_host() {
        return Err(ConfigError::Url { what });
    }
    Ok(url.trim_end_matches('/').to_owned())
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A handle on the GP practice (or other provider) with this ODS code. Service
    /// roots and ASIDs come from SDS on first use (cached), unless configured by hand
    /// with [`Provider::with_root`].
    pub fn provider(&self, ods: &OdsCode) -> Provider {
        Provider::new(self.clone(), ods.clone())
    }

    /// The consumer system this client speaks for.
    pub fn consumer(&self) -> &Consumer {
        &self.inner.consumer
    }

    /// Sends a prepared request, retrying reads as the policy allows, and reads the
    /// whole body (bounded by the configured limit).
    pub(crate) async fn execute(&self, call: Call<'_>) -> Result<Response> {
        let (resp, trace_id) = self.execute_streaming(call.clone()).await?;
        read_response(resp, self.inner.max_body, call.request.interaction, trace_id).await
    }

    /// Sends a prepared request and returns once the answer's headers are in: a success
    /// answer with its body still to read, or the mapped error.
    pub(crate) async fn execute_streaming(&self, call: Call<'_>) -> Result<(reqwest::Response, Uuid)> {
        let inner = &self.inner;
        let req = call.request;
        let url = build_url(&inner.ssp, call.root, &req.target, &req.query, inner.allow_http)?;
        let timeout = req.timeout.unwrap_or(inner.request_timeout);
        let first = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let trace_id = Uuid::new_v4();
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
            let token =
                Claims::new(&inner.consumer, call.user, &call.root.url, req.interaction, req.confidentiality, now)?
                    .encode();
            let mut builder = inner
                .http
                .request(req.method.clone(), url.clone())
                .timeout(timeout)
                .header(&SSP_TRACE_ID, trace_id.to_string())
                .header(&SSP_FROM, inner.consumer_asid.as_str())
                .header(&SSP_TO, call.root.asid.as_str())
                .header(&SSP_INTERACTION_ID, req.interaction.urn())
                .header(AUTHORIZATION, format!("Bearer {}", token.expose()))
                .header(ACCEPT, FHIR_JSON);
            if let Some(body) = &req.body {
                builder = builder.header(CONTENT_TYPE, FHIR_JSON).body(body.clone());
            }
            for (name, value) in &req.headers {
                builder = builder.header(name, value);
            }
            let span = tracing::info_span!(
                "gpconnect.request",
                interaction = req.interaction.urn(),
                ods = %call.ods,
                asid = %call.root.asid,
                trace_id = %trace_id,
                attempt,
                status = tracing::field::Empty,
                elapsed_ms = tracing::field::Empty,
            );
            let started = Instant::now();
            let result = builder.send().instrument(span.clone()).await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            span.record("elapsed_ms", elapsed_ms);
            let error = match result {
                Ok(resp) if resp.status().is_success() => {
                    span.record("status", resp.status().as_u16());
                    span.in_scope(|| tracing::info!("answered"));
                    return Ok((resp, trace_id));
                }
                Ok(resp) => {
                    span.record("status", resp.status().as_u16());
                    error_from_response(resp, req.interaction, trace_id, started).await
                }
                Err(e) => transport_error(e, started, req.interaction, trace_id),
            };
            let retry_after = match &error {
                Error::Provider(p) => p.retry_after,
                _ => None,
            };
            let delay = inner.retry.delay(attempt, retry_after);
            let may_retry = error.is_retryable()
                && attempt < inner.retry.max_attempts
                && first.elapsed() + delay < inner.retry.max_elapsed;
            span.in_scope(|| {
                tracing::warn!(kind = ?error.kind(), retry = may_retry, "failed");
            });
            if !may_retry {
                return Err(error);
            }
            tokio::time::sleep(delay).await;
        }
    }
}

/// Reads a success answer's whole body (at most `max_body` bytes) and checks its type.
pub(crate) async fn read_response(
    resp: reqwest::Response,
    max_body: usize,
    interaction: InteractionId,
    trace_id: Uuid,
) -> Result<Response> {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let started = Instant::now();
    let body = read_body(resp, max_body).await.map_err(|problem| match problem {
        BodyProblem::TooLarge => Error::Decode(Box::new(crate::error::DecodeError {
            problem: DecodeProblem::TooLarge { limit: max_body },
            status,
            interaction,
            trace_id,
            body: RawBody::default(),
        })),
        BodyProblem::Http(e) => transport_error(e, started, interaction, trace_id),
    })?;
    let response = Response { status, headers, body: RawBytes(body), trace_id, interaction };
    check_content_type(&response)?;
    Ok(response)
}

/// A request ready to send: the provider's root, the user and the request itself.
#[derive(Clone)]
pub(crate) struct Call<'a> {
    pub(crate) ods: &'a OdsCode,
    pub(crate) root: &'a ServiceRoot,
    pub(crate) user: &'a User,
    pub(crate) request: &'a Request,
}

/// `{ssp}/{service root}/{path}?{query}`, or `{ssp}/{absolute provider URL}`.
fn build_url(
    ssp: &str,
    root: &ServiceRoot,
    target: &Target,
    query: &[(String, String)],
    allow_http: bool,
) -> Result<url::Url> {
    let provider_url = match target {
        Target::Path(path) if path.is_empty() => root.url.clone(),
        Target::Path(path) => format!("{}/{}", root.url, path),
        Target::Absolute(url) => url.clone(),
    };
    check_url(&provider_url, "provider endpoint", allow_http)?;
    let mut full = format!("{ssp}/{provider_url}");
    for (i, (name, value)) in query.iter().enumerate() {
        full.push(if i == 0 && !provider_url.contains('?') { '?' } else { '&' });
        full.extend(utf8_percent_encode(name, QUERY));
        full.push('=');
        full.extend(utf8_percent_encode(value, QUERY));
    }
    Ok(url::Url::parse(&full).map_err(|_| ConfigError::Url { what: "request URL" })?)
}

/// Maps a reqwest failure: a timeout, a connection never made (not sent), or a broken one.
pub(crate) fn transport_error(
    e: reqwest::Error,
    started: Instant,
    interaction: InteractionId,
    trace_id: Uuid,
) -> Error {
    if e.is_timeout() {
        Error::Timeout {
            elapsed: started.elapsed(),
            sent: Sent::Maybe,
            interaction: Some(interaction),
            trace_id: Some(trace_id),
            status: None,
        }
    } else {
        let sent = if e.is_connect() { Sent::No } else { Sent::Maybe };
        Error::Transport { source: e, sent, interaction: Some(interaction), trace_id: Some(trace_id) }
    }
}

/// Maps a non-2xx answer: 504 and 599 are timeouts; anything else keeps the status,
/// the OperationOutcome (when the body is one), the code and the raw body.
pub(crate) async fn error_from_response(
    resp: reqwest::Response,
    interaction: InteractionId,
    trace_id: Uuid,
    started: Instant,
) -> Error {
    let status = resp.status().as_u16();
    if matches!(status, 504 | 599) {
        return Error::Timeout {
            elapsed: started.elapsed(),
            sent: Sent::Maybe,
            interaction: Some(interaction),
            trace_id: Some(trace_id),
            status: Some(status),
        };
    }
    let content_type = resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let retry_after = resp.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
    let body = match read_body(resp, MAX_ERROR_BODY * 16).await {
        Ok(bytes) => bytes,
        Err(BodyProblem::TooLarge) => Bytes::new(),
        Err(BodyProblem::Http(_)) => Bytes::new(),
    };
    let outcome = parse_outcome(&body);
    let code = outcome.as_ref().and_then(GpcCode::from_outcome);
    Error::Provider(Box::new(ProviderError {
        status,
        code,
        outcome,
        interaction,
        trace_id,
        content_type,
        retry_after,
        body: RawBody::new(body),
    }))
}

/// The body as an OperationOutcome, when it is one.
fn parse_outcome(body: &[u8]) -> Option<OperationOutcome> {
    #[derive(serde::Deserialize)]
    struct Peek {
        #[serde(rename = "resourceType")]
        resource_type: Option<String>,
    }
    let peek: Peek = serde_json::from_slice(body).ok()?;
    (peek.resource_type.as_deref() == Some("OperationOutcome")).then(|| serde_json::from_slice(body).ok())?
}

/// `Retry-After` as delay-seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(secs) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    let wait = when.timestamp() - chrono::Utc::now().timestamp();
    Some(Duration::from_secs(wait.max(0) as u64))
}

pub(crate) enum BodyProblem {
    TooLarge,
    Http(reqwest::Error),
}

/// Reads a body into memory, refusing more than `limit` bytes.
pub(crate) async fn read_body(mut resp: reqwest::Response, limit: usize) -> Result<Bytes, BodyProblem> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyProblem::TooLarge);
    }
    let mut buf = BytesMut::with_capacity(resp.content_length().unwrap_or(0).min(limit as u64) as usize);
    while let Some(chunk) = resp.chunk().await.map_err(BodyProblem::Http)? {
        if buf.len() + chunk.len() > limit {
            return Err(BodyProblem::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A success answer must be JSON (`application/fhir+json` or `application/json`,
/// parameters and spacing as they come) or carry no body at all.
pub(crate) fn check_content_type(resp: &Response) -> Result<()> {
    let Some(value) = resp.headers.get(CONTENT_TYPE) else { return Ok(()) };
    let text = value.to_str().unwrap_or_default();
    let mime = text.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if mime == "application/fhir+json" || mime == "application/json" || resp.body.0.is_empty() {
        Ok(())
    } else {
        Err(resp.decode_error(DecodeProblem::ContentType(text.chars().take(100).collect())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_put_the_provider_root_after_the_ssp_and_encode_the_query() {
        let root = ServiceRoot::new("https://provider.nhs.uk/A20047/STU3/1/gpconnect", "200000000116".parse().unwrap())
            .unwrap();
        let url = build_url(
            "https://proxy.nhs.uk",
            &root,
            &Target::Path("Patient".into()),
            &[("identifier".into(), "https://fhir.nhs.uk/Id/nhs-number|9690937286".into())],
            false,
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://proxy.nhs.uk/https://provider.nhs.uk/A20047/STU3/1/gpconnect/Patient?identifier=https%3A//fhir.nhs.uk/Id/nhs-number%7C9690937286"
        );
        let slot = build_url(
            "https://proxy.nhs.uk",
            &root,
            &Target::Path("Slot".into()),
            &[("start".into(), "ge2019-03-29T12:00:00+00:00".into())],
            false,
        )
        .unwrap();
        assert!(slot.as_str().ends_with("Slot?start=ge2019-03-29T12%3A00%3A00%2B00%3A00"));
    }

    #[test]
    fn only_https_unless_allowed() {
        assert!(matches!(check_url("http://x.example", "ssp", false), Err(ConfigError::NotHttps { .. })));
        assert!(check_url("http://127.0.0.1:8080/", "ssp", true).is_ok());
        assert!(matches!(check_url("ftp://x.example", "ssp", true), Err(ConfigError::NotHttps { .. })));
        assert!(matches!(check_url("not a url", "ssp", true), Err(ConfigError::Url { .. })));
    }

    #[test]
    fn retry_after_in_seconds_or_date() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
