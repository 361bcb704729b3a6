use chrono::{DateTime, NaiveDate};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::fhir::Bundle;
use gpconnect_core::{Asid, Client, Consumer, Device, Error, OdsCode, Operation, Provider, SspConfig};
use serde_json::json;

use super::*;
use crate::manage::matching_booking;
use crate::search::free_slots_from_bundle;

/// A spec example, copied into this crate's `tests/fixtures` so the packaged crate tests alone.
fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn provider() -> Provider {
    let asid: Asid = "200000000115".parse().unwrap();
    let device = Device::builder()
        .system("https://consumersupplier.com/Id/device-identifier")
        .value("CONS-APP-4")
        .model("Consumer product name")
        .version("5.3.0")
        .build()
        .unwrap();
    let consumer = Consumer::builder()
        .ods("A1001".parse().unwrap())
        .organisation_name("Test Hospital")
        .issuer("https://consumersupplier.thirdparty.nhs.uk/")
        .device(device)
        .build()
        .unwrap();
    Client::builder()
        .ssp(SspConfig::new("https://proxy.example.nhs.uk", asid))
        .consumer(consumer)
        .build()
        .unwrap()
        .provider(&"A20047".parse::<OdsCode>().unwrap())
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn parameter(e: Error) -> &'static str {
    match e {
        Error::InvalidInput(InvalidInput::Parameter { parameter, .. }) => parameter,
        other => panic!("expected an invalid parameter, got {other:?}"),
    }
}

fn spec_slots(name: &str, kind: Option<OrganisationType>) -> Vec<FreeSlot> {
    let (slots, problems) = free_slots_from_bundle(&Bundle::from_slice(fixture(name).as_bytes()).unwrap(), kind);
    assert_eq!(problems, [], "the spec's example reads without problems");
    slots
}

#[test]
fn every_appointment_example_parses_into_typed_values() {
    let appointments = [
        "appointments__book-appt-request.json",
        "appointments__book-appt-response.json",
        "appointments__read-appt-response.json",
        "appointments__amend-appt-request.json",
        "appointments__amend-appt-response.json",
        "appointments__cancel-appt-request.json",
        "appointments__cancel-appt-response.json",
        "appointments-1.2.8__book-appt-request-payload-1.json",
        "appointments-1.2.8__book-appt-response-payload-1.json",
        "appointments-1.2.8__read-appt-response-payload-1.json",
        "appointments-1.2.8__amend-appt-request-payload-1.json",
        "appointments-1.2.8__amend-appt-response-payload-1.json",
        "appointments-1.2.8__cancel-appt-request-payload-1.json",
        "appointments-1.2.8__cancel-appt-response-payload-1.json",
        // The patient-facing API's examples (OpenAPI), parsed leniently.
        "appointments__GET_Appointment-id__response-200__example.json",
        "appointments__POST_Appointment__request__example.json",
        "appointments__POST_Appointment__response-201__example.json",
        "appointments__PUT_Appointment-id__request__example.json",
        "appointments__PUT_Appointment-id__response-200__example.json",
    ];
    for name in appointments {
        let a = Appointment::from_json(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(a.start.is_some() || name.contains("_example"), "{name}");
    }
    let read = Appointment::from_json(&fixture("appointments-1.2.8__read-appt-response-payload-1.json")).unwrap();
    assert_eq!(read.id.as_deref(), Some("150"));
    assert_eq!(read.version_id.as_deref(), Some("1503440820000"));
    assert_eq!(read.status, Some(AppointmentStatus::Booked));
    assert_eq!(read.slot_ids, ["303"]);
    assert_eq!(read.patient_id.as_deref(), Some("1001"));
    assert_eq!(read.location_id.as_deref(), Some("1"));
    assert_eq!(read.healthcare_service_id.as_deref(), Some("15"));
    assert_eq!(read.delivery_channel, Some(DeliveryChannel::InPerson));
    assert_eq!(read.practitioner_role.as_ref().and_then(|r| r.code.as_deref()), Some("R0260"));
    assert_eq!(read.service_type.as_deref(), Some("General GP Appointment"));
    assert_eq!(read.service_category.as_deref(), Some("General GP Appointments"));
    assert_eq!(read.booking_organisation.as_ref().and_then(|o| o.ods_code()), Some("Z100"));
    let cancelled = Appointment::from_json(&fixture("appointments__cancel-appt-response.json")).unwrap();
    assert!(cancelled.is_cancelled());
    assert_eq!(cancelled.cancellation_reason.as_deref(), Some("Free text cancellation reason."));
    let debug = format!("{cancelled:?}");
    assert!(!debug.contains("Free text"), "free texts are redacted: {debug}");

    for name in [
        "appointments__retrieve-patients-appts-response.json",
        "appointments-1.2.8__retrieve-patient-appts-response-payload-1a.json",
        "appointments-1.2.8__retrieve-patient-appts-response-payload-1b.json",
        "appointments__GET_Patient-id-Appointment__response-200__example.json",
    ] {
        let bundle = Bundle::from_slice(fixture(name).as_bytes()).unwrap();
        for raw in bundle.resources_of("Appointment") {
            Appointment::from_json(raw.raw()).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn every_slot_search_example_parses_into_free_slots() {
    let slots = spec_slots("appointments__search-for-free-slots-response.json", None);
    assert_eq!(slots.len(), 2);
    let s = &slots[0];
    assert_eq!(s.id.as_str(), "1584");
    assert_eq!(s.start.as_str(), "2016-08-15T11:30:00+01:00");
    assert_eq!(s.end.as_str(), "2016-08-15T11:40:00+01:00");
    assert_eq!(s.schedule_id.as_deref(), Some("14"));
    assert_eq!(s.delivery_channel, Some(DeliveryChannel::InPerson));
    assert_eq!(s.service_type.as_deref(), Some("General GP Appointment"));
    assert_eq!(s.service_category.as_deref(), Some("General GP Appointments"));
    let role = s.practitioner_role.as_ref().unwrap();
    assert_eq!((role.code.as_deref(), role.display.as_deref()), (Some("R0260"), Some("General Medical Practitioner")));
    let p = s.practitioner.as_ref().unwrap();
    assert_eq!((p.id.as_str(), p.name.as_deref(), p.gender.as_deref()), ("2", Some("Mrs Sarah Black"), Some("female")));
    let l = s.location.as_ref().unwrap();
    assert_eq!((l.id.as_str(), l.name.as_deref()), ("17", Some("The Trevelyan Practice")));
    assert_eq!(l.address.as_ref().unwrap().postal_code.as_deref(), Some("LS1 6AE"));
    assert_eq!(s.organisation.as_ref().and_then(|o| o.ods_code()), Some("A00001"));
    assert_eq!(slots[1].service_type.as_deref(), Some("NHS Health Check"));

    let dos = spec_slots("appointments-1.2.8__search-for-free-slots-response-payload-1.json", None);
    assert_eq!(dos[0].healthcare_service_id.as_deref(), Some("3"));
    assert_eq!(dos[0].healthcare_service.as_ref().and_then(|h| h.name.as_deref()), Some("The Trevelyan GP Hub"));
    let no_practitioner = spec_slots("appointments-1.2.8__search-for-free-slots-response-payload-3.json", None);
    assert!(no_practitioner[0].practitioner.is_none());
    assert_eq!(no_practitioner[0].location.as_ref().unwrap().id, "17");
    assert!(spec_slots("appointments-1.2.8__search-for-free-slots-response-payload-4.json", None).is_empty());
    for name in [
        "appointments-1.2.8__search-for-free-slots-response-payload-2.json",
        "appointments__GET_Slot__response-200__example.json",
    ] {
        assert_eq!(spec_slots(name, None).len(), 2, "{name}");
    }
}

#[test]
fn windows_over_fourteen_days_or_reversed_are_refused() {
    assert!(check_window(d(2026, 3, 1).into(), d(2026, 3, 15).into()).is_ok());
    assert!(check_window(d(2026, 3, 1).into(), d(2026, 3, 1).into()).is_ok());
    let too_long = check_window(d(2026, 3, 1).into(), d(2026, 3, 16).into()).unwrap_err();
    assert!(matches!(too_long, InvalidInput::Parameter { parameter: "end", .. }));
    assert!(check_window(d(2026, 3, 2).into(), d(2026, 3, 1).into()).is_err());
    let t = |s: &str| SlotTime::DateTime(DateTime::parse_from_rfc3339(s).unwrap());
    assert!(check_window(t("2026-03-01T09:00:00+00:00"), t("2026-03-15T09:00:00+00:00")).is_ok());
    assert!(check_window(t("2026-03-01T09:00:00+00:00"), t("2026-03-15T09:00:01+00:00")).is_err());
    assert_eq!(t("2019-03-29T12:00:00+00:00").to_string(), "2019-03-29T12:00:00+00:00");
    assert_eq!(split_window(d(2026, 3, 1), d(2026, 3, 15)), vec![(d(2026, 3, 1), d(2026, 3, 15))]);
    assert!(split_window(d(2026, 3, 2), d(2026, 3, 1)).is_empty());
    for (a, b) in split_window(d(2026, 1, 1), d(2026, 12, 31)) {
        assert!(check_window(a.into(), b.into()).is_ok());
    }
}

fn booking(slots: &[FreeSlot]) -> Book {
    provider()
        .appointments()
        .book(slots, &"1".parse().unwrap())
        .description("Free text description.")
        .comment("Free text comment.")
        .booking_organisation(BookingOrganisation::new("Test Organization Name", "0300 303 5678"))
}

#[test]
fn booking_body_has_every_element_the_spec_requires() {
    let slots = spec_slots("appointments__search-for-free-slots-response.json", Some(OrganisationType::GpPractice));
    let created = DateTime::parse_from_rfc3339("2017-05-25T13:48:41+01:00").unwrap();
    let body = booking(&slots[..1]).body(created).unwrap();
    let spec = fixture_json("appointments__book-appt-request.json");
    assert_eq!(body["resourceType"], "Appointment");
    assert_eq!(body["meta"], spec["meta"]);
    let org = &body["contained"][0];
    assert_eq!(org["resourceType"], "Organization");
    assert_eq!(org["id"], "1");
    assert_eq!(org["meta"], spec["contained"][0]["meta"]);
    assert_eq!(
        org["identifier"],
        json!([{ "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A1001" }])
    );
    assert_eq!(org["type"], spec["contained"][0]["type"]);
    assert_eq!(org["name"], spec["contained"][0]["name"]);
    assert_eq!(org["telecom"], spec["contained"][0]["telecom"]);
    assert_eq!(body["extension"], spec["extension"]);
    assert_eq!(body["status"], "booked");
    assert_eq!(body["description"], spec["description"]);
    assert_eq!(body["comment"], spec["comment"]);
    assert_eq!(body["start"], "2016-08-15T11:30:00+01:00");
    assert_eq!(body["end"], "2016-08-15T11:40:00+01:00");
    assert_eq!(body["slot"], json!([{ "reference": "Slot/1584" }]));
    assert_eq!(body["created"], spec["created"]);
    assert_eq!(
        body["participant"],
        json!([
            { "actor": { "reference": "Patient/1" }, "status": "accepted" },
            { "actor": { "reference": "Location/17" }, "status": "accepted" },
            { "actor": { "reference": "Practitioner/2" }, "status": "accepted" },
        ])
    );
    assert!(body.get("reason").is_none() && body.get("specialty").is_none() && body.get("id").is_none());
    // Sorted: key order depends on whether serde_json's `preserve_order` is on in the build.
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort();
    let mut spec_keys: Vec<&String> = spec.as_object().unwrap().keys().collect();
    spec_keys.sort();
    assert_eq!(keys, spec_keys, "the same elements as the spec's request example");

    // No organisation type in the search: no type on the booking organisation.
    let untyped = spec_slots("appointments__search-for-free-slots-response.json", None);
    assert!(booking(&untyped[..1]).body(created).unwrap()["contained"][0].get("type").is_none());
}

#[test]
fn booking_validates_slots_and_texts_before_sending() {
    let created = DateTime::parse_from_rfc3339("2017-05-25T13:48:41+01:00").unwrap();
    let slots = spec_slots("appointments__search-for-free-slots-response.json", None);
    // Adjacent but of different service types.
    assert_eq!(parameter(booking(&slots).body(created).unwrap_err()), "slot");
    let mut same_type = slots.clone();
    same_type[1].service_type = same_type[0].service_type.clone();
    let body = booking(&same_type).body(created).unwrap();
    assert_eq!(body["start"], "2016-08-15T11:30:00+01:00");
    assert_eq!(body["end"], "2016-08-15T11:50:00+01:00");
    assert_eq!(body["slot"], json!([{ "reference": "Slot/1584" }, { "reference": "Slot/1644" }]));
    let mut gap = same_type.clone();
    gap.reverse();
    assert_eq!(parameter(booking(&gap).body(created).unwrap_err()), "slot");
    let mut other_schedule = same_type.clone();
    other_schedule[1].schedule_id = Some("15".into());
    assert_eq!(parameter(booking(&other_schedule).body(created).unwrap_err()), "slot");
    let mut other_channel = same_type.clone();
    other_channel[1].delivery_channel = Some(DeliveryChannel::Telephone);
    assert_eq!(parameter(booking(&other_channel).body(created).unwrap_err()), "slot");
    assert_eq!(parameter(booking(&[]).body(created).unwrap_err()), "slot");

    let one = &slots[..1];
    let no_description = provider()
        .appointments()
        .book(one, &"1".parse().unwrap())
        .booking_organisation(BookingOrganisation::new("Org", "01"));
    assert_eq!(parameter(no_description.body(created).unwrap_err()), "description");
    assert_eq!(parameter(booking(one).description("x".repeat(101)).body(created).unwrap_err()), "description");
    assert!(booking(one).description("é".repeat(100)).body(created).is_ok());
    assert_eq!(parameter(booking(one).comment("x".repeat(501)).body(created).unwrap_err()), "comment");
    let no_org = provider().appointments().book(one, &"1".parse().unwrap()).description("d");
    assert_eq!(parameter(no_org.body(created).unwrap_err()), "contained");
    let no_phone = booking(one).booking_organisation(BookingOrganisation::new("Org", " "));
    assert_eq!(parameter(no_phone.body(created).unwrap_err()), "contained");
    // An SSP booking takes a checked PatientId; the shared Booking (patient-facing API) checks its text.
    assert!("Patient/1".parse::<gpconnect_core::PatientId>().is_err());
    let org = BookingOrganisation::new("Org", "01");
    let bad_patient = Booking {
        slots: one,
        patient_id: "Patient/1",
        description: Some("d"),
        comment: None,
        booking_organisation: Some(&org),
    };
    assert_eq!(parameter(bad_patient.body(&"A20047".parse().unwrap(), created).unwrap_err()), "participant");
}

#[test]
fn amend_and_cancel_send_back_the_appointment_as_read_with_only_allowed_changes() {
    let mut raw = fixture_json("appointments__read-appt-response.json");
    raw["futureElement"] = json!({ "kept": true });
    let read = Appointment::from_json(&raw.to_string()).unwrap();
    let amend = provider().appointments().amend(&read).description("Free text description updated.");
    assert_eq!(amend.request().unwrap().interaction(), gpconnect_core::InteractionId::AmendAppointment);
    let (id, if_match, body) = amend.prepared().unwrap();
    assert_eq!((id.as_str(), if_match.to_str().unwrap()), ("148", "W/\"1503310820000\""));
    let mut expected = raw.clone();
    expected["description"] = json!("Free text description updated.");
    assert_eq!(body, expected);

    let cancel = provider().appointments().cancel(&read, "Free text cancellation reason.");
    assert_eq!(cancel.request().unwrap().interaction(), gpconnect_core::InteractionId::CancelAppointment);
    let (_, if_match, body) = cancel.prepared().unwrap();
    assert_eq!(if_match.to_str().unwrap(), "W/\"1503310820000\"");
    let mut expected = raw.clone();
    expected["status"] = json!("cancelled");
    expected["extension"].as_array_mut().unwrap().push(json!({
        "url": CANCELLATION_REASON_URL, "valueString": "Free text cancellation reason."
    }));
    assert_eq!(body, expected);

    let mut unversioned = read.clone();
    unversioned.version_id = None;
    assert_eq!(parameter(provider().appointments().cancel(&unversioned, "r").request().unwrap_err()), "If-Match");
    assert_eq!(parameter(provider().appointments().amend(&read).request().unwrap_err()), "description");
    assert_eq!(parameter(provider().appointments().cancel(&read, " ").request().unwrap_err()), "extension");
    let cancelled = Appointment::from_json(&fixture("appointments__cancel-appt-response.json")).unwrap();
    assert_eq!(parameter(provider().appointments().amend(&cancelled).comment("c").request().unwrap_err()), "status");
    // An answer that was an array (serde reads a struct from one) is refused, never indexed.
    assert!(Appointment::from_json(r#"["Appointment", "148"]"#).is_err());
    let mut array = read.clone();
    array.raw = serde_json::value::to_raw_value(&json!([raw.clone()])).unwrap();
    assert_eq!(parameter(provider().appointments().amend(&array).comment("c").request().unwrap_err()), "appointment");
    assert_eq!(parameter(provider().appointments().cancel(&array, "r").request().unwrap_err()), "appointment");
}

#[test]
fn cancel_keeps_a_single_extension_sent_as_an_object() {
    let mut raw = fixture_json("appointments__read-appt-response.json");
    let first = raw["extension"][0].clone();
    raw["extension"] = first.clone();
    let read = Appointment::from_json(&raw.to_string()).unwrap();
    let (_, _, body) = provider().appointments().cancel(&read, "Patient feels better").prepared().unwrap();
    assert_eq!(
        body["extension"],
        json!([first, { "url": CANCELLATION_REASON_URL, "valueString": "Patient feels better" }])
    );
}

#[test]
fn builders_never_show_free_text_in_debug() {
    let read = Appointment::from_json(&fixture("appointments__read-appt-response.json")).unwrap();
    let amend = provider().appointments().amend(&read).comment("Mrs Jackson prefers mornings");
    let cancel = provider().appointments().cancel(&read, "Mrs Jackson feels better");
    assert!(!format!("{amend:?} {cancel:?}").contains("Jackson"));
}

#[test]
fn patient_appointments_refuse_past_or_reversed_ranges() {
    let today = d(2026, 3, 10);
    let list = |from, to| provider().appointments().patient_appointments(&"1".parse().unwrap(), from, to);
    assert!(list(today, today).request_on(today).is_ok());
    assert_eq!(parameter(list(d(2026, 3, 9), today).request_on(today).unwrap_err()), "start");
    assert_eq!(parameter(list(today, d(2026, 3, 9)).request_on(today).unwrap_err()), "start");
}

#[test]
fn find_booking_matches_by_slot_then_by_time_and_ignores_cancelled() {
    let slots = spec_slots("appointments__search-for-free-slots-response.json", None);
    let mut booked = Appointment::from_json(&fixture("appointments__book-appt-response.json")).unwrap();
    assert!(matching_booking(vec![booked.clone()], &slots[..1]).is_none());
    booked.slot_ids = vec!["1584".into()];
    assert_eq!(matching_booking(vec![booked.clone()], &slots[..1]).unwrap().id.as_deref(), Some("9"));
    booked.status = Some(AppointmentStatus::Cancelled);
    assert!(matching_booking(vec![booked.clone()], &slots[..1]).is_none());
    booked.status = Some(AppointmentStatus::Booked);
    booked.slot_ids.clear();
    booked.start = Some("2016-08-15T10:30:00+00:00".into());
    booked.end = Some("2016-08-15T11:40:00+01:00".into());
    assert!(matching_booking(vec![booked], &slots[..1]).is_some());
}

#[tokio::test]
async fn the_ssp_refuses_the_platform_only_options_before_sending() {
    // The one CallOptions: a correlation or request id is the API platform's; the SSP
    // refuses it as invalid input before resolving or sending anything.
    let id: gpconnect_core::AppointmentId = "148".parse().unwrap();
    let err = provider().appointments().read(&id).correlation_id("c-1").send().await.unwrap_err();
    assert_eq!(parameter(err), "correlation_id");
    let err = provider().appointments().read(&id).request_id(uuid::Uuid::new_v4()).send().await.unwrap_err();
    assert_eq!(parameter(err), "correlation_id");
}
