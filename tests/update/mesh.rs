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
