//! The MESH transport: one HTTP client (rustls, mutual TLS, no redirects), a fresh
//! `NHSMESH` token per request, the v2 `Accept`, bounded answers, and the one retry loop
//! that never repeats the first upload request once it may have left.

use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http::header::{ACCEPT, AUTHORIZATION, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, Method};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::error::{MeshError, MeshErrorCode, MeshOperation, MeshProblem};
use super::{auth, MailboxId, MeshConfig, MeshEnvironment};
use crate::error::{ConfigError, DecodeProblem, Error, MessagingError, RawBody, Sent, MAX_ERROR_BODY};
use crate::tls::Roots;
use crate::Effect;

/// `Accept` for the v2 API (snake_case answers, paging).
pub(crate) const MESH_V2: &str = "application/vnd.mesh.v2+json";

/// A MESH client for one mailbox. Cheap to clone; make one and share it.
///
/// Every operation is a method: [`handshake`](Self::handshake), [`send`](Self::send),
/// [`inbox`](Self::inbox), [`download`](Self::download), [`receive`](Self::receive),
/// [`acknowledge`](Self::acknowledge), [`track`](Self::track),
/// [`lookup_endpoint`](Self::lookup_endpoint).
#[derive(Clone)]
pub struct MeshClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    /// `{base}/messageexchange`
    root: url::Url,
    pub(crate) config: MeshConfig,
    /// When this client's last handshake succeeded.
    pub(crate) last_handshake: std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>,
}

impl std::fmt::Debug for MeshClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeshClient")
            .field("environment", &self.inner.config.environment)
            .field("mailbox", &self.inner.config.mailbox)
            .finish_non_exhaustive()
    }
}

/// One MESH request before the transport adds the token and `Accept`.
pub(crate) struct MeshRequest {
    pub(crate) operation: MeshOperation,
    pub(crate) method: Method,
    /// Path segments after `/messageexchange/`, each already checked (typed IDs).
    pub(crate) path: Vec<String>,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    /// Whether the request carries an `NHSMESH` token (not for endpoint look-up).
    pub(crate) authorised: bool,
}

impl MeshRequest {
    pub(crate) fn new(operation: MeshOperation, method: Method, path: Vec<String>) -> Self {
        Self { operation, method, path, query: Vec::new(), headers: HeaderMap::new(), body: None, authorised: true }
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl MeshClient {
    /// Checks the configuration and builds the client. Nothing is sent.
    ///
    /// # Errors
    /// `Error::Config` for a base URL that is not https (plain http only for a
    /// [`MeshEnvironment::LocalSandbox`] on a loopback address), or an unusable CA.
    pub fn new(config: MeshConfig) -> crate::Result<Self> {
        let base = url::Url::parse(config.environment.base_url()).map_err(|_| ConfigError::Url { what: "mesh" })?;
        match (base.scheme(), &config.environment) {
            ("https", _) => {}
            ("http", MeshEnvironment::LocalSandbox(_)) if is_loopback(&base) => {}
            _ => return Err(ConfigError::NotHttps { what: "mesh" }.into()),
        }
        let root = url::Url::parse(&format!("{}/messageexchange/", base.as_str().trim_end_matches('/')))
            .map_err(|_| ConfigError::Url { what: "mesh" })?;
        // The environment's NHS CAs and the added ones alone; the platform's for a local
        // sandbox with none.
        let trusted = config.trusted()?;
        let roots = if trusted.is_empty() { Roots::PlatformAnd(&[]) } else { Roots::Only(&trusted) };
        // Core's HTTP client: rustls, TLS 1.2 or later, never a redirect.
        let http = crate::http::http_client(
            config.http.connect_timeout_or(crate::http::CONNECT_TIMEOUT),
            roots,
            config.identity.as_ref().map(|identity| &identity.0),
        )?
        .read_timeout(config.read_timeout)
        // Downloads ask for gzip and decode it themselves, counting what arrives.
        .no_gzip()
        .user_agent(config.client_info.client_version.clone())
        .build()
        .map_err(|e| ConfigError::Http(e.into()))?;
        Ok(Self { inner: Arc::new(Inner { http, root, config, last_handshake: std::sync::Mutex::new(None) }) })
    }

    /// The mailbox this client speaks for.
    pub fn mailbox(&self) -> &MailboxId {
        &self.inner.config.mailbox
    }

    /// The ODS code of the organisation sending through this client
    /// ([`MeshConfig::ods_code`]), when configured.
    pub fn ods_code(&self) -> Option<&crate::OdsCode> {
        self.inner.config.ods_code.as_ref()
    }

    pub(crate) fn config(&self) -> &MeshConfig {
        &self.inner.config
    }

    /// `[mailbox, rest...]` as path segments.
    pub(crate) fn mailbox_path(&self, rest: &[&str]) -> Vec<String> {
        std::iter::once(self.mailbox().as_str()).chain(rest.iter().copied()).map(str::to_owned).collect()
    }

    fn url(&self, req: &MeshRequest) -> url::Url {
        let mut url = self.inner.root.clone();
        url.path_segments_mut().expect("base URL").pop_if_empty().extend(req.path.iter());
        if !req.query.is_empty() {
            url.query_pairs_mut().extend_pairs(req.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    /// Sends a request through the one retry loop of core ([`crate::retry`]), retrying it
    /// while a repeat cannot double anything (see [`MeshError::is_retryable`]: the first
    /// upload request only when its connection was never made), and returns a success
    /// answer with its body unread.
    pub(crate) async fn execute(&self, req: &MeshRequest) -> Result<reqwest::Response, MeshError> {
        let url = self.url(req);
        let effect = if req.operation.is_idempotent() { Effect::Read } else { Effect::Write };
        let result = crate::retry::retrying(&self.inner.config.http.retry, effect, |attempt| {
            let url = url.clone();
            async move { self.attempt(req, url, attempt).await.map_err(Error::from) }
        })
        .await;
        result.map_err(|e| match e {
            Error::Messaging(m) => match m.take::<MeshError>() {
                Ok(m) => m,
                Err(other) => unreachable!("MESH attempt failed with {:?}", other.kind()),
            },
            // Every attempt fails with a `MeshError`.
            other => unreachable!("MESH attempt failed with {:?}", other.kind()),
        })
    }

    /// One try: a fresh token, the v2 `Accept`, a tracing span without URL or secrets.
    async fn attempt(&self, req: &MeshRequest, url: url::Url, attempt: u32) -> Result<reqwest::Response, MeshError> {
        let config = &self.inner.config;
        let mut builder = self
            .inner
            .http
            .request(req.method.clone(), url)
            .timeout(config.http.request_timeout_or(super::config::REQUEST_TIMEOUT))
            .header(ACCEPT, MESH_V2)
            .headers(req.headers.clone());
        if req.authorised {
            let token = auth::fresh(&config.mailbox, &config.password, &config.shared_key);
            let mut value = HeaderValue::from_str(token.expose_secret()).expect("token is ASCII");
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let span = tracing::info_span!(
            "gpconnect.mesh",
            operation = ?req.operation,
            attempt,
            status = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = builder.send().instrument(span.clone()).await;
        span.record("elapsed_ms", started.elapsed().as_millis() as u64);
        match result {
            Ok(resp) if resp.status().is_success() => {
                span.record("status", resp.status().as_u16());
                Ok(resp)
            }
            Ok(resp) => {
                span.record("status", resp.status().as_u16());
                let retry_after = resp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| retry_after(v, chrono::Utc::now()));
                let mut error = refused(resp, req.operation).await;
                error.retry_after = retry_after;
                Err(error)
            }
            Err(e) => Err(transport(e, req.operation, started)),
        }
    }

    /// Sends a request and parses its JSON answer (at most the configured size).
    pub(crate) async fn execute_json<T: DeserializeOwned>(&self, req: &MeshRequest) -> Result<T, MeshError> {
        let resp = self.execute(req).await?;
        let status = resp.status().as_u16();
        let body = read_bounded(resp, self.inner.config.max_json_bytes, req.operation).await?;
        parse_json(&body, status, req.operation)
    }

    /// Sends a request whose answer body does not matter, reading (and dropping) at most
    /// the configured size of it.
    pub(crate) async fn execute_empty(&self, req: &MeshRequest) -> Result<(u16, Bytes), MeshError> {
        let resp = self.execute(req).await?;
        let status = resp.status().as_u16();
        Ok((status, read_bounded(resp, self.inner.config.max_json_bytes, req.operation).await?))
    }
}

/// The longest `Retry-After` read (the retry policy's `max_delay` caps what is waited).
const MAX_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// `Retry-After` as seconds or as an HTTP date, at most a day (nothing a remote writes can
/// overflow the time arithmetic that follows); a date in the past is no wait.
fn retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<std::time::Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => std::time::Duration::from_secs(seconds),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            at.signed_duration_since(now).to_std().unwrap_or_default()
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Parses a JSON answer, or a decode error naming the JSON path by index and known field
/// names only (never a value, never a key the remote wrote).
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8], status: u16, op: MeshOperation) -> Result<T, MeshError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        decode(op, status, DecodeProblem::json(safe_path(e.path()), e.inner()), Bytes::copy_from_slice(body))
    })
}

/// The field names of the MESH answers this client reads: the only keys an error names.
const KNOWN_FIELDS: &[&str] = &[
    "message_id",
    "messages",
    "approx_inbox_count",
    "links",
    "next",
    "self",
    "status",
    "status_success",
    "status_code",
    "status_event",
    "status_description",
    "status_timestamp",
    "workflow_id",
    "local_id",
    "filename",
    "recipient",
    "recipient_name",
    "recipient_ods_code",
    "upload_timestamp",
    "expiry_time",
    "results",
    "address",
    "description",
    "endpoint_type",
    "mailbox_id",
    "mailbox_name",
    "detail",
    "code",
];

/// A JSON path for an error text: `[3]` for an index, a known field name as itself, `?`
/// for anything else; at most 8 segments.
fn safe_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for (i, segment) in path.iter().enumerate() {
        if i == 8 {
            out.push_str(".…");
            break;
        }
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } if KNOWN_FIELDS.contains(&key.as_str()) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            _ => out.push_str(if out.is_empty() { "?" } else { ".?" }),
        }
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

pub(crate) fn decode(op: MeshOperation, status: u16, problem: DecodeProblem, body: Bytes) -> MeshError {
    MeshError::new(op, MeshProblem::Decode { problem, status, body: RawBody::new(body) }, Sent::Maybe)
}

/// Reads a whole answer body, refusing one larger than `limit`.
pub(crate) async fn read_bounded(
    mut resp: reqwest::Response,
    limit: usize,
    op: MeshOperation,
) -> Result<Bytes, MeshError> {
    let status = resp.status().as_u16();
    let started = Instant::now();
    let mut buf = BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport(e, op, started))? {
        if buf.len() + chunk.len() > limit {
            return Err(decode(op, status, DecodeProblem::TooLarge { limit }, buf.freeze()));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Maps a reqwest failure: a connection never made (not sent), a timeout, a broken one.
/// The URL is removed from the error.
pub(crate) fn transport(e: reqwest::Error, op: MeshOperation, started: Instant) -> MeshError {
    let sent = if e.is_connect() { Sent::No } else { Sent::Maybe };
    let problem =
        if e.is_timeout() { MeshProblem::Timeout(started.elapsed()) } else { MeshProblem::Transport(e.without_url()) };
    MeshError::new(op, problem, sent)
}

/// Maps an error status, keeping the MESH error code and the bounded raw body.
async fn refused(resp: reqwest::Response, op: MeshOperation) -> MeshError {
    let status = resp.status().as_u16();
    let body = read_bounded(resp, MAX_ERROR_BODY, op).await.unwrap_or_default();
    let code = error_code(&body);
    MeshError::new(op, MeshProblem::Refused { status, code, body: RawBody::new(body) }, Sent::Maybe)
}

/// The error code of a v2 (`detail[0].code`) or v1 (`errorCode`) error body.
fn error_code(body: &[u8]) -> Option<MeshErrorCode> {
    #[derive(serde::Deserialize)]
    struct Detail {
        code: Option<String>,
    }
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Details {
        List(Vec<Detail>),
        #[allow(dead_code)]
        Other(serde_json::Value),
    }
    #[derive(serde::Deserialize)]
    struct Body {
        detail: Option<Details>,
        #[serde(rename = "errorCode")]
        error_code: Option<String>,
    }
    let parsed: Body = serde_json::from_slice(body).ok()?;
    let code = match parsed.detail {
        Some(Details::List(list)) => list.into_iter().find_map(|d| d.code),
        _ => None,
    }
    .or(parsed.error_code)?;
    (!code.trim().is_empty()).then(|| MeshErrorCode::from_code(&code))
}

impl From<MeshError> for Error {
    fn from(e: MeshError) -> Self {
        Error::Messaging(Box::new(MessagingError::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_read_from_v1_and_v2_bodies() {
        let v2 = br#"{"message_id":"M","detail":[{"event":"SEND","code":"12","msg":"Unregistered recipient"}]}"#;
        assert_eq!(error_code(v2), Some(MeshErrorCode::UnregisteredRecipient));
        let v1 = br#"{"messageID":"M","errorEvent":"SEND","errorCode":"17","errorDescription":"x"}"#;
        assert_eq!(error_code(v1), Some(MeshErrorCode::WorkflowNotRegistered));
        assert_eq!(error_code(br#"{"detail":"TO_DTS missing"}"#), None);
        assert_eq!(error_code(b"<html>"), None);
    }

    fn config(url: &str) -> MeshConfig {
        MeshConfig::new(
            MeshEnvironment::LocalSandbox(url.into()),
            MailboxId::parse("X26ABC1").unwrap(),
            "password".to_owned().into(),
            "TestKey".to_owned().into(),
        )
    }

    #[test]
    fn plain_http_only_for_a_loopback_sandbox() {
        assert!(MeshClient::new(config("http://127.0.0.1:8700")).is_ok());
        assert!(MeshClient::new(config("http://localhost:8700")).is_ok());
        assert!(MeshClient::new(config("http://mesh.example.org")).is_err());
        assert!(MeshClient::new(config("https://mesh.example.org")).is_ok());
    }

    #[test]
    fn urls_are_built_from_checked_segments() {
        let c = MeshClient::new(config("http://127.0.0.1:8700/")).unwrap();
        let mut req = MeshRequest::new(MeshOperation::Inbox, Method::GET, c.mailbox_path(&["inbox"]));
        req.query.push(("workflow_filter", "!*_ACK*".into()));
        assert_eq!(
            c.url(&req).as_str(),
            "http://127.0.0.1:8700/messageexchange/X26ABC1/inbox?workflow_filter=%21*_ACK*"
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates_and_never_overflows() {
        use std::time::Duration;
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().to_utc();
        assert_eq!(retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("Mon, 07 Dec 2026 10:00:30 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(retry_after("Mon, 07 Dec 2026 09:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("18446744073709551615", now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after("soon", now), None);
        let policy = crate::RetryPolicy { max_delay: Duration::MAX, ..Default::default() };
        let _ = std::time::Instant::now() + policy.delay(1, retry_after("18446744073709551615", now));
    }

    #[test]
    fn json_errors_name_no_key_the_remote_wrote() {
        let body = br#"{"messages": ["20220228174323222_ABCDEF"], "Mr J Smith 9690937286": tru}"#;
        let err = parse_json::<serde_json::Value>(body, 200, MeshOperation::Inbox).unwrap_err();
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Page {
            messages: Vec<u32>,
        }
        let typed = parse_json::<Page>(br#"{"messages": [1, "Smith 9690937286"]}"#, 200, MeshOperation::Inbox);
        for text in [err.to_string(), typed.unwrap_err().to_string()] {
            assert!(!text.contains("Smith") && !text.contains("9690937286"), "{text}");
        }
        let typed = parse_json::<Page>(br#"{"messages": [1, "x"]}"#, 200, MeshOperation::Inbox).unwrap_err();
        assert!(typed.to_string().contains("messages[1]"), "{typed}");
    }

    #[test]
    fn debug_shows_no_secrets() {
        let c = MeshClient::new(config("http://127.0.0.1:8700")).unwrap();
        let d = format!("{c:?} {:?}", c.config());
        assert!(!d.contains("password") && !d.contains("TestKey") && !d.contains("8700"), "{d}");
    }
}
