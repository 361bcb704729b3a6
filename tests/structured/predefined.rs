//! Wire tests for the 1.5.x / 1.6.x request forms: the predefined multi-area searches,
//! repeated `includeProblems`, and `includePrescriptionIssues` sent explicitly.

use chrono::Duration;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::{Error, InteractionId, NhsNumber};
use gpconnect_structured::{
    Consultations, MedicationOptions, PredefinedSearch, PrescriptionIssues, ProblemOptions, ProblemSignificance,
    ProblemStatus, StructuredExt,
};
use gpconnect_testkit::fixtures::fixture_json;
use gpconnect_testkit::{MockSpine, ReceivedRequest, Target};
use serde_json::{json, Value};

fn nhs() -> NhsNumber {
    NhsNumber::parse("9690937286").unwrap()
}

async fn the_request(spine: &MockSpine) -> ReceivedRequest {
    let received: Vec<_> = spine.received().await.into_iter().filter(|r| r.target == Target::Ssp).collect();
    let [r] = received.as_slice() else { panic!("one request: {received:?}") };
    assert!(r.verdict.is_accepted(), "the mock provider refused it: {:?}", r.verdict);
    assert_eq!(r.method, "POST");
    assert_eq!(r.fhir_path, "Patient/$gpc.getstructuredrecord");
    assert_eq!(r.header("ssp-interactionid"), Some(InteractionId::GetStructuredRecord.urn()));
    assert_eq!(r.header("content-type"), Some("application/fhir+json;charset=utf-8"));
    let claims = r.claims.as_ref().expect("a JWT");
    assert_eq!(claims["requested_scope"], "patient/*.read");
    assert_eq!(claims["reason_for_request"], "directcare");
    r.clone()
}

fn parameter_error(err: Error) -> &'static str {
    match err {
        Error::InvalidInput(InvalidInput::Parameter { parameter, .. }) => parameter,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

/// The spec's predefined request with the NHS number, the date and the explicit
/// `includePrescriptionIssues` filled in.
fn spec_request(fixture: &str) -> Value {
    let mut spec = fixture_json(fixture);
    let from = (gpconnect_core::uk::today() - Duration::days(365)).to_string();
    for p in spec["parameter"].as_array_mut().unwrap() {
        if p["name"] == "patientNHSNumber" {
            p["valueIdentifier"]["value"] = json!("9690937286");
        }
        if p["name"] == "includeMedication" {
            p["part"][0]["valueDate"] = json!(from);
            p["part"].as_array_mut().unwrap().push(json!({"name": "includePrescriptionIssues", "valueBoolean": true}));
        }
    }
    spec
}

fn sorted(mut body: Value) -> Vec<Value> {
    let mut p = body["parameter"].as_array_mut().map(std::mem::take).unwrap_or_default();
    p.sort_by_key(|v| v["name"].as_str().unwrap_or_default().to_owned());
    p
}

#[tokio::test]
async fn the_predefined_searches_send_the_specs_requests_and_providers_accept_them() {
    for (search, fixture) in [
        (PredefinedSearch::RecentSummary, "structured__request__predefined-search-1.json"),
        (PredefinedSearch::RecentSummaryWithImmunisations, "structured__request__predefined-search-2.json"),
    ] {
        let spine = MockSpine::start().await;
        spine.provider().structured().predefined_search(&nhs(), search).send().await.unwrap();
        let body = the_request(&spine).await.body.unwrap();
        assert_eq!(sorted(body), sorted(spec_request(fixture)), "{search:?}");
    }
}

#[tokio::test]
async fn the_same_combination_built_by_hand_or_a_changed_predefined_search_stays_forbidden() {
    let spine = MockSpine::start().await;
    let since = gpconnect_core::uk::today() - Duration::days(365);
    let structured = spine.provider().structured();
    let by_hand = structured
        .get_record(&nhs())
        .include_consultations(Consultations::MostRecent(3))
        .include_medication(since)
        .send()
        .await
        .unwrap_err();
    assert_eq!(parameter_error(by_hand), "medicationSearchFromDate");
    let changed = structured
        .predefined_search(&nhs(), PredefinedSearch::RecentSummary)
        .include_problems(ProblemOptions::all().status(ProblemStatus::Active))
        .send()
        .await
        .unwrap_err();
    assert_eq!(parameter_error(changed), "medicationSearchFromDate");
    assert!(spine.received().await.iter().all(|r| r.target != Target::Ssp), "nothing sent");
}

#[tokio::test]
async fn repeated_include_problems_send_one_parameter_per_filter_pair() {
    let spine = MockSpine::start().await;
    let major = ProblemOptions::all().significance(ProblemSignificance::Major);
    spine
        .provider()
        .structured()
        .get_record(&nhs())
        .include_problem_sets(&[major.status(ProblemStatus::Active), major.status(ProblemStatus::Inactive)])
        .send()
        .await
        .unwrap();
    let body = the_request(&spine).await.body.unwrap();
    assert_eq!(
        body["parameter"].as_array().unwrap()[1..],
        [
            json!({"name": "includeProblems", "part": [
                {"name": "filterStatus", "valueCode": "active"},
                {"name": "filterSignificance", "valueCode": "major"}]}),
            json!({"name": "includeProblems", "part": [
                {"name": "filterStatus", "valueCode": "inactive"},
                {"name": "filterSignificance", "valueCode": "major"}]}),
        ]
    );

    let structured = spine.provider().structured();
    let same = structured.get_record(&nhs()).include_problem_sets(&[major, major]).send().await.unwrap_err();
    assert_eq!(parameter_error(same), "includeProblems");
    let bare = structured.get_record(&nhs()).include_problem_sets(&[major, ProblemOptions::all()]);
    assert_eq!(parameter_error(bare.send().await.unwrap_err()), "includeProblems");
    let with_consultations = structured
        .get_record(&nhs())
        .include_consultations(Consultations::All)
        .include_problem_sets(&[major, ProblemOptions::all().significance(ProblemSignificance::Minor)]);
    assert_eq!(parameter_error(with_consultations.send().await.unwrap_err()), "filterSignificance");
}

#[tokio::test]
async fn include_prescription_issues_is_always_sent_true_unless_the_caller_says_otherwise() {
    for (options, want) in [
        (MedicationOptions::all(), true),
        (MedicationOptions::all().prescription_issues(PrescriptionIssues::Exclude), false),
    ] {
        let spine = MockSpine::start().await;
        spine.provider().structured().get_record(&nhs()).include_medication(options).send().await.unwrap();
        let body = the_request(&spine).await.body.unwrap();
        assert_eq!(
            body["parameter"][1],
            json!({"name": "includeMedication", "part": [{"name": "includePrescriptionIssues", "valueBoolean": want}]})
        );
    }
}
