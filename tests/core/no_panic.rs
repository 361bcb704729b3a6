//! No setting or answer makes the SDK panic: the largest timeouts, retry delays, cache
//! lifetimes and `Retry-After`, and concurrent SDS misses (one look-up per key).

use std::time::Duration;

use gpconnect_core::sds::SdsConfig;
use gpconnect_core::{Capability, Client, Error, InteractionId, NhsNumber, RetryPolicy, ServiceRoot, SspConfig};
use gpconnect_testkit::{test_consumer, test_user};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ROOT: &str = "https://provider.example/A20047/STU3/1/gpconnect";

fn extreme() -> RetryPolicy {
    RetryPolicy {
        max_attempts: u32::MAX,
        base_delay: Duration::MAX,
        max_delay: Duration::MAX,
        max_elapsed: Duration::from_secs(3600),
    }
}

fn client(ssp: &str, sds: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .ssp(
            SspConfig::new(ssp, "200000000115".parse().unwrap()).http(|h| {
                h.allow_http(true).retry(retry).connect_timeout(Duration::MAX).request_timeout(Duration::MAX)
            }),
        )
        .sds(SdsConfig::new(sds, "secret-api-key").cache_ttl(Duration::MAX).timeout(Duration::MAX))
        .consumer(test_consumer())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_largest_timeouts_and_a_huge_retry_after_do_not_panic() {
    let ssp = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"/provider\.example/A20047/STU3/1/gpconnect/Patient$"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", u64::MAX.to_string()))
        .expect(1)
        .mount(&ssp)
        .await;
    let p = client(&ssp.uri(), "http://127.0.0.1:9", extreme())
        .provider(&"A20047".parse().unwrap())
        .with_root(Capability::Foundations, ServiceRoot::new(ROOT, "200000000116".parse().unwrap()).unwrap())
        .with_user(test_user());

    let nhs = NhsNumber::parse("9690937286").unwrap();
    let err = p.foundations().find_patient(&nhs).send().await.unwrap_err();

    // elapsed + Retry-After saturates past max_elapsed: no retry, no overflow.
    let Error::Provider(e) = &err else { panic!("{err:?}") };
    assert_eq!((e.status, e.retry_after), (503, Some(Duration::from_secs(u64::MAX))));
}

fn sds_ok(resource: &str) -> ResponseTemplate {
    let body = match resource {
        "Endpoint" => format!(
            r#"{{"resourceType":"Bundle","entry":[{{"resource":{{"resourceType":"Endpoint","address":"{ROOT}"}}}}]}}"#
        ),
        _ => r#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Device",
            "identifier":[{"system":"https://fhir.nhs.uk/Id/nhsSpineASID","value":"200000000116"}]}}]}"#
            .to_owned(),
    };
    ResponseTemplate::new(200).set_body_raw(body, "application/fhir+json").set_delay(Duration::from_millis(200))
}

#[tokio::test]
async fn concurrent_sds_misses_for_one_key_make_one_look_up() {
    let sds = MockServer::start().await;
    Mock::given(method("GET")).and(path("/Endpoint")).respond_with(sds_ok("Endpoint")).expect(2).mount(&sds).await;
    Mock::given(method("GET")).and(path("/Device")).respond_with(sds_ok("Device")).expect(2).mount(&sds).await;
    let client = client("http://127.0.0.1:9", &sds.uri(), RetryPolicy::none());
    let p = client.provider(&"A20047".parse().unwrap());

    // Eight callers for one key, four for another: one look-up each key.
    let calls = (0..12).map(|i| {
        let p = p.clone();
        let interaction = if i % 3 == 0 { InteractionId::ReadLocation } else { InteractionId::ReadPatient };
        async move { p.service_root(interaction).await }
    });
    let roots = futures_util::future::join_all(calls).await;

    for root in roots {
        assert_eq!(root.unwrap().url, ROOT);
    }
}
