//! Spec examples through the envelope and acknowledgements (the seeded fuzz run of the
//! parser, which uses the testkit's mutator, is the root crate's `tests/core/itk3_fuzz.rs`).

use super::xml::differences;
use super::*;

const V1_REPORT: &str = include_str!("../../tests/fixtures/itk3/v1-consultation_report.xml");
const UPDATE_BP: &str = include_str!("../../tests/fixtures/itk3/blood-pressure-check-service--example-1.xml");

fn assert_round_trip(text: &str) -> Itk3Message {
    let message = Itk3Message::parse(text.as_bytes(), &Limits::MESSAGE).unwrap();
    assert_eq!(message.unknown_elements(), &[] as &[String], "elements the model does not hold");
    let original = XmlNode::parse(text.as_bytes(), &Limits::MESSAGE).unwrap();
    assert_eq!(differences(&original, &message.to_node()), Vec::<String>::new());
    let again = Itk3Message::parse(message.to_xml().as_bytes(), &Limits::MESSAGE).unwrap();
    assert_eq!(again, message);
    message
}

#[test]
fn spec_examples_parse_with_header_handling_and_sender() {
    let v1 = assert_round_trip(V1_REPORT);
    assert_eq!(v1.event(), MessageEvent::SendDocument);
    assert_eq!(v1.header_id(), Some("ea7221b8-3cc0-4b11-bc95-585b056b5428"));
    assert_eq!(v1.source_mailbox(), "MESHGP0001");
    assert_eq!(v1.sender_ods(), Some("GP0001"));
    let h = v1.handling();
    assert!(h.bus_ack_requested && h.inf_ack_requested);
    assert_eq!(h.recipient_type, RecipientType::ForAction);
    assert_eq!(h.sender_reference, "846ebe66-5ff8-4499-bc57-a112d3d0daa3");
    assert_eq!(h.local_extension, "SendDocument-ConsultationSummary");
    assert_eq!(v1.document().unwrap().type_.as_deref(), Some("document"));

    let bp = assert_round_trip(UPDATE_BP);
    assert_eq!(bp.event(), MessageEvent::UpdateRecord);
    assert_eq!(bp.handling().recipient_type, RecipientType::ForInformation);
    assert_eq!(bp.handling().message_definition, "https://fhir.nhs.uk/MessageDefinition");
    assert!(bp.header().meta.as_ref().unwrap().has_profile(MESSAGE_HEADER_PROFILE));
}

#[test]
fn header_rules_are_enforced() {
    let no_handling = UPDATE_BP.replace(HANDLING_EXTENSION, "https://example.org/other");
    let e = Itk3Message::parse(no_handling.as_bytes(), &Limits::MESSAGE).unwrap_err();
    assert!(matches!(e, Itk3Error::Invalid { ref path, .. } if path.contains("MessageHandling")));
    let bad_flag = UPDATE_BP.replacen("<valueBoolean value=\"true\" />", "<valueBoolean value=\"yes\" />", 1);
    let e = Itk3Message::parse(bad_flag.as_bytes(), &Limits::MESSAGE).unwrap_err();
    assert!(matches!(e, Itk3Error::Invalid { ref path, .. } if path.ends_with("BusAckRequested")));
    let no_sender = UPDATE_BP.replace(
        "<fullUrl value=\"urn:uuid:41abf8ce-2d2e-11ee-be56-0242ac120002\" />",
        "<fullUrl value=\"urn:uuid:00000000-2d2e-11ee-be56-0242ac120002\" />",
    );
    let e = Itk3Message::parse(no_sender.as_bytes(), &Limits::MESSAGE).unwrap_err();
    assert!(matches!(e, Itk3Error::Invalid { ref path, .. } if path == "MessageHeader.sender"));
    let not_fhir = UPDATE_BP.replacen("http://hl7.org/fhir", "urn:other", 1);
    assert!(Itk3Message::parse(not_fhir.as_bytes(), &Limits::MESSAGE).is_err());
}

fn responder(diagnostics: Option<&str>) -> Responder<'_> {
    Responder { ods: "A20047", mailbox: "X26ABC2", diagnostics }
}

#[test]
fn acknowledgements_are_built_parsed_and_matched_to_their_message() {
    let message = Itk3Message::parse(UPDATE_BP.as_bytes(), &Limits::MESSAGE).unwrap();
    let mut answers = Acknowledgements::new(&message, MessageIds::of(&message));

    let inf = Acknowledgement::build(&message, ResponseCode::Success, &responder(None));
    assert_eq!(inf.event(), MessageEvent::Response);
    assert!(!inf.handling().bus_ack_requested && !inf.handling().inf_ack_requested);
    let inf = Acknowledgement::parse(inf.to_xml().as_bytes()).unwrap();
    assert_eq!(inf.answers_header_id(), Some("adcdf4b6-4c9d-4347-9dca-1264e1f51a4b"));
    assert_eq!(inf.sender_reference(), "urn:uuid:e224af1a-ed8b-4bb8-a854-f6d56f199bd6");
    assert_eq!(inf.response_type(), Some("ok"));
    assert_eq!(inf.responder_ods(), Some("A20047"));
    assert_eq!(inf.kind(), AckKind::Infrastructure);
    answers.record(inf.clone()).unwrap();
    assert_eq!(answers.outcome(), DeliveryOutcome::Pending);
    answers.record(inf).unwrap(); // a redelivery of the same ack changes nothing
    let other_inf = Acknowledgement::build(&message, ResponseCode::DuplicateMessage, &responder(None));
    let other_inf = Acknowledgement::parse(other_inf.to_xml().as_bytes()).unwrap();
    assert_eq!(answers.record(other_inf), Err(Itk3Error::DuplicateAck));

    let bus = Acknowledgement::build(&message, ResponseCode::PatientKnownHere, &responder(None));
    answers.record(Acknowledgement::parse(bus.to_xml().as_bytes()).unwrap()).unwrap();
    assert_eq!(answers.outcome(), DeliveryOutcome::Accepted);

    // An answer to another message is not taken.
    let other = Itk3Message::parse(V1_REPORT.as_bytes(), &Limits::MESSAGE).unwrap();
    let foreign = Acknowledgement::build(&other, ResponseCode::Success, &responder(None));
    let foreign = Acknowledgement::parse(foreign.to_xml().as_bytes()).unwrap();
    assert!(!foreign.answers(answers.sent()));
    assert_eq!(answers.record(foreign), Err(Itk3Error::Unmatched));
}

#[test]
fn switched_off_and_negative_codes_are_final() {
    let message = Itk3Message::parse(UPDATE_BP.as_bytes(), &Limits::MESSAGE).unwrap();
    let mut answers = Acknowledgements::new(&message, MessageIds::of(&message));
    let off = Acknowledgement::build(&message, ResponseCode::from_code(20010), &responder(Some("Update Record off")));
    let off = Acknowledgement::parse(off.to_xml().as_bytes()).unwrap();
    assert_eq!(off.response_type(), Some("fatal-error"));
    assert_eq!(off.diagnostics(), Some("Update Record off"));
    answers.record(off).unwrap();
    assert_eq!(answers.outcome(), DeliveryOutcome::SendAnotherWay);

    let mut answers = Acknowledgements::new(&message, MessageIds::of(&message));
    let bus = Acknowledgement::build(&message, ResponseCode::PatientNotKnownHere, &responder(None));
    answers.record(Acknowledgement::parse(bus.to_xml().as_bytes()).unwrap()).unwrap();
    assert_eq!(answers.outcome(), DeliveryOutcome::Rejected(ResponseCode::PatientNotKnownHere));
}

#[test]
fn an_update_record_message_is_not_an_acknowledgement() {
    let e = Acknowledgement::parse(UPDATE_BP.as_bytes()).unwrap_err();
    assert!(matches!(e, Itk3Error::Invalid { ref path, .. } if path == "MessageHeader.event"));
}
