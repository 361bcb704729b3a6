//! Update Record end to end on a local MESH: a community pharmacy sends a Blood Pressure
//! Check consultation to the patient's GP practice; the practice reads it into the typed
//! message and answers; the pharmacy matches the acknowledgements, including the `20010`
//! answer of a practice that has Update Record switched off.
//!
//! Starts NHS England's `mesh-sandbox` (installed into `target/mesh-sandbox` on first use;
//! needs python3 and PyPI). The sandbox cannot resolve `GPPROVIDER_...` addresses, so the
//! consultation is addressed to the practice's mailbox (`X26ABC2`) directly.
//!
//! ```text
//! cargo run --features update --example update_record [-- switched-off]
//! ```

use std::time::Duration;

use chrono::NaiveDate;
use gpconnect::itk3::{Acknowledgement, Addressing, DeliveryOutcome, Responder};
use gpconnect::mesh::{MailboxId, MeshClient, OutgoingMessage};
use gpconnect::update::{
    ack_workflow, blood_pressure, finding, note, vital_sign, BpTriplet, PatientDemographics, Pharmacist, Pharmacy,
    PrsbHeading, ResponseCode, Service, UpdateRecordExt, UpdateRecordMessage,
};
use gpconnect::NhsNumber;
use gpconnect_testkit::mesh::MeshSandbox;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let switched_off = std::env::args().nth(1).as_deref() == Some("switched-off");
    println!("Starting mesh-sandbox ...");
    let sandbox = MeshSandbox::start().await?;
    // The pharmacy's mailbox, sending as its organisation FA123.
    let pharmacy = MeshClient::new(sandbox.config("X26ABC1").ods_code("FA123".parse()?))?;
    let practice = sandbox.client("X26ABC2");

    let patient = PatientDemographics::new(
        NhsNumber::parse("9690937286")?,
        "Lerone",
        &["Toby"],
        NaiveDate::from_ymd_opt(1983, 8, 8).expect("a date"),
    );
    let today = chrono::Utc::now().date_naive();
    let mut sent = pharmacy
        .update_record(Service::BloodPressureCheck, patient, today)
        .pharmacy(Pharmacy::new(&"FA123".parse()?, "The Dispensers"))
        .pharmacist(Pharmacist::new("Spencer", &["Di"]).prefix("Miss").role("R5220", "Pharmacy Technician"))
        .observation(blood_pressure(BpTriplet::Sitting, 125, 84))
        .observation(vital_sign("364075005", "Heart rate", "78", "per minute", "{beats}/min"))
        .observation(finding("8392000", "Non-smoker", PrsbHeading::SocialContext))
        .note(note(PrsbHeading::ClinicalSummary, "Blood pressure within the normal range."))
        .note(note(PrsbHeading::InformationAndAdviceGiven, "Check again within 5 years."))
        .addressing(Addressing::Mailbox("X26ABC2".parse()?))
        .send()
        .await?;
    println!("Sent: MESH message {}", sent.message_id);

    // The GP practice: read the consultation into its typed parts and answer.
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

    sent.wait(&pharmacy, Duration::from_secs(60)).await?;
    for ack in [&sent.infrastructure, &sent.business].into_iter().flatten() {
        println!("Matched {ack} from {}", ack.responder_ods().unwrap_or("-"));
    }
    match sent.outcome() {
        DeliveryOutcome::SendAnotherWay => {
            println!("The practice has Update Record switched off: send the consultation another way.")
        }
        other => println!("Delivery outcome: {other:?}"),
    }
    Ok(())
}
