//! Right patient on every patient-facing answer (issue 21): a record, appointment,
//! prescription or task that names another patient, or none where one is required, is
//! `Error::WrongPatient` with the request's `X-Request-ID`, and nothing of it is returned.

use crate::common;

use common::{fixture_json, Harness, FHIR_JSON, NHS};
use gpconnect_core::platform::PlatformApi;
use gpconnect_core::{Error, ErrorKind, PatientMismatch};
use gpconnect_patient::PatientExt;
use serde_json::{json, Value};
use wiremock::ResponseTemplate;

const ALLERGIES: &str =
    "access-record/access-record__POST_Patient-gpc-getstructuredrecord__response-200__allergies.json";
const READ: &str = "appointments/appointments__GET_Appointment-id__response-200__example.json";
const MEDS: &str =
    "prescriptions/prescriptions__GET_Patient-id-MedicationRequest__response-200__GetResponseMethotrexate.json";
const TASKS: &str = "prescriptions/prescriptions__GET_Task__response-200__bundle.json";

fn json_answer(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(serde_json::to_vec(body).unwrap(), FHIR_JSON)
}

async fn mismatch(h: &Harness, err: Error) -> PatientMismatch {
    assert_eq!(err.kind(), ErrorKind::WrongPatient, "{err:?}");
    assert_eq!(err.trace_id(), Some(h.checked(None).await[0]), "the X-Request-ID to report");
    assert!(!format!("{err} {err:?}").contains(NHS));
    match err {
        Error::WrongPatient { problem, .. } => problem,
        _ => unreachable!(),
    }
}

/// The allergies example, its Patient given the logged-in NHS number (or changed by `edit`).
fn record(edit: impl FnOnce(&mut Value)) -> Value {
    let mut body = fixture_json(ALLERGIES);
    body["entry"][0]["resource"]["identifier"][0]["value"] = json!(NHS);
    edit(&mut body);
    body
}

#[tokio::test]
async fn a_record_must_hold_the_logged_in_patient() {
    let ok = Harness::start(PlatformApi::AccessRecord).await;
    ok.answer_once("POST", "/Patient/$gpc.getstructuredrecord", json_answer(&record(|_| ()))).await;
    let answer =
        ok.session.access_record().get_record().include_allergies(gpconnect_patient::Resolved::Include).send().await;
    assert!(answer.is_ok(), "{answer:?}");

    let no_patient = record(|b| {
        let entries = b["entry"].as_array_mut().unwrap();
        entries.retain(|e| e["resource"]["resourceType"] != "Patient");
    });
    let no_number = record(|b| b["entry"][0]["resource"]["identifier"] = json!([]));
    let other = record(|b| b["entry"][0]["resource"]["identifier"][0]["value"] = json!("9690937286"));
    for (body, expected) in [
        (no_patient, PatientMismatch::NoNhsNumber),
        (no_number, PatientMismatch::NoNhsNumber),
        (other, PatientMismatch::OtherPatient),
    ] {
        let h = Harness::start(PlatformApi::AccessRecord).await;
        h.answer_once("POST", "/Patient/$gpc.getstructuredrecord", json_answer(&body)).await;
        let err = h
            .session
            .access_record()
            .get_record()
            .include_allergies(gpconnect_patient::Resolved::Include)
            .send()
            .await
            .unwrap_err();
        assert_eq!(mismatch(&h, err).await, expected);
    }
}

#[tokio::test]
async fn an_appointment_must_name_the_logged_in_patient() {
    for (edit, expected) in [
        (json!("Patient/a1b2c3"), PatientMismatch::OtherPatient),
        (json!("Patient/9690937286"), PatientMismatch::OtherPatient),
        (Value::Null, PatientMismatch::NoNhsNumber),
    ] {
        let h = Harness::start(PlatformApi::Appointments).await;
        let mut body = fixture_json(READ);
        if edit.is_null() {
            body["participant"]
                .as_array_mut()
                .unwrap()
                .retain(|p| !p["actor"]["reference"].as_str().unwrap_or("").starts_with("Patient/"));
        } else {
            body["participant"][0]["actor"]["reference"] = edit;
        }
        h.answer_once("GET", "/Appointment/1", json_answer(&body)).await;
        let err = h.session.appointments().read(&"1".parse().unwrap()).send().await.unwrap_err();
        assert_eq!(mismatch(&h, err).await, expected);
    }
}

#[tokio::test]
async fn a_medication_request_must_name_the_logged_in_patient() {
    let path = format!("/Patient/{NHS}/MedicationRequest");
    for (subject, expected) in [
        (json!({ "reference": "Patient/9690937286" }), PatientMismatch::OtherPatient),
        (json!({ "reference": "Patient/some-other-id" }), PatientMismatch::OtherPatient),
        (
            json!({ "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9690937286" } }),
            PatientMismatch::OtherPatient,
        ),
        (json!({ "display": "Jane Smith" }), PatientMismatch::NoNhsNumber),
    ] {
        let h = Harness::start(PlatformApi::Prescriptions).await;
        let mut body = fixture_json(MEDS);
        let entry = body["entry"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|e| e["resource"]["resourceType"] == "MedicationRequest");
        entry.unwrap()["resource"]["subject"] = subject;
        h.answer_once("GET", path.as_str(), json_answer(&body)).await;
        let err = h.session.prescriptions().medications().send().await.unwrap_err();
        assert_eq!(mismatch(&h, err).await, expected);
    }
}

#[tokio::test]
async fn a_task_must_be_for_the_logged_in_patient() {
    for (edit, expected) in [
        (Some(json!({ "reference": "Patient/9690937286" })), PatientMismatch::OtherPatient),
        (None, PatientMismatch::NoNhsNumber),
    ] {
        let h = Harness::start(PlatformApi::Prescriptions).await;
        let mut body = fixture_json(TASKS);
        let task = &mut body["entry"][0]["resource"];
        match edit {
            Some(r) => task["for"] = r,
            None => {
                task.as_object_mut().unwrap().remove("for");
            }
        }
        h.answer_once("GET", "/Task", json_answer(&body)).await;
        let err = h.session.prescriptions().request_status().send().await.unwrap_err();
        assert_eq!(mismatch(&h, err).await, expected);
    }
}

#[tokio::test]
async fn resources_not_for_the_patient_are_withheld_and_counted() {
    let h = Harness::start(PlatformApi::AccessRecord).await;
    let shown = Harness::start(PlatformApi::AccessRecord).await;
    let plain = record(|_| ());
    let labelled = record(|b| {
        let entries = b["entry"].as_array_mut().unwrap();
        let allergy = entries.iter_mut().find(|e| e["resource"]["resourceType"] == "AllergyIntolerance").unwrap();
        allergy["resource"]["meta"]["security"] = json!([{ "system": "http://hl7.org/fhir/v3/ActCode", "code": "NOPAT", "display": "no disclosure to patient" }]);
    });
    shown.answer_once("POST", "/Patient/$gpc.getstructuredrecord", json_answer(&plain)).await;
    h.answer_once("POST", "/Patient/$gpc.getstructuredrecord", json_answer(&labelled)).await;
    let all = shown.session.access_record().get_record().include_allergies(gpconnect_patient::Resolved::Include);
    let all = all.send().await.unwrap();
    let record = h.session.access_record().get_record().include_allergies(gpconnect_patient::Resolved::Include);
    let record = record.send().await.unwrap();
    assert_eq!(all.withheld(), 0);
    assert_eq!(record.withheld(), 1);
    assert_eq!(record.allergies().len() + 1, all.allergies().len());
    assert!(record.not_for_patient().is_empty(), "nothing labelled NOPAT reaches the view");
    assert_eq!(record.view_problems().len(), all.view_problems().len(), "no dangling List entries left behind");
}

const DOCUMENTS: &str = "access-record/access-record__GET_Patient-id-DocumentReference__response-200__example.json";

#[tokio::test]
async fn a_document_must_be_about_the_logged_in_patient() {
    let documents = |edit: &dyn Fn(&mut Value)| {
        let mut body = fixture_json(DOCUMENTS);
        body["entry"][0]["resource"]["identifier"][0]["value"] = json!(NHS);
        edit(&mut body["entry"][1]["resource"]);
        body
    };
    let search = |h: &Harness| {
        h.session.access_record().search_documents(&"9d43831b-b2c7-4f8f-b5b5-1d9429acf5fb".parse().unwrap()).send()
    };
    let path = "/Patient/9d43831b-b2c7-4f8f-b5b5-1d9429acf5fb/DocumentReference";
    let nhs_identifier = |n: &str| json!({ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": n });

    // The included Patient (the logged-in one), by reference, identifier or NHS number.
    let with_number = nhs_identifier(NHS);
    for subject in [
        json!({ "reference": "Patient/04603d77-1a4e-4d63-b246-d7504f8bd833" }),
        json!({ "identifier": with_number }),
        json!({ "reference": format!("Patient/{NHS}") }),
    ] {
        let h = Harness::start(PlatformApi::AccessRecord).await;
        let body = documents(&|d| d["subject"] = subject.clone());
        h.answer_once("GET", path, json_answer(&body)).await;
        let list = search(&h).await;
        assert_eq!(list.map(|l| l.documents.len()).ok(), Some(1), "{subject}");
    }

    let other = nhs_identifier("9690937286");
    for (subject, expected) in [
        (Some(json!({ "identifier": other })), PatientMismatch::OtherPatient),
        (
            Some(json!({ "reference": "Patient/04603d77-1a4e-4d63-b246-d7504f8bd833", "identifier": other })),
            PatientMismatch::OtherPatient,
        ),
        (Some(json!({ "reference": "Patient/9690937286" })), PatientMismatch::NoNhsNumber),
        (Some(json!({ "reference": "Patient/not-in-the-answer" })), PatientMismatch::NoNhsNumber),
        (Some(json!({ "display": "Jane Smith" })), PatientMismatch::NoNhsNumber),
        (Some(json!("Patient/04603d77-1a4e-4d63-b246-d7504f8bd833")), PatientMismatch::NoNhsNumber),
        (None, PatientMismatch::NoNhsNumber),
    ] {
        let h = Harness::start(PlatformApi::AccessRecord).await;
        let body = documents(&|d| match &subject {
            Some(s) => d["subject"] = s.clone(),
            None => {
                d.as_object_mut().unwrap().remove("subject");
            }
        });
        h.answer_once("GET", path, json_answer(&body)).await;
        let err = search(&h).await.unwrap_err();
        assert_eq!(mismatch(&h, err).await, expected, "{subject:?}");
    }

    // A subject naming an included Patient of another NHS number.
    let h = Harness::start(PlatformApi::AccessRecord).await;
    let mut body = documents(&|d| d["subject"] = json!({ "reference": "Patient/someone-else" }));
    let mut someone = body["entry"][0].clone();
    someone["resource"]["id"] = json!("someone-else");
    someone["resource"]["identifier"][0]["value"] = json!("9690937286");
    someone.as_object_mut().unwrap().remove("fullUrl");
    body["entry"].as_array_mut().unwrap().push(someone);
    h.answer_once("GET", path, json_answer(&body)).await;
    let err = search(&h).await.unwrap_err();
    assert_eq!(mismatch(&h, err).await, PatientMismatch::OtherPatient);
}
