//! The SSP transport against a plain wiremock server: retries, timeouts, error mapping
//! and answers that do not match the spec.

use std::time::Duration;

use gpconnect_core::error::{ConfigError, DecodeProblem, Sent};
use gpconnect_core::{
    Capability, Client, Error, ErrorKind, GpcCode, Identity, InteractionId, Provider, Request, RetryPolicy,
    ServiceRoot, SspConfig,
};
use gpconnect_testkit::{fixture, test_consumer, test_user};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ROOT: &str = "https://provider.example/A20047/STU3/1/gpconnect";

fn provider(server: &MockServer, retry: RetryPolicy, timeout: Duration) -> Provider {
    provider_at(&server.uri(), retry, timeout)
}

fn provider_at(ssp: &str, retry: RetryPolicy, timeout: Duration) -> Provider {
    let client = Client::builder()
        .ssp(
            SspConfig::new(ssp, "200000000115".parse().unwrap())
                .http(|h| h.allow_http(true).request_timeout(timeout).retry(retry)),
        )
        .consumer(test_consumer())
        .build()
        .unwrap();
    client
        .provider(&"A20047".parse().unwrap())
        .with_root(Capability::Foundations, ServiceRoot::new(ROOT, "200000000116".parse().unwrap()).unwrap())
        .with_user(test_user())
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(5),
    }
}

fn fhir(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/fhir+json;charset=utf-8")
}

const LOCATION_PATH: &str = "/https://provider.example/A20047/STU3/1/gpconnect/Location/17";

async fn read_location(p: &Provider) -> Result<gpconnect_core::Response, Error> {
    p.send(Request::get(InteractionId::ReadLocation, "Location/17")).await
}

#[tokio::test]
async fn reads_are_retried_on_503_with_a_fresh_trace_id_each_time() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LOCATION_PATH))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(LOCATION_PATH))
        .and(header("ssp-interactionid", InteractionId::ReadLocation.urn()))
        .respond_with(fhir(200, fixture("foundations__read-location-response.json")))
        .expect(1)
        .mount(&server)
        .await;

    let response = read_location(&provider(&server, fast_retries(), Duration::from_secs(5))).await.unwrap();

    let received = server.received_requests().await.unwrap();
    let traces: std::collections::HashSet<_> =
        received.iter().map(|r| r.headers.get("ssp-traceid").unwrap().to_str().unwrap().to_owned()).collect();
    assert_eq!(traces.len(), 3, "each attempt has its own Ssp-TraceID");
    assert!(traces.contains(&response.trace_id.to_string()), "the caller gets the successful attempt's trace id");
}

#[tokio::test]
async fn retries_stop_at_the_attempt_limit_and_report_the_last_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(502)).expect(3).mount(&server).await;

    let err = read_location(&provider(&server, fast_retries(), Duration::from_secs(5))).await.unwrap_err();

    assert_eq!(err.status(), Some(502));
    assert!(err.is_retryable(), "a read may be tried again later");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(fhir(200, fixture("foundations__read-location-response.json")))
        .expect(1)
        .mount(&server)
        .await;
    let policy = RetryPolicy { max_delay: Duration::from_secs(2), ..fast_retries() };

    let started = std::time::Instant::now();
    read_location(&provider(&server, policy, Duration::from_secs(5))).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(950), "waited for Retry-After");
}

#[tokio::test]
async fn writes_are_never_retried_once_sent() {
    for status in [429, 500, 502, 503] {
        let server = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(status)).expect(1).mount(&server).await;
        let p = provider(&server, fast_retries(), Duration::from_secs(5));

        let err = p.send(Request::post(InteractionId::BookAppointment, "Appointment", "{}")).await.unwrap_err();

        assert_eq!(err.status(), Some(status));
        assert!(!err.is_retryable(), "{status}: a write that reached the provider is not retryable");
        assert_eq!(err.may_have_been_sent(), status == 500 || status == 502, "{status}");
    }
}

#[tokio::test]
async fn a_write_that_times_out_has_an_unknown_outcome() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_secs(2)))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server, fast_retries(), Duration::from_millis(200));

    let err = p.send(Request::post(InteractionId::BookAppointment, "Appointment", "{}")).await.unwrap_err();

    assert!(err.is_timeout());
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    assert!(err.may_have_been_sent() && !err.is_retryable());
}

#[tokio::test]
async fn ssp_504_and_599_are_timeouts() {
    for status in [504, 599] {
        let server = MockServer::start().await;
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(status)).expect(1).mount(&server).await;
        let err = read_location(&provider(&server, RetryPolicy::none(), Duration::from_secs(5))).await.unwrap_err();
        assert!(err.is_timeout(), "{status}");
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert_eq!(err.status(), Some(status));
    }
}

#[tokio::test]
async fn a_slow_read_times_out_with_its_trace_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(fhir(200, "{}").set_delay(Duration::from_secs(2)))
        .expect(1)
        .mount(&server)
        .await;
    let err = read_location(&provider(&server, RetryPolicy::none(), Duration::from_millis(100))).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { sent: Sent::Maybe, .. }));
    assert!(err.trace_id().is_some());
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_refused_connection_was_not_sent_and_is_retryable_even_for_writes() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let p = provider_at(&url, RetryPolicy::none(), Duration::from_secs(1));
    let err = p.send(Request::post(InteractionId::BookAppointment, "Appointment", "{}")).await.unwrap_err();
    assert!(matches!(err, Error::Transport { sent: Sent::No, .. }), "{err:?}");
    assert!(err.is_retryable() && !err.may_have_been_sent());
    assert_eq!(err.kind(), ErrorKind::Transport);
}

/// Every error example of the spec maps to its status, code and kind, keeping the body.
#[tokio::test]
async fn spec_error_examples_map_to_typed_codes() {
    let cases = [
        ("error__patient-not-found__404.json", 404, GpcCode::PatientNotFound, ErrorKind::NotFound),
        ("error-1.2.8__patient-not-found__404.json", 404, GpcCode::PatientNotFound, ErrorKind::NotFound),
        ("error__no-record-found__404.json", 404, GpcCode::NoRecordFound, ErrorKind::NotFound),
        ("error__invalid-nhs-number__400.json", 400, GpcCode::InvalidNhsNumber, ErrorKind::InvalidInput),
        ("error__bad-request-jwt__400.json", 400, GpcCode::BadRequest, ErrorKind::ProviderRejected),
        ("error__no-patient-consent__403.json", 403, GpcCode::NoPatientConsent, ErrorKind::AccessDenied),
        ("error__access-denied__403.json", 403, GpcCode::AccessDenied, ErrorKind::AccessDenied),
        ("error-1.2.8__access-denied__403.json", 403, GpcCode::AccessDenied, ErrorKind::AccessDenied),
        ("error__duplicate-rejected__409.json", 409, GpcCode::DuplicateRejected, ErrorKind::Conflict),
        ("error__reference-not-found__422.json", 422, GpcCode::ReferenceNotFound, ErrorKind::ProviderRejected),
        ("error__internal-server-error__500.json", 500, GpcCode::InternalServerError, ErrorKind::ProviderRejected),
        (
            "ssp-error__sender-asid-not-authorised__403.json",
            403,
            GpcCode::SspSenderNotAuthorised,
            ErrorKind::AccessDenied,
        ),
        (
            "ssp-error__receiver-asid-not-authorised__403.json",
            403,
            GpcCode::SspReceiverNotAuthorised,
            ErrorKind::AccessDenied,
        ),
        (
            "ssp-error__sender-to-receiver-not-authorised__403.json",
            403,
            GpcCode::SspSenderToReceiverNotAuthorised,
            ErrorKind::AccessDenied,
        ),
        ("ssp-error__method-not-allowed__405.json", 405, GpcCode::SspMethodNotAllowed, ErrorKind::ProviderRejected),
        (
            "ssp-error__unsupported-media-type__415.json",
            415,
            GpcCode::SspUnsupportedMediaType,
            ErrorKind::ProviderRejected,
        ),
        ("ssp-error__error-communicating__502.json", 502, GpcCode::SspErrorCommunicating, ErrorKind::Transport),
        ("ssp-error__target-url-varies__400.fixed.json", 400, GpcCode::SspTargetUrlVaries, ErrorKind::ProviderRejected),
    ];
    for (file, status, code, kind) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET")).respond_with(fhir(status, fixture(file))).expect(1).mount(&server).await;
        let err = read_location(&provider(&server, RetryPolicy::none(), Duration::from_secs(5))).await.unwrap_err();
        assert_eq!(err.status(), Some(status), "{file}");
        assert_eq!(err.code(), Some(code.clone()), "{file}");
        assert_eq!(err.kind(), kind, "{file}");
        assert!(err.operation_outcome().is_some(), "{file}");
        let Error::Provider(p) = &err else { panic!("{file}") };
        assert_eq!(p.body.bytes(), fixture(file).as_bytes(), "{file}: raw body kept");
    }
}

#[tokio::test]
async fn a_non_fhir_error_body_is_still_a_clear_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_raw("<html><body>Bad Gateway</body></html>", "text/html"))
        .mount(&server)
        .await;
    let err = read_location(&provider(&server, RetryPolicy::none(), Duration::from_secs(5))).await.unwrap_err();
    let Error::Provider(p) = &err else { panic!("{err:?}") };
    assert_eq!((p.status, p.code.as_ref(), p.outcome.is_none()), (502, None, true));
    assert_eq!(p.content_type.as_deref(), Some("text/html"));
    assert!(p.body.text().contains("Bad Gateway"));
    assert!(err.to_string().contains("without an OperationOutcome"));
}

#[tokio::test]
async fn unusable_success_answers_are_decode_errors_not_panics() {
    let huge = format!("{{\"resourceType\":\"Location\",\"name\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    type Expect = fn(&DecodeProblem) -> bool;
    let cases: Vec<(ResponseTemplate, Expect)> = vec![
        (fhir(200, ""), |p| matches!(p, DecodeProblem::Empty | DecodeProblem::Json { .. })),
        (fhir(200, "{not json"), |p| matches!(p, DecodeProblem::Json { .. })),
        (ResponseTemplate::new(200).set_body_raw("<html></html>", "text/html"), |p| {
            matches!(p, DecodeProblem::ContentType(_))
        }),
        (fhir(200, r#"{"resourceType":"Patient","id":"1"}"#), |p| matches!(p, DecodeProblem::ResourceType { .. })),
        (
            fhir(200, r#"{"resourceType":"Location","name":42}"#),
            |p| matches!(p, DecodeProblem::Json { path, .. } if path == "name"),
        ),
        (fhir(200, &huge), |p| matches!(p, DecodeProblem::TooLarge { .. })),
    ];
    for (i, (answer, expected)) in cases.into_iter().enumerate() {
        let server = MockServer::start().await;
        Mock::given(method("GET")).respond_with(answer).mount(&server).await;
        let client = Client::builder()
            .ssp(
                SspConfig::new(server.uri(), "200000000115".parse().unwrap())
                    .http(|h| h.allow_http(true))
                    .max_response_bytes(1024 * 1024),
            )
            .consumer(test_consumer())
            .build()
            .unwrap();
        let p = client
            .provider(&"A20047".parse().unwrap())
            .with_root(Capability::Foundations, ServiceRoot::new(ROOT, "200000000116".parse().unwrap()).unwrap())
            .with_user(test_user());
        let err = p.foundations().read_location(&"17".parse().unwrap()).send().await.unwrap_err();
        let Error::Decode(d) = &err else { panic!("case {i}: {err:?}") };
        assert!(expected(&d.problem), "case {i}: {:?}", d.problem);
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.trace_id().is_some());
    }
}

#[test]
fn configuration_is_checked_before_anything_is_sent() {
    let asid = || "200000000115".parse().unwrap();
    let build = |ssp: SspConfig| Client::builder().ssp(ssp).consumer(test_consumer()).build();
    assert!(matches!(
        build(SspConfig::new("http://proxy.example", asid())),
        Err(Error::Config(ConfigError::NotHttps { .. }))
    ));
    assert!(matches!(build(SspConfig::new("proxy.example", asid())), Err(Error::Config(ConfigError::Url { .. }))));
    assert!(build(SspConfig::new("https://proxy.example", asid())).is_ok());
    assert!(matches!(
        Client::builder().consumer(test_consumer()).build(),
        Err(Error::Config(ConfigError::Missing("ssp")))
    ));

    assert!(matches!(Identity::from_pem(b"garbage", b"garbage"), Err(ConfigError::Identity { .. })));
    let fake = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let key = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert!(matches!(Identity::from_pem(fake, key), Err(ConfigError::Identity { .. })));
    assert!(matches!(
        Identity::from_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem"),
        Err(ConfigError::Identity { .. })
    ));
}

#[tokio::test]
async fn a_write_whose_success_answer_is_unreadable_has_an_unknown_outcome() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(fhir(201, "{not json")).expect(1).mount(&server).await;
    let p = provider(&server, fast_retries(), Duration::from_secs(5));

    let response = p.send(Request::post(InteractionId::BookAppointment, "Appointment", "{}")).await.unwrap();
    let err = response.json::<serde_json::Value>().unwrap_err();

    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown, "the booking happened; its result is unknown");
    assert!(err.may_have_been_sent() && !err.is_retryable());
}

#[tokio::test]
async fn decode_errors_never_quote_the_offending_value() {
    let server = MockServer::start().await;
    let body = r#"{"resourceType":"Location","id":"17","managingOrganization":"9690937286"}"#;
    Mock::given(method("GET")).respond_with(fhir(200, body)).expect(1).mount(&server).await;

    let err = read_location(&provider(&server, RetryPolicy::none(), Duration::from_secs(5)))
        .await
        .unwrap()
        .resource::<gpconnect_core::fhir::Location>()
        .unwrap_err();

    let Error::Decode(d) = &err else { panic!("{err:?}") };
    assert!(matches!(&d.problem, DecodeProblem::Json { path, .. } if path == "managingOrganization"));
    assert!(!format!("{err} {err:?}").contains("9690937286"));
}
