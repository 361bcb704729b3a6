//! Send Document over MESH: the envelope headers on the wire, the practice's
//! acknowledgements matched back, non-delivery reports, and the whole round trip through
//! NHS England's mesh-sandbox.

use std::time::Duration;

use chrono::NaiveDate;
use gpconnect_core::itk3::{self, Acknowledgement, Addressing, DeliveryOutcome, Itk3Message, Responder};
use gpconnect_core::mesh::{MailboxId, MeshClient, MeshConfig};
use gpconnect_core::{NhsNumber, OdsCode};
use gpconnect_send::*;
use gpconnect_testkit::mesh::{offline_client, MeshSandbox, MockMesh};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

fn patient() -> PatientDemographics {
    PatientDemographics::new(
        NhsNumber::parse("9690937286").unwrap(),
        "Smith",
        &["Richard"],
        NaiveDate::from_ymd_opt(1957, 1, 9).unwrap(),
    )
}

fn send_document(mesh: &MeshClient, generation: Generation) -> SendDocument {
    mesh.send_document(patient(), Document::pdf(PDF.to_vec()))
        .generation(generation)
        .author(Author::new("Pritchard", &["Gary"]).prefix("Dr"))
        .organisation(Organisation::new(OdsCode::parse("A20047").unwrap(), "Starling Medical Centre"))
        .document_type("371531000", "Report of clinical encounter")
        .title("Consultation report")
}

/// A client sending as the practice's organisation, A20047.
fn sender(config: MeshConfig) -> MeshClient {
    MeshClient::new(config.ods_code(OdsCode::parse("A20047").unwrap())).unwrap()
}

const PRACTICE: Responder<'static> = Responder { ods: "B82617", mailbox: "X26ABC2", diagnostics: None };

#[tokio::test]
async fn sends_to_gpprovider_with_the_spec_headers_and_matches_both_acks() {
    let mesh = MockMesh::start().await;
    // MESH resolves GPPROVIDER addresses; the mock knows this one as a mailbox.
    mesh.add_mailbox("GPPROVIDER_9690937286_19570109_SMITH", "password", "B82617", &[]);
    let sender = sender(mesh.config("X26ABC1"));

    let mut answers = send_document(&sender, Generation::V2AnyDocument).send().await.unwrap();
    let stored = mesh.message(answers.sent().mesh_message_id.as_ref().unwrap()).unwrap();
    assert_eq!(stored.headers["mex-to"], "GPPROVIDER_9690937286_19570109_Smith");
    assert_eq!(stored.headers["mex-workflowid"], "GPCONNECT_SEND_DOCUMENT");
    assert_eq!(stored.headers["mex-localid"], "A20047");
    assert_eq!(
        stored.headers["mex-subject"],
        "Consultation report for Richard Smith, NHS Number: 9690937286, seen at Starling Medical Centre, ODS code: A20047, version 1"
    );
    // Composition.text and custodian on the wire (mandatory in the v2 guide).
    let wire = flat(&stored.content);
    assert!(wire.contains(
        "<p>Consultation report for Richard Smith, NHS Number: 9690937286, seen at Starling Medical Centre, \
         ODS code: A20047, version 1</p>"
    ));
    let sent = ReceivedDocument::parse(&stored.content).unwrap();
    let document = sent.message().document().unwrap();
    let custodian = document.resources().find_map(|r| match r {
        gpconnect_core::itk3::Resource::Composition(c) => c.custodian.clone(),
        _ => None,
    });
    let organisation = document.resources().find_map(|r| match r {
        gpconnect_core::itk3::Resource::Organization(o) => o.id.clone(),
        _ => None,
    });
    assert_eq!(custodian.unwrap().reference.unwrap(), format!("urn:uuid:{}", organisation.unwrap()));
    assert!(wire.contains("<custodian><reference value=\"urn:uuid:"), "custodian on the wire");
    assert_eq!(sent.message().source_mailbox(), "X26ABC1");
    assert_eq!(sent.message().sender_ods(), Some("A20047"));
    assert_eq!(sent.attachments()[0].decode().unwrap(), PDF);

    // The practice answers with both acknowledgements on the _ACK workflow.
    for code in [ResponseCode::Success, ResponseCode::PatientKnownHere] {
        let ack = Acknowledgement::build(sent.message(), code, &PRACTICE);
        mesh.deliver("X26ABC2", "X26ABC1", "GPCONNECT_SEND_DOCUMENT_ACK", ack.to_xml());
    }
    // An ack for someone else's message stays in the inbox.
    let other = send_document(&offline_client("X26ABC3", "A20047"), Generation::V2AnyDocument).prepare();
    let foreign = Acknowledgement::build(other.unwrap().message(), ResponseCode::Success, &PRACTICE);
    mesh.deliver("X26ABC2", "X26ABC1", "GPCONNECT_SEND_DOCUMENT_ACK", foreign.to_xml());

    let summary = answers.wait(&sender, Duration::ZERO).await.unwrap();
    assert_eq!(summary.acknowledged.len(), 2);
    assert_eq!(summary.handler_failed.len(), 1, "the foreign ack is left for its owner");
    assert_eq!(answers.outcome(), DeliveryOutcome::Accepted);
    assert_eq!(answers.infrastructure.as_ref().unwrap().code(), ResponseCode::Success);
    assert_eq!(answers.business.as_ref().unwrap().code(), ResponseCode::PatientKnownHere);
}

#[tokio::test]
async fn a_routing_failure_report_is_matched_to_the_message() {
    let mesh = MockMesh::start().await;
    let sender = sender(mesh.config("X26ABC1"));
    let mut answers = send_document(&sender, Generation::V1ConsultationReport)
        .addressing(Addressing::Mailbox("X26ABC2".parse().unwrap()))
        .send()
        .await
        .unwrap();
    let stored = mesh.message(answers.sent().mesh_message_id.as_ref().unwrap()).unwrap();
    assert_eq!(stored.headers["mex-workflowid"], "GPFED_CONSULT_REPORT");
    assert!(stored.headers["mex-subject"].starts_with("Consultation report for Richard Smith , NHS Number 9690937286"));
    mesh.deliver_report(
        "X26ABC1",
        answers.sent().mesh_message_id.as_ref().unwrap(),
        "GPFED_CONSULT_REPORT_ACK",
        "EPL-151",
    );
    answers.wait(&sender, Duration::ZERO).await.unwrap();
    assert_eq!(answers.outcome(), DeliveryOutcome::Undelivered);
    assert_eq!(answers.non_delivery.as_ref().unwrap().reason, itk3::NonDeliveryReason::NoMailboxMatches);
}

#[tokio::test]
async fn round_trip_through_mesh_sandbox_send_receive_answer_and_match() {
    let sandbox = MeshSandbox::start().await.expect("mesh-sandbox starts");
    let pharmacy = sender(sandbox.config("X26ABC1"));
    let practice = sandbox.client("X26ABC2");
    // mesh-sandbox does not resolve GPPROVIDER addresses: address the practice mailbox.
    let to: MailboxId = "X26ABC2".parse().unwrap();
    let mut answers =
        send_document(&pharmacy, Generation::V2AnyDocument).addressing(Addressing::Mailbox(to)).send().await.unwrap();

    // The practice receives the document, files it, and answers with both acks.
    let mut received = Vec::new();
    let mut inbox = practice.receive();
    while let Some(m) = inbox.next().await.unwrap() {
        match ReceivedDocument::parse(&m.content) {
            Ok(d) => {
                received.push(d);
                inbox.acknowledge(&m).await.unwrap();
            }
            Err(e) => inbox.leave(&m, e),
        }
    }
    let summary = inbox.into_summary();
    assert_eq!(summary.acknowledged.len(), 1);
    let document = received.pop().unwrap();
    assert_eq!(document.attachments()[0].decode().unwrap(), PDF);
    for code in [ResponseCode::Success, ResponseCode::PatientKnownHere] {
        let ack: Itk3Message = Acknowledgement::build(document.message(), code, &PRACTICE);
        let back = gpconnect_core::mesh::OutgoingMessage::new(
            "X26ABC1".parse::<MailboxId>().unwrap(),
            Generation::V2AnyDocument.ack_workflow(),
        )
        .body_bytes(ack.to_xml().into_bytes());
        practice.send(back).await.unwrap();
    }

    let summary = answers.wait(&pharmacy, Duration::ZERO).await.unwrap();
    assert_eq!(summary.acknowledged.len(), 2);
    assert_eq!(answers.outcome(), DeliveryOutcome::Accepted);
}

#[tokio::test]
async fn the_sender_ods_code_comes_from_the_mesh_configuration() {
    let mesh = MockMesh::start().await;
    let without_ods = mesh.client("X26ABC1");
    let err = send_document(&without_ods, Generation::V2AnyDocument)
        .addressing(Addressing::Mailbox("X26ABC2".parse().unwrap()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), gpconnect_core::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("ods_code"), "{err}");
    assert!(mesh.messages().is_empty(), "refused before anything was sent");
}

#[tokio::test]
async fn progress_is_reported_and_waiting_gives_up_at_the_deadline() {
    let mesh = MockMesh::start().await;
    let sender = sender(mesh.config("X26ABC1"));
    let chunks = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = chunks.clone();
    let mut sent = send_document(&sender, Generation::V2AnyDocument)
        .addressing(Addressing::Mailbox("X26ABC2".parse().unwrap()))
        .progress(move |p| seen.lock().unwrap().push((p.chunks_sent, p.total_chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(*chunks.lock().unwrap(), vec![(1, 1)]);
    assert_eq!(sent.sent().mesh_message_id.as_ref(), Some(&sent.message_id));
    assert_eq!(sent.ack_workflow(), Some(&Generation::V2AnyDocument.ack_workflow()));

    let started = std::time::Instant::now();
    let summary = sent.wait(&sender, Duration::from_millis(300)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(summary.acknowledged.is_empty());
    assert_eq!(sent.outcome(), DeliveryOutcome::Pending);
}

/// A pharmacy (X26ABC1, ODS A20047) and a practice (X26ABC2) on mesh-sandbox, and a
/// document sent from one to the other.
async fn sandbox_send(
    page_size: Option<u32>,
) -> (MeshSandbox, MeshClient, MeshClient, gpconnect_core::mesh::Tracked<gpconnect_core::itk3::Acknowledgements>) {
    let sandbox = MeshSandbox::start().await.expect("mesh-sandbox starts");
    let mut config = sandbox.config("X26ABC1");
    if let Some(size) = page_size {
        config = config.inbox_page_size(size);
    }
    let pharmacy = sender(config);
    let practice = sandbox.client("X26ABC2");
    let to: MailboxId = "X26ABC2".parse().unwrap();
    let answers =
        send_document(&pharmacy, Generation::V2AnyDocument).addressing(Addressing::Mailbox(to)).send().await.unwrap();
    (sandbox, pharmacy, practice, answers)
}

/// The practice answers `code` to the document waiting in its inbox (left there).
async fn practice_answers(practice: &MeshClient, code: ResponseCode) {
    let id = practice.inbox().send().await.unwrap().messages[0].clone();
    let mut content = Vec::new();
    let _ = practice.download(&id, &mut content).send().await.unwrap();
    let document = ReceivedDocument::parse(&content).unwrap();
    let ack = Acknowledgement::build(document.message(), code, &PRACTICE);
    let back = gpconnect_core::mesh::OutgoingMessage::new(
        "X26ABC1".parse::<MailboxId>().unwrap(),
        Generation::V2AnyDocument.ack_workflow(),
    )
    .body_bytes(ack.to_xml().into_bytes());
    practice.send(back).await.unwrap();
}

#[tokio::test]
async fn a_non_delivery_report_on_the_data_workflow_reaches_the_tracker() {
    let (sandbox, pharmacy, _practice, mut answers) = sandbox_send(None).await;
    let report = sandbox
        .report(
            "X26ABC1",
            "GPCONNECT_SEND_DOCUMENT",
            "error",
            "EPL-153",
            "ERROR_NHSNUMBER_NOT_FOUND",
            Some(answers.message_id.as_str()),
        )
        .await
        .unwrap();
    let summary = answers.wait(&pharmacy, Duration::ZERO).await.unwrap();
    assert_eq!(summary.acknowledged.iter().map(|m| m.as_str()).collect::<Vec<_>>(), vec![report.as_str()]);
    assert_eq!(answers.outcome(), DeliveryOutcome::Undelivered);
    let ndr = answers.non_delivery.as_ref().unwrap();
    assert_eq!(ndr.reason, itk3::NonDeliveryReason::NhsNumberNotFound);
    assert_eq!(ndr.status_code, "EPL-153");
    assert_eq!(ndr.linked_message_id.as_ref(), Some(&answers.message_id));
    assert!(pharmacy.inbox().send().await.unwrap().messages.is_empty());

    // MESH's expiry report (not collected in five days): code 14.
    let (sandbox, pharmacy, _practice, mut answers) = sandbox_send(None).await;
    let linked = Some(answers.message_id.as_str());
    sandbox.report("X26ABC1", "GPCONNECT_SEND_DOCUMENT", "undeliverable", "14", "", linked).await.unwrap();
    answers.wait(&pharmacy, Duration::ZERO).await.unwrap();
    let ndr = answers.non_delivery.as_ref().unwrap();
    assert_eq!((ndr.reason.clone(), ndr.status_code.as_str()), (itk3::NonDeliveryReason::Undelivered, "14"));
}

#[tokio::test]
async fn a_restart_between_receiving_and_acknowledging_loses_no_acknowledgement() {
    let (_sandbox, pharmacy, practice, mut answers) = sandbox_send(None).await;
    practice_answers(&practice, ResponseCode::Success).await;

    // The answer is recorded and saved; the process stops before MESH is told.
    let mut saved = String::new();
    let summary = answers
        .wait_with(&pharmacy, Duration::ZERO, |t| {
            saved = serde_json::to_string(t).unwrap();
            Err("stopped before acknowledging".into())
        })
        .await
        .unwrap();
    assert!(summary.acknowledged.is_empty());
    assert_eq!(pharmacy.inbox().send().await.unwrap().messages.len(), 1, "still in MESH");
    drop(answers);

    // After the restart: the saved tracker holds the ack; MESH offers it again, it is
    // recognised as the same one and acknowledged.
    let mut restored: gpconnect_core::itk3::Acknowledgements = serde_json::from_str(&saved).unwrap();
    assert_eq!(restored.infrastructure.as_ref().unwrap().code(), ResponseCode::Success);
    let mut saves = 0;
    let summary = restored
        .wait_with(&pharmacy, Duration::ZERO, |_| {
            saves += 1;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!((summary.acknowledged.len(), saves), (1, 1));
    assert!(pharmacy.inbox().send().await.unwrap().messages.is_empty());
    assert_eq!(restored.outcome(), DeliveryOutcome::Pending, "the business ack is still due");
    let later = restored.sent_at().unwrap() + chrono::Duration::days(6);
    let overdue = restored.overdue(later, &itk3::AckDeadlines::default()).unwrap();
    assert!(overdue.business && !overdue.infrastructure);
    assert!(restored.overdue(restored.sent_at().unwrap(), &itk3::AckDeadlines::default()).is_none());
}

#[tokio::test]
async fn more_than_a_page_of_foreign_answers_ahead_of_the_real_one_does_not_hide_it() {
    let (_sandbox, pharmacy, practice, mut answers) = sandbox_send(Some(10)).await;
    // 23 answers to messages this tracker never sent, then the real one.
    let other = send_document(&offline_client("X26ABC3", "A20047"), Generation::V2AnyDocument).prepare().unwrap();
    for _ in 0..23 {
        let foreign = Acknowledgement::build(other.message(), ResponseCode::Success, &PRACTICE);
        practice
            .send(
                gpconnect_core::mesh::OutgoingMessage::new(
                    "X26ABC1".parse::<MailboxId>().unwrap(),
                    Generation::V2AnyDocument.ack_workflow(),
                )
                .body_bytes(foreign.to_xml().into_bytes()),
            )
            .await
            .unwrap();
    }
    practice_answers(&practice, ResponseCode::Success).await;
    let summary = answers.wait(&pharmacy, Duration::ZERO).await.unwrap();
    assert_eq!(summary.acknowledged.len(), 1);
    assert_eq!(summary.handler_failed.len(), 23, "the foreign answers are left for their owner");
    assert_eq!(answers.infrastructure.as_ref().unwrap().code(), ResponseCode::Success);
}

#[tokio::test]
async fn a_restricted_v1_report_leaves_the_practice_out_of_its_narrative_and_subject() {
    let mesh = MockMesh::start().await;
    mesh.add_mailbox("GPPROVIDER_9690937286_19570109_SMITH", "password", "B82617", &[]);
    let sender = sender(mesh.config("X26ABC1"));
    let answers = send_document(&sender, Generation::V1ConsultationReport)
        .confidentiality(Confidentiality::Restricted)
        .send()
        .await
        .unwrap();
    let stored = mesh.message(answers.sent().mesh_message_id.as_ref().unwrap()).unwrap();
    assert_eq!(stored.headers["mex-subject"], "Consultation report for Richard Smith , NHS Number 9690937286");
    let wire = flat(&stored.content);
    assert!(wire.contains("<p>Consultation report for Richard Smith , NHS Number 9690937286, Version 1</p>"));
    assert!(!wire.contains("seen at"));
    assert!(wire.contains("<confidentiality value=\"R\"/>"));
    assert!(wire.contains("<custodian><reference value=\"urn:uuid:"));

    let normal = send_document(&sender, Generation::V1ConsultationReport).send().await.unwrap();
    let stored = mesh.message(normal.sent().mesh_message_id.as_ref().unwrap()).unwrap();
    let wire = flat(&stored.content);
    assert!(wire.contains(
        "<p>Consultation report for Richard Smith , NHS Number 9690937286, seen at Starling Medical Centre, \
         ODS Code A20047, Version 1</p>"
    ));
}

/// The XML on the wire without the indentation between elements.
fn flat(wire: &[u8]) -> String {
    std::str::from_utf8(wire).unwrap().lines().map(str::trim).collect()
}
