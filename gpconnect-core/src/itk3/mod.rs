//! ITK3 messaging (feature `mesh`): the FHIR STU3 XML envelope that Send Document and
//! Update Record messages travel in over MESH, and the acknowledgements that come back.
//!
//! * [`Itk3Message`]: the message bundle (ITK-Message-Bundle-1) with its MessageHeader
//!   (ITK-MessageHeader-2), the handling specification ([`HandlingSpec`],
//!   Extension-ITK-MessageHandling-2), the sender organisation and the payload; built
//!   from an [`Envelope`] and parsed back.
//! * [`MessageBuilder`]: the one builder of an outgoing message that Send Document and
//!   Update Record share: envelope, ids and local identifiers, author ([`Author`]),
//!   organisation and patient resources, the MESH envelope (`mex-To`, workflow, subject,
//!   `Mex-LocalID` from [`MeshConfig::ods_code`](crate::mesh::MeshConfig::ods_code)) and
//!   the one send, returning [`Acknowledgements`] [`Tracked`](crate::mesh::Tracked) by
//!   the MESH message ID; an API crate adds only its document bundle ([`Payload`]);
//! * [`Acknowledgement`]: an `ITK008M` response with its typed [`ResponseCode`]
//!   (meaning, positive or not, infrastructure or business), matched back to the
//!   [`MessageIds`] it answers; [`Acknowledgements`] collects both for one message and
//!   says where delivery stands ([`DeliveryOutcome`]), including MESH
//!   [`NonDeliveryReport`]s; [`Acknowledgements::wait`] reads them off MESH.
//! * [`xml`]: the one bounded XML parser (size, depth and element-count limits, no DTD)
//!   and writer, and [`xml::differences`], the element-by-element comparison.
//!
//! ```
//! use gpconnect_core::itk3::{Acknowledgement, Acknowledgements, DeliveryOutcome, Envelope, HandlingSpec,
//!     Itk3Message, Limits, MessageEvent, RecipientType, Responder, Resource, ResponseCode, MessageIds};
//! use gpconnect_core::itk3::resources::Bundle;
//!
//! let handling = HandlingSpec {
//!     bus_ack_requested: true,
//!     inf_ack_requested: true,
//!     recipient_type: RecipientType::ForAction,
//!     message_definition: "https://fhir.nhs.uk/MessageDefinition".into(),
//!     sender_reference: "urn:uuid:e224af1a-ed8b-4bb8-a854-f6d56f199bd6".into(),
//!     local_extension: "None".into(),
//! };
//! let envelope = Envelope::new(MessageEvent::UpdateRecord, handling, "X26ABC1", "FQW30");
//! let document = Bundle { type_: Some("document".into()), ..Default::default() };
//! let message = envelope.wrap("2eefc87f-8a16-45a1-a666-1753237608a3", Resource::Bundle(Box::new(document)));
//! let parsed = Itk3Message::parse(message.to_xml().as_bytes(), &Limits::MESSAGE)?;
//! assert_eq!(parsed, message);
//!
//! // The practice answers; the sender matches the answer back.
//! let practice = Responder { ods: "A20047", mailbox: "X26ABC2", diagnostics: None };
//! let ack = Acknowledgement::build(&message, ResponseCode::Success, &practice);
//! let ack = Acknowledgement::parse(ack.to_xml().as_bytes())?;
//! let mut answers = Acknowledgements::new(&message, MessageIds::of(&message));
//! answers.record(ack)?;
//! assert_eq!(answers.outcome(), DeliveryOutcome::Pending); // the business ack is still due
//! # Ok::<(), gpconnect_core::itk3::Itk3Error>(())
//! ```

mod builder;
mod codes;
mod message;
pub mod model;
pub mod resources;
mod response;
mod transmit;

pub use crate::xml::{self, FromXml, Itk3Error, ReadContext, ToXml};
pub use crate::xml::{Limits, XmlNode};
pub use builder::{Author, EnvelopeIds, MessageBuilder, Payload, Prepared, SDS_USER_ID};
pub use codes::{
    AckKind, MessageEvent, RecipientType, ResponseCode, EVENT_SYSTEM, RECIPIENT_TYPE_SYSTEM, RESPONSE_CODE_SYSTEM,
};
pub use message::{
    fhir_instant, Envelope, HandlingSpec, Itk3Message, DOCUMENT_BUNDLE_PROFILE, HANDLING_EXTENSION,
    HEADER_ORGANIZATION_PROFILE, MESSAGE_BUNDLE_PROFILE, MESSAGE_HEADER_PROFILE, ODS_SYSTEM, RFC4122,
};
pub use resources::Resource;
pub use response::{
    AckDeadlines, Acknowledgement, Acknowledgements, DeliveryOutcome, MessageIds, NonDeliveryReason, NonDeliveryReport,
    Overdue, Responder, RESPONSE_OUTCOME_PROFILE,
};
pub use transmit::{
    receive_answers, take_answer, Addressing, Gender, PatientDemographics, Taken, ANSWER_POLL_INTERVAL,
};

/// Carried by the core [`Error`](crate::Error) as `Error::Messaging`, of kind `Decode`.
impl crate::error::MessagingFailure for Itk3Error {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Decode
    }
    fn describe(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ITK3 message: {self}")
    }
    fn as_any(&self) -> &(dyn std::any::Any + Send + Sync) {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send + Sync> {
        self
    }
}

impl From<Itk3Error> for crate::Error {
    fn from(e: Itk3Error) -> Self {
        crate::Error::Messaging(Box::new(crate::error::MessagingError::new(e)))
    }
}

#[cfg(test)]
mod tests;
