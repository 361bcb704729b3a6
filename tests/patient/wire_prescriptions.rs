//! Prescriptions wire tests: method, path, query, every header, the Task body, answers
//! from the spec's examples read with fhirbolt, and requests never sent twice.

use crate::common;

use chrono::NaiveDate;
use common::*;
use gpconnect_core::platform::PlatformApi;
use gpconnect_core::ErrorKind;
use gpconnect_patient::prescriptions::{Intent, MedicationStatus, RequestStatus};
use gpconnect_patient::PatientExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const MEDS: &str = "prescriptions/prescriptions__GET_Patient-id-MedicationRequest__response-200__";
const TASKS: &str = "prescriptions/prescriptions__GET_Task__response-200__";

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn medications_sends_the_filters_and_reads_repeats_with_their_issues() {
    let h = Harness::start(PlatformApi::Prescriptions).await;
    Mock::given(method("GET"))
        .and(path(format!("/Patient/{NHS}/MedicationRequest")))
        .respond_with(answer(200, &format!("{MEDS}GetResponsePreviousPrescriptionDetailed.json")))
        .expect(2)
        .mount(&h.api)
        .await;
    let meds = h.session.prescriptions().medications().send().await.unwrap();
    let filtered = h
        .session
        .prescriptions()
        .medications()
        .intent(Intent::Plan)
        .status(MedicationStatus::Active)
        .authored_from(NaiveDate::from_ymd_opt(2022, 1, 1).unwrap())
        .authored_to(NaiveDate::from_ymd_opt(2022, 12, 31).unwrap())
        .order_number("CDT38E-Y765968-4FG3BQ")
        .correlation_id("rx-1")
        .send()
        .await;
    assert!(filtered.is_ok());
    let received = h.received().await;
    let first = check_headers(&received[0], &h.tokens, None);
    check_headers(&received[1], &h.tokens, Some("rx-1"));
    assert_eq!(meds.trace_id, first);
    assert!(received[0].url.query().is_none());
    assert_eq!(
        query(&received[1]),
        pairs(&[
            ("intent", "plan"),
            ("status", "active"),
            ("authoredon", "ge2022-01-01"),
            ("authoredon", "le2022-12-31"),
            ("identifier", "https://fhir.nhs.uk/Id/prescription-order-number|CDT38E-Y765968-4FG3BQ"),
        ])
    );
    assert_eq!(meds.requestable().count(), 1);
    let repeat = &meds.repeats[0];
    assert_eq!(meds.issues_of(repeat).count(), 2);
    assert_eq!(repeat.last_issued.as_ref().map(|d| d.as_str()), Some("2022-11-13T07:20:27.000Z"));
}

#[tokio::test]
async fn a_future_date_is_refused_before_sending() {
    let h = Harness::start(PlatformApi::Prescriptions).await;
    let err = h
        .session
        .prescriptions()
        .medications()
        .authored_from(NaiveDate::from_ymd_opt(2999, 1, 1).unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(h.received().await.is_empty());
}

#[tokio::test]
async fn a_non_fhir_r4_answer_is_a_decode_error_keeping_the_body() {
    let h = Harness::start(PlatformApi::Prescriptions).await;
    h.answer_once(
        "GET",
        format!("/Patient/{NHS}/MedicationRequest"),
        ResponseTemplate::new(200)
            .set_body_raw(r#"{"resourceType":"Bundle","type":"searchset","notAnElement":1}"#, FHIR_JSON),
    )
    .await;
    let err = h.session.prescriptions().medications().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "fhirbolt is strict");
    let gpconnect_core::Error::Decode(decode) = &err else { panic!() };
    assert!(!decode.body.bytes().is_empty());
    assert!(!err.to_string().contains("notAnElement"), "Display never quotes the answer");
}

#[tokio::test]
async fn a_deeply_nested_answer_is_refused_before_parsing() {
    let h = Harness::start(PlatformApi::Prescriptions).await;
    let deep = format!(r#"{{"resourceType":"Bundle","type":"searchset","x":{}1{}}}"#, "[".repeat(100), "]".repeat(100));
    h.answer_once("GET", "/Task", ResponseTemplate::new(200).set_body_raw(deep, FHIR_JSON)).await;
    let err = h.session.prescriptions().request_status().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("nested deeper than 64"), "{err}");
}

#[tokio::test]
async fn request_issue_posts_the_task_once() {
    let h = Harness::start(PlatformApi::Prescriptions).await;
    Mock::given(method("GET"))
        .and(path(format!("/Patient/{NHS}/MedicationRequest")))
        .respond_with(answer(200, &format!("{MEDS}GetResponsePreviousPrescriptionDetailed.json")))
        .mount(&h.api)
        .await;
    h.answer_once(
        "POST",
        "/Task",
        answer(201, "prescriptions/prescriptions__POST_Task__response-201__operation-outcome-success.json"),
    )
    .await;
    let meds = h.session.prescriptions().medications().send().await.unwrap();
    let repeat = meds.requestable().next().unwrap();
    let builder = h
        .session
        .prescriptions()
        .request_issue(repeat)
        .note("ran out of previous prescription")
        .pharmacy(&"FLM49".parse().unwrap());
    let identifier = builder.identifier();
    assert!(!format!("{builder:?}").contains("ran out"));
    let created = builder.send().await.unwrap();
    h.checked(None).await;
    assert_eq!(created.status, RequestStatus::Requested);
    let sent = body(&h.received().await[1]);
    let mut expected = fixture_json("prescriptions/prescriptions__POST_Task__request__example.json");
    // Fields the SDK fills in: its own identifier, the times of sending; no patient name.
    expected["identifier"][0]["value"] = identifier.to_string().into();
    expected["focus"]["reference"] = format!("MedicationRequest/{}", repeat.id).into();
    for who in ["for", "requester"] {
        expected[who].as_object_mut().unwrap().remove("display");
    }
    for time in ["authoredOn", "lastModified"] {
        let value = sent[time].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(value).is_ok(), "{time}: {value}");
        expected[time] = value.into();
    }
    assert_eq!(sent, expected, "the Task of the spec's example");
}

#[tokio::test]
async fn a_prescription_request_is_never_sent_twice() {
    let h = Harness::start(PlatformApi::Prescriptions).await;
    h.answer_once("POST", "/Task", ResponseTemplate::new(504)).await;
    let meds = gpconnect_patient::prescriptions::Medications::from_slice(
        &fixture(&format!("{MEDS}GetResponseMethotrexate.json")),
        &gpconnect_core::NhsNumber::parse(NHS).unwrap(),
    )
    .unwrap();
    let err = h.session.prescriptions().request_issue(&meds.repeats[0]).send().await.unwrap_err();
    assert!(err.may_have_been_sent());
    assert_eq!(h.received().await.len(), 1, "not retried");
}

#[tokio::test]
async fn only_an_active_repeat_can_be_requested() {
    let h = Harness::start(PlatformApi::Prescriptions).await;
    let mut meds = gpconnect_patient::prescriptions::Medications::from_slice(
        &fixture(&format!("{MEDS}GetResponseMethotrexate.json")),
        &gpconnect_core::NhsNumber::parse(NHS).unwrap(),
    )
    .unwrap();
    meds.repeats[0].status = MedicationStatus::Stopped;
    let err = h.session.prescriptions().request_issue(&meds.repeats[0]).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(h.received().await.is_empty());
}

#[tokio::test]
async fn request_refusals_keep_code_and_outcome() {
    let h = Harness::start(PlatformApi::Prescriptions).await;
    h.answer_once("POST", "/Task", answer(422, "prescriptions/prescriptions__POST_Task__response-4XX__example.json"))
        .await;
    let meds = gpconnect_patient::prescriptions::Medications::from_slice(
        &fixture(&format!("{MEDS}GetResponseMethotrexate.json")),
        &gpconnect_core::NhsNumber::parse(NHS).unwrap(),
    )
    .unwrap();
    let err = h.session.prescriptions().request_issue(&meds.repeats[0]).send().await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code().map(|c| c.as_str().to_owned()).as_deref(), Some("CONFLICTING_VALUES"));
    assert!(!err.may_have_been_sent());
}

#[tokio::test]
async fn request_status_sends_the_patient_and_filters() {
    let h = Harness::start(PlatformApi::Prescriptions).await;
    h.answer_once("GET", "/Task", answer(200, &format!("{TASKS}include-Medication-Requests.json"))).await;
    let status = h
        .session
        .prescriptions()
        .request_status()
        .id("dad85fcc-d3a0-4806-886a-a573bd48ad2c")
        .include_medications()
        .status(RequestStatus::Requested)
        .authored_from(NaiveDate::from_ymd_opt(2022, 1, 1).unwrap())
        .send()
        .await
        .unwrap();
    let ids = h.checked(None).await;
    assert_eq!(status.trace_id, ids[0]);
    assert_eq!(
        query(&h.received().await[0]),
        pairs(&[
            ("patient", NHS),
            ("id", "dad85fcc-d3a0-4806-886a-a573bd48ad2c"),
            ("_include", "Task:focus:MedicationRequest"),
            ("status", "requested"),
            ("authored-on", "ge2022-01-01"),
        ])
    );
    assert_eq!(status.requests.len(), 3);
    assert_eq!(status.repeats.len(), 1);
    assert_eq!(status.pending().count(), 2);
}

#[tokio::test]
async fn medications_by_request_uuid_and_by_one_date() {
    let h = Harness::start(PlatformApi::Prescriptions).await;
    h.answer_once(
        "GET",
        format!("/Patient/{NHS}/MedicationRequest"),
        answer(200, &format!("{MEDS}GetResponseMethotrexate.json")),
    )
    .await;
    let id = uuid::Uuid::parse_str("a54219b8-f741-4c47-b662-e4f8dfa49ab6").unwrap();
    let on = NaiveDate::from_ymd_opt(2022, 11, 13).unwrap();
    h.session.prescriptions().medications().identifier(id).authored_on(on).send().await.unwrap();
    let received = h.received().await;
    check_headers(&received[0], &h.tokens, None);
    assert_eq!(
        query(&received[0]),
        pairs(&[("authoredon", "eq2022-11-13"), ("identifier", "a54219b8-f741-4c47-b662-e4f8dfa49ab6")])
    );
    // One date and a range, or a UUID and an order number, are refused before sending.
    let meds = h.session.prescriptions().medications();
    let both = meds.clone().authored_on(on).authored_from(on).send().await.unwrap_err();
    assert_eq!(both.kind(), ErrorKind::InvalidInput);
    let both = meds.identifier(id).order_number("CDT38E-Y765968-4FG3BQ").send().await.unwrap_err();
    assert_eq!(both.kind(), ErrorKind::InvalidInput);
    assert_eq!(h.received().await.len(), 1);
}
