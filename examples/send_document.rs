//! Send Document end to end: a pharmacy sends a generated PDF consultation report to a GP
//! practice and matches the practice's ITK3 acknowledgements back to the message it sent.
//!
//! With `MESH_URL` (and `MESH_MAILBOX`, `MESH_PASSWORD`, `MESH_SHARED_KEY`, `MESH_CERT`,
//! `MESH_KEY`, `MESH_CA`; see `examples/mesh_common`) it sends from that mailbox, as the
//! organisation `MESH_ODS` (default `FA123`), to the mailbox in `MESH_TO`, else to the
//! patient's registered practice (`GPPROVIDER_...`), and waits up to `MESH_WAIT_SECS`
//! (default 60) for the answers, printing each acknowledgement, non-delivery report or
//! overdue one. Without `MESH_URL` it starts NHS England's `mesh-sandbox` (python3 and PyPI
//! on first use) and plays the practice too (mailbox `X26ABC2`: the sandbox cannot resolve
//! `GPPROVIDER_...` addresses). Exits non-zero only when the send itself failed.
//!
//! ```text
//! cargo run --features send --example send_document
//! ```

#[path = "mesh_common/mod.rs"]
#[allow(dead_code)]
mod mesh_common;

use std::fmt::Write as _;

use chrono::NaiveDate;
use gpconnect::itk3::{Acknowledgement, Addressing, MessageEvent, Responder};
use gpconnect::mesh::{MailboxId, MeshClient, OutgoingMessage};
use gpconnect::send::{
    Author, Document, Generation, Organisation, PatientDemographics, ReceivedDocument, ResponseCode, SendDocumentExt,
};
use gpconnect::NhsNumber;
use indicatif::{ProgressBar, ProgressStyle};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ods: gpconnect::OdsCode = std::env::var("MESH_ODS").unwrap_or_else(|_| "FA123".into()).parse()?;
    // Small chunks on the sandbox so that the progress bar has something to show.
    let sandboxed = std::env::var_os("MESH_URL").is_none();
    let ods_for_config = ods.clone();
    let mailbox = mesh_common::mailbox("X26ABC1", move |c| {
        let c = c.ods_code(ods_for_config);
        if sandboxed {
            c.chunk_size(256 * 1024)
        } else {
            c
        }
    })
    .await?;
    let pharmacy = &mailbox.client;
    let addressing = match (&mailbox.to, &mailbox.sandbox) {
        (Some(to), _) => Addressing::Mailbox(to.clone()),
        (None, Some(_)) => Addressing::Mailbox("X26ABC2".parse()?),
        (None, None) => Addressing::RegisteredPractice,
    };

    let pdf = consultation_pdf(3 * 1024 * 1024);
    let patient = PatientDemographics::new(
        NhsNumber::parse("9690937286")?,
        "Smith",
        &["Richard"],
        NaiveDate::from_ymd_opt(1957, 1, 9).expect("a date"),
    );
    let generation = Generation::V2AnyDocument;

    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template("sending {bar:40} {bytes}/{total_bytes} chunk {msg}")?);
    let progress = bar.clone();
    let builder = pharmacy
        .send_document(patient, Document::pdf(pdf))
        .generation(generation)
        .author(Author::new("Pritchard", &["Gary"]).prefix("Dr"))
        .organisation(Organisation::new(ods, "The Dispensers"))
        .document_type("371531000", "Report of clinical encounter")
        .title("Consultation report")
        .max_document_bytes(10 * 1024 * 1024)
        .addressing(addressing)
        .progress(move |p| {
            progress.set_length(p.total_bytes);
            progress.set_position(p.bytes_sent);
            progress.set_message(format!("{}/{}", p.chunks_sent, p.total_chunks));
        });
    let mut sent = match builder.send().await {
        Ok(sent) => sent,
        Err(e) => {
            bar.abandon();
            if let Some(ids) = e.mesh().and_then(|m| m.itk3_ids()) {
                println!(
                    "Outcome unknown: track MESH message {:?}, MessageHeader {}",
                    ids.mesh_message_id, ids.header_id
                );
            }
            return Err(e.into());
        }
    };
    bar.finish();
    println!("Sent: MESH message {}, MessageHeader {}", sent.message_id, sent.sent().header_id);

    if let Some(sandbox) = &mailbox.sandbox {
        play_the_practice(&sandbox.client("X26ABC2"), generation).await?;
    }

    // The sender: read the answers (the _ACK workflow, and reports on the data workflow).
    sent.wait(pharmacy, mailbox.wait).await?;
    for ack in [&sent.infrastructure, &sent.business].into_iter().flatten() {
        println!("Matched {ack} from {} (answers {:?})", ack.responder_ods().unwrap_or("-"), ack.answers_header_id());
    }
    if let Some(report) = &sent.non_delivery {
        println!("MESH could not deliver it: {:?} (code {})", report.reason, report.status_code);
    }
    if let Some(overdue) = sent.overdue(chrono::Utc::now(), &gpconnect::itk3::AckDeadlines::default()) {
        println!("Overdue: {overdue:?}: tell a person");
    }
    println!("Delivery outcome: {:?}", sent.outcome());
    Ok(())
}

/// The GP practice on the sandbox: receive, file, answer with both acknowledgements.
async fn play_the_practice(practice: &MeshClient, generation: Generation) -> Result<(), Box<dyn std::error::Error>> {
    let me = Responder { ods: "B82617", mailbox: "X26ABC2", diagnostics: None };
    let mut inbox = practice.receive();
    while let Some(message) = inbox.next().await? {
        let document = match ReceivedDocument::parse(&message.content) {
            Ok(document) => document,
            Err(e) => {
                inbox.leave(&message, e);
                continue;
            }
        };
        assert_eq!(document.message().event(), MessageEvent::SendDocument);
        let attachments = document.attachments();
        println!(
            "Practice received \"{}\" with {} attachment(s), {} bytes of {}",
            document.title().unwrap_or("-"),
            attachments.len(),
            attachments[0].decode()?.len(),
            attachments[0].mime
        );
        inbox.acknowledge(&message).await?;
        for code in [ResponseCode::Success, ResponseCode::PatientKnownHere] {
            let ack = Acknowledgement::build(document.message(), code, &me);
            let back = OutgoingMessage::new("X26ABC1".parse::<MailboxId>()?, generation.ack_workflow())
                .body_bytes(ack.to_xml());
            practice.send(back).await?;
        }
    }
    Ok(())
}

/// A one-page PDF saying what it is, padded with an image-like stream to `size` bytes.
fn consultation_pdf(size: usize) -> Vec<u8> {
    let text = b"BT /F1 18 Tf 72 720 Td (Consultation report - generated by gpconnect) Tj ET";
    let mut x: u32 = 0x2545_F491;
    let noise: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x & 0xff) as u8
        })
        .collect();
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>".to_vec(),
        [format!("<< /Length {} >>\nstream\n", text.len()).into_bytes(), text.to_vec(), b"\nendstream".to_vec()].concat(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        [
            format!("<< /Type /XObject /Subtype /Image /Width {} /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length {} >>\nstream\n", noise.len(), noise.len()).into_bytes(),
            noise,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        let _ = writeln!(table, "{o:010} 00000 n ");
    }
    let _ = write!(table, "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
    pdf.extend_from_slice(table.as_bytes());
    pdf
}
