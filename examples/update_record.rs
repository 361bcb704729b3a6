//! Update Record end to end: a community pharmacy sends a Blood Pressure Check
//! consultation to the patient's GP practice and matches the practice's acknowledgements,
//! including the `20010` answer of a practice that has Update Record switched off.
//!
//! With `MESH_URL` (and `MESH_MAILBOX`, `MESH_PASSWORD`, `MESH_SHARED_KEY`, `MESH_CERT`,
//! `MESH_KEY`, `MESH_CA`; see `examples/mesh_common`) it sends from that mailbox, as the
//! organisation `MESH_ODS` (default `FA123`), to the mailbox in `MESH_TO`, else to the
//! patient's registered practice (`GPPROVIDER_...`), and waits up to `MESH_WAIT_SECS`
//! (default 60) for the answers, printing each acknowledgement, non-delivery report or
//! overdue one. Without `MESH_URL` it starts NHS England's `mesh-sandbox` and plays the
//! practice too (mailbox `X26ABC2`: the sandbox cannot resolve `GPPROVIDER_...`
//! addresses). Exits non-zero only when the send itself failed.
//!
//! ```text
//! cargo run --features update --example update_record [-- switched-off]
//! ```

#[path = "mesh_common/mod.rs"]
#[allow(dead_code)]
mod mesh_common;

use chrono::NaiveDate;
use gpconnect::itk3::{Acknowledgement, Addressing, DeliveryOutcome, Responder};
use gpconnect::mesh::{MailboxId, MeshClient, OutgoingMessage};
use gpconnect::update::{
    ack_workflow, blood_pressure, finding, note, vital_sign, BpTriplet, PatientDemographics, Pharmacist, Pharmacy,
    PrsbHeading, ResponseCode, Service, UpdateRecordExt, UpdateRecordMessage,
};
use gpconnect::NhsNumber;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let switched_off = std::env::args().nth(1).as_deref() == Some("switched-off");
    let ods: gpconnect::OdsCode = std::env::var("MESH_ODS").unwrap_or_else(|_| "FA123".into()).parse()?;
    let ods_for_config = ods.clone();
    let mailbox = mesh_common::mailbox("X26ABC1", move |c| c.ods_code(ods_for_config)).await?;
    let pharmacy = &mailbox.client;
    let addressing = match (&mailbox.to, &mailbox.sandbox) {
        (Some(to), _) => Addressing::Mailbox(to.clone()),
        (None, Some(_)) => Addressing::Mailbox("X26ABC2".parse()?),
        (None, None) => Addressing::RegisteredPractice,
    };

    let patient = PatientDemographics::new(
        NhsNumber::parse("9690937286")?,
        "Lerone",
        &["Toby"],
        NaiveDate::from_ymd_opt(1983, 8, 8).expect("a date"),
    );
    let today = chrono::Utc::now().date_naive();
    let mut sent = pharmacy
        .update_record(Service::BloodPressureCheck, patient, today)
        .pharmacy(Pharmacy::new(&ods, "The Dispensers"))
        .pharmacist(Pharmacist::new("Spencer", &["Di"]).prefix("Miss").role("R5220", "Pharmacy Technician"))
        .observation(blood_pressure(BpTriplet::Sitting, 125, 84))
        .observation(vital_sign("364075005", "Heart rate", "78", "per minute", "{beats}/min"))
        .observation(finding("8392000", "Non-smoker", PrsbHeading::SocialContext))
        .note(note(PrsbHeading::ClinicalSummary, "Blood pressure within the normal range."))
        .note(note(PrsbHeading::InformationAndAdviceGiven, "Check again within 5 years."))
        .addressing(addressing)
        .send()
        .await?;
    println!("Sent: MESH message {}", sent.message_id);

    if let Some(sandbox) = &mailbox.sandbox {
        play_the_practice(&sandbox.client("X26ABC2"), switched_off).await?;
    }

    sent.wait(pharmacy, mailbox.wait).await?;
    for ack in [&sent.infrastructure, &sent.business].into_iter().flatten() {
        println!("Matched {ack} from {}", ack.responder_ods().unwrap_or("-"));
    }
    if let Some(report) = &sent.non_delivery {
        println!("MESH could not deliver it: {:?} (code {})", report.reason, report.status_code);
    }
    if let Some(overdue) = sent.overdue(chrono::Utc::now(), &gpconnect::itk3::AckDeadlines::default()) {
        println!("Overdue: {overdue:?}: tell a person");
    }
    match sent.outcome() {
        DeliveryOutcome::SendAnotherWay => {
            println!("The practice has Update Record switched off: send the consultation another way.")
        }
        other => println!("Delivery outcome: {other:?}"),
    }
    Ok(())
}

/// The GP practice on the sandbox: read the consultation into its typed parts and answer.
async fn play_the_practice(practice: &MeshClient, switched_off: bool) -> Result<(), Box<dyn std::error::Error>> {
    let me = Responder { ods: "B82617", mailbox: "X26ABC2", diagnostics: None };
    let mut inbox = practice.receive();
    while let Some(message) = inbox.next().await? {
        let consultation = match UpdateRecordMessage::parse(&message.content) {
            Ok(consultation) => consultation,
            Err(e) => {
                inbox.leave(&message, e);
                continue;
            }
        };
        consultation.validate()?;
        println!(
            "Practice received a {:?} consultation: {} observation(s), {} note(s)",
            consultation.service(),
            consultation.observations().count(),
            consultation.notes().count()
        );
        inbox.acknowledge(&message).await?;
        let codes: &[ResponseCode] = if switched_off {
            &[ResponseCode::UnrecognisedPayloadRecipientOrganisation]
        } else {
            &[ResponseCode::Success, ResponseCode::PatientKnownHere]
        };
        for &code in codes {
            let ack = Acknowledgement::build(consultation.message(), code, &me);
            let back = OutgoingMessage::new("X26ABC1".parse::<MailboxId>()?, ack_workflow()).body_bytes(ack.to_xml());
            practice.send(back).await?;
        }
    }

    Ok(())
}
