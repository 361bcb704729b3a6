//! Update Record over MESH: headers on the wire, acknowledgements matched back including
//! `20010` (Update Record switched off), and the round trip through mesh-sandbox.

use std::time::Duration;

use chrono::NaiveDate;
use gpconnect_core::itk3::{Acknowledgement, Addressing, DeliveryOutcome, Responder};
use gpconnect_core::mesh::{MailboxId, MeshClient, MeshConfig, OutgoingMessage};
use gpconnect_core::{NhsNumber, OdsCode};
use gpconnect_testkit::mesh::{MeshSandbox, MockMesh};
use gpconnect_update::*;

fn consultation(mesh: &MeshClient) -> UpdateRecord {
    let patient = PatientDemographics::new(
        NhsNumber::parse("9690937286").unwrap(),
        "Lerone",
        &["Toby"],
        NaiveDate::from_ymd_opt(1983, 8, 8).unwrap(),
    );
    mesh.update_record(Service::BloodPressureCheck, patient, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap())
        .pharmacy(Pharmacy::new(&"FA123".parse().unwrap(), "The Dispensers"))
        .pharmacist(Pharmacist::new("Spencer", &["Di"]).prefix("Miss").role("R5220", "Pharmacy Technician"))
        .observation(blood_pressure(BpTriplet::Sitting, 125, 84))
        .observation(vital_sign("364075005", "Heart rate", "78", "per minute", "{beats}/min"))
        .note(note(PrsbHeading::ClinicalSummary, "Blood pressure within normal range."))
        .today(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
}

/// A client sending as the pharmacy, FA123.
fn pharmacy(config: MeshConfig) -> MeshClient {
    let ods: OdsCode = "FA123".parse().unwrap();
    MeshClient::new(config.ods_code(ods)).unwrap()
}

const PRACTICE: Responder<'static> = Responder { ods: "B82617", mailbox: "X26ABC2", diagnostics: None };

#[tokio::test]
async fn sends_with_the_update_record_headers_and_20010_means_send_another_way() {
    let mesh = MockMesh::start().await;
    mesh.add_mailbox("GPPROVIDER_9690937286_19830808_LERONE", "password", "B82617", &[]);
    let pharmacy = pharmacy(mesh.config("X26ABC1"));
    let mut answers = consultation(&pharmacy).send().await.unwrap();
    let stored = mesh.message(answers.sent().mesh_message_id.as_ref().unwrap()).unwrap();
    assert_eq!(stored.headers["mex-to"], "GPPROVIDER_9690937286_19830808_Lerone");
    assert_eq!(stored.headers["mex-workflowid"], "GPCONNECT_UPDATE_RECORD");
    assert_eq!(stored.headers["mex-localid"], "FA123");
    assert_eq!(
        stored.headers["mex-subject"],
        "The Dispensers - Community Pharmacy Blood Pressure Check Service for Toby Lerone, NHS Number: 9690937286, seen at The Dispensers, ODS code: FA123, version 1"
    );
    let sent = UpdateRecordMessage::parse(&stored.content).unwrap();
    sent.validate().unwrap();
    assert_eq!(sent.service(), Service::BloodPressureCheck);
    assert_eq!(
        sent.message().handling().sender_reference,
        format!("urn:uuid:{}", sent.encounter().unwrap().id.as_deref().unwrap())
    );

    let off = Acknowledgement::build(
        sent.message(),
        ResponseCode::from_code(20010),
        &Responder { diagnostics: Some("GP Connect Update Record is switched off"), ..PRACTICE },
    );
    mesh.deliver("X26ABC2", "X26ABC1", "GPCONNECT_UPDATE_RECORD_ACK", off.to_xml());
    answers.wait(&pharmacy, Duration::ZERO).await.unwrap();
    assert_eq!(answers.outcome(), DeliveryOutcome::SendAnotherWay);
    let inf = answers.infrastructure.as_ref().unwrap();
    assert!(inf.code().must_send_another_way());
    assert_eq!(inf.code().meaning(), "Unrecognised Payload Recipient Organisation");
}

#[tokio::test]
async fn round_trip_through_mesh_sandbox() {
    let sandbox = MeshSandbox::start().await.expect("mesh-sandbox starts");
    let pharmacy = pharmacy(sandbox.config("X26ABC1"));
    let practice = sandbox.client("X26ABC2");
    // mesh-sandbox does not resolve GPPROVIDER addresses: address the practice mailbox.
    let mut answers =
        consultation(&pharmacy).addressing(Addressing::Mailbox("X26ABC2".parse().unwrap())).send().await.unwrap();

    let mut received = Vec::new();
    let mut inbox = practice.receive();
    while let Some(m) = inbox.next().await.unwrap() {
        match UpdateRecordMessage::parse(&m.content) {
            Ok(u) => {
                received.push(u);
                inbox.acknowledge(&m).await.unwrap();
            }
            Err(e) => inbox.leave(&m, e),
        }
    }
    let consultation = received.pop().expect("the practice received the consultation");
    consultation.validate().unwrap();
    for code in [ResponseCode::Success, ResponseCode::PatientKnownHere] {
        let ack = Acknowledgement::build(consultation.message(), code, &PRACTICE);
        let back =
            OutgoingMessage::new("X26ABC1".parse::<MailboxId>().unwrap(), ack_workflow()).body_bytes(ack.to_xml());
        practice.send(back).await.unwrap();
    }
    let summary = answers.wait(&pharmacy, Duration::ZERO).await.unwrap();
    assert_eq!(summary.acknowledged.len(), 2);
    assert_eq!(answers.outcome(), DeliveryOutcome::Accepted);
}

/// Every other item kind the guide allows (spec 4.3), typed, with references filled in.
fn every_kind(mesh: &MeshClient) -> UpdateRecord {
    use gpconnect_core::itk3::model::{CodeableConcept, Coding};
    use gpconnect_core::itk3::resources::{AllergyIntolerance, Appointment, Flag, Procedure, ReferralRequest};
    let snomed = |code: &str, display: &str| Some(CodeableConcept::of(Coding::new(SNOMED, code, display)));
    consultation(mesh)
        .item(Item::Allergy(AllergyIntolerance {
            code: snomed("91936005", "Allergy to penicillin"),
            ..Default::default()
        }))
        .item(Item::Procedure(Procedure {
            code: snomed("163020007", "O/E - blood pressure reading"),
            ..Default::default()
        }))
        .item(Item::Referral(ReferralRequest { intent: Some("order".into()), ..Default::default() }))
        .item(Item::Appointment(Appointment {
            status: Some("booked".into()),
            start: Some("2026-12-14T09:00:00+00:00".into()),
            end: Some("2026-12-14T09:10:00+00:00".into()),
            ..Default::default()
        }))
        .item(Item::Flag(Flag {
            code: snomed("1001000119102", "Pulmonary embolism with pulmonary infarction"),
            ..Default::default()
        }))
}

#[tokio::test]
async fn the_other_item_kinds_go_on_the_wire_typed_and_come_back() {
    let mesh = MockMesh::start().await;
    mesh.add_mailbox("GPPROVIDER_9690937286_19830808_LERONE", "password", "B82617", &[]);
    let pharmacy = pharmacy(mesh.config("X26ABC1"));
    let answers = every_kind(&pharmacy).send().await.unwrap();
    let stored = mesh.message(answers.sent().mesh_message_id.as_ref().unwrap()).unwrap();
    let wire = flat(&stored.content);
    for (resource, profile) in [
        ("AllergyIntolerance", "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1"),
        ("Procedure", "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Procedure-1"),
        ("ReferralRequest", "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ReferralRequest-1"),
        ("Appointment", "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Appointment-1"),
        ("Flag", "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Flag-1"),
    ] {
        assert!(wire.contains(&format!("<{resource}><id value=")), "{resource} on the wire");
        assert!(wire.contains(&format!("<profile value=\"{profile}\"/>")), "{resource} profile");
    }
    let sent = UpdateRecordMessage::parse(&stored.content).unwrap();
    sent.validate().unwrap();
    let patient = format!("urn:uuid:{}", sent.patient().unwrap().id.as_deref().unwrap());
    let encounter = format!("urn:uuid:{}", sent.encounter().unwrap().id.as_deref().unwrap());
    let items = sent.items();
    assert_eq!(items.len(), 8, "three of the consultation and five more");
    let reference = |r: &Option<gpconnect_core::itk3::model::Reference>| r.as_ref().unwrap().reference.clone().unwrap();
    let mut kinds = Vec::new();
    for item in &items {
        match item {
            Item::Allergy(a) => {
                assert_eq!(reference(&a.patient), patient);
                assert_eq!(a.clinical_status.as_deref(), Some("active"));
                assert_eq!(a.asserted_date.as_deref(), Some("2026-11-30"));
                kinds.push("Allergy");
            }
            Item::Procedure(p) => {
                assert_eq!(reference(&p.subject), patient);
                assert_eq!(reference(&p.context), encounter);
                assert_eq!(p.status.as_deref(), Some("completed"));
                kinds.push("Procedure");
            }
            Item::Referral(r) => {
                assert_eq!(reference(&r.subject), patient);
                assert_eq!(r.status.as_deref(), Some("active"));
                assert!(r.requester.as_ref().unwrap().agent.is_some());
                kinds.push("Referral");
            }
            Item::Appointment(a) => {
                assert_eq!(reference(&a.participant[0].actor), patient);
                assert_eq!(a.status.as_deref(), Some("booked"));
                kinds.push("Appointment");
            }
            Item::Flag(f) => {
                assert_eq!(reference(&f.subject), patient);
                assert_eq!(reference(&f.encounter), encounter);
                kinds.push("Flag");
            }
            _ => {}
        }
    }
    assert_eq!(kinds, ["Allergy", "Procedure", "Referral", "Appointment", "Flag"]);
    // Every item is listed in the one section.
    assert_eq!(sent.composition().section[0].entry.len(), 5 + items.len());
}

#[tokio::test]
async fn an_item_missing_what_the_kind_needs_is_refused() {
    use gpconnect_core::itk3::resources::{AllergyIntolerance, Appointment, Flag, Procedure, ReferralRequest};
    let client = gpconnect_testkit::mesh::offline_client("X26ABC1", "FA123");
    for (item, element) in [
        (Item::Allergy(AllergyIntolerance::default()), "AllergyIntolerance.code"),
        (Item::Procedure(Procedure::default()), "Procedure.code"),
        (Item::Referral(ReferralRequest::default()), "ReferralRequest.intent"),
        (Item::Appointment(Appointment::default()), "Appointment.status"),
        (Item::Flag(Flag::default()), "Flag.code"),
    ] {
        let e = consultation(&client).item(item).prepare().unwrap_err();
        assert!(e.to_string().contains(element), "{e}");
    }
}

#[tokio::test]
async fn a_replacement_names_the_original_and_carries_its_version() {
    let mesh = MockMesh::start().await;
    mesh.add_mailbox("GPPROVIDER_9690937286_19830808_LERONE", "password", "B82617", &[]);
    let pharmacy = pharmacy(mesh.config("X26ABC1"));
    let first = consultation(&pharmacy).send().await.unwrap();
    let stored = mesh.message(first.sent().mesh_message_id.as_ref().unwrap()).unwrap();
    let original = UpdateRecordMessage::parse(&stored.content).unwrap();
    assert!(original.composition().relates_to.is_empty());
    assert_eq!(original.composition().meta.as_ref().unwrap().version_id, None);
    let original_id: uuid::Uuid = original.message().document().unwrap().id.as_deref().unwrap().parse().unwrap();

    let second = consultation(&pharmacy).replaces(original_id, 2).send().await.unwrap();
    let stored = mesh.message(second.sent().mesh_message_id.as_ref().unwrap()).unwrap();
    assert!(stored.headers["mex-subject"].ends_with(", version 2"));
    let replacement = UpdateRecordMessage::parse(&stored.content).unwrap();
    replacement.validate().unwrap();
    let composition = replacement.composition();
    assert_eq!(composition.status.as_deref(), Some("final"));
    assert_eq!(composition.meta.as_ref().unwrap().version_id.as_deref(), Some("2"));
    let relates = &composition.relates_to[0];
    assert_eq!(relates.code.as_deref(), Some("replaces"));
    let target = relates.target_identifier.as_ref().unwrap();
    assert_eq!(target.system.as_deref(), Some("https://tools.ietf.org/html/rfc4122"));
    assert_eq!(target.value.as_deref(), Some(original_id.to_string().as_str()));
    let wire = flat(&stored.content);
    assert!(wire.contains("<relatesTo><code value=\"replaces\"/><targetIdentifier>"));

    // A replacement is version 2 or later, and never of itself.
    let e = consultation(&pharmacy).replaces(original_id, 1).prepare().unwrap_err();
    assert!(e.to_string().contains("Composition.meta.versionId"), "{e}");
    let ids = UpdateIds::fresh();
    let own: uuid::Uuid = ids.document_bundle.parse().unwrap();
    let e = consultation(&pharmacy).ids(ids).replaces(own, 2).prepare().unwrap_err();
    assert!(e.to_string().contains("Composition.relatesTo.targetIdentifier"), "{e}");
}

/// The XML on the wire without the indentation between elements.
fn flat(wire: &[u8]) -> String {
    std::str::from_utf8(wire).unwrap().lines().map(str::trim).collect()
}

#[test]
fn an_allergy_or_appointment_about_another_patient_is_refused_on_receipt() {
    let client = gpconnect_testkit::mesh::offline_client("X26ABC1", "FA123");
    let built = every_kind(&client).prepare().unwrap();
    let wire = flat(built.message().to_xml().as_bytes());
    UpdateRecordMessage::parse(wire.as_bytes()).unwrap();
    let other = "<reference value=\"Patient/someone-else\"/>";
    // Points the element that names the patient at another one.
    let elsewhere = |opening: &str| {
        let start = wire.find(opening).unwrap();
        let end = start + wire[start..].find("/>").unwrap() + 2;
        format!("{}{}{other}{}", &wire[..start], opening.trim_end_matches("<reference"), &wire[end..])
    };
    let allergy = elsewhere("<patient><reference");
    let e = UpdateRecordMessage::parse(allergy.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("AllergyIntolerance"), "{e}");
    let appointment = elsewhere("<participant><actor><reference");
    let e = UpdateRecordMessage::parse(appointment.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("Appointment"), "{e}");
}
