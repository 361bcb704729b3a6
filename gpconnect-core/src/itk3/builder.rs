//! The one ITK3 message builder Send Document and Update Record share: the envelope
//! (MessageHeader, handling specification, sender organisation), the ids and local
//! identifiers, the author, the organisation and the patient of the document bundle, the
//! MESH envelope (`mex-To`, workflow, subject, `Mex-LocalID`) and the one send.
//!
//! An API crate's builder holds a [`MessageBuilder`] (made off the MESH client) and adds
//! only its Composition and items: it builds the document bundle with the helpers here
//! and hands it over as a [`Payload`] to [`MessageBuilder::prepare`] (nothing sent) or
//! [`MessageBuilder::send`].

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::codes::{MessageEvent, RecipientType};
use super::message::{fhir_instant, Envelope, HandlingSpec, Itk3Message, DOCUMENT_BUNDLE_PROFILE, ODS_SYSTEM, RFC4122};
use super::model::{CodeableConcept, Coding, ContactPoint, Extension, ExtensionValue, HumanName, Identifier, Meta};
use super::resources::{Bundle, Organization, Patient, Practitioner, Resource};
use super::response::{Acknowledgements, MessageIds};
use super::transmit::{Addressing, PatientDemographics};
use crate::error::InvalidInput;
use crate::mesh::{LocalId, MeshClient, OutgoingMessage, Recipient, SendProgress, Tracked, WorkflowId};

/// The SDS user ID system.
pub const SDS_USER_ID: &str = "https://fhir.nhs.uk/Id/sds-user-id";

/// The practitioner who wrote the document or saw the patient.
#[derive(Clone, PartialEq, Eq)]
pub struct Author {
    /// The SDS user ID.
    pub sds_user_id: Option<String>,
    /// Family name.
    pub family: String,
    /// Given names.
    pub given: Vec<String>,
    /// Prefixes (`Dr`).
    pub prefix: Vec<String>,
    /// Work phone.
    pub phone: Option<String>,
    /// Other identifiers (system, value), for example the GPhC number.
    pub identifiers: Vec<(String, String)>,
}

impl fmt::Debug for Author {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Author { .. }")
    }
}

impl Author {
    /// An author with an official name.
    pub fn new(family: &str, given: &[&str]) -> Self {
        Author {
            sds_user_id: None,
            family: family.into(),
            given: given.iter().map(|g| (*g).to_owned()).collect(),
            prefix: Vec::new(),
            phone: None,
            identifiers: Vec::new(),
        }
    }

    /// Another identifier, for example `https://fhir.hl7.org.uk/Id/gphc-number`.
    #[must_use]
    pub fn identifier(mut self, system: &str, value: &str) -> Self {
        self.identifiers.push((system.into(), value.into()));
        self
    }

    /// The SDS user ID.
    #[must_use]
    pub fn sds_user_id(mut self, id: &str) -> Self {
        self.sds_user_id = Some(id.into());
        self
    }

    /// A name prefix.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix.push(prefix.into());
        self
    }

    /// A work phone.
    #[must_use]
    pub fn phone(mut self, phone: &str) -> Self {
        self.phone = Some(phone.into());
        self
    }
}

/// The ids of the envelope's resources. [`EnvelopeIds::fresh`] gives new UUIDs; set them
/// only to reproduce a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeIds {
    /// `Bundle.id` of the message bundle.
    pub bundle: String,
    /// `Bundle.identifier` value of the message bundle.
    pub bundle_identifier: String,
    /// `MessageHeader.id`.
    pub header: String,
    /// The header Organization.
    pub sender: String,
}

impl EnvelopeIds {
    /// Fresh UUIDs.
    pub fn fresh() -> Self {
        let u = || uuid::Uuid::new_v4().to_string();
        EnvelopeIds { bundle: u(), bundle_identifier: u(), header: u(), sender: u() }
    }
}

/// What an API crate adds to the shared envelope: the message kind, its handling
/// specification values, the document bundle and the MESH subject.
///
/// `Debug` shows the event and the workflow only (the subject and the document hold the
/// patient's name and NHS number).
#[derive(Clone)]
pub struct Payload {
    /// The event (`ITK014M` Update Record, Send Document's event).
    pub event: MessageEvent,
    /// The MESH data workflow (its acknowledgements come back on `{workflow}_ACK`).
    pub workflow: WorkflowId,
    /// `MessageDefinition` of the handling specification.
    pub message_definition: String,
    /// `SenderReference` of the handling specification (at most 255 characters).
    pub sender_reference: String,
    /// `LocalExtension` of the handling specification (`None` when unused).
    pub local_extension: String,
    /// The envelope's ids.
    pub ids: EnvelopeIds,
    /// `MessageHeader.timestamp`, as [`MessageBuilder::instant`] wrote it.
    pub timestamp: String,
    /// The document bundle's id (`fullUrl` `urn:uuid:{id}`, the header's focus).
    pub document_id: String,
    /// The document bundle ([`MessageBuilder::document`] with its entries).
    pub document: Bundle,
    /// `Mex-Subject`. Holds the patient's name and NHS number.
    pub subject: String,
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload").field("event", &self.event).field("workflow", &self.workflow).finish_non_exhaustive()
    }
}

type ProgressFn = Arc<dyn Fn(SendProgress) + Send + Sync>;

/// The shared part of every ITK3 message builder: the MESH client it sends through (its
/// mailbox is `source.endpoint`, its [`ods_code`](crate::mesh::MeshConfig::ods_code) the
/// sender), the patient, addressing, recipient type, local identifiers, timestamps, the
/// version shown in the subject and the progress callback.
#[derive(Clone)]
pub struct MessageBuilder {
    mesh: MeshClient,
    patient: PatientDemographics,
    recipient_type: RecipientType,
    addressing: Addressing,
    identifier_base: Option<String>,
    timestamp: Option<DateTime<FixedOffset>>,
    last_updated: Option<crate::fhir::FhirDateTime>,
    today: Option<NaiveDate>,
    version: u32,
    progress: Option<ProgressFn>,
}

impl fmt::Debug for MessageBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageBuilder")
            .field("patient", &self.patient)
            .field("recipient_type", &self.recipient_type)
            .field("addressing", &self.addressing)
            .finish_non_exhaustive()
    }
}

impl MessageBuilder {
    /// A message about `patient`, sent through `mesh`, to the patient's registered
    /// practice, with `recipient_type` until changed.
    pub fn new(mesh: &MeshClient, patient: PatientDemographics, recipient_type: RecipientType) -> Self {
        MessageBuilder {
            mesh: mesh.clone(),
            patient,
            recipient_type,
            addressing: Addressing::RegisteredPractice,
            identifier_base: None,
            timestamp: None,
            last_updated: None,
            today: None,
            version: 1,
            progress: None,
        }
    }

    /// Where it goes (default: the registered practice via `GPPROVIDER`).
    pub fn set_addressing(&mut self, addressing: Addressing) {
        self.addressing = addressing;
    }

    /// `RecipientType`.
    pub fn set_recipient_type(&mut self, t: RecipientType) {
        self.recipient_type = t;
    }

    /// Your identifier systems under `base` (`{base}/bundle`, `{base}/patient`, ...);
    /// default `https://tools.ietf.org/html/rfc4122` UUIDs.
    pub fn set_local_identifiers(&mut self, base: &str) {
        self.identifier_base = Some(base.trim_end_matches('/').into());
    }

    /// When the message was generated (default now).
    pub fn set_timestamp(&mut self, at: DateTime<FixedOffset>) {
        self.timestamp = Some(at);
    }

    /// `meta.lastUpdated` of every resource the builder makes (default none).
    pub fn set_last_updated(&mut self, at: &str) {
        self.last_updated = Some(at.into());
    }

    /// The date validation treats as today (default the current UTC date).
    pub fn set_today(&mut self, today: NaiveDate) {
        self.today = Some(today);
    }

    /// The version shown in `Mex-Subject` (default 1).
    pub fn set_version(&mut self, version: u32) {
        self.version = version;
    }

    /// Called after each chunk MESH confirmed (for a progress bar).
    pub fn set_progress(&mut self, progress: impl Fn(SendProgress) + Send + Sync + 'static) {
        self.progress = Some(Arc::new(progress));
    }

    /// The patient.
    pub fn patient(&self) -> &PatientDemographics {
        &self.patient
    }

    /// The recipient type.
    pub fn recipient_type(&self) -> RecipientType {
        self.recipient_type
    }

    /// The version shown in the subject.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Whether local identifier systems were set ([`MessageBuilder::set_local_identifiers`]).
    pub fn has_local_identifiers(&self) -> bool {
        self.identifier_base.is_some()
    }

    /// Checks the patient (a family name MESH can route on, a birth date not in the
    /// future) and returns the date validation treats as today.
    ///
    /// # Errors
    /// [`InvalidInput`] naming the element.
    pub fn validate_patient(&self) -> Result<NaiveDate, InvalidInput> {
        let today = self.today.unwrap_or_else(|| chrono::Utc::now().date_naive());
        self.patient.validate(today)?;
        Ok(today)
    }

    /// `MessageHeader.timestamp`: the set timestamp, else now, as FHIR writes an instant.
    pub fn instant(&self) -> String {
        fhir_instant(&self.timestamp.unwrap_or_else(|| chrono::Utc::now().fixed_offset()))
    }

    /// `meta` claiming `profile`, with the `lastUpdated` set (if any).
    pub fn meta(&self, profile: &str) -> Meta {
        let mut m = Meta::profile(profile);
        m.last_updated.clone_from(&self.last_updated);
        m
    }

    /// The local identifier `{base}/{kind}` = `value`, when local identifier systems were set.
    pub fn local(&self, kind: &str, value: &str) -> Option<Identifier> {
        self.identifier_base.as_ref().map(|b| Identifier::new(format!("{b}/{kind}"), value))
    }

    /// [`MessageBuilder::local`], else a UUID identifier (`https://tools.ietf.org/html/rfc4122`).
    pub fn local_or_uuid(&self, kind: &str, value: &str) -> Identifier {
        self.local(kind, value).unwrap_or_else(|| Identifier::new(RFC4122, value))
    }

    /// The NHS number verification extension at `url`: `01` "Number present and verified"
    /// in `system`, with the display as text when `with_text`.
    pub fn nhs_number_verified(url: &str, system: &str, with_text: bool) -> Extension {
        let verified = Coding::new(system, "01", "Number present and verified");
        let concept = if with_text { CodeableConcept::with_text(verified) } else { CodeableConcept::of(verified) };
        Extension::value(url, ExtensionValue::CodeableConcept(concept))
    }

    /// The Patient resource `id` claiming `profile`: the NHS number with `verification`,
    /// the `{base}/patient` identifier when local identifiers are set, the official name,
    /// gender, birth date and postcode.
    pub fn patient_resource(&self, id: &str, profile: &str, verification: Extension) -> Patient {
        self.patient.resource(id, self.meta(profile), verification, self.local("patient", id))
    }

    /// The Practitioner resource `id` claiming `profile` for `author`: the `{base}/staff`
    /// identifier when local identifiers are set, the SDS user ID, the other identifiers,
    /// the name (with `name_use`, if given) and the work phone.
    // `..Default::default()` keeps this right when the STU3 model gains elements.
    #[allow(clippy::needless_update)]
    pub fn practitioner(&self, id: &str, profile: &str, author: &Author, name_use: Option<&str>) -> Practitioner {
        Practitioner {
            id: Some(id.into()),
            meta: Some(self.meta(profile)),
            identifier: self
                .local("staff", id)
                .into_iter()
                .chain(author.sds_user_id.iter().map(|s| Identifier::new(SDS_USER_ID, s)))
                .chain(author.identifiers.iter().map(|(s, v)| Identifier::new(s, v)))
                .collect(),
            name: vec![HumanName {
                use_: name_use.map(str::to_owned),
                family: Some(author.family.clone()),
                given: author.given.clone(),
                prefix: author.prefix.clone(),
                ..Default::default()
            }],
            telecom: author.phone.iter().map(|p| work_phone(p)).collect(),
            ..Default::default()
        }
    }

    /// The Organization resource `id` claiming `profile`: its ODS code, name and work phone.
    pub fn organization(&self, id: &str, profile: &str, ods: &str, name: &str, phone: Option<&str>) -> Organization {
        Organization {
            id: Some(id.into()),
            meta: Some(self.meta(profile)),
            identifier: vec![Identifier::new(ODS_SYSTEM, ods)],
            name: Some(name.into()),
            telecom: phone.iter().map(|p| work_phone(p)).collect(),
            ..Default::default()
        }
    }

    /// An empty document bundle `id` (ITK-Document-Bundle-1) with `identifier`; push the
    /// Composition first, then the other resources.
    pub fn document(&self, id: &str, identifier: Identifier) -> Bundle {
        Bundle::document(id, self.meta(DOCUMENT_BUNDLE_PROFILE), identifier)
    }

    /// Builds the message (the envelope around `payload.document`) and its MESH message;
    /// nothing is sent.
    ///
    /// # Errors
    /// `Error::InvalidInput` when the MESH client has no
    /// [`ods_code`](crate::mesh::MeshConfig::ods_code), the address cannot be made, or the
    /// `SenderReference` is longer than 255 characters.
    pub fn prepare(&self, payload: Payload) -> crate::Result<Prepared> {
        let sender_ods = self.mesh.ods_code().ok_or(InvalidInput::parameter(
            "MeshConfig::ods_code",
            "not set: the ODS code of the organisation sending the message",
        ))?;
        if payload.sender_reference.chars().count() > 255 {
            return Err(InvalidInput::parameter("SenderReference", "longer than 255 characters").into());
        }
        let handling = HandlingSpec::acknowledged(
            self.recipient_type,
            &payload.message_definition,
            payload.sender_reference,
            &payload.local_extension,
        );
        let ids = &payload.ids;
        let mut envelope = Envelope::new(payload.event, handling, self.mesh.mailbox().as_str(), sender_ods.as_str())
            .with_ids(
                &ids.bundle,
                self.local_or_uuid("bundle", &ids.bundle_identifier),
                &ids.header,
                &ids.sender,
                payload.timestamp,
            );
        envelope.bundle_meta.last_updated.clone_from(&self.last_updated);
        envelope.header_meta.last_updated.clone_from(&self.last_updated);
        envelope.sender_meta.last_updated.clone_from(&self.last_updated);
        let message = envelope.wrap(&payload.document_id, Resource::Bundle(Box::new(payload.document)));

        let to = self.addressing.recipient(&self.patient)?;
        Prepared::new(message, to, payload.workflow, payload.subject, sender_ods.as_str())
    }

    /// Builds the message as [`MessageBuilder::prepare`] and sends it once over the MESH
    /// client (the first upload is never retried blindly), reporting progress as set.
    /// Returns the tracker of its acknowledgements with the MESH message ID.
    ///
    /// # Errors
    /// As [`MessageBuilder::prepare`], then the MESH client's errors:
    /// [`Error::may_have_been_sent`](crate::Error::may_have_been_sent) says whether the
    /// message could have left, and [`MeshError::itk3_ids`](crate::mesh::MeshError::itk3_ids)
    /// gives the message's ITK3 ids (and MESH message ID, when known) to track it by.
    /// Sending again with the same builder sends the same ids.
    pub async fn send(&self, payload: Payload) -> crate::Result<Tracked<Acknowledgements>> {
        let Prepared { message, mut outgoing, workflow } = self.prepare(payload)?;
        if let Some(progress) = self.progress.clone() {
            outgoing = outgoing.on_progress(move |p| progress(p));
        }
        let mut ids = MessageIds::of(&message);
        let sent = match self.mesh.send(outgoing).await {
            Ok(sent) => sent,
            Err(crate::Error::Messaging(failure)) => return Err(with_ids(*failure, ids)),
            Err(other) => return Err(other),
        };
        ids.mesh_message_id = Some(sent.message_id.clone());
        let tracker =
            Acknowledgements::new(&message, ids).answered_on(workflow.ack()).sent_on(workflow, chrono::Utc::now());
        Ok(Tracked { value: tracker, message_id: sent.message_id })
    }
}

/// The MESH failure of a send with the ITK3 ids of its message (and the MESH message ID,
/// when MESH gave one).
fn with_ids(failure: crate::error::MessagingError, mut ids: MessageIds) -> crate::Error {
    match failure.take::<crate::mesh::MeshError>() {
        Ok(mut mesh) => {
            ids.mesh_message_id.clone_from(&mesh.message_id);
            mesh.itk3 = Some(Box::new(ids));
            mesh.into()
        }
        Err(other) => crate::Error::Messaging(Box::new(other)),
    }
}

fn work_phone(number: &str) -> ContactPoint {
    ContactPoint {
        system: Some("phone".into()),
        value: Some(number.into()),
        use_: Some("work".into()),
        ..Default::default()
    }
}

/// An ITK3 message built and ready to go, from an API builder's `prepare()`: the message
/// and its MESH envelope. Read-only: sending is the builder's `send()`.
pub struct Prepared {
    message: Itk3Message,
    outgoing: OutgoingMessage,
    workflow: WorkflowId,
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared").field("message", &self.message).field("outgoing", &self.outgoing).finish()
    }
}

impl Prepared {
    /// The MESH message for `message`: `mex-To`, `mex-WorkflowID`, `mex-Subject`,
    /// `mex-LocalID`, `Content-Type: application/fhir+xml`, unchunked up to 100 MB.
    fn new(
        message: Itk3Message,
        to: Recipient,
        workflow: WorkflowId,
        subject: String,
        local_id: &str,
    ) -> crate::Result<Self> {
        let outgoing = OutgoingMessage::new(to, workflow.clone())
            .subject(subject)
            .local_id(LocalId::parse(local_id)?)
            .content_type("application/fhir+xml")
            // Older ITK3 receivers cannot take chunked messages: one request up to MESH's
            // single-request limit.
            .unchunked()
            .body_bytes(message.to_xml().into_bytes());
        Ok(Prepared { message, outgoing, workflow })
    }

    /// The ITK3 message.
    pub fn message(&self) -> &Itk3Message {
        &self.message
    }

    /// The ITK3 message, without its MESH envelope.
    pub fn into_message(self) -> Itk3Message {
        self.message
    }

    /// The identifiers its answers will name (no MESH message ID yet).
    pub fn ids(&self) -> MessageIds {
        MessageIds::of(&self.message)
    }

    /// The MESH message that would carry it.
    pub fn outgoing(&self) -> &OutgoingMessage {
        &self.outgoing
    }

    /// The MESH data workflow.
    pub fn workflow(&self) -> &WorkflowId {
        &self.workflow
    }
}
