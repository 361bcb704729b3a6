//! Appointment Management answers as providers really send them: one bad field costs one
//! field, an item without identity or repeated is left out and reported, and an answer
//! about another patient is a typed patient-safety error. Hand-made bodies served by the mock.

use chrono::{Duration, Utc};
use gpconnect_appointments::{Appointment, AppointmentsExt, BookingOrganisation, DeliveryChannel, FreeSlots};
use gpconnect_core::fhir::lenient::{Problem, ProblemKind};
use gpconnect_core::{Error, ErrorKind, PatientId, PatientMismatch};
use gpconnect_testkit::MockSpine;
use serde_json::{json, Value};
use wiremock::matchers::{header, header_exists, method, path_regex};
use wiremock::{Mock, ResponseTemplate};

const PATIENT: &str = "p1";

/// [`PATIENT`] as the typed id the operations take.
fn patient() -> PatientId {
    PATIENT.parse().unwrap()
}
const FHIR_JSON: &str = "application/fhir+json;charset=utf-8";

fn bundle(resources: Vec<Value>) -> Value {
    let entry: Vec<Value> = resources.into_iter().map(|r| json!({ "resource": r })).collect();
    json!({ "resourceType": "Bundle", "type": "searchset", "entry": entry })
}

/// Answers `verb path` with `body` (checking the interaction and the SSP headers), once.
async fn serve(spine: &MockSpine, verb: &str, path: &str, interaction: &str, status: u16, body: &Value) {
    Mock::given(method(verb))
        .and(path_regex(format!("{path}$")))
        .and(header("ssp-interactionid", format!("urn:nhs:names:services:gpconnect:fhir:rest:{interaction}")))
        .and(header("ssp-from", spine.consumer_asid()))
        .and(header("ssp-to", spine.provider_asid()))
        .and(header("accept", FHIR_JSON))
        .and(header_exists("ssp-traceid"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body.to_string(), FHIR_JSON))
        .with_priority(1)
        .expect(1)
        .mount(spine.server())
        .await;
}

fn start(day: i64, hour: u32) -> String {
    let d = Utc::now().date_naive() + Duration::days(day);
    format!("{d}T{hour:02}:00:00+00:00")
}

fn slot(id: &str, hour: u32) -> Value {
    json!({
        "resourceType": "Slot", "id": id, "status": "free",
        "schedule": { "reference": "Schedule/s1" },
        "serviceType": [{ "text": "Urgent" }],
        "start": start(1, hour), "end": start(1, hour + 1),
        "extension": [{ "url": gpconnect_appointments::DELIVERY_CHANNEL_URL, "valueCode": "In-person" }]
    })
}

fn schedule() -> Value {
    json!({
        "resourceType": "Schedule", "id": "s1",
        "serviceCategory": [{ "text": "Morning clinic" }],  // an array where one value belongs
        "actor": [{ "reference": "Location/l1" }, { "reference": "Practitioner/pr1" }]
    })
}

fn location() -> Value {
    json!({ "resourceType": "Location", "id": "l1", "name": { "text": "not a string" },
            "managingOrganization": { "reference": "Organization/o1" } })
}

fn paths(problems: &[Problem]) -> Vec<String> {
    let mut paths: Vec<String> =
        problems.iter().map(|p| format!("{}.{}", p.resource_type, p.path().unwrap_or("-"))).collect();
    paths.sort();
    paths
}

/// The free slots of a hand-made search answer.
async fn slots(spine: &MockSpine, resources: Vec<Value>) -> FreeSlots {
    serve(spine, "GET", "/Slot", "search:slot-1", 200, &bundle(resources)).await;
    let today = Utc::now().date_naive();
    let search =
        spine.provider().appointments().search_free_slots(today + Duration::days(1), today + Duration::days(2));
    search.send().await.unwrap().into_inner()
}

#[tokio::test]
async fn wrong_shaped_slot_and_schedule_fields_cost_only_those_fields() {
    let spine = MockSpine::start().await;
    let mut broken = slot("a", 9);
    broken["status"] = json!(["free"]); // an array where one value belongs
    broken["start"] = json!(start(1, 9).replace("+00:00", "")); // a neighbouring format: no offset
    broken["extension"][0]["valueCode"] = json!("Carrier pigeon"); // an unknown code
    let organisation = json!({ "resourceType": "Organization", "id": "o1", "name": "The Practice",
        "identifier": [{ "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A00001" }] });
    let free = slots(&spine, vec![broken, slot("b", 10), schedule(), location(), organisation]).await;

    assert_eq!(free.slots.len(), 2, "the slot with bad fields is kept");
    let s = &free.slots[0];
    assert_eq!(s.id, "a");
    assert_eq!(s.start.as_str(), start(1, 9).replace("+00:00", ""), "kept as written");
    assert_eq!(s.start.to_datetime(), None);
    assert_eq!(s.end.as_str(), start(1, 10));
    assert_eq!(s.delivery_channel, Some(DeliveryChannel::Other("Carrier pigeon".into())));
    assert_eq!(s.service_type.as_deref(), Some("Urgent"));
    assert_eq!(s.service_category.as_deref(), Some("Morning clinic"), "read as its single element");
    assert_eq!(s.location.as_ref().map(|l| (l.id.as_str(), l.name.as_deref())), Some(("l1", None)));
    assert_eq!(s.organisation.as_ref().and_then(|o| o.ods_code()), Some("A00001"));
    assert_eq!(s.practitioner.as_ref().map(|p| p.id.as_str()), Some("pr1"), "named though not included");
    assert_eq!(paths(s.problems()), ["Slot.extension(DeliveryChannel).valueCode", "Slot.start", "Slot.status"]);
    assert!(s.problems().iter().all(|p| p.entry == Some(0) && !p.lost_item()));
    assert!(free.slots[1].problems().is_empty());
    // The schedule and location each once, however many slots name them.
    let mut want = paths(s.problems());
    want.extend(["Location.name".to_owned(), "Schedule.serviceCategory".to_owned()]);
    want.sort();
    assert_eq!(paths(free.problems()), want);
    let text = format!("{:?}", free.problems());
    assert!(!text.contains("pigeon") && !text.contains("not a string") && !text.contains("Morning"), "{text}");
}

#[tokio::test]
async fn slots_without_identity_and_second_copies_are_left_out_and_reported() {
    let spine = MockSpine::start().await;
    let mut no_start = slot("c", 11);
    no_start.as_object_mut().unwrap().remove("start");
    let mut copy = slot("a", 12);
    copy["serviceType"] = json!([{ "text": "Second copy" }]);
    let free = slots(&spine, vec![slot("a", 9), no_start, copy, json!([1, 2]), schedule(), location()]).await;
    let ids: Vec<_> = free.slots.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["a"]);
    assert_eq!(free.slots[0].service_type.as_deref(), Some("Urgent"), "the first copy is kept");
    let lost: Vec<_> = free.problems().iter().filter(|p| p.lost_item()).map(|p| (p.entry, p.kind.clone())).collect();
    assert_eq!(lost, [(Some(1), ProblemKind::NoIdentity), (Some(2), ProblemKind::Duplicate)]);
}

fn appointment(id: Option<&str>, patient: &str) -> Value {
    let mut a = json!({
        "resourceType": "Appointment", "meta": { "versionId": "1" }, "status": "booked",
        "description": "Follow-up", "start": start(1, 9), "end": start(1, 10),
        "slot": [{ "reference": "Slot/a" }],
        "participant": [
            { "actor": { "reference": format!("Patient/{patient}") }, "status": "accepted" },
            { "actor": { "reference": "Location/l1" }, "status": "accepted" }
        ]
    });
    if let Some(id) = id {
        a["id"] = json!(id);
    }
    a
}

#[tokio::test]
async fn a_patients_appointments_keep_items_with_bad_fields_and_report_the_rest() {
    let spine = MockSpine::start().await;
    let mut broken = appointment(Some("1"), PATIENT);
    broken["start"] = json!([start(1, 9)]); // an array where one value belongs
    broken["status"] = json!("bookd"); // an unknown code
    broken["comment"] = json!(42); // a number where text belongs: read as text
    let mut copy = appointment(Some("1"), PATIENT);
    copy["description"] = json!("Second copy");
    let body = bundle(vec![broken, appointment(None, PATIENT), copy, appointment(Some("2"), PATIENT)]);
    serve(&spine, "GET", &format!("/Patient/{PATIENT}/Appointment"), "search:patient_appointments-1", 200, &body).await;
    let today = Utc::now().date_naive();
    let list = spine.provider().appointments().patient_appointments(&patient(), today, today + Duration::days(7));
    let list = list.send().await.unwrap().into_inner();

    let ids: Vec<_> = list.iter().map(|a| a.id.as_deref()).collect();
    assert_eq!(ids, [Some("1"), Some("2")]);
    let a = &list[0];
    assert_eq!(a.start.as_ref().map(|d| d.as_str().to_owned()), Some(start(1, 9)));
    assert_eq!(a.description.as_deref(), Some("Follow-up"), "the first copy is kept");
    assert_eq!(a.comment.as_deref(), Some("42"));
    assert_eq!(a.status, Some(gpconnect_appointments::AppointmentStatus::Other("bookd".into())));
    assert_eq!(a.patient_id.as_deref(), Some(PATIENT));
    assert_eq!(paths(a.problems()), ["Appointment.comment", "Appointment.start", "Appointment.status"]);
    let lost: Vec<_> = list.problems().iter().filter(|p| p.lost_item()).map(|p| (p.entry, p.kind.clone())).collect();
    assert_eq!(lost, [(Some(1), ProblemKind::NoIdentity), (Some(2), ProblemKind::Duplicate)]);
    assert_eq!(list.problems().len(), 5, "the kept item's three fields and the two left out");
}

fn assert_wrong_patient(err: Error, expected: PatientMismatch) {
    assert_eq!(err.kind(), ErrorKind::WrongPatient, "{err:?}");
    assert!(matches!(err, Error::WrongPatient { problem, .. } if problem == expected), "{err:?}");
    assert!(err.trace_id().is_some());
    let text = format!("{err} {err:?}");
    assert!(!text.contains("p2") && !text.contains("Patient/"), "{text}");
    // The text says what differed: a logical id here, never "another NHS number".
    assert!(text.contains(&expected.to_string()) && !text.contains("NHS number"), "{text}");
}

#[tokio::test]
async fn an_appointment_answer_for_another_patient_is_a_wrong_patient_error() {
    // Read, asked for our patient: another patient, none, or two.
    let mut two = appointment(Some("1"), PATIENT);
    two["participant"].as_array_mut().unwrap().push(json!({ "actor": { "reference": "Patient/p2" } }));
    let mut none = appointment(Some("1"), PATIENT);
    none["participant"].as_array_mut().unwrap().remove(0);
    for (body, expected) in [
        (appointment(Some("1"), "p2"), PatientMismatch::OtherPatientId),
        (two, PatientMismatch::OtherPatientId),
        (none, PatientMismatch::NoPatient),
    ] {
        let spine = MockSpine::start().await;
        serve(&spine, "GET", "/Appointment/1", "read:appointment-1", 200, &body).await;
        let err = spine
            .provider()
            .appointments()
            .read(&"1".parse().unwrap())
            .for_patient(&patient())
            .send()
            .await
            .unwrap_err();
        assert_wrong_patient(err, expected);
    }

    // A patient's appointments with one for someone else.
    let spine = MockSpine::start().await;
    let body = bundle(vec![appointment(Some("1"), PATIENT), appointment(Some("2"), "p2")]);
    serve(&spine, "GET", &format!("/Patient/{PATIENT}/Appointment"), "search:patient_appointments-1", 200, &body).await;
    let today = Utc::now().date_naive();
    let err = spine
        .provider()
        .appointments()
        .patient_appointments(&patient(), today, today + Duration::days(7))
        .send()
        .await
        .unwrap_err();
    assert_wrong_patient(err, PatientMismatch::OtherPatientId);

    // Amend and cancel answered with the appointment of someone else.
    let ours = Appointment::from_json(&appointment(Some("1"), PATIENT).to_string()).unwrap();
    let spine = MockSpine::start().await;
    serve(&spine, "PUT", "/Appointment/1", "update:appointment-1", 200, &appointment(Some("1"), "p2")).await;
    let err = spine.provider().appointments().amend(&ours).comment("Call first").send().await.unwrap_err();
    assert_wrong_patient(err, PatientMismatch::OtherPatientId);
    let spine = MockSpine::start().await;
    serve(&spine, "PUT", "/Appointment/1", "cancel:appointment-1", 200, &appointment(Some("1"), "p2")).await;
    let err = spine.provider().appointments().cancel(&ours, "Feels better").send().await.unwrap_err();
    assert_wrong_patient(err.into(), PatientMismatch::OtherPatientId);
}

#[tokio::test]
async fn a_booking_answered_for_another_patient_is_a_wrong_patient_error() {
    let spine = MockSpine::start().await;
    let free = slots(&spine, vec![slot("a", 9), schedule(), json!({ "resourceType": "Location", "id": "l1" })]).await;
    assert_eq!(free.slots.len(), 1);
    serve(&spine, "POST", "/Appointment", "create:appointment-1", 201, &appointment(Some("7"), "p2")).await;
    let err = spine
        .provider()
        .appointments()
        .book(&free.slots, &patient())
        .description("Follow-up")
        .booking_organisation(BookingOrganisation::new("North Ambulance Service", "01111222333"))
        .send()
        .await
        .unwrap_err();
    assert_wrong_patient(err, PatientMismatch::OtherPatientId);
    // What was sent names our patient.
    let requests = spine.server().received_requests().await.unwrap();
    let post = requests.iter().find(|r| r.method.as_str() == "POST").expect("the booking was sent");
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(body["participant"][0]["actor"]["reference"], format!("Patient/{PATIENT}"));
}
