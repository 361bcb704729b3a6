//! The log of requests the testkit answered.

use std::fmt;

use gpconnect_core::InteractionId;

/// What the testkit answered a request with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed and the route answered (2xx).
    Accepted,
    /// The request was answered with an error.
    Rejected {
        /// HTTP status sent.
        status: u16,
        /// The Spine code (`BAD_REQUEST`, `INVALID_RESOURCE` ...), the SSP error kind
        /// (`ASID_CHECK_FAILED_MESSAGESENDER` ...) or the SDS error code.
        code: String,
        /// The diagnostics sent (never an NHS number).
        diagnostics: String,
    },
}

impl Verdict {
    /// Whether the request was accepted.
    pub fn is_accepted(&self) -> bool {
        matches!(self, Verdict::Accepted)
    }

    /// The error code, if the request was rejected.
    pub fn code(&self) -> Option<&str> {
        match self {
            Verdict::Accepted => None,
            Verdict::Rejected { code, .. } => Some(code),
        }
    }
}

/// Which part of the mock a request was addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// The SSP, on to a GP Connect provider service root.
    Ssp,
    /// The SDS FHIR API (`/spine-directory/FHIR/R4/...`).
    Sds,
}

/// One request the testkit's catch-all route answered, decoded.
///
/// Requests answered by a test's own higher-priority mocks are not here; see
/// `MockSpine::server()` and `wiremock::MockServer::received_requests`.
///
/// `Debug` leaves out query values, headers, claims and the body: they can hold NHS
/// numbers and names.
#[derive(Clone)]
pub struct ReceivedRequest {
    /// Which part of the mock was addressed.
    pub target: Target,
    /// HTTP method (`GET`, `POST`, `PUT` ...).
    pub method: String,
    /// The full request path as received (percent-encoded, without the query).
    pub path: String,
    /// The provider service root the request was sent to (`https://...`), if the path
    /// carried one; for SDS requests the SDS base path.
    pub service_root: Option<String>,
    /// The FHIR path after the service root (`Patient`, `Patient/2`, `metadata` ...),
    /// without a leading `/`.
    pub fhir_path: String,
    /// Decoded query pairs in order; repeated parameters are kept.
    pub query: Vec<(String, String)>,
    /// The query string exactly as received (percent-encoded, without the `?`), to check
    /// the wire form (`_include:recurse=...`, `ge2019-03-29T12%3A00%3A00%2B00%3A00`).
    pub raw_query: String,
    /// Headers, names in lower case, in order received.
    pub headers: Vec<(String, String)>,
    /// The `Ssp-InteractionID`, if present and known.
    pub interaction: Option<InteractionId>,
    /// The decoded JWT payload, if the `Authorization` header carried a decodable token.
    pub claims: Option<serde_json::Value>,
    /// The request body, if it was JSON.
    pub body: Option<serde_json::Value>,
    /// What the testkit answered.
    pub verdict: Verdict,
}

impl ReceivedRequest {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// Every value of query parameter `name`.
    pub fn query_values(&self, name: &str) -> Vec<&str> {
        self.query.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }
}

impl fmt::Debug for ReceivedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query_names: Vec<&str> = self.query.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("ReceivedRequest")
            .field("target", &self.target)
            .field("method", &self.method)
            .field("service_root", &self.service_root)
            .field("fhir_path", &self.fhir_path)
            .field("query_names", &query_names)
            .field("interaction", &self.interaction)
            .field("has_claims", &self.claims.is_some())
            .field("has_body", &self.body.is_some())
            .field("verdict", &self.verdict)
            .finish_non_exhaustive()
    }
}
