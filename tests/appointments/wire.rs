//! Wire tests against the testkit's mock SSP + provider.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{Duration, Utc};
use gpconnect_appointments::{AppointmentsExt, BookingOrganisation, FreeSlot, OrganisationType};
use gpconnect_core::{Capability, Client, ErrorKind, GpcCode, Provider, ServiceRoot};
use gpconnect_testkit::{test_consumer, test_user, MockSpine, ReceivedRequest, Target};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

const PATIENT_NHS: &str = "9690937286";

fn org() -> BookingOrganisation {
    BookingOrganisation::new("North Ambulance Service", "01111222333")
}

fn check_common(r: &ReceivedRequest, method: &str, fhir_path: &str, scope: &str, interaction: &str) {
    assert!(r.verdict.is_accepted(), "{r:?}");
    assert_eq!(r.method, method);
    assert_eq!(r.fhir_path, fhir_path);
    assert_eq!(r.header("ssp-interactionid"), Some(interaction));
    assert_eq!(r.header("accept"), Some("application/fhir+json;charset=utf-8"));
    let claims = r.claims.as_ref().expect("a JWT");
    assert_eq!(claims["requested_scope"], scope);
}

/// The requests that went through the SSP (not the SDS look-ups).
async fn ssp_requests(spine: &MockSpine) -> Vec<ReceivedRequest> {
    spine.received().await.into_iter().filter(|r| matches!(r.target, Target::Ssp)).collect()
}

async fn free_slots(spine: &MockSpine) -> Vec<FreeSlot> {
    let today = Utc::now().date_naive();
    spine
        .provider()
        .appointments()
        .search_free_slots(today + Duration::days(1), today + Duration::days(14))
        .organisation_type(OrganisationType::UrgentCare)
        .send()
        .await
        .unwrap()
        .into_inner()
        .slots
}

#[tokio::test]
async fn slot_search_sends_every_parameter_and_returns_typed_future_slots() {
    let spine = MockSpine::start().await;
    let today = Utc::now().date_naive();
    let (from, to) = (today + Duration::days(1), today + Duration::days(14));
    let free = spine
        .provider()
        .appointments()
        .search_free_slots(from, to)
        .organisation_type(OrganisationType::UrgentCare)
        .dos_service_id("1000000123")
        .send()
        .await
        .unwrap();
    assert_eq!(free.slots.len(), 28, "two example slots on each of 14 days");
    let s = &free.slots[0];
    assert!(s.start.to_date() == Some(from));
    assert_eq!(s.schedule_id.as_deref(), Some("14"));
    assert_eq!(s.practitioner.as_ref().and_then(|p| p.name.as_deref()), Some("Mrs Sarah Black"));
    assert_eq!(s.location.as_ref().and_then(|l| l.name.as_deref()), Some("The Trevelyan Practice"));
    assert_eq!(s.organisation.as_ref().and_then(|o| o.ods_code()), Some("A00001"));
    assert_eq!(s.healthcare_service_id.as_deref(), Some("3"));
    assert_eq!(free.service_filtering, Some(gpconnect_appointments::ServiceFilteringStatus::Enabled));

    let received = ssp_requests(&spine).await;
    let [r] = received.as_slice() else { panic!("one request: {received:?}") };
    check_common(r, "GET", "Slot", "organization/*.read", "urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1");
    assert_eq!(r.query_values("start"), [format!("ge{from}")]);
    assert_eq!(r.query_values("end"), [format!("le{to}")]);
    assert_eq!(r.query_values("status"), ["free"]);
    assert_eq!(r.query_values("_include"), ["Slot:schedule"]);
    assert_eq!(
        r.query_values("_include:recurse"),
        [
            "Schedule:actor:Practitioner",
            "Schedule:actor:Location",
            "Schedule:actor:HealthcareService",
            "Location:managingOrganization"
        ],
        "in the order of the spec's 1.2.8 examples"
    );
    assert_eq!(r.query_values("service.identifier"), ["https://fhir.nhs.uk/Id/uec-dos-service-id|1000000123"]);
    assert_eq!(
        r.query_values("searchFilter"),
        [
            "https://fhir.nhs.uk/Id/ods-organization-code|A1001",
            "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1|urgent-care"
        ]
    );
    assert_eq!(r.query.len(), 11);
    // Names literally as the spec writes them; ':' and '+' percent-encoded in values.
    assert!(r.raw_query.contains("&_include:recurse=Schedule%3Aactor%3APractitioner&"), "{}", r.raw_query);
    assert!(!r.raw_query.contains("_include%3A"), "{}", r.raw_query);
    assert!(r.raw_query.contains("&service.identifier=https%3A//fhir.nhs.uk/Id/uec-dos-service-id%7C1000000123"));
}

#[tokio::test]
async fn a_window_over_fourteen_days_is_refused_before_sending() {
    let spine = MockSpine::start().await;
    let today = Utc::now().date_naive();
    let err =
        spine.provider().appointments().search_free_slots(today, today + Duration::days(15)).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("`end`"), "{err}");
    assert!(spine.received().await.is_empty());
}

#[tokio::test]
async fn book_read_list_amend_cancel_round_trip_with_if_match() {
    let spine = MockSpine::start().await;
    let patient = spine.patient_id(PATIENT_NHS).unwrap();
    let slots = free_slots(&spine).await;
    let appointments = spine.provider().appointments();
    let booked = appointments
        .book(&slots[..1], &patient)
        .description("Free text description.")
        .comment("Free text comment.")
        .booking_organisation(org())
        .send()
        .await
        .unwrap();
    assert_eq!(booked.slot_ids, [slots[0].id.to_string()]);
    assert_eq!(booked.practitioner_id.as_deref(), Some("2"));
    assert_eq!(booked.version_id.as_deref(), Some("1"));
    let id = booked.id.clone().unwrap();

    let read = appointments.read(&id.parse().unwrap()).send().await.unwrap();
    assert_eq!(read.start, Some(slots[0].start.clone()));
    let day = slots[0].start.to_date().unwrap();
    let listed = appointments.patient_appointments(&patient, Utc::now().date_naive(), day).send().await.unwrap();
    assert_eq!(listed.len(), 1);
    let amended = appointments.amend(&read).description("Free text description updated.").send().await.unwrap();
    assert_eq!(amended.description.as_deref(), Some("Free text description updated."));
    assert_eq!(amended.version_id.as_deref(), Some("2"));
    let cancelled = appointments.cancel(&amended, "Free text cancellation reason.").send().await.unwrap();
    assert!(cancelled.is_cancelled());

    let received = ssp_requests(&spine).await;
    assert_eq!(received.len(), 6, "{received:?}");
    let book = &received[1];
    check_common(
        book,
        "POST",
        "Appointment",
        "patient/*.write",
        "urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1",
    );
    assert_eq!(book.header("content-type"), Some("application/fhir+json;charset=utf-8"));
    let body = book.body.as_ref().unwrap();
    assert_eq!(body["status"], "booked");
    assert_eq!(body["slot"], json!([{ "reference": format!("Slot/{}", slots[0].id) }]));
    assert_eq!(body["start"], slots[0].start.as_str());
    assert_eq!(body["end"], slots[0].end.as_str());
    assert_eq!(body["description"], "Free text description.");
    assert_eq!(body["comment"], "Free text comment.");
    assert_eq!(body["contained"][0]["identifier"][0]["value"], "A1001");
    assert_eq!(body["contained"][0]["type"][0]["coding"][0]["code"], "urgent-care");
    assert_eq!(body["contained"][0]["telecom"], json!([{ "system": "phone", "value": "01111222333" }]));
    assert_eq!(body["extension"][0]["valueReference"]["reference"], "#1");
    assert_eq!(body["participant"][0]["actor"]["reference"], format!("Patient/{patient}"));
    assert_eq!(body["participant"][1]["actor"]["reference"], "Location/17");
    assert_eq!(body["participant"][2]["actor"]["reference"], "Practitioner/2");
    assert!(body["created"].as_str().is_some_and(|c| c.len() == 25));

    check_common(
        &received[2],
        "GET",
        &format!("Appointment/{id}"),
        "patient/*.read",
        "urn:nhs:names:services:gpconnect:fhir:rest:read:appointment-1",
    );
    let list = &received[3];
    check_common(
        list,
        "GET",
        &format!("Patient/{patient}/Appointment"),
        "patient/*.read",
        "urn:nhs:names:services:gpconnect:fhir:rest:search:patient_appointments-1",
    );
    assert_eq!(list.query_values("start"), [format!("ge{}", Utc::now().date_naive()), format!("le{day}")]);
    let amend = &received[4];
    check_common(
        amend,
        "PUT",
        &format!("Appointment/{id}"),
        "patient/*.write",
        "urn:nhs:names:services:gpconnect:fhir:rest:update:appointment-1",
    );
    assert_eq!(amend.header("if-match"), Some("W/\"1\""));
    let mut expected = read.raw_json();
    expected["description"] = json!("Free text description updated.");
    assert_eq!(amend.body.as_ref(), Some(&expected));
    let cancel = &received[5];
    check_common(
        cancel,
        "PUT",
        &format!("Appointment/{id}"),
        "patient/*.write",
        "urn:nhs:names:services:gpconnect:fhir:rest:cancel:appointment-1",
    );
    assert_eq!(cancel.header("if-match"), Some("W/\"2\""));
    let cancel_body = cancel.body.as_ref().unwrap();
    assert_eq!(cancel_body["status"], "cancelled");
    assert_eq!(cancel_body["description"], "Free text description updated.");
    assert!(cancel_body["extension"].as_array().unwrap().iter().any(|e| e["url"]
        == "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-AppointmentCancellationReason-1"
        && e["valueString"] == "Free text cancellation reason."));

    // The cancelled slot is free again.
    assert!(free_slots(&spine).await.iter().any(|s| s.id == slots[0].id));
}

#[tokio::test]
async fn a_slot_taken_by_someone_else_is_a_typed_conflict() {
    let spine = MockSpine::start().await;
    let patient = spine.patient_id(PATIENT_NHS).unwrap();
    let slots = free_slots(&spine).await;
    let book =
        || spine.provider().appointments().book(&slots[..1], &patient).description("d").booking_organisation(org());
    book().send().await.unwrap();
    let err = book().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some(GpcCode::DuplicateRejected));
    assert_eq!(err.status(), Some(409));
    assert!(!free_slots(&spine).await.iter().any(|s| s.id == slots[0].id), "a booked slot is no longer free");
}

#[tokio::test]
async fn amending_a_stale_version_is_a_conflict() {
    let spine = MockSpine::start().await;
    let patient = spine.patient_id(PATIENT_NHS).unwrap();
    let slots = free_slots(&spine).await;
    let appointments = spine.provider().appointments();
    let booked =
        appointments.book(&slots[..1], &patient).description("d").booking_organisation(org()).send().await.unwrap();
    appointments.amend(&booked).comment("first").send().await.unwrap();
    let err = appointments.amend(&booked).comment("second").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.status(), Some(409));
    let err = appointments.cancel(&booked, "reason").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn a_500_answer_to_a_booking_is_outcome_unknown_and_not_retried() {
    let spine = MockSpine::start().await;
    let patient = spine.patient_id(PATIENT_NHS).unwrap();
    let slots = free_slots(&spine).await;
    Mock::given(method("POST"))
        .and(path_regex("/Appointment$"))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .expect(1)
        .mount(spine.server())
        .await;
    let err = spine
        .provider()
        .appointments()
        .book(&slots[..1], &patient)
        .description("d")
        .booking_organisation(org())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    assert!(err.may_have_been_sent() && !err.is_retryable());
    spine.server().verify().await;
}

/// A fake SSP that reads each whole request, forwards it to the testkit (so the booking
/// takes effect there), and drops the caller's connection without answering.
async fn dropping_ssp(spine_addr: std::net::SocketAddr, count: Arc<AtomicUsize>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let whole = loop {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + length {
                    break Some(buf.clone());
                }
            };
            if let Some(request) = whole {
                count.fetch_add(1, Ordering::SeqCst);
                let mut upstream = TcpStream::connect(spine_addr).await.unwrap();
                upstream.write_all(&request).await.unwrap();
                let mut answer = [0u8; 1024];
                let _ = upstream.read(&mut answer).await;
            }
            drop(socket);
        }
    });
    addr
}

#[tokio::test]
async fn a_dropped_connection_after_sending_is_outcome_unknown_and_find_booking_shows_the_booking() {
    let spine = MockSpine::start().await;
    let patient = spine.patient_id(PATIENT_NHS).unwrap();
    let slots = free_slots(&spine).await;
    let count = Arc::new(AtomicUsize::new(0));
    let ssp = dropping_ssp(*spine.server().address(), count.clone()).await;
    let client = Client::builder()
        .ssp(
            gpconnect_core::SspConfig::new(format!("http://{ssp}"), spine.consumer_asid().parse().unwrap())
                .http(|h| h.allow_http(true)),
        )
        .consumer(test_consumer())
        .build()
        .unwrap();
    let root =
        ServiceRoot::new(spine.service_root(Capability::Foundations), spine.provider_asid().parse().unwrap()).unwrap();
    let provider: Provider = client
        .provider(&spine.provider_ods().parse().unwrap())
        .with_root(Capability::Foundations, root)
        .with_user(test_user());
    spine.clear_received().await;

    let err = provider
        .appointments()
        .book(&slots[..1], &patient)
        .description("d")
        .booking_organisation(org())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown, "{err:?}");
    assert!(err.may_have_been_sent());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(count.load(Ordering::SeqCst), 1, "exactly one booking request, never retried");
    let posts = ssp_requests(&spine).await.into_iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 1);

    let found = spine.provider().appointments().find_booking(&patient, &slots[..1]).send().await.unwrap();
    let found = found.transpose().expect("the booking happened");
    assert_eq!(found.slot_ids, [slots[0].id.to_string()]);
    let received = ssp_requests(&spine).await;
    let list = received.last().unwrap();
    assert_eq!(list.fhir_path, format!("Patient/{patient}/Appointment"));
    let day = slots[0].start.to_date().unwrap();
    assert_eq!(list.query_values("start"), [format!("ge{day}"), format!("le{day}")]);

    // Another slot, never booked: nothing found.
    let other = slots.iter().find(|s| s.start.to_date() != Some(day)).unwrap();
    assert!(spine
        .provider()
        .appointments()
        .find_booking(&patient, std::slice::from_ref(other))
        .send()
        .await
        .unwrap()
        .is_none());
}
