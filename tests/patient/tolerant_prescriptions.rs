//! The prescriptions reader is tolerant (issue 21): one unknown or malformed element costs
//! that element (or its entry) only and is reported as a `Problem`, as the SSP views report
//! theirs; the right-patient checks still refuse an answer about another patient.

use crate::common;

use common::{fixture_json, Harness, FHIR_JSON, NHS};
use gpconnect_core::fhir::lenient::{Problem, ProblemKind};
use gpconnect_core::platform::PlatformApi;
use gpconnect_core::{Error, ErrorKind, NhsNumber, PatientMismatch};
use gpconnect_patient::prescriptions::{
    Medications, PrescriptionRequest, PrescriptionRequests, RequestStatus, ViewError,
};
use gpconnect_patient::PatientExt;
use serde_json::{json, Value};
use wiremock::ResponseTemplate;

/// Two issues (entries 0 and 1) and their repeat (entry 2), all for [`NHS`].
const MEDS: &str = "prescriptions/prescriptions__GET_Patient-id-MedicationRequest__response-200__GetResponsePreviousPrescriptionDetailed.json";
const TASKS: &str = "prescriptions/prescriptions__GET_Task__response-200__bundle.json";
const CREATED: &str = "prescriptions/prescriptions__POST_Task__response-201__operation-outcome-success.json";

fn nhs() -> NhsNumber {
    NhsNumber::parse(NHS).unwrap()
}

fn meds(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut body = fixture_json(MEDS);
    edit(&mut body);
    serde_json::to_vec(&body).unwrap()
}

fn paths(problems: &[Problem]) -> Vec<(Option<usize>, &'static str, Option<&str>)> {
    problems.iter().map(|p| (p.entry, p.resource_type, p.path())).collect()
}

#[test]
fn an_unknown_element_costs_that_element_only() {
    let body = meds(|b| b["entry"][2]["resource"]["madeUpElement"] = json!({"secret": "Jane Smith"}));
    let read = Medications::from_slice(&body, &nhs()).unwrap();
    assert_eq!((read.repeats.len(), read.issues.len()), (1, 2));
    let repeat = &read.repeats[0];
    assert_eq!(repeat.details.name.as_deref(), Some("Pulmicort 100 Turbohaler (AstraZeneca UK Ltd)"));
    assert_eq!(repeat.issued, Some(2));
    assert_eq!(read.issues_of(repeat).count(), 2);
    assert_eq!(paths(read.problems()), [(Some(2), "MedicationRequest", Some("madeUpElement"))]);
    assert!(matches!(read.problems()[0].kind, ProblemKind::MalformedField { .. }));
    let shown = format!("{} {:?} {read:?}", read.problems()[0], read.problems());
    assert!(!shown.contains("Jane") && !shown.contains("secret"), "{shown}");
}

#[test]
fn an_element_name_not_shaped_like_fhir_is_not_repeated() {
    let body = meds(|b| {
        b["entry"][2]["resource"]["Jane Smith 9690937286"] = json!(1);
        b["entry"][2]["resource"]["9690937286"] = json!([1, 2]);
    });
    let read = Medications::from_slice(&body, &nhs()).unwrap();
    assert_eq!(read.problems().len(), 2);
    assert!(read.problems().iter().all(|p| p.path() == Some("(unknown element)")));
    let shown = format!("{:?} {}", read.problems(), read.problems()[0]);
    assert!(!shown.contains("Jane") && !shown.contains("9690937286"), "{shown}");
}

#[test]
fn an_unknown_element_nested_in_an_element_keeps_what_is_known() {
    let body = meds(|b| b["entry"][0]["resource"]["subject"]["madeUp"] = json!(1));
    let read = Medications::from_slice(&body, &nhs()).unwrap();
    assert_eq!(read.issues.len(), 2, "the subject still names the patient");
    assert_eq!(paths(read.problems()), [(Some(0), "MedicationRequest", Some("subject"))]);
}

#[test]
fn a_wrong_type_costs_that_element_or_array_item() {
    let body = meds(|b| {
        b["entry"][0]["resource"]["authoredOn"] = json!(20221113);
        b["entry"][1]["resource"]["dosageInstruction"] = json!([5, {"text": "Take one daily"}]);
    });
    let read = Medications::from_slice(&body, &nhs()).unwrap();
    assert_eq!((read.repeats.len(), read.issues.len()), (1, 2));
    assert_eq!(read.issues[0].authored_on, None);
    assert_eq!(read.issues[0].order_number.as_deref(), Some("CDT38E-Y765968-4FG3BQ"), "the rest is read");
    assert_eq!(read.issues[1].details.dosage.as_deref(), Some("Take one daily"));
    assert_eq!(
        paths(read.problems()),
        [
            (Some(0), "MedicationRequest", Some("authoredOn")),
            (Some(1), "MedicationRequest", Some("dosageInstruction[0]")),
        ]
    );
}

#[test]
fn an_entry_that_cannot_be_read_is_left_out_and_reported() {
    let body = meds(|b| {
        b["entry"][0]["resource"] = json!("not an object");
        b["entry"][1]["resource"] = json!({"resourceType": "NotAFhirType", "id": "x"});
        b["entry"][2]["resource"]["madeUp"] = json!(true);
    });
    let read = Medications::from_slice(&body, &nhs()).unwrap();
    assert_eq!((read.repeats.len(), read.issues.len()), (1, 0));
    let lost: Vec<_> = read.problems().iter().filter(|p| p.lost_item()).map(|p| p.entry).collect();
    assert_eq!(lost, [Some(0), Some(1)]);
    assert!(read.problems().iter().all(|p| p.kind == ProblemKind::Unreadable || p.path() == Some("madeUp")));
}

#[test]
fn another_patient_is_still_refused_on_the_tolerant_path() {
    // Entry 0 sends the reader down the tolerant path; entry 1 is another patient's.
    let other = meds(|b| {
        b["entry"][0]["resource"]["madeUp"] = json!(1);
        b["entry"][1]["resource"]["subject"]["identifier"]["value"] = json!("9690937286");
    });
    assert_eq!(
        Medications::from_slice(&other, &nhs()).unwrap_err(),
        ViewError::WrongPatient(PatientMismatch::OtherPatient)
    );
    // A subject that cannot be read names no patient: refused, not read without it.
    let unreadable = meds(|b| b["entry"][1]["resource"]["subject"] = json!(["Patient/9690937286"]));
    assert_eq!(
        Medications::from_slice(&unreadable, &nhs()).unwrap_err(),
        ViewError::WrongPatient(PatientMismatch::NoNhsNumber)
    );
}

#[test]
fn a_malformed_bundle_envelope_is_still_a_decode_error() {
    for envelope in [json!({"type": 5}), json!({"notAnElement": 1}), json!({"entry": 5})] {
        let body = meds(|b| {
            b["entry"][0]["resource"]["madeUp"] = json!(1);
            for (k, v) in envelope.as_object().unwrap() {
                b[k] = v.clone();
            }
        });
        assert!(matches!(Medications::from_slice(&body, &nhs()), Err(ViewError::Decode(_))), "{envelope}");
    }
    let task = serde_json::to_vec(&fixture_json(CREATED)).unwrap();
    assert!(matches!(Medications::from_slice(&task, &nhs()), Err(ViewError::Decode(_))), "not a Bundle");
}

#[test]
fn tasks_and_a_created_task_are_read_tolerantly() {
    let mut tasks = fixture_json(TASKS);
    tasks["entry"][0]["resource"]["madeUp"] = json!(1);
    let read = PrescriptionRequests::from_slice(&serde_json::to_vec(&tasks).unwrap(), &nhs()).unwrap();
    assert_eq!(read.requests.len(), tasks["entry"].as_array().unwrap().len());
    assert_eq!(paths(read.problems()), [(Some(0), "Task", Some("madeUp"))]);

    let mut created = fixture_json(CREATED);
    created["lastModified"] = json!(false);
    let read = PrescriptionRequest::from_slice(&serde_json::to_vec(&created).unwrap(), &nhs()).unwrap();
    assert_eq!(read.status, RequestStatus::Requested);
    assert_eq!(read.updated_at, None);
    assert_eq!(paths(read.problems()), [(None, "Task", Some("lastModified"))]);

    created["for"]["identifier"]["value"] = json!("9690937286");
    assert_eq!(
        PrescriptionRequest::from_slice(&serde_json::to_vec(&created).unwrap(), &nhs()).unwrap_err(),
        ViewError::WrongPatient(PatientMismatch::OtherPatient)
    );
}

#[tokio::test]
async fn over_the_wire_problems_are_returned_and_another_patient_is_wrong_patient() {
    let h = Harness::start(PlatformApi::Prescriptions).await;
    let path = format!("/Patient/{NHS}/MedicationRequest");
    let bad = meds(|b| b["entry"][1]["resource"]["madeUp"] = json!(1));
    h.answer_once("GET", path.clone(), ResponseTemplate::new(200).set_body_raw(bad, FHIR_JSON)).await;
    let read = h.session.prescriptions().medications().send().await.unwrap();
    assert_eq!(read.issues.len(), 2);
    assert_eq!(paths(read.problems()), [(Some(1), "MedicationRequest", Some("madeUp"))]);

    let other = meds(|b| {
        b["entry"][1]["resource"]["madeUp"] = json!(1);
        b["entry"][2]["resource"]["subject"]["reference"] = json!("Patient/9690937286");
    });
    let h = Harness::start(PlatformApi::Prescriptions).await;
    h.answer_once("GET", path, ResponseTemplate::new(200).set_body_raw(other, FHIR_JSON)).await;
    let err = h.session.prescriptions().medications().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongPatient);
    assert!(matches!(err, Error::WrongPatient { problem: PatientMismatch::OtherPatient, .. }));
    assert!(!format!("{err} {err:?}").contains("9690937286"));
}

#[test]
fn hostile_answers_cost_work_linear_in_their_size() {
    // Every entry off the strict path, each with an array of items that all fail.
    let mut body = fixture_json(MEDS);
    let template = body["entry"][0].clone();
    let mut entries = Vec::new();
    for _ in 0..200 {
        let mut entry = template.clone();
        entry["resource"]["madeUp"] = json!(1);
        entry["resource"]["identifier"] = Value::Array(vec![json!({ "value": 5 }); 40]);
        entries.push(entry);
    }
    body["entry"] = Value::Array(entries);
    let body = serde_json::to_vec(&body).unwrap();
    let started = std::time::Instant::now();
    let read = Medications::from_slice(&body, &nhs()).unwrap();
    let took = started.elapsed();
    assert_eq!(read.issues.len(), 200);
    assert_eq!(read.problems().len(), 200 * 41);
    eprintln!("{} KB with {} problems read in {took:?}", body.len() / 1024, read.problems().len());
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_deep_answer_is_refused_before_the_tolerant_path() {
    // A valid envelope, one entry nested beyond the limit: refused, not read leniently.
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let body = meds(|b| b["entry"][0]["resource"]["madeUp"] = serde_json::from_str(&deep).unwrap());
    let err = Medications::from_slice(&body, &nhs()).unwrap_err();
    assert!(err.to_string().contains("nested deeper than 64"), "{err}");
    let mut task = fixture_json(CREATED);
    task["madeUp"] = serde_json::from_str(&deep).unwrap();
    let err = PrescriptionRequest::from_slice(&serde_json::to_vec(&task).unwrap(), &nhs()).unwrap_err();
    assert!(err.to_string().contains("nested deeper than 64"), "{err}");
    assert!(matches!(Medications::from_slice(b"  ", &nhs()), Err(ViewError::Decode(_))));
}
