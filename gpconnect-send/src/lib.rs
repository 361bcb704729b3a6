//! GP Connect Send Document: a document (a PDF consultation report, or any permitted
//! document in v2) sent to the patient's registered GP practice as an ITK3 message over
//! MESH, and the acknowledgements that come back.
//!
//! * [`SendDocumentExt::send_document`] on the MESH client gives the [`SendDocument`]
//!   builder, which validates the message (spec section 3) and ends in `.send().await`;
//!   [`Generation`] chooses v1 (`GPFED_CONSULT_REPORT`) or v2 (`GPCONNECT_SEND_DOCUMENT`);
//!   the sender is the client's mailbox and its configured ODS code
//!   ([`MeshConfig::ods_code`](gpconnect_core::mesh::MeshConfig::ods_code));
//! * the send returns the [`Acknowledgements`] tracker with the MESH message ID
//!   ([`Tracked`]); [`Acknowledgements::wait`] reads the `_ACK` workflow and records each
//!   infrastructure and business acknowledgement (and any MESH non-delivery report) with
//!   the message it answers; [`Acknowledgements::outcome`] says where delivery stands;
//! * [`ReceivedDocument`] reads a Send Document message (the receiving side, and tests).
//!
//! ```no_run
//! use std::time::Duration;
//! use gpconnect_send::{Author, Document, Organisation, PatientDemographics, SendDocumentExt};
//!
//! # async fn demo(mesh: gpconnect_core::mesh::MeshClient, patient: PatientDemographics, pdf: Vec<u8>) -> gpconnect_core::Result<()> {
//! let mut sent = mesh
//!     .send_document(patient, Document::pdf(pdf))
//!     .author(Author::new("Pritchard", &["Gary"]).prefix("Dr"))
//!     .organisation(Organisation::new("A20047".parse()?, "Cumbria Starling Medical Centre"))
//!     .title("Consultation report")
//!     .document_type("371531000", "Report of clinical encounter")
//!     .send()
//!     .await?;
//! sent.wait(&mesh, Duration::from_secs(3600)).await?;
//! println!("MESH message {}: {:?}", sent.message_id, sent.outcome());
//! # Ok(()) }
//! ```
//!
//! Everything fails with the one [`gpconnect_core::Error`].
#![deny(missing_docs)]

mod received;
mod send_document;

pub use gpconnect_core::itk3::{
    take_answer, Acknowledgement, Acknowledgements, Addressing, Author, DeliveryOutcome, PatientDemographics, Prepared,
    ResponseCode, SDS_USER_ID,
};
pub use gpconnect_core::mesh::Tracked;
pub use received::{Attachment, ReceivedDocument};
pub use send_document::{
    Confidentiality, Document, Generation, MediaType, MessageIdSet, Organisation, SendDocument, SendDocumentExt,
    HARD_MAX_BYTES, MESSAGE_DEFINITION, RECOMMENDED_MAX_BYTES, SNOMED,
};

/// The README's example, compiled and run as a doctest (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
