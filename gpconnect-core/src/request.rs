//! The one request shape every operation produces, and the raw response it gets back.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::{DecodeError, DecodeProblem, RawBody};
use crate::http::{read_body, transport_error, BodyProblem};
use crate::jwt::Confidentiality;
use crate::{Error, InteractionId, Result, User};

/// The FHIR JSON media type, exactly as GP Connect writes it (no space before `charset`).
pub const FHIR_JSON: &str = "application/fhir+json;charset=utf-8";

/// One GP Connect request, before the transport adds the SSP, headers and token.
///
/// Built by the operation builders of the API crates; the interaction decides the
/// `Ssp-InteractionID`, the JWT scope and the service root. `Debug` leaves out query
/// values and the body, which can hold NHS numbers.
#[derive(Clone)]
pub struct Request {
    pub(crate) interaction: InteractionId,
    pub(crate) method: Method,
    pub(crate) target: Target,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Bytes>,
    pub(crate) headers: Vec<(http::HeaderName, http::HeaderValue)>,
    pub(crate) user: Option<User>,
    pub(crate) confidentiality: Option<Confidentiality>,
    pub(crate) timeout: Option<Duration>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("interaction", &self.interaction)
            .field("method", &self.method)
            .field("target", &self.target)
            .field("query", &self.query.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .field("body_bytes", &self.body.as_ref().map(|b| b.len()))
            .finish_non_exhaustive()
    }
}

/// Where a request goes, relative to the provider's service root.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A path under the service root, such as `Patient/$gpc.getstructuredrecord`.
    Path(String),
    /// An absolute provider URL, such as a DocumentReference's `attachment.url`.
    Absolute(String),
}

impl Request {
    /// A request with no body. `path` is relative to the service root
    /// (`Patient/2`), or an absolute provider URL (`https://...`).
    pub fn get(interaction: InteractionId, path: impl Into<String>) -> Self {
        Self::new(interaction, Method::GET, path.into())
    }

    /// A POST with a FHIR JSON body.
    pub fn post(interaction: InteractionId, path: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self::new(interaction, Method::POST, path.into()).body(body)
    }

    /// A PUT with a FHIR JSON body.
    pub fn put(interaction: InteractionId, path: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self::new(interaction, Method::PUT, path.into()).body(body)
    }

    fn new(interaction: InteractionId, method: Method, path: String) -> Self {
        let target = if path.starts_with("https://") || path.starts_with("http://") {
            Target::Absolute(path)
        } else {
            Target::Path(if path.starts_with('/') { path.trim_start_matches('/').to_owned() } else { path })
        };
        Self {
            interaction,
            method,
            target,
            query: Vec::new(),
            body: None,
            headers: Vec::new(),
            user: None,
            confidentiality: None,
            timeout: None,
        }
    }

    fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Adds a query parameter; repeated names are kept in order. Values are
    /// percent-encoded by the transport (`|` becomes `%7C`).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a header such as `If-Match` or `Prefer`.
    pub fn header(mut self, name: http::HeaderName, value: http::HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The requesting user, overriding the provider handle's user.
    pub fn user(mut self, user: User) -> Self {
        self.user = Some(user);
        self
    }

    /// Adds a confidentiality scope (`conf/N`, `conf/R`) to the JWT.
    pub fn confidentiality(mut self, conf: Confidentiality) -> Self {
        self.confidentiality = Some(conf);
        self
    }

    /// A timeout for this call, overriding the client default.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The interaction this request performs.
    pub fn interaction(&self) -> InteractionId {
        self.interaction
    }
}

/// A success answer whose body is still to be read, chunk by chunk: what the send path
/// hands an operation that streams (documents), before any body byte is read. `Debug`
/// shows the status, the interaction, the trace id and the declared length: never the URL
/// (which can carry `patientNHSNumber=`) or the headers.
pub struct StreamingResponse {
    pub(crate) inner: reqwest::Response,
    pub(crate) trace_id: Uuid,
    pub(crate) interaction: InteractionId,
    pub(crate) max_body: usize,
}

impl std::fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::redact::RedactedStruct::new(f, "StreamingResponse")
            .screened("status", &self.status())
            .screened("interaction", &self.interaction)
            .screened("trace_id", &self.trace_id)
            .screened("content_length", &self.content_length())
            .finish()
    }
}

impl StreamingResponse {
    /// The `Ssp-TraceID` of the request.
    pub fn trace_id(&self) -> Uuid {
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
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        let started = Instant::now();
        let (interaction, trace_id) = (self.interaction, self.trace_id);
        self.inner.chunk().await.map_err(|e| transport_error(e, started, Some(interaction), Some(trace_id)))
    }
}

/// How an operation takes its answer from the send path: read into memory
/// ([`Response`], bounded by the client's body limit) or as a stream
/// ([`StreamingResponse`]).
pub trait Answer: Sized + Send {
    /// Takes the answer from a success response whose body is not read yet.
    fn receive(response: StreamingResponse) -> impl Future<Output = Result<Self>> + Send;
    /// The `Ssp-TraceID` of the request.
    fn trace_id(&self) -> Uuid;
    /// The resource version from the `ETag` header (`W/"3"` gives `3`), when given.
    fn version_id(&self) -> Option<&str>;
}

/// Takes one attempt's answer as `A` inside the attempt's span (the SSP's and the API
/// platform's): records the status and the time the attempt took, body included, and logs
/// `answered`; an error keeps the status it carries.
pub(crate) async fn receive_in_span<A: Answer>(
    span: &tracing::Span,
    started: Instant,
    sent: Result<StreamingResponse>,
) -> Result<A> {
    use tracing::Instrument;
    let answer = match sent {
        Ok(response) => {
            span.record("status", response.status());
            A::receive(response).instrument(span.clone()).await
        }
        Err(e) => Err(e),
    };
    span.record("elapsed_ms", started.elapsed().as_millis() as u64);
    match &answer {
        Ok(_) => span.in_scope(|| tracing::info!("answered")),
        Err(e) => {
            if let Some(status) = e.status() {
                span.record("status", status);
            }
        }
    }
    answer
}

impl Answer for StreamingResponse {
    async fn receive(response: StreamingResponse) -> Result<Self> {
        Ok(response)
    }

    fn trace_id(&self) -> Uuid {
        self.trace_id
    }

    fn version_id(&self) -> Option<&str> {
        etag_version(self.headers())
    }
}

impl Answer for Response {
    /// Reads the whole body (at most the client's `max_response_bytes`, after
    /// decompression) and checks that it is JSON or empty.
    async fn receive(response: StreamingResponse) -> Result<Self> {
        let StreamingResponse { mut inner, trace_id, interaction, max_body } = response;
        let status = inner.status().as_u16();
        let headers = std::mem::take(inner.headers_mut());
        let started = Instant::now();
        let body = read_body(inner, max_body).await.map_err(|problem| match problem {
            BodyProblem::TooLarge => Error::Decode(Box::new(DecodeError {
                problem: DecodeProblem::TooLarge { limit: max_body },
                status,
                interaction,
                trace_id,
                body: RawBody::default(),
            })),
            BodyProblem::Http(e) => transport_error(e, started, Some(interaction), Some(trace_id)),
        })?;
        let response = Response { status, headers, body: RawBytes(body), trace_id, interaction };
        response.check_content_type()?;
        Ok(response)
    }

    fn trace_id(&self) -> Uuid {
        self.trace_id
    }

    fn version_id(&self) -> Option<&str> {
        self.etag_version()
    }
}

/// The `resourceType` of a JSON object when it is a plain string member of the top level,
/// found by a scan that never recurses and stops as soon as it has it (FHIR JSON writes
/// it first). `None` when it is not there or not that simple: the caller then parses.
fn top_level_resource_type(body: &[u8]) -> Option<&str> {
    let mut depth = 0usize;
    let mut expect_key = false;
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'{' => {
                depth += 1;
                expect_key = depth == 1;
            }
            b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            b',' if depth == 1 => expect_key = true,
            b'"' => {
                let start = i + 1;
                let mut end = start;
                while end < body.len() && body[end] != b'"' {
                    end += if body[end] == b'\\' { 2 } else { 1 };
                }
                let is_key = depth == 1 && expect_key;
                expect_key = false;
                if is_key && body.get(start..end) == Some(b"resourceType".as_slice()) {
                    let rest = body.get(end + 1..)?;
                    let colon = rest.iter().position(|b| !b.is_ascii_whitespace())?;
                    if rest[colon] != b':' {
                        return None;
                    }
                    let value = &rest[colon + 1..];
                    let open = value.iter().position(|b| !b.is_ascii_whitespace())?;
                    if value[open] != b'"' {
                        return None;
                    }
                    let value = &value[open + 1..];
                    let close = value.iter().position(|&b| b == b'"' || b == b'\\')?;
                    return if value[close] == b'"' { std::str::from_utf8(&value[..close]).ok() } else { None };
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn etag_version(headers: &HeaderMap) -> Option<&str> {
    let tag = headers.get(http::header::ETAG)?.to_str().ok()?;
    Some(tag.trim().trim_start_matches("W/").trim_matches('"'))
}

/// Whether a `Content-Type` is FHIR JSON: `application/fhir+json`, the older
/// `application/json+fhir` some providers still send, or `application/json`, in any case,
/// with any parameters (`;charset=utf-8`, `; charset=UTF-8`, `;fhirVersion=3.0`) and spacing.
pub fn is_fhir_json(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    ["application/fhir+json", "application/json+fhir", "application/json"].iter().any(|m| mime.eq_ignore_ascii_case(m))
}

/// A success answer, with the body read into memory. `Debug` shows the status, trace id,
/// interaction and body length, never a header's value or the body.
pub struct Response {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The raw body. May contain personal data: keep it out of logs.
    pub body: RawBytes,
    /// The `Ssp-TraceID` sent with the request that succeeded.
    pub trace_id: Uuid,
    /// The interaction.
    pub interaction: InteractionId,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::redact::RedactedStruct::new(f, "Response")
            .screened("status", &self.status)
            .screened("trace_id", &self.trace_id)
            .screened("interaction", &self.interaction)
            .screened("body", &self.body)
            .present("headers", !self.headers.is_empty())
            .finish()
    }
}

/// Response bytes whose `Debug` shows only the length.
#[derive(Clone, Default)]
pub struct RawBytes(pub Bytes);

impl std::fmt::Debug for RawBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawBytes({} bytes)", self.0.len())
    }
}

impl Response {
    /// Parses the body as `T`, or a [`DecodeError`] naming the offending JSON path. The
    /// body must be UTF-8 (see [`crate::fhir::from_json_slice`]).
    ///
    /// The body is parsed once; when that fails, the path is found from the error's
    /// position by a walk over the text (not a second, path-tracking parse: that would
    /// compile a second deserialiser for every `T`).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        crate::fhir::from_json_slice(&self.body.0).map_err(|e| self.json_failure(&e))
    }

    /// The decode error for a failed [`Response::json`] (one copy, whatever the `T`).
    fn json_failure(&self, e: &serde_json::Error) -> Error {
        self.decode_error(DecodeProblem::json(crate::fhir::lenient::error_path(&self.body.0, e), e))
    }

    /// Parses the body as a FHIR resource of the given type, checking `resourceType`.
    pub fn resource<T: DeserializeOwned + crate::fhir::FhirResource>(&self) -> Result<T, Error> {
        let found = match top_level_resource_type(&self.body.0) {
            Some(found) => found,
            None => {
                #[derive(serde::Deserialize)]
                struct Peek {
                    #[serde(rename = "resourceType")]
                    resource_type: Option<String>,
                }
                let peek: Peek = self.json()?;
                return match peek.resource_type.as_deref() {
                    Some(t) if t == T::TYPE => self.json(),
                    other => Err(self.wrong_type(T::TYPE, other)),
                };
            }
        };
        if found != T::TYPE {
            return Err(self.wrong_type(T::TYPE, Some(found)));
        }
        self.json()
    }

    /// Parses the body as a FHIR Bundle whose resources are stretches of one shared copy of
    /// the body, returned beside it, rather than a copy each (see
    /// [`Bundle::from_text`](crate::fhir::Bundle::from_text)). Checks `resourceType`, and
    /// fails as [`resource`](Self::resource) does.
    pub fn shared_bundle(&self) -> Result<(crate::fhir::Bundle, Arc<str>), Error> {
        use crate::fhir::{Bundle, FhirResource};
        if top_level_resource_type(&self.body.0) == Some(Bundle::TYPE) {
            if let Ok(text) = std::str::from_utf8(&self.body.0) {
                let text: Arc<str> = Arc::from(text);
                if let Some(bundle) = Bundle::from_split(&text) {
                    return Ok((bundle, text));
                }
            }
        }
        // Anything else is read the general way, once: for its error (which names the
        // path), or for the same Bundle.
        let bundle = self.resource::<Bundle>()?;
        Ok((bundle, Arc::from(String::from_utf8_lossy(&self.body.0))))
    }

    fn wrong_type(&self, expected: &'static str, found: Option<&str>) -> Error {
        self.decode_error(DecodeProblem::ResourceType { expected, found: found.unwrap_or("(none)").to_owned() })
    }

    /// The weak ETag version (`W/"3"` gives `3`), when the answer has one.
    pub fn etag_version(&self) -> Option<&str> {
        etag_version(&self.headers)
    }

    /// A success answer must be FHIR JSON (see [`is_fhir_json`]) or carry no body at all.
    fn check_content_type(&self) -> Result<()> {
        let Some(value) = self.headers.get(CONTENT_TYPE) else { return Ok(()) };
        let text = value.to_str().unwrap_or_default();
        if is_fhir_json(text) || self.body.0.is_empty() {
            Ok(())
        } else {
            Err(self.decode_error(DecodeProblem::ContentType(text.chars().take(100).collect())))
        }
    }

    /// A decode error for a part of the answer (such as `entry.resource`) that did not
    /// parse: the path and the parser's category, line and column, never the value.
    pub fn json_error(&self, path: &str, e: &serde_json::Error) -> Error {
        self.decode_error(DecodeProblem::json(path, e))
    }

    /// A decode error for this response.
    pub fn decode_error(&self, problem: DecodeProblem) -> Error {
        Error::Decode(Box::new(DecodeError {
            problem,
            status: self.status,
            interaction: self.interaction,
            trace_id: self.trace_id,
            body: RawBody::new(self.body.0.clone()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::top_level_resource_type as rt;

    #[test]
    fn resource_type_is_found_at_the_top_level_only() {
        assert_eq!(rt(br#"{"resourceType":"Location","id":"1"}"#), Some("Location"));
        assert_eq!(rt(br#" { "id" : "x\"resourceType", "resourceType" : "Bundle" }"#), Some("Bundle"));
        assert_eq!(rt(br#"{"a":{"resourceType":"Patient"},"resourceType":"Bundle"}"#), Some("Bundle"));
        assert_eq!(rt(br#"{"a":["resourceType","x"],"b":"resourceType"}"#), None);
        assert_eq!(rt(br#"{"a":{"resourceType":"Patient"}}"#), None);
        assert_eq!(rt(br#"{"resourceType":7}"#), None);
        assert_eq!(rt(br#"{"resourceType":"Loc\u0061tion"}"#), None);
        assert_eq!(rt(b"[]"), None);
        assert_eq!(rt(b"}}}"), None);
        assert_eq!(rt(br#"{"resourceType":"#), None);
        assert_eq!(rt(b""), None);
    }

    /// A success answer with `body`.
    fn response(body: &str) -> super::Response {
        super::Response {
            status: 200,
            headers: http::HeaderMap::new(),
            body: super::RawBytes(bytes::Bytes::copy_from_slice(body.as_bytes())),
            trace_id: uuid::Uuid::nil(),
            interaction: crate::InteractionId::GetStructuredRecord,
        }
    }

    /// The failing field's path, found from the error's position, is the path a
    /// path-tracking parse names, on one line or many.
    #[test]
    fn a_failed_parse_names_the_field_path() {
        use crate::fhir::Location;
        let path_of = |body: &str| match response(body).resource::<Location>() {
            Err(crate::Error::Decode(d)) => match d.problem {
                super::DecodeProblem::Json { path, .. } => path,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        };
        // What a path-tracking parse (serde_path_to_error, used here before) names.
        let tracked = |body: &str| {
            let de = &mut serde_json::Deserializer::from_str(body);
            let e = serde_path_to_error::deserialize::<_, Location>(de).expect_err("a failing body");
            // It writes the top level as `.`; the error text has always used `` for it.
            Some(e.path().to_string()).filter(|p| p != ".").unwrap_or_default()
        };
        let bodies = [
            r#"{"resourceType":"Location","name":42}"#,
            "{\n  \"resourceType\": \"Location\",\n  \"name\": \"A\",\n  \"alias\": [\"b\", 7]\n}",
            "{\"resourceType\":\"Location\",\r\n\"telecom\":[{\"system\":\"phone\"},\n {\"value\":\n  {\"x\":1}}]}",
            "{\"resourceType\":\"Location\",\n\"address\":{\"line\":[\"1\",\n[2]]}}",
            "{\"resourceType\":\"Location\",\n\"name\":\"A\",\n\"name\":\"B\"}",
            "{\"resourceType\":\"Location\",\n\"name\" \"x\"}",
        ];
        let expected = ["name", "alias[1]", "telecom[1].value", "address.line[1]", "name", ""];
        for (body, expected) in bodies.into_iter().zip(expected) {
            assert_eq!(tracked(body), expected, "{body}");
            assert_eq!(path_of(body), expected, "{body}");
        }
    }

    /// `shared_bundle` answers as `resource::<Bundle>()` does, with the resources sharing the
    /// body it returns.
    #[test]
    fn a_shared_bundle_reads_as_a_resource_and_shares_the_body() {
        use crate::fhir::Bundle;
        let good = r#"{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "List", "id": "l"}}]}"#;
        let (bundle, text) = response(good).shared_bundle().unwrap();
        let list = bundle.resources().next().unwrap();
        assert_eq!((list.resource_type(), list.id()), ("List", Some("l")));
        assert!(text.as_bytes().as_ptr_range().contains(&list.raw().as_ptr()), "a stretch of the body");
        let general = response(good).resource::<Bundle>().unwrap();
        assert_eq!(serde_json::to_string(&bundle).unwrap(), serde_json::to_string(&general).unwrap());
        for bad in [
            r#"{"resourceType": "List"}"#,
            r#"{"resourceType": "Bundle", "entry": [{"resource": {"id": }}]}"#,
            r#"{"resourceType": "Bundle", "total": "many"}"#,
            r#"{"entry": [], "resourceType": "Bundle", "id": 7}"#,
            "[]",
        ] {
            let shared = response(bad).shared_bundle().map(|_| ()).unwrap_err();
            let general = response(bad).resource::<Bundle>().map(|_| ()).unwrap_err();
            assert_eq!(format!("{shared:?}"), format!("{general:?}"), "{bad}");
        }
    }
}
