//! Wire tests for `POST Patient/$gpc.migratestructuredrecord` through the testkit mock.

use gpconnect_core::jwt::Confidentiality;
use gpconnect_core::{ErrorKind, GpcCode, InteractionId, NhsNumber, Request};
use gpconnect_structured::{Sensitive, StructuredExt, StructuredRecord};
use gpconnect_testkit::fixtures::fixture_json;
use gpconnect_testkit::MockSpine;
use serde_json::{json, Value};

const FULL_RECORD: &str = "access-record__POST_Patient-gpc-getstructuredrecord__response-200__fullRecordResponse.json";

fn nhs() -> NhsNumber {
    NhsNumber::parse("9690937286").unwrap()
}

/// Checks the one request the mock received: method, path, headers, JWT (reason and
/// `scope`) and returns the body.
async fn single_request(spine: &MockSpine, scope: &str) -> Value {
    let received: Vec<_> =
        spine.received().await.into_iter().filter(|r| r.target == gpconnect_testkit::Target::Ssp).collect();
    assert_eq!(received.len(), 1, "{received:?}");
    let r = &received[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.fhir_path, "Patient/$gpc.migratestructuredrecord");
    assert_eq!(r.interaction, Some(InteractionId::MigrateStructuredRecord));
    assert_eq!(
        r.header("ssp-interactionid"),
        Some("urn:nhs:names:services:gpconnect:fhir:operation:gpc.migratestructuredrecord-1")
    );
    assert_eq!(r.header("content-type"), Some("application/fhir+json;charset=utf-8"));
    assert_eq!(r.header("accept"), Some("application/fhir+json;charset=utf-8"));
    assert!(r.header("ssp-traceid").is_some() && r.header("ssp-from").is_some() && r.header("ssp-to").is_some());
    let claims = r.claims.as_ref().expect("a decoded JWT");
    assert_eq!(claims["reason_for_request"], "migration");
    assert_eq!(claims["requested_scope"], scope);
    r.body.clone().expect("a JSON body")
}

fn nhs_parameter(value: &str) -> Value {
    json!({"name": "patientNHSNumber", "valueIdentifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": value}})
}

#[tokio::test]
async fn migrate_with_sensitive_information_sends_conf_r_and_reads_the_full_record() {
    let spine = MockSpine::start().await;
    let record = spine
        .provider()
        .structured()
        .migrate_record(&nhs())
        .sensitive_information(Sensitive::Include)
        .send()
        .await
        .unwrap();
    let body = single_request(&spine, "patient/*.read conf/R").await;
    assert_eq!(body["resourceType"], "Parameters");
    let p = body["parameter"].as_array().unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p[0], nhs_parameter("9690937286"));
    assert_eq!(
        p[1],
        json!({"name": "includeFullRecord", "part": [{"name": "includeSensitiveInformation", "valueBoolean": true}]})
    );
    assert_eq!(record.medications().len(), 3);
    assert_eq!(record.consultations().len(), 49);
    assert_eq!(record.patient().and_then(|p| p.nhs_number()), Some("9690937286"));
    assert!(!record.trace_id.is_nil());
}

#[tokio::test]
async fn migrate_excludes_sensitive_information_by_default_with_conf_n() {
    let spine = MockSpine::start().await;
    let record = spine.provider().structured().migrate_record(&nhs()).send().await.unwrap();
    let body = single_request(&spine, "patient/*.read conf/N").await;
    let p = body["parameter"].as_array().unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p[0], nhs_parameter("9690937286"));
    assert_eq!(
        p[1],
        json!({"name": "includeFullRecord", "part": [{"name": "includeSensitiveInformation", "valueBoolean": false}]})
    );
    assert_eq!(record.medications().len(), 3);
    assert!(record.allergies().is_present());
}

#[tokio::test]
async fn explicit_exclude_is_the_default() {
    let spine = MockSpine::start().await;
    spine
        .provider()
        .structured()
        .migrate_record(&nhs())
        .sensitive_information(Sensitive::Exclude)
        .send()
        .await
        .unwrap();
    let body = single_request(&spine, "patient/*.read conf/N").await;
    assert_eq!(body["parameter"][1]["part"][0]["valueBoolean"], false);
}

#[test]
fn parameters_match_the_spec_request_example_field_by_field() {
    let spec = fixture_json("structured__request__migrate-structured-record.json");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let spine = rt.block_on(MockSpine::start());
    let nhs = NhsNumber::parse("9999999999").unwrap();
    let builder = spine.provider().structured().migrate_record(&nhs).sensitive_information(Sensitive::Include);
    assert_eq!(builder.confidentiality(), Confidentiality::Restricted);
    let ours = builder.parameters();
    assert_eq!(ours["resourceType"], spec["resourceType"]);
    let (o, s) = (ours["parameter"].as_array().unwrap(), spec["parameter"].as_array().unwrap());
    assert_eq!(o.len(), s.len());
    assert_eq!(o[0]["name"], s[0]["name"]);
    assert_eq!(o[0]["valueIdentifier"]["system"], s[0]["valueIdentifier"]["system"]);
    assert_eq!(o[0]["valueIdentifier"]["value"], s[0]["valueIdentifier"]["value"]);
    assert_eq!(o[1]["name"], s[1]["name"]);
    assert_eq!(o[1]["part"], s[1]["part"]);
    assert_eq!(ours, spec);
    let excluded = spine.provider().structured().migrate_record(&nhs);
    assert_eq!(excluded.confidentiality(), Confidentiality::Normal);
    assert_eq!(excluded.parameters()["parameter"][1]["part"][0]["valueBoolean"], false);
}

#[tokio::test]
async fn unknown_patient_is_not_found() {
    let spine = MockSpine::start().await;
    let err = spine
        .provider()
        .structured()
        .migrate_record(&NhsNumber::parse("9999999999").unwrap())
        .sensitive_information(Sensitive::Include)
        .send()
        .await
        .unwrap_err();
    single_request(&spine, "patient/*.read conf/R").await;
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some(GpcCode::PatientNotFound));
}

#[tokio::test]
async fn testkit_answers_conflicting_values_for_sensitive_information_without_conf_r() {
    // A hand-made request the builder cannot express: sensitive information with conf/N.
    let spine = MockSpine::start().await;
    let body = json!({"resourceType": "Parameters", "parameter": [
        nhs_parameter("9690937286"),
        {"name": "includeFullRecord", "part": [{"name": "includeSensitiveInformation", "valueBoolean": true}]},
    ]});
    let request = Request::post(
        InteractionId::MigrateStructuredRecord,
        "Patient/$gpc.migratestructuredrecord",
        serde_json::to_vec(&body).unwrap(),
    )
    .confidentiality(Confidentiality::Normal);
    let err = spine.provider().send(request).await.unwrap_err();
    single_request(&spine, "patient/*.read conf/N").await;
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some(GpcCode::ConflictingValues));
}

#[test]
fn nopat_labelled_resources_are_kept_and_listed() {
    let mut bundle = fixture_json(FULL_RECORD);
    let entries = bundle["entry"].as_array_mut().unwrap();
    let statement = entries
        .iter_mut()
        .map(|e| &mut e["resource"])
        .find(|r| r["resourceType"] == "MedicationStatement")
        .expect("a MedicationStatement");
    let id = statement["id"].as_str().unwrap().to_owned();
    statement["meta"]["security"] =
        json!([{"system": "http://hl7.org/fhir/v3/ActCode", "code": "NOPAT", "display": "no disclosure to patient"}]);
    let plain = StructuredRecord::from_slice(fixture_json(FULL_RECORD).to_string().as_bytes()).unwrap();
    assert!(plain.not_for_patient().is_empty());
    let record = StructuredRecord::from_slice(bundle.to_string().as_bytes()).unwrap();
    assert_eq!(record.not_for_patient(), vec![format!("MedicationStatement/{id}")]);
    assert_eq!(record.medications().len(), plain.medications().len(), "NOPAT items are not dropped");
}
