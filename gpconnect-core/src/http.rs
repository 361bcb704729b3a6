//! The HTTP plumbing every transport shares (the SSP, SDS, MESH and the API platform):
//! the transport settings ([`HttpSettings`]), the HTTP client (rustls configured by
//! `tls`: TLS 1.2 or later; never a redirect), base URL checks, the one query encoder, bounded body reading, and
//! how a failure or an answer that is not a success becomes an [`Error`].
//!
//! A leaf: it knows the error types, `tls`, the FHIR `OperationOutcome` and the retry policy,
//! never a transport, a request, a resolver or an operation.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use rustls::pki_types::CertificateDer;
use uuid::Uuid;

use crate::error::{ConfigError, Error, ProviderError, RawBody, Result, Sent, TransportError, MAX_ERROR_BODY};
use crate::fhir::OperationOutcome;
use crate::retry::RetryPolicy;
use crate::tls::{self, ClientCert, Roots};
use crate::{GpcCode, InteractionId};

/// How a transport reaches its server: timeouts, the retry policy, extra trusted CAs and
/// whether plain `http://` is allowed. One type for the SSP, MESH and the API platform:
/// each transport's configuration holds one and changes it with `http` (or `try_http`
/// for a change that can fail).
///
/// ```
/// use gpconnect_core::{Asid, RetryPolicy, SspConfig};
/// use std::time::Duration;
/// # fn demo(spine_cas: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
/// let ssp = SspConfig::new("https://proxy.intspineservices.nhs.uk", "200000000115".parse::<Asid>()?)
///     .http(|h| h.request_timeout(Duration::from_secs(20)).retry(RetryPolicy::none()))
///     .try_http(|h| h.add_ca_pem(spine_cas))?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct HttpSettings {
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) ca_roots: Vec<CertificateDer<'static>>,
    pub(crate) trust: Trust,
    pub(crate) allow_http: bool,
}

/// Which certificate authorities a transport trusts for its server's certificate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trust {
    /// The platform's trusted CAs and those added with [`HttpSettings::add_ca_pem`] (the default).
    #[default]
    PlatformAndAdded,
    /// Only the CAs added with [`HttpSettings::add_ca_pem`], such as the Spine root and sub
    /// CAs: a certificate any other CA issued is refused (MESH pins its CAs this way). Used
    /// by the SSP; building a client with no CA added is an error.
    AddedOnly,
}

impl fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSettings")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("extra_cas", &self.ca_roots.len())
            .field("trust", &self.trust)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

impl HttpSettings {
    /// The defaults: each transport's own timeouts, [`RetryPolicy::default`], the
    /// platform's trusted CAs only, https only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Time allowed to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Time allowed for one request, from sending to the end of the answer (default 30 s
    /// for the SSP and the API platform, 10 min for MESH, where one chunk is one request).
    /// SSP and platform operations can override it per call.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// How reads are retried (default [`RetryPolicy::default`]); a write is never retried
    /// once it may have been sent.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Adds a CA certificate (PEM) to trust, such as the Spine root and sub CAs or a local
    /// test server's own certificate.
    pub fn add_ca_pem(mut self, pem: &[u8]) -> Result<Self, ConfigError> {
        self.ca_roots.extend(tls::certificates(pem)?);
        Ok(self)
    }

    /// Which CAs to trust (default [`Trust::PlatformAndAdded`]); [`Trust::AddedOnly`] trusts
    /// the added CAs alone, as an SSP client that trusts only the Spine CAs should.
    pub fn trust(mut self, trust: Trust) -> Self {
        self.trust = trust;
        self
    }

    /// Allows plain `http://` URLs. For local tests against a mock only. (MESH decides by
    /// its environment: plain http for a local sandbox on a loopback address only.)
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// The connect timeout, or `default` when none was set.
    pub(crate) fn connect_timeout_or(&self, default: Duration) -> Duration {
        self.connect_timeout.unwrap_or(default)
    }

    /// The request timeout, or `default` when none was set.
    pub(crate) fn request_timeout_or(&self, default: Duration) -> Duration {
        self.request_timeout.unwrap_or(default)
    }

    /// The CAs a client with these settings trusts, as [`trust`](Self::trust) says.
    /// [`Trust::AddedOnly`] with no CA added is [`ConfigError::NoTrustedCa`].
    pub(crate) fn roots(&self) -> Result<Roots<'_>, ConfigError> {
        match self.trust {
            Trust::PlatformAndAdded => Ok(Roots::PlatformAnd(&self.ca_roots)),
            Trust::AddedOnly if self.ca_roots.is_empty() => Err(ConfigError::NoTrustedCa),
            Trust::AddedOnly => Ok(Roots::Only(&self.ca_roots)),
        }
    }
}

/// The default connect timeout of every transport.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default request timeout of the SSP and the API platform (MESH has its own).
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

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
pub(crate) const QUERY_NAME: &AsciiSet =
    &CONTROLS.add(b' ').add(b'#').add(b'&').add(b'=').add(b'%').add(b'+').add(b'?');

/// Appends `query` to `url` (`?` or `&` first, as `has_query` says): names encoded with
/// `names` ([`QUERY_NAME`] keeps them as the spec writes them), values with [`QUERY`].
/// The one query encoder of the SSP and the API platform.
pub(crate) fn append_query(
    url: &mut String,
    mut has_query: bool,
    query: &[(String, String)],
    names: &'static AsciiSet,
) {
    for (name, value) in query {
        url.push(if has_query { '&' } else { '?' });
        has_query = true;
        url.extend(utf8_percent_encode(name, names));
        url.push('=');
        url.extend(utf8_percent_encode(value, QUERY));
    }
}

/// An HTTP client that never follows a redirect (a 3xx is handed back as it is, and
/// [`error_from_response`] makes it an [`Error::Redirected`]), speaking TLS as
/// [`tls::client_config`] sets it up: TLS 1.2 or later with the crate's crypto provider,
/// trusting `roots`, presenting `client_cert` when given.
pub(crate) fn http_client(
    connect_timeout: Duration,
    roots: Roots<'_>,
    client_cert: Option<&ClientCert>,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls::client_config(roots, client_cert)?)
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .user_agent(concat!("gpconnect-rust/", env!("CARGO_PKG_VERSION"))))
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
    (peek.resource_type.as_deref() == Some("OperationOutcome")).then(|| crate::fhir::from_json_slice(body).ok())?
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

/// The most a body buffer reserves before bytes arrive: a declared `Content-Length`
/// is a claim, not bytes, so the buffer grows with what arrives beyond this.
const FIRST_RESERVE: usize = 64 * 1024;

/// The capacity to start a body buffer with, for a declared length (when given).
fn first_capacity(declared: Option<u64>, limit: usize) -> usize {
    usize::try_from(declared.unwrap_or(0)).unwrap_or(usize::MAX).min(limit).min(FIRST_RESERVE)
}

/// Reads a body into memory, refusing more than `limit` bytes (counted after
/// decompression: the chunks are what the body decodes to). The buffer grows with what
/// arrives, whatever length the answer declares.
pub(crate) async fn read_body(mut resp: reqwest::Response, limit: usize) -> Result<Bytes, BodyProblem> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyProblem::TooLarge);
    }
    let mut buf = BytesMut::with_capacity(first_capacity(resp.content_length(), limit));
    while let Some(chunk) = resp.chunk().await.map_err(BodyProblem::Http)? {
        if buf.len().saturating_add(chunk.len()) > limit {
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
    fn only_https_unless_allowed() {
        assert!(matches!(check_url("http://x.example", "ssp", false), Err(ConfigError::NotHttps { .. })));
        assert!(check_url("http://127.0.0.1:8080/", "ssp", true).is_ok());
        assert!(matches!(check_url("ftp://x.example", "ssp", true), Err(ConfigError::NotHttps { .. })));
        assert!(matches!(check_url("not a url", "ssp", true), Err(ConfigError::Url { .. })));
    }

    #[test]
    fn a_declared_length_reserves_at_most_64_kib() {
        assert_eq!(first_capacity(Some(64 * 1024 * 1024), 64 * 1024 * 1024), FIRST_RESERVE);
        assert_eq!(first_capacity(Some(u64::MAX), usize::MAX), FIRST_RESERVE);
        assert_eq!(first_capacity(Some(10), 1 << 20), 10);
        assert_eq!(first_capacity(None, 1 << 20), 0);
        assert_eq!(first_capacity(Some(1 << 20), 100), 100);
    }

    #[test]
    fn retry_after_in_seconds_or_date() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("18446744073709551615"), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT").map(|d| d > Duration::ZERO), Some(true));
    }
}
