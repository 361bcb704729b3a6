//! Right patient, item by item: a structured record whose clinical items name another
//! patient (by logical id or NHS number, contained items included) is refused whole
//! (`WrongPatient`), on the wire through the testkit mock; and counts sent signed are
//! read as signed.

use gpconnect_core::{Error, ErrorKind, NhsNumber, PatientMismatch};
use gpconnect_structured::{StructuredExt, StructuredRecord};
use gpconnect_testkit::fixtures::{fixture, fixture_json};
use gpconnect_testkit::MockSpine;
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, header, method, path_regex};
use wiremock::{Mock, ResponseTemplate};

const RECORD: &str = "structured__response__meds.json";
const OURS: &str = "04603d77-1a4e-4d63-b246-d7504f8bd833";
const NHS: &str = "9999999999";

/// Serves `body` to one get-record for [`NHS`] (medication) and sends it.
async fn get_record(body: &Value) -> gpconnect_core::Result<StructuredRecord> {
    let spine = MockSpine::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"/Patient/\$gpc\.getstructuredrecord$"))
        .and(header("ssp-interactionid", "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1"))
        .and(body_partial_json(json!({"resourceType": "Parameters"})))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/fhir+json;charset=utf-8"))
        .with_priority(1)
        .expect(1)
        .mount(spine.server())
        .await;
    let nhs = NhsNumber::parse(NHS).unwrap();
    spine.provider().structured().get_record(&nhs).include_medication(None).send().await.map(|r| r.into_inner())
}

/// The first entry of `resource_type` in the record.
fn first<'a>(record: &'a mut Value, resource_type: &str) -> &'a mut Value {
    record["entry"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .map(|e| &mut e["resource"])
        .find(|r| r["resourceType"] == resource_type)
        .unwrap_or_else(|| panic!("no {resource_type}"))
}

/// A change made to the record before it is served.
type Change = dyn Fn(&mut Value);

fn nhs_subject(nhs: &str) -> Value {
    json!({ "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs } })
}

#[tokio::test]
async fn the_record_as_sent_is_accepted_with_subjects_relative_absolute_or_by_nhs_number() {
    let mut record = fixture_json(RECORD);
    assert!(get_record(&record).await.is_ok());
    first(&mut record, "MedicationStatement")["subject"] =
        json!({ "reference": format!("https://provider.example/fhir/Patient/{OURS}/_history/1") });
    first(&mut record, "MedicationRequest")["subject"] = nhs_subject("999 999 9999");
    first(&mut record, "List")["subject"] = json!({ "reference": "Group/1" });
    // A reference by fullUrl resolving to the patient's entry.
    let entries = record["entry"].as_array_mut().unwrap();
    let ours = entries.iter_mut().find(|e| e["resource"]["resourceType"] == "Patient").unwrap();
    ours["fullUrl"] = json!("urn:uuid:0b6c1f5c-0000-4000-8000-000000000001");
    first(&mut record, "MedicationStatement")["patient"] =
        json!({ "reference": "urn:uuid:0b6c1f5c-0000-4000-8000-000000000001" });
    let r = get_record(&record).await.unwrap();
    assert_eq!(r.medications().len(), 3);
}

#[tokio::test]
async fn an_item_about_another_patient_refuses_the_whole_record_naming_what_differed() {
    let contained_other = |record: &mut Value| {
        let list = first(record, "List");
        list["contained"] = json!([{ "resourceType": "AllergyIntolerance", "id": "a1",
            "patient": { "reference": "Patient/someone-else" } }]);
    };
    let cases: Vec<(Box<Change>, PatientMismatch)> = vec![
        (
            Box::new(|r| first(r, "MedicationStatement")["subject"] = json!({ "reference": "Patient/someone-else" })),
            PatientMismatch::OtherPatientId,
        ),
        (
            Box::new(|r| {
                first(r, "MedicationRequest")["subject"] =
                    json!([{ "reference": format!("Patient/{OURS}") }, { "reference": "https://p/Patient/x2" }])
            }),
            PatientMismatch::OtherPatientId,
        ),
        (
            Box::new(|r| first(r, "MedicationStatement")["subject"] = nhs_subject("9690937278")),
            PatientMismatch::OtherPatient,
        ),
        (Box::new(contained_other), PatientMismatch::OtherPatientId),
        (
            // Not FHIR, but looked into: arrays nested in a subject.
            Box::new(|r| {
                first(r, "MedicationStatement")["subject"] = json!([[{ "reference": "Patient/someone-else" }]])
            }),
            PatientMismatch::OtherPatientId,
        ),
    ];
    for (change, expected) in cases {
        let mut record = fixture_json(RECORD);
        change(&mut record);
        let Err(err) = get_record(&record).await else { panic!("accepted: {expected:?}") };
        assert_eq!(err.kind(), ErrorKind::WrongPatient, "{err:?}");
        assert!(matches!(err, Error::WrongPatient { problem, .. } if problem == expected), "{expected:?}: {err:?}");
        assert!(err.trace_id().is_some());
        let text = format!("{err} {err:?}");
        assert!(text.contains(&expected.to_string()), "the text names what differed: {text}");
        for secret in ["someone-else", "x2", "9690937278", NHS] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

#[test]
fn a_negative_repeat_count_is_no_count_not_a_huge_one() {
    let text = fixture(RECORD).replacen(r#""valuePositiveInt": 5"#, r#""valueInteger": -1"#, 1);
    assert_ne!(text, fixture(RECORD));
    let r = StructuredRecord::from_slice(text.as_bytes()).unwrap();
    assert!(r.medications().iter().all(|m| m.repeats_allowed.is_none_or(|n| n < 1000)), "no u64::MAX");
    let original = StructuredRecord::from_slice(fixture(RECORD).as_bytes()).unwrap();
    assert!(original.medications().iter().any(|m| m.repeats_allowed == Some(5)), "the unchanged record has 5");
}
