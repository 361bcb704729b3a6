//! Appointments wire tests: method, path, query, every header, body, answers from the
//! spec's examples, writes never sent twice, and cancel-and-rebook reporting each step.

use crate::common;

use chrono::NaiveDate;
use common::*;
use gpconnect_appointments::{Appointment, BookingOrganisation, FreeSlot};
use gpconnect_core::platform::PlatformApi;
use gpconnect_core::{AppointmentId, ErrorKind};
use gpconnect_patient::{CancelError, Held, PatientExt, RebookOrder};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const SLOTS: &str = "appointments/appointments__GET_Slot__response-200__example.json";
const BOOKED: &str = "appointments/appointments__POST_Appointment__response-201__example.json";
const READ: &str = "appointments/appointments__GET_Appointment-id__response-200__example.json";
const CANCELLED: &str = "appointments/appointments__PUT_Appointment-id__response-200__example.json";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn organisation() -> BookingOrganisation {
    BookingOrganisation::new("Patient App Ltd", "0300 123 4567").ods(&"X26".parse().unwrap())
}

async fn free_slots(h: &Harness) -> Vec<FreeSlot> {
    Mock::given(method("GET")).and(path("/Slot")).respond_with(answer(200, SLOTS)).mount(&h.api).await;
    let slots = h.session.appointments().search_free_slots(d(2016, 8, 15), d(2016, 8, 16)).send().await.unwrap();
    h.api.reset().await;
    slots.into_inner().slots
}

fn read_appointment() -> Appointment {
    Appointment::from_json(&String::from_utf8(fixture(READ)).unwrap()).unwrap()
}

#[tokio::test]
async fn search_free_slots_sends_the_spec_query_and_reads_the_slots() {
    let h = Harness::start(PlatformApi::Appointments).await;
    h.answer_once("GET", "/Slot", answer(200, SLOTS)).await;
    let free = h
        .session
        .appointments()
        .search_free_slots(d(2020, 5, 9), d(2020, 5, 10))
        .search_filter_ods(&"A20047".parse().unwrap())
        .correlation_id("c-7")
        .send()
        .await
        .unwrap();
    let ids = h.checked(Some("c-7")).await;
    assert_eq!(free.trace_id, ids[0]);
    let q: Vec<(String, String)> = query(&h.received().await[0]);
    let expected: Vec<(String, String)> = [
        ("start", "ge2020-05-09"),
        ("end", "le2020-05-10"),
        ("status", "free"),
        ("_include", "Slot:schedule"),
        ("_include:recurse", "Schedule:actor:Practitioner"),
        ("_include:recurse", "Schedule:actor:Location"),
        ("_include:recurse", "Location:managingOrganization"),
        ("searchFilter", "https://fhir.nhs.uk/Id/ods-organization-code|A20047"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(q, expected);
    assert_eq!(free.slots.len(), 2);
    let slot = &free.slots[0];
    assert_eq!(slot.id, "1584");
    assert_eq!(slot.location.as_ref().and_then(|l| l.name.as_deref()), Some("The Trevelyan Practice"));
    assert_eq!(slot.practitioner.as_ref().and_then(|p| p.name.as_deref()), Some("Mrs Sarah Black"));
}

#[tokio::test]
async fn a_window_over_fourteen_days_is_refused_before_sending() {
    let h = Harness::start(PlatformApi::Appointments).await;
    let err = h.session.appointments().search_free_slots(d(2020, 5, 1), d(2020, 5, 30)).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(h.received().await.is_empty());
}

#[tokio::test]
async fn book_sends_the_appointment_once() {
    let h = Harness::start(PlatformApi::Appointments).await;
    let slots = free_slots(&h).await;
    h.answer_once("POST", "/Appointment", answer(201, BOOKED)).await;
    let booked = h
        .session
        .appointments()
        .book(&slots[..1])
        .description("Cough for three weeks")
        .comment("Mornings are best")
        .booking_organisation(organisation())
        .send()
        .await
        .unwrap();
    let ids = h.checked(None).await;
    assert_eq!(booked.id.as_deref(), Some("9"));
    assert_eq!(booked.trace_id, ids[0]);
    let sent = body(&h.received().await[0]);
    assert_eq!(sent["resourceType"], "Appointment");
    assert_eq!(sent["status"], "booked");
    assert_eq!(sent["start"], "2016-08-15T11:30:00+01:00");
    assert_eq!(sent["end"], "2016-08-15T11:40:00+01:00");
    assert_eq!(sent["slot"], serde_json::json!([{ "reference": "Slot/1584" }]));
    assert_eq!(sent["description"], "Cough for three weeks");
    assert_eq!(sent["comment"], "Mornings are best");
    let actors: Vec<&str> =
        sent["participant"].as_array().unwrap().iter().map(|p| p["actor"]["reference"].as_str().unwrap()).collect();
    assert_eq!(actors, [format!("Patient/{NHS}").as_str(), "Location/17", "Practitioner/2"]);
    assert_eq!(sent["contained"][0]["identifier"][0]["value"], "X26");
    assert_eq!(sent["contained"][0]["name"], "Patient App Ltd");
    assert_eq!(sent["extension"][0]["valueReference"]["reference"], "#1");
}

#[tokio::test]
async fn a_booking_is_never_sent_twice() {
    let h = Harness::start(PlatformApi::Appointments).await;
    let slots = free_slots(&h).await;
    h.answer_once("POST", "/Appointment", ResponseTemplate::new(502)).await;
    let err = h
        .session
        .appointments()
        .book(&slots[..1])
        .description("Review")
        .booking_organisation(organisation())
        .send()
        .await
        .unwrap_err();
    assert!(err.may_have_been_sent());
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    assert_eq!(h.checked(None).await.len(), 1, "not retried");
}

#[tokio::test]
async fn bad_bookings_are_refused_before_sending() {
    let h = Harness::start(PlatformApi::Appointments).await;
    let slots = free_slots(&h).await;
    let appointments = h.session.appointments();
    let no_org = appointments.book(&slots[..1]).description("x").send().await.unwrap_err();
    assert_eq!(no_org.kind(), ErrorKind::InvalidInput);
    let no_ods = appointments
        .book(&slots[..1])
        .description("x")
        .booking_organisation(BookingOrganisation::new("App", "0300"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(no_ods.kind(), ErrorKind::InvalidInput);
    let mixed = appointments.book(&slots).description("x").booking_organisation(organisation()).send().await;
    assert_eq!(mixed.unwrap_err().kind(), ErrorKind::InvalidInput, "slots of two service types");
    assert!(h.received().await.is_empty());
}

#[tokio::test]
async fn list_sends_the_range_and_reads_appointments_with_their_details() {
    let h = Harness::start(PlatformApi::Appointments).await;
    h.answer_once(
        "GET",
        format!("/Patient/{NHS}/Appointment"),
        answer(200, "appointments/appointments__GET_Patient-id-Appointment__response-200__example.json"),
    )
    .await;
    let list = h.session.appointments().list(d(2020, 5, 9), d(2020, 5, 19)).past_limit(5).send().await.unwrap();
    let ids = h.checked(None).await;
    assert_eq!(list.trace_id, ids[0]);
    let expected: Vec<(String, String)> = [
        ("start", "ge2020-05-09"),
        ("start", "le2020-05-19"),
        ("_include:recurse", "Appointment:actor:Practitioner"),
        ("_include:recurse", "Appointment:actor:Location"),
        ("past-appt-limit", "5"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(query(&h.received().await[0]), expected);
    assert_eq!(list.appointments.len(), 2);
    assert_eq!(list.practitioners.len(), 1);
    assert_eq!(list.locations.len(), 1);
    let reversed = h.session.appointments().list(d(2020, 5, 19), d(2020, 5, 9)).send().await.unwrap_err();
    assert_eq!(reversed.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn read_gets_one_appointment() {
    let h = Harness::start(PlatformApi::Appointments).await;
    h.answer_once("GET", "/Appointment/1", answer(200, READ)).await;
    let appointment = h.session.appointments().read(&"1".parse().unwrap()).send().await.unwrap();
    h.checked(None).await;
    assert_eq!(appointment.value.version_id.as_deref(), Some("1503440820000"), "meta.versionId");
    assert!(!format!("{appointment:?}").contains(NHS));
    // A bad id is refused before any request can exist (typed ids), so nothing is sent.
    let bad: gpconnect_core::Error = "1/../2".parse::<AppointmentId>().unwrap_err().into();
    assert_eq!(bad.kind(), ErrorKind::InvalidInput);
    assert_eq!(h.received().await.len(), 1);
    assert!(h.received().await[0].url.query().is_none(), "no _include:recurse unless asked for");
}

#[tokio::test]
async fn read_can_ask_for_the_practitioner_and_location() {
    let h = Harness::start(PlatformApi::Appointments).await;
    h.answer_once("GET", "/Appointment/1", answer(200, READ)).await;
    let appointment = h.session.appointments().read(&"1".parse().unwrap()).include_details().send().await.unwrap();
    h.checked(None).await;
    assert_eq!(appointment.value.version_id.as_deref(), Some("1503440820000"));
    let received = h.received().await;
    assert_eq!(
        query(&received[0]),
        [("_include:recurse", "Appointment:actor:Practitioner"), ("_include:recurse", "Appointment:actor:Location")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert!(received[0].url.query().unwrap().contains("_include:recurse="), "the name literal, as on the SSP path");
}

#[tokio::test]
async fn read_of_another_patients_appointment_is_an_error() {
    let token = gpconnect_testkit::platform::id_token().nhs_number(Some("9999999999")).build();
    let h = Harness::with_id_token(PlatformApi::Appointments, token).await;
    h.answer_once("GET", "/Appointment/1", answer(200, READ)).await;
    let err = h.session.appointments().read(&"1".parse().unwrap()).send().await.unwrap_err();
    // Issue 21: an answer about another patient is `WrongPatient`, not a decode error.
    assert_eq!(err.kind(), ErrorKind::WrongPatient);
    assert_eq!(err.trace_id(), Some(h.checked(None).await[0]));
    assert!(!format!("{err} {err:?}").contains("9000000009"));
}

#[tokio::test]
async fn cancel_puts_the_appointment_as_read_with_status_and_reason() {
    let h = Harness::start(PlatformApi::Appointments).await;
    let current = read_appointment();
    let id = current.id.clone().unwrap();
    h.answer_once("PUT", format!("/Appointment/{id}"), answer(200, CANCELLED)).await;
    let cancelled = h.session.appointments().cancel(&current, "Feeling better").send().await.unwrap();
    h.checked(None).await;
    assert!(cancelled.is_cancelled());
    let sent = body(&h.received().await[0]);
    let mut expected = current.raw_json();
    expected["status"] = "cancelled".into();
    let mut extensions = expected["extension"].as_array().cloned().unwrap_or_default();
    extensions.push(serde_json::json!({
        "url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-AppointmentCancellationReason-1",
        "valueString": "Feeling better",
    }));
    expected["extension"] = extensions.into();
    assert_eq!(sent, expected, "everything else unchanged, meta.versionId included");
    assert!(h.received().await[0].headers.get("if-match").is_none());
}

#[tokio::test]
async fn too_late_to_cancel_is_its_own_error() {
    let h = Harness::start(PlatformApi::Appointments).await;
    h.answer_once(
        "PUT",
        "/Appointment/150",
        ResponseTemplate::new(461).set_body_raw(
            serde_json::to_vec(&serde_json::json!({
                "resourceType": "OperationOutcome",
                "issue": [{ "severity": "error", "code": "forbidden", "details": { "coding": [{
                    "system": "https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1",
                    "code": "ACCESS_DENIED", "display": "Too late to cancel appointment" }] } }]
            }))
            .unwrap(),
            FHIR_JSON,
        ),
    )
    .await;
    let err = h.session.appointments().cancel(&read_appointment(), "Away").send().await.unwrap_err();
    let CancelError::TooLate(inner) = &err else { panic!("expected TooLate, got {err:?}") };
    assert_eq!(inner.status(), Some(461));
    assert_eq!(inner.code().map(|c| c.as_str().to_owned()).as_deref(), Some("ACCESS_DENIED"));
    assert!(!err.may_have_been_sent());
    let core: gpconnect_core::Error = err.into();
    assert_eq!(core.status(), Some(461));
    h.checked(None).await;
}

#[tokio::test]
async fn other_cancel_refusals_and_bad_input() {
    let h = Harness::start(PlatformApi::Appointments).await;
    h.answer_once(
        "PUT",
        "/Appointment/150",
        answer(404, "appointments/appointments__PUT_Appointment-id__response-4XX__example.json"),
    )
    .await;
    let err = h.session.appointments().cancel(&read_appointment(), "Away").send().await.unwrap_err();
    assert!(matches!(&err, CancelError::Other(e) if e.kind() == ErrorKind::NotFound));
    let empty = h.session.appointments().cancel(&read_appointment(), "  ").send().await.unwrap_err();
    assert!(matches!(&empty, CancelError::Other(e) if e.kind() == ErrorKind::InvalidInput));
    let done = Appointment::from_json(&String::from_utf8(fixture(CANCELLED)).unwrap()).unwrap();
    let again = h.session.appointments().cancel(&done, "x").send().await.unwrap_err();
    assert!(matches!(&again, CancelError::Other(e) if e.kind() == ErrorKind::InvalidInput));
    assert_eq!(h.received().await.len(), 1);
}

#[tokio::test]
async fn rebook_books_first_then_cancels() {
    let h = Harness::start(PlatformApi::Appointments).await;
    let slots = free_slots(&h).await;
    h.answer_once("POST", "/Appointment", answer(201, BOOKED)).await;
    h.answer_once("PUT", "/Appointment/150", answer(200, CANCELLED)).await;
    let report = h
        .session
        .appointments()
        .rebook(&read_appointment(), "Moved to a later slot", &slots[1..])
        .description("Health check")
        .booking_organisation(organisation())
        .correlation_id("move-1")
        .send()
        .await
        .unwrap();
    let ids = h.checked(Some("move-1")).await;
    assert_ne!(ids[0], ids[1]);
    assert!(report.is_complete());
    assert_eq!(report.holding().new, Held::Yes);
    assert_eq!(report.holding().old, Held::No);
    let received = h.received().await;
    assert_eq!((received[0].method.as_str(), received[1].method.as_str()), ("POST", "PUT"));
}

#[tokio::test]
async fn rebook_says_when_the_patient_holds_both() {
    let h = Harness::start(PlatformApi::Appointments).await;
    let slots = free_slots(&h).await;
    h.answer_once("POST", "/Appointment", answer(201, BOOKED)).await;
    h.answer_once("PUT", "/Appointment/150", ResponseTemplate::new(461)).await;
    let report = h
        .session
        .appointments()
        .rebook(&read_appointment(), "Moving", &slots[1..])
        .description("Health check")
        .booking_organisation(organisation())
        .send()
        .await
        .unwrap();
    assert!(!report.is_complete());
    assert!(report.holding().both());
    assert!(matches!(report.cancellation, Some(Err(CancelError::TooLate(_)))));
    assert!(report.booked().is_some());
}

#[tokio::test]
async fn rebook_cancel_first_says_when_the_patient_holds_neither() {
    let h = Harness::start(PlatformApi::Appointments).await;
    let slots = free_slots(&h).await;
    h.answer_once("PUT", "/Appointment/150", answer(200, CANCELLED)).await;
    h.answer_once(
        "POST",
        "/Appointment",
        answer(409, "appointments/appointments__POST_Appointment__response-4XX__example.json"),
    )
    .await;
    let report = h
        .session
        .appointments()
        .rebook(&read_appointment(), "Moving", &slots[1..])
        .description("Health check")
        .booking_organisation(organisation())
        .order(RebookOrder::CancelFirst)
        .send()
        .await
        .unwrap();
    assert!(report.holding().neither(), "{:?}", report.holding());
    let received = h.received().await;
    assert_eq!((received[0].method.as_str(), received[1].method.as_str()), ("PUT", "POST"));
}

#[tokio::test]
async fn rebook_stops_when_the_booking_outcome_is_unknown() {
    let h = Harness::start(PlatformApi::Appointments).await;
    let slots = free_slots(&h).await;
    h.answer_once("POST", "/Appointment", ResponseTemplate::new(500)).await;
    let report = h
        .session
        .appointments()
        .rebook(&read_appointment(), "Moving", &slots[1..])
        .description("Health check")
        .booking_organisation(organisation())
        .send()
        .await
        .unwrap();
    assert_eq!(report.holding().new, Held::Unknown);
    assert_eq!(report.holding().old, Held::Yes);
    assert!(report.cancellation.is_none(), "the old appointment is not touched");
    assert_eq!(h.received().await.len(), 1);
}

#[tokio::test]
async fn rebook_checks_both_steps_before_sending_anything() {
    let h = Harness::start(PlatformApi::Appointments).await;
    let slots = free_slots(&h).await;
    let err = h
        .session
        .appointments()
        .rebook(&read_appointment(), "", &slots[1..])
        .description("Health check")
        .booking_organisation(organisation())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(h.received().await.is_empty());
}

#[tokio::test]
async fn list_filters_by_status_from_the_stu3_codes_only() {
    let h = Harness::start(PlatformApi::Appointments).await;
    h.answer_once(
        "GET",
        format!("/Patient/{NHS}/Appointment"),
        answer(200, "appointments/appointments__GET_Patient-id-Appointment__response-200__example.json"),
    )
    .await;
    let list = h.session.appointments().list(d(2020, 5, 9), d(2020, 5, 19)).without_details().status("booked");
    list.send().await.unwrap();
    h.checked(None).await;
    let sent = query(&h.received().await[0]);
    assert_eq!(sent.last(), Some(&("status".to_owned(), "booked".to_owned())));
    let bad = h.session.appointments().list(d(2020, 5, 9), d(2020, 5, 19)).status("booked&x=1").send().await;
    assert_eq!(bad.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(h.received().await.len(), 1);
}
