//! Personal data never reaches logs or `Debug` output: a full run with a known NHS number,
//! all tracing output captured at TRACE level, every result and error formatted with `Debug`.

use gpconnect_core::{InteractionId, NhsNumber, Request};
use gpconnect_testkit::MockSpine;

#[path = "../support/logs.rs"]
mod logs;
use logs::Logs;

#[tokio::test]
async fn nhs_numbers_names_and_tokens_never_reach_logs_or_debug() {
    let (capture, _guard) = Logs::capture_trace();

    let spine = MockSpine::start().await;
    let provider = spine.provider();
    let nhs = NhsNumber::parse("969 093 7286").unwrap();
    let mut debug = Vec::new();

    let found = provider.foundations().find_patient(&nhs).send().await.unwrap().transpose().expect("patient");
    debug.push(format!("{found:?} {nhs:?} {nhs} {provider:?} {:?}", provider.client()));
    let received = spine.received().await;
    let token_fragment = received.iter().find_map(|r| r.header("authorization")).expect("a token").to_owned();

    let request = Request::get(InteractionId::SearchPatient, "Patient")
        .query("identifier", format!("https://fhir.nhs.uk/Id/nhs-number|{}", nhs.expose()));
    debug.push(format!("{request:?}"));
    let response = provider.send(request).await.unwrap();
    debug.push(format!("{response:?}"));

    let errors = [
        provider.foundations().read_patient(&"no-such-patient".parse().unwrap()).send().await.unwrap_err(),
        provider
            .send(
                Request::get(InteractionId::SearchPatient, "Patient")
                    .query("identifier", "https://fhir.nhs.uk/Id/nhs-number|9690937287"),
            )
            .await
            .unwrap_err(),
    ];
    for e in &errors {
        debug.push(format!("{e:?} {e}"));
    }
    debug.push(format!("{:?}", gpconnect_testkit::test_user()));
    debug.push(format!("{:?}", spine.received().await));

    let logs = capture.text();
    assert!(logs.contains("gpconnect.request"), "the request span was logged");
    assert!(logs.contains(InteractionId::SearchPatient.urn()), "spans carry the interaction");
    let everything = format!("{logs}\n{}", debug.join("\n"));
    for secret in
        ["9690937286", "969 093 7286", "9690937287", "Jackson", "Jane", "Claire", "Jones", &token_fragment[7..40]]
    {
        assert!(!everything.contains(secret), "{secret:?} leaked");
    }
}
