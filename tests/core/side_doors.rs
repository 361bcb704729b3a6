//! No side doors: redirects are never followed (SSP and SDS), error texts carry no URL,
//! query, diagnostics or unknown code, and SDS answers are read like SSP answers (body
//! limit, retry policy).

use std::time::Duration;

use gpconnect_core::error::{DirectoryProblem, Sent};
use gpconnect_core::sds::SdsConfig;
use gpconnect_core::{
    Capability, Client, Error, InteractionId, NhsNumber, Provider, RetryPolicy, ServiceRoot, SspConfig,
};
use gpconnect_testkit::{test_consumer, test_user};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ROOT: &str = "https://provider.example/A20047/STU3/1/gpconnect";
const NHS: &str = "9690937286";

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_elapsed: Duration::from_secs(5),
    }
}

fn client(ssp: &str, sds: Option<&str>, retry: RetryPolicy, max_body: usize) -> Client {
    let mut builder = Client::builder()
        .ssp(
            SspConfig::new(ssp, "200000000115".parse().unwrap())
                .http(|h| h.allow_http(true).retry(retry))
                .max_response_bytes(max_body),
        )
        .consumer(test_consumer());
    if let Some(sds) = sds {
        builder = builder.sds(SdsConfig::new(sds, "secret-api-key"));
    }
    builder.build().unwrap()
}

fn by_hand(client: &Client) -> Provider {
    client
        .provider(&"A20047".parse().unwrap())
        .with_root(Capability::Foundations, ServiceRoot::new(ROOT, "200000000116".parse().unwrap()).unwrap())
        .with_user(test_user())
}

fn nhs() -> NhsNumber {
    NhsNumber::parse(NHS).unwrap()
}

fn assert_clean(text: &str) {
    for secret in [NHS, "nhs-number", "secret-api-key", "Bearer", "echoed", "UNKNOWN_CODE"] {
        assert!(!text.contains(secret), "`{secret}` in {text}");
    }
}

#[tokio::test]
async fn an_ssp_redirect_is_a_typed_error_and_never_followed() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&elsewhere).await;
    for status in [301, 302, 303, 307, 308] {
        let ssp = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).insert_header("location", format!("{}/steal", elsewhere.uri())))
            .expect(1)
            .mount(&ssp)
            .await;
        let p = by_hand(&client(&ssp.uri(), None, fast(), 1 << 20));

        let err = p.foundations().find_patient(&nhs()).send().await.unwrap_err();

        assert!(matches!(err, Error::Redirected { status: s, .. } if s == status), "{err:?}");
        assert_eq!(err.status(), Some(status));
        assert!(err.to_string().contains(&status.to_string()), "{err}");
        assert!(!err.is_retryable() && !err.may_have_been_sent());
        assert!(err.trace_id().is_some());
        assert_clean(&format!("{err} {err:?}"));
    }
}

#[tokio::test]
async fn a_write_answered_with_307_is_not_re_sent_anywhere() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(201)).expect(0).mount(&elsewhere).await;
    let ssp = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", format!("{}/Appointment", elsewhere.uri())))
        .expect(1)
        .mount(&ssp)
        .await;
    let p = by_hand(&client(&ssp.uri(), None, fast(), 1 << 20));
    let err =
        p.send(gpconnect_core::Request::post(InteractionId::BookAppointment, "Appointment", "{}")).await.unwrap_err();
    assert!(matches!(err, Error::Redirected { status: 307, .. }), "{err:?}");
}

#[tokio::test]
async fn transport_errors_name_no_url_or_query() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let p = by_hand(&client(&url, None, RetryPolicy::none(), 1 << 20));

    let err = p.foundations().find_patient(&nhs()).send().await.unwrap_err();

    let Error::Transport { source, sent, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*sent, Sent::No);
    assert_eq!(source.category(), gpconnect_core::error::TransportCategory::Connect);
    let mut chain = format!("{err} {err:?}");
    let mut cause = std::error::Error::source(&err);
    while let Some(c) = cause {
        chain.push_str(&format!(" {c} {c:?}"));
        cause = c.source();
    }
    assert_clean(&chain);
    assert!(!chain.contains("identifier"), "{chain}");
}

#[tokio::test]
async fn provider_errors_never_print_diagnostics_or_unknown_codes() {
    let ssp = MockServer::start().await;
    let outcome = format!(
        r#"{{"resourceType":"OperationOutcome","issue":[{{"severity":"error","code":"invalid",
        "details":{{"coding":[{{"system":"https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
        "code":"UNKNOWN_CODE_{NHS}"}}]}},"diagnostics":"echoed {NHS} Jones"}}]}}"#
    );
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(outcome, "application/fhir+json"))
        .expect(1)
        .mount(&ssp)
        .await;
    let p = by_hand(&client(&ssp.uri(), None, fast(), 1 << 20));

    let err = p.foundations().find_patient(&nhs()).send().await.unwrap_err();

    let Error::Provider(provider) = &err else { panic!("{err:?}") };
    assert_eq!(provider.code.as_ref().map(|c| c.as_str().to_owned()), Some(format!("UNKNOWN_CODE_{NHS}")));
    assert_eq!(provider.diagnostics(), [format!("echoed {NHS} Jones").as_str()], "kept, behind an accessor");
    assert_clean(&format!("{err} {err:?} {provider} {provider:?}"));
}

fn sds_bundle(resource: &str) -> String {
    match resource {
        "Endpoint" => format!(
            r#"{{"resourceType":"Bundle","type":"searchset","entry":[{{"resource":{{"resourceType":"Endpoint",
            "address":"{ROOT}","identifier":[{{"system":"https://fhir.nhs.uk/Id/nhsMhsPartyKey","value":"A20047-821870"}}]}}}}]}}"#
        ),
        _ => r#"{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Device",
            "identifier":[{"system":"https://fhir.nhs.uk/Id/nhsSpineASID","value":"200000000116"}]}}]}"#
            .to_owned(),
    }
}

fn sds_ok(resource: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(sds_bundle(resource), "application/fhir+json")
}

async fn sds_provider(sds: &MockServer, retry: RetryPolicy, max_body: usize) -> Provider {
    client("http://127.0.0.1:9", Some(&sds.uri()), retry, max_body)
        .provider(&"A20047".parse().unwrap())
        .with_user(test_user())
}

#[tokio::test]
async fn an_sds_redirect_is_a_typed_error_and_never_followed() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET")).respond_with(sds_ok("Endpoint")).expect(0).mount(&elsewhere).await;
    let sds = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", format!("{}/Endpoint", elsewhere.uri())))
        .expect(1)
        .mount(&sds)
        .await;
    let p = sds_provider(&sds, fast(), 1 << 20).await;

    let err = p.service_root(InteractionId::ReadLocation).await.unwrap_err();

    let Error::Directory(d) = &err else { panic!("{err:?}") };
    assert_eq!(d.problem, DirectoryProblem::Redirected { status: 302 });
    assert!(err.to_string().contains("302"), "{err}");
    assert_clean(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn sds_retries_with_the_clients_policy() {
    let sds = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Endpoint"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&sds)
        .await;
    Mock::given(method("GET")).and(path("/Endpoint")).respond_with(sds_ok("Endpoint")).expect(1).mount(&sds).await;
    Mock::given(method("GET")).and(path("/Device")).respond_with(sds_ok("Device")).expect(1).mount(&sds).await;
    let root = sds_provider(&sds, fast(), 1 << 20).await.service_root(InteractionId::ReadLocation).await.unwrap();
    assert_eq!(root.url, ROOT);

    let once = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(503)).expect(1).mount(&once).await;
    let err = sds_provider(&once, RetryPolicy::none(), 1 << 20)
        .await
        .service_root(InteractionId::ReadLocation)
        .await
        .unwrap_err();
    let Error::Directory(d) = &err else { panic!("{err:?}") };
    assert_eq!(d.problem, DirectoryProblem::Refused { status: 503 });
}

#[tokio::test]
async fn sds_answers_are_read_with_the_body_limit() {
    let sds = MockServer::start().await;
    let padded = sds_bundle("Endpoint").replacen('{', &format!("{{\"pad\":\"{}\",", "x".repeat(64 * 1024)), 1);
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(padded, "application/fhir+json"))
        .expect(1)
        .mount(&sds)
        .await;
    let err = sds_provider(&sds, fast(), 16 * 1024).await.service_root(InteractionId::ReadLocation).await.unwrap_err();
    let Error::Directory(d) = &err else { panic!("{err:?}") };
    assert_eq!(d.problem, DirectoryProblem::BadAnswer);
}
