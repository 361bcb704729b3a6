//! GP Connect Send Document: a document (a PDF consultation report, or any permitted
//! document in v2) sent to the patient's registered GP practice as an ITK3 message over
//! MESH, and the acknowledgements that come back.
//!
//! * [`SendDocument`] builds and validates the message (spec section 3) and sends it;
//!   [`Generation`] chooses v1 (`GPFED_CONSULT_REPORT`) or v2 (`GPCONNECT_SEND_DOCUMENT`);
//! * the send returns an [`Acknowledgements`] tracker; [`receive_answers`] reads the
//!   `_ACK` workflow and records each infrastructure and business acknowledgement (and
//!   any MESH non-delivery report) with the message it answers;
//!   [`Acknowledgements::outcome`] says where delivery stands;
//! * [`ReceivedDocument`] reads a Send Document message (the receiving side, and tests).
//!
//! Everything fails with the one [`gpconnect_core::Error`].
#![deny(missing_docs)]

mod received;
mod send_document;

pub use gpconnect_core::itk3::{
    receive_answers, Acknowledgement, Acknowledgements, Addressing, DeliveryOutcome, PatientDemographics, ResponseCode,
};
pub use received::{Attachment, ReceivedDocument};
pub use send_document::{
    Author, Confidentiality, Document, Generation, MediaType, MessageIdSet, Organisation, SendDocument, HARD_MAX_BYTES,
    MESSAGE_DEFINITION, RECOMMENDED_MAX_BYTES, SDS_USER_ID, SNOMED,
};
