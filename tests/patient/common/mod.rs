//! Shared test set-up: the testkit's token endpoint, a wiremock API server, a patient
//! session, and checks of every header the platform transport sends.
#![allow(dead_code)]

use std::time::Duration;

use gpconnect_core::platform::{PatientSession, PlatformApi, PlatformClient, PlatformConfig};
use gpconnect_core::RetryPolicy;
use gpconnect_testkit::platform::{id_token, MockTokenEndpoint, TEST_NHS_NUMBER};
use serde_json::Value;
use uuid::Uuid;
use wiremock::{matchers, Mock, MockServer, Request, ResponseTemplate};

pub const NHS: &str = TEST_NHS_NUMBER;
pub const FHIR_JSON: &str = "application/fhir+json";

/// The token endpoint, one mock API server and a session of the test patient.
pub struct Harness {
    pub tokens: MockTokenEndpoint,
    pub api: MockServer,
    pub session: PatientSession,
}

impl Harness {
    pub async fn start(api: PlatformApi) -> Self {
        Self::with_id_token(api, id_token().build()).await
    }

    pub async fn with_id_token(api: PlatformApi, token: String) -> Self {
        let tokens = MockTokenEndpoint::start().await;
        let server = MockServer::start().await;
        let config = fast(tokens.config()).api_base(api, server.uri());
        let client = PlatformClient::new(config).unwrap();
        let session = client.log_in(token, None).await.unwrap();
        Self { tokens, api: server, session }
    }

    /// Answers `method` requests to `path` with `response`, and fails the test unless
    /// exactly one such request arrives.
    pub async fn answer_once(&self, method: &str, path: impl Into<String>, response: ResponseTemplate) {
        Mock::given(matchers::method(method))
            .and(matchers::path(path))
            .respond_with(response)
            .expect(1)
            .mount(&self.api)
            .await;
    }

    /// Every request the API server received.
    pub async fn received(&self) -> Vec<Request> {
        self.api.received_requests().await.unwrap_or_default()
    }

    /// Checks every header of each request the API received and returns their
    /// `X-Request-ID`s.
    pub async fn checked(&self, correlation: Option<&str>) -> Vec<Uuid> {
        let received = self.received().await;
        assert!(!received.is_empty(), "the API received nothing");
        received.iter().map(|r| check_headers(r, &self.tokens, correlation)).collect()
    }
}

/// Retries quickly in tests.
pub fn fast(config: PlatformConfig) -> PlatformConfig {
    config.http(|h| {
        h.retry(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_elapsed: Duration::from_secs(5),
        })
    })
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Every header the spec asks for, exactly: `Authorization` with a token the endpoint
/// issued, a UUID v4 `X-Request-ID`, `X-Correlation-ID` only when set, `Accept` and (with
/// a body) `Content-Type` `application/fhir+json`, and nothing of the SSP or the proxy.
pub fn check_headers(request: &Request, tokens: &MockTokenEndpoint, correlation: Option<&str>) -> Uuid {
    let auth = header(request, "authorization").expect("Authorization");
    let token = auth.strip_prefix("Bearer ").expect("a Bearer token");
    assert!(tokens.is_valid(token), "a token the endpoint issued");
    let id = Uuid::parse_str(header(request, "x-request-id").expect("X-Request-ID")).expect("a UUID");
    assert_eq!(id.get_version_num(), 4, "X-Request-ID is a version 4 UUID");
    assert_eq!(header(request, "x-correlation-id"), correlation);
    assert_eq!(header(request, "accept"), Some(FHIR_JSON));
    if request.body.is_empty() {
        assert_eq!(header(request, "content-type"), None);
    } else {
        assert_eq!(header(request, "content-type"), Some(FHIR_JSON));
    }
    for forbidden in ["ssp-traceid", "ssp-from", "ssp-to", "ssp-interactionid", "interaction-id", "nhsd-session-urid"] {
        assert!(request.headers.get(forbidden).is_none(), "{forbidden} must not be sent");
    }
    id
}

/// The query parameters of a request, in order.
pub fn query(request: &Request) -> Vec<(String, String)> {
    request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// A spec example payload from `tests/fixtures/`.
pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/patient/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A spec example payload as JSON.
pub fn fixture_json(path: &str) -> Value {
    serde_json::from_slice(&fixture(path)).unwrap()
}

/// An answer with a spec example payload.
pub fn answer(status: u16, path: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(path), FHIR_JSON)
}

/// The body of a request as JSON.
pub fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("a JSON body")
}
