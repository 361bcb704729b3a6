//! The mock provider checks `$gpc.getstructuredrecord` Parameters the way providers do.

use crate::common;

use common::Call;
use gpconnect_core::InteractionId;
use gpconnect_testkit::MockSpine;
use serde_json::{json, Value};

fn nhs(value: &str) -> Value {
    json!({"name": "patientNHSNumber", "valueIdentifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": value}})
}

async fn get_record(spine: &MockSpine, parameters: Vec<Value>) -> (u16, Option<String>, Value) {
    let body = json!({"resourceType": "Parameters", "parameter": parameters});
    Call::new(spine, InteractionId::GetStructuredRecord, "Patient/$gpc.getstructuredrecord").post(&body).await
}

#[tokio::test]
async fn a_valid_request_gets_the_example_bundle_with_the_patient_substituted() {
    let spine = MockSpine::start().await;
    let (status, _, body) = get_record(
        &spine,
        vec![
            nhs("9690937286"),
            json!({"name": "includeAllergies", "part": [{"name": "includeResolvedAllergies", "valueBoolean": false}]}),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resourceType"], "Bundle");
    assert!(body.to_string().contains("9690937286"));
}

#[tokio::test]
async fn each_broken_rule_gets_the_providers_error() {
    let spine = MockSpine::start().await;
    let period = json!({"start": "2020-01-01", "end": "2020-02-01"});
    let cases: Vec<(&str, Vec<Value>, u16, &str)> = vec![
        ("no patientNHSNumber", vec![json!({"name": "includeProblems"})], 422, "INVALID_PARAMETER"),
        ("bad check digit", vec![nhs("9690937287")], 400, "INVALID_NHS_NUMBER"),
        ("unknown patient", vec![nhs("9000000009"), json!({"name": "includeProblems"})], 404, "PATIENT_NOT_FOUND"),
        (
            "includeAllergies without includeResolvedAllergies",
            vec![nhs("9690937286"), json!({"name": "includeAllergies"})],
            422,
            "INVALID_PARAMETER",
        ),
        (
            "period and most recent together",
            vec![
                nhs("9690937286"),
                json!({"name": "includeConsultations", "part": [
                    {"name": "consultationSearchPeriod", "valuePeriod": period},
                    {"name": "includeNumberOfMostRecent", "valuePositiveInt": 3}]}),
            ],
            422,
            "INVALID_RESOURCE",
        ),
        (
            "medicationSearchFromDate with includeConsultations",
            vec![
                nhs("9690937286"),
                json!({"name": "includeConsultations"}),
                json!({"name": "includeMedication", "part": [{"name": "medicationSearchFromDate", "valueDate": "2020-01-01"}]}),
            ],
            422,
            "INVALID_PARAMETER",
        ),
        (
            "a part under the wrong parameter",
            vec![
                nhs("9690937286"),
                json!({"name": "includeProblems", "part": [{"name": "includeResolvedAllergies", "valueBoolean": true}]}),
            ],
            422,
            "INVALID_PARAMETER",
        ),
        (
            "start after end",
            vec![
                nhs("9690937286"),
                json!({"name": "includeReferrals", "part": [{"name": "referralSearchPeriod",
                    "valuePeriod": {"start": "2020-02-01", "end": "2020-01-01"}}]}),
            ],
            422,
            "INVALID_PARAMETER",
        ),
    ];
    for (what, parameters, want_status, want_code) in cases {
        let (status, code, body) = get_record(&spine, parameters).await;
        assert_eq!((status, code.as_deref()), (want_status, Some(want_code)), "{what}: {body}");
    }
}

#[tokio::test]
async fn an_unknown_parameter_is_answered_with_a_forward_compatibility_warning() {
    let spine = MockSpine::start().await;
    let (status, _, body) = get_record(
        &spine,
        vec![nhs("9690937286"), json!({"name": "includeProblems"}), json!({"name": "includeEverything"})],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let warning = body["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resource"]["resourceType"] == "OperationOutcome")
        .expect("an OperationOutcome entry");
    assert!(warning.to_string().contains("includeEverything is an unrecognised parameter"), "{warning}");
}
