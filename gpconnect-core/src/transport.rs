//! The Spine Security Proxy on the wire: one HTTP client (mutual TLS, no redirects),
//! the request URL, one attempt of a request with its `Ssp-*` headers and token, and
//! how an answer that is not a success becomes an [`Error`].
//!
//! The retry loop, the resolver and the token live elsewhere ([`crate::retry`],
//! [`crate::resolver`], [`crate::client`]); this module knows nothing of them.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use uuid::Uuid;

use crate::config::SspConfig;
use crate::error::{
    ConfigError, Error, InvalidInput, ProviderError, RawBody, Result, Sent, TransportError, MAX_ERROR_BODY,
};
use crate::fhir::OperationOutcome;
use crate::request::{Request, Target, FHIR_JSON};
use crate::resolver::ServiceRoot;
use crate::{Asid, GpcCode, InteractionId};

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

/// Parameter names are sent as the spec writes them (`_include:recurse`,
/// `_revinclude:recurse`, `service.identifier`): only what would break the query is encoded.
const QUERY_NAME: &AsciiSet = &CONTROLS.add(b' ').add(b'#').add(b'&').add(b'=').add(b'%').add(b'+').add(b'?');

static SSP_TRACE_ID: HeaderName = HeaderName::from_static("ssp-traceid");
static SSP_FROM: HeaderName = HeaderName::from_static("ssp-from");
static SSP_TO: HeaderName = HeaderName::from_static("ssp-to");
static SSP_INTERACTION_ID: HeaderName = HeaderName::from_static("ssp-interactionid");
static FHIR_JSON_VALUE: HeaderValue = HeaderValue::from_static(FHIR_JSON);

/// An HTTP client that never follows a redirect: a 3xx is handed back as it is, and
/// [`error_from_response`] makes it an [`Error::Redirected`].
pub(crate) fn http_client(connect_timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .tls_version_min(reqwest::tls::Version::TLS_1_2)
        .user_agent(concat!("gpconnect-rust/", env!("CARGO_PKG_VERSION")))
}

/// The SSP: its HTTP client, base URL, the consumer's ASID and the limits.
pub(crate) struct Ssp {
    http: reqwest::Client,
    base: String,
    consumer_asid: Asid,
    pub(crate) request_timeout: Duration,
    pub(crate) max_body: usize,
    allow_http: bool,
}

/// One attempt of a request, ready to go on the wire.
pub(crate) struct Attempt<'a> {
    pub(crate) url: &'a url::Url,
    pub(crate) root: &'a ServiceRoot,
    pub(crate) request: &'a Request,
    pub(crate) token: &'a HeaderValue,
    pub(crate) trace_id: Uuid,
    pub(crate) timeout: Duration,
}

impl Ssp {
    pub(crate) fn new(config: &SspConfig) -> Result<Self, ConfigError> {
        let base = check_url(&config.url, "ssp", config.allow_http)?;
        let mut http = http_client(config.connect_timeout).tls_certs_merge(config.ca_roots.clone());
        if let Some(identity) = &config.identity {
            http = http.identity(identity.0.clone());
        }
        let http = http.build().map_err(|e| ConfigError::Http(e.into()))?;
        Ok(Self {
            http,
            base,
            consumer_asid: config.consumer_asid.clone(),
            request_timeout: config.request_timeout,
            max_body: config.max_response_bytes,
            allow_http: config.allow_http,
        })
    }

    /// The SSP base URL, for `Debug`.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The consumer system's ASID (`Ssp-From`).
    pub(crate) fn consumer_asid(&self) -> &Asid {
        &self.consumer_asid
    }

    /// `{ssp}/{service root}/{path}?{query}`, or `{ssp}/{absolute provider URL}`.
    pub(crate) fn url(&self, root: &ServiceRoot, target: &Target, query: &[(String, String)]) -> Result<url::Url> {
        build_url(&self.base, root, target, query, self.allow_http)
    }

    /// Sends one attempt: a success answer with its body still to read, or the mapped error.
    pub(crate) async fn send(&self, a: Attempt<'_>) -> Result<reqwest::Response> {
        let interaction = a.request.interaction;
        let mut builder = self
            .http
            .request(a.request.method.clone(), a.url.clone())
            .timeout(a.timeout)
            .header(&SSP_TRACE_ID, a.trace_id.to_string())
            .header(&SSP_FROM, self.consumer_asid.as_str())
            .header(&SSP_TO, a.root.asid.as_str())
            .header(&SSP_INTERACTION_ID, interaction.urn())
            .header(AUTHORIZATION, a.token.clone())
            .header(ACCEPT, FHIR_JSON_VALUE.clone());
        if let Some(body) = &a.request.body {
            builder = builder.header(CONTENT_TYPE, FHIR_JSON_VALUE.clone()).body(body.clone());
        }
        for (name, value) in &a.request.headers {
            builder = builder.header(name, value);
        }
        let started = Instant::now();
        match builder.send().await {
            Ok(resp) if resp.status().is_success() => Ok(resp),
            // Boxed: the error path's state stays out of every request's future.
            Ok(resp) => Err(Box::pin(error_from_response(resp, interaction, a.trace_id, started)).await),
            Err(e) => Err(transport_error(e, started, Some(interaction), Some(a.trace_id))),
        }
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

/// `{ssp}/{service root}/{path}?{query}`, or `{ssp}/{absolute provider URL}`.
fn build_url(
    ssp: &str,
    root: &ServiceRoot,
    target: &Target,
    query: &[(String, String)],
    allow_http: bool,
) -> Result<url::Url> {
    let mut full = String::with_capacity(ssp.len() + root.url.len() + 128);
    full.push_str(ssp);
    full.push('/');
    match target {
        // The root was parsed once, when it was made: only its scheme is checked here.
        Target::Path(path) => {
            let scheme_ok = root.url.starts_with("https://") || (allow_http && root.url.starts_with("http://"));
            if !scheme_ok {
                return Err(ConfigError::NotHttps { what: "provider endpoint" }.into());
            }
            full.push_str(&root.url);
            if !path.is_empty() {
                full.push('/');
                full.push_str(path);
            }
        }
        // A provider URL from a resource (a DocumentReference's `attachment.url`) goes
        // through the SSP as it is, `http://` included as in the spec's own examples: the
        // leg to the SSP is TLS, and the SSP checks the URL against the endpoint in SDS.
        // A URL that is not one is a data problem, not a configuration error.
        Target::Absolute(url) => {
            check_url(url, "attachment URL", true).map_err(|_| {
                InvalidInput::parameter("attachment.url", "the provider's URL is not an absolute http(s) URL")
            })?;
            full.push_str(url);
        }
    }
    let mut has_query = full[ssp.len()..].contains('?');
    for (name, value) in query {
        full.push(if has_query { '&' } else { '?' });
        has_query = true;
        full.extend(utf8_percent_encode(name, QUERY_NAME));
        full.push('=');
        full.extend(utf8_percent_encode(value, QUERY));
    }
    Ok(url::Url::parse(&full).map_err(|_| ConfigError::Url { what: "request URL" })?)
}

/// Maps a reqwest failure: a timeout, a connection never made (not sent), or a broken one.
pub(crate) fn transport_error(
    e: reqwest::Error,
    started: Instant,
    interaction: Option<InteractionId>,
    trace_id: Option<Uuid>,
) -> Error {
    if e.is_timeout() {
        Error::Timeout { elapsed: started.elapsed(), sent: Sent::Maybe, interaction, trace_id, status: None }
    } else {
        let sent = if e.is_connect() { Sent::No } else { Sent::Maybe };
        Error::Transport { source: TransportError::from(e), sent, interaction, trace_id }
    }
}

/// Maps a non-2xx answer: a 3xx is a redirect, never followed; 504 and 599 are
/// timeouts; anything else keeps the status, the OperationOutcome (when the body is
/// one), the code and the raw body.
pub(crate) async fn error_from_response(
    resp: reqwest::Response,
    interaction: InteractionId,
    trace_id: Uuid,
    started: Instant,
) -> Error {
    let status = resp.status().as_u16();
    if resp.status().is_redirection() {
        return Error::Redirected { status, interaction: Some(interaction), trace_id: Some(trace_id) };
    }
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

/// Reads a body into memory, refusing more than `limit` bytes (counted after
/// decompression: the chunks are what the body decodes to).
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
