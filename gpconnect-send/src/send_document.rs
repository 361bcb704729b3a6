//! The Send Document operation: builder, validation, the ITK3 message and its MESH envelope.

use std::fmt;

use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, FixedOffset, NaiveDate};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::itk3::model::{CodeableConcept, Coding, Identifier, Meta, Narrative, Reference};
use gpconnect_core::itk3::resources::{Binary, Composition, CompositionRelatesTo, CompositionSection, Observation};
use gpconnect_core::itk3::{
    Acknowledgements, Addressing, Author, EnvelopeIds, MessageBuilder, MessageEvent, PatientDemographics, Payload,
    Prepared, RecipientType, Resource, XmlNode, RFC4122,
};
use gpconnect_core::mesh::{MeshClient, SendProgress, Tracked, WorkflowId};
use gpconnect_core::OdsCode;

/// The MessageDefinition of Send Document (both generations).
pub const MESSAGE_DEFINITION: &str =
    "https://fhir.nhs.uk/STU3/MessageDefinition/ITK-GPConnectSendDocument-MessageDefinition-1";
/// SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";
/// The largest document accepted unless raised: ITK3's recommended 5 MB (receivers may
/// answer `20015` above it).
pub const RECOMMENDED_MAX_BYTES: usize = 5 * 1024 * 1024;
/// The hard limit: 75 MB, which base64-encoded stays within MESH's 100 MB per request.
pub const HARD_MAX_BYTES: usize = 75 * 1024 * 1024;

const COMPOSITION_PROFILE: &str = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Composition-1";
const BINARY_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Attachment-Binary-1";
const PATIENT_PROFILE: &str = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1";
const PRACTITIONER_PROFILE: &str = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Practitioner-1";
const ORGANIZATION_PROFILE: &str = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Organization-1";
const NHS_VERIFICATION_URL: &str =
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-NHSNumberVerificationStatus-1";
const GPC_NHS_VERIFICATION_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-NHSNumberVerificationStatus-1";
const NHS_VERIFICATION_SYSTEM: &str =
    "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1";

/// Which generation of Send Document (spec 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Generation {
    /// v1.x "Send Consultation Report": `GPFED_CONSULT_REPORT`, a PDF consultation report.
    V1ConsultationReport,
    /// v2.0.0+: `GPCONNECT_SEND_DOCUMENT`, any permitted document.
    V2AnyDocument,
}

impl Generation {
    /// The data workflow ID.
    pub fn workflow(self) -> WorkflowId {
        let id = match self {
            Generation::V1ConsultationReport => "GPFED_CONSULT_REPORT",
            Generation::V2AnyDocument => "GPCONNECT_SEND_DOCUMENT",
        };
        WorkflowId::parse(id).expect("a valid workflow ID")
    }

    /// The acknowledgement workflow ID (data workflow + `_ACK`).
    pub fn ack_workflow(self) -> WorkflowId {
        self.workflow().ack()
    }

    fn local_extension(self) -> &'static str {
        match self {
            Generation::V1ConsultationReport => "SendDocument-ConsultationReport",
            Generation::V2AnyDocument => "None",
        }
    }
}

/// The document's media type: the v2 list (spec 3.4). v1 takes PDF only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaType {
    /// `application/pdf` (the usual one).
    Pdf,
    /// `application/msword`.
    Word,
    /// `application/vnd.openxmlformats-officedocument.wordprocessingml.document`.
    WordXml,
    /// `application/mswrtford` (sic, as the spec lists it).
    RichText,
    /// `text/html`.
    Html,
    /// `text/plain`.
    PlainText,
    /// `text/xml`.
    Xml,
    /// `image/jpg`.
    Jpeg,
    /// `image/png`.
    Png,
}

impl MediaType {
    /// The MIME type as sent in `Binary.contentType`.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Word => "application/msword",
            MediaType::WordXml => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            MediaType::RichText => "application/mswrtford",
            MediaType::Html => "text/html",
            MediaType::PlainText => "text/plain",
            MediaType::Xml => "text/xml",
            MediaType::Jpeg => "image/jpg",
            MediaType::Png => "image/png",
        }
    }

    /// The media type of a MIME string.
    pub fn from_mime(mime: &str) -> Option<Self> {
        use MediaType::*;
        [Pdf, Word, WordXml, RichText, Html, PlainText, Xml, Jpeg, Png].into_iter().find(|m| m.mime() == mime)
    }

    fn looks_right(self, content: &[u8]) -> bool {
        match self {
            MediaType::Pdf => content.starts_with(b"%PDF-"),
            MediaType::Png => content.starts_with(b"\x89PNG\r\n\x1a\n"),
            MediaType::Jpeg => content.starts_with(&[0xFF, 0xD8, 0xFF]),
            _ => true,
        }
    }
}

/// A document to send.
#[derive(Clone)]
pub struct Document {
    /// The media type.
    pub media_type: MediaType,
    /// The bytes.
    pub content: Bytes,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Document({:?}, {} bytes)", self.media_type, self.content.len())
    }
}

impl Document {
    /// A PDF.
    pub fn pdf(content: impl Into<Bytes>) -> Self {
        Document { media_type: MediaType::Pdf, content: content.into() }
    }

    /// A document of `media_type`.
    pub fn new(media_type: MediaType, content: impl Into<Bytes>) -> Self {
        Document { media_type, content: content.into() }
    }
}

/// An organisation in the payload (the practice or service where the patient was seen).
#[derive(Clone, PartialEq, Eq)]
pub struct Organisation {
    /// The ODS code.
    pub ods: OdsCode,
    /// The name.
    pub name: String,
    /// The work phone number.
    pub phone: Option<String>,
}

impl fmt::Debug for Organisation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Organisation").field("ods", &self.ods).finish_non_exhaustive()
    }
}

impl Organisation {
    /// An organisation with its ODS code and name.
    pub fn new(ods: OdsCode, name: &str) -> Self {
        Organisation { ods, name: name.into(), phone: None }
    }

    /// Adds a work phone number.
    #[must_use]
    pub fn phone(mut self, phone: &str) -> Self {
        self.phone = Some(phone.into());
        self
    }
}

/// `Composition.confidentiality`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Confidentiality {
    /// `N` normal.
    Normal,
    /// `R` restricted: the practice name and ODS code are left out of `Mex-Subject`
    /// (GPCM-SD-092).
    Restricted,
}

/// The ids of every resource of the message. [`MessageIdSet::fresh`] gives new UUIDs;
/// set them only to reproduce a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageIdSet {
    /// `Bundle.id` of the message bundle.
    pub bundle: String,
    /// `Bundle.identifier` value of the message bundle (v1: also the document bundle's).
    pub bundle_identifier: String,
    /// `MessageHeader.id`.
    pub header: String,
    /// The header Organization.
    pub sender: String,
    /// The document bundle.
    pub document_bundle: String,
    /// The Composition (also its identifier).
    pub composition: String,
    /// The Binary.
    pub binary: String,
    /// The Patient.
    pub patient: String,
    /// The author Practitioner.
    pub author: String,
    /// The payload Organization.
    pub organisation: String,
}

impl MessageIdSet {
    /// Fresh UUIDs.
    pub fn fresh() -> Self {
        let u = || uuid::Uuid::new_v4().to_string();
        MessageIdSet {
            bundle: u(),
            bundle_identifier: u(),
            header: u(),
            sender: u(),
            document_bundle: u(),
            composition: u(),
            binary: u(),
            patient: u(),
            author: u(),
            organisation: u(),
        }
    }
}

/// Sends a document to a patient's registered GP practice (GP Connect Send Document); from
/// [`SendDocumentExt::send_document`] on the MESH client.
///
/// Builds the ITK3 message (the shared envelope and the document bundle: Composition, the
/// document as an ITK-Attachment-Binary-1, author, organisation, patient) as FHIR XML,
/// validates it, and sends it over MESH to `GPPROVIDER_{NHS number}_{YYYYMMDD}_{surname}`
/// with the generation's workflow ID, `Mex-Subject` and `Mex-LocalID`. The sender is the
/// MESH client's mailbox and its configured ODS code
/// ([`MeshConfig::ods_code`](gpconnect_core::mesh::MeshConfig::ods_code)).
///
/// # Example
/// ```no_run
/// use std::time::Duration;
/// use chrono::NaiveDate;
/// use gpconnect_core::itk3::PatientDemographics;
/// use gpconnect_send::{Author, Document, Organisation, SendDocumentExt};
///
/// # async fn demo(mesh: gpconnect_core::mesh::MeshClient, pdf: Vec<u8>) -> gpconnect_core::Result<()> {
/// let patient = PatientDemographics::new(
///     "9690937286".parse()?, "Smith", &["Richard"], NaiveDate::from_ymd_opt(1957, 1, 9).unwrap());
/// let practice = Organisation::new("A20047".parse()?, "Cumbria Starling Medical Centre");
/// let mut sent = mesh
///     .send_document(patient, Document::pdf(pdf))
///     .author(Author::new("Pritchard", &["Gary"]).prefix("Dr"))
///     .organisation(practice)
///     .title("Consultation report")
///     .document_type("371531000", "Report of clinical encounter")
///     .send()
///     .await?;
/// println!("sent as MESH message {}", sent.message_id);
/// sent.wait(&mesh, Duration::from_secs(3600)).await?;
/// println!("{:?}", sent.outcome());
/// # Ok(()) }
/// ```
///
/// # Errors
/// `Error::InvalidInput` naming the element before anything is sent; the MESH client's
/// errors after (`may_have_been_sent` says whether the document could have left).
#[must_use = "a builder does nothing until sent"]
#[derive(Clone)]
pub struct SendDocument {
    message: MessageBuilder,
    generation: Generation,
    document: Document,
    author: Option<Author>,
    organisation: Option<Organisation>,
    title: Option<String>,
    document_type: Option<Coding>,
    confidentiality: Confidentiality,
    sender_reference: Option<String>,
    replaces: Option<String>,
    ids: MessageIdSet,
    date: Option<String>,
    observations: Vec<(String, Observation)>,
    max_bytes: usize,
}

impl fmt::Debug for SendDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendDocument")
            .field("generation", &self.generation)
            .field("message", &self.message)
            .field("document", &self.document)
            .finish_non_exhaustive()
    }
}

/// Adds Send Document to the MESH client.
pub trait SendDocumentExt {
    /// Send Document: `document` about `patient` to the patient's registered practice
    /// (v2, [`Generation::V2AnyDocument`], unless [`SendDocument::generation`] says v1).
    fn send_document(&self, patient: PatientDemographics, document: Document) -> SendDocument;
}

impl SendDocumentExt for MeshClient {
    fn send_document(&self, patient: PatientDemographics, document: Document) -> SendDocument {
        SendDocument {
            message: MessageBuilder::new(self, patient, RecipientType::ForAction),
            generation: Generation::V2AnyDocument,
            document,
            author: None,
            organisation: None,
            title: None,
            document_type: None,
            confidentiality: Confidentiality::Normal,
            sender_reference: None,
            replaces: None,
            ids: MessageIdSet::fresh(),
            date: None,
            observations: Vec::new(),
            max_bytes: RECOMMENDED_MAX_BYTES,
        }
    }
}

impl SendDocument {
    /// The generation (default [`Generation::V2AnyDocument`]).
    pub fn generation(mut self, generation: Generation) -> Self {
        self.generation = generation;
        self
    }

    /// The practitioner who wrote it (mandatory).
    pub fn author(mut self, author: Author) -> Self {
        self.author = Some(author);
        self
    }

    /// The organisation where the patient was seen (mandatory; the custodian).
    pub fn organisation(mut self, organisation: Organisation) -> Self {
        self.organisation = Some(organisation);
        self
    }

    /// The document title (v1: `Consultation report`; v2: mandatory).
    pub fn title(mut self, title: &str) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The document type, a PRSB document-naming SNOMED code (v1 default `371531000`
    /// Report of clinical encounter; v2 mandatory).
    pub fn document_type(mut self, code: &str, display: &str) -> Self {
        self.document_type = Some(Coding::new(SNOMED, code, display));
        self
    }

    /// `Composition.confidentiality` (default [`Confidentiality::Normal`]).
    pub fn confidentiality(mut self, c: Confidentiality) -> Self {
        self.confidentiality = c;
        self
    }

    /// The `SenderReference`: the unique ID of the encounter (default a fresh UUID).
    pub fn sender_reference(mut self, reference: &str) -> Self {
        self.sender_reference = Some(reference.into());
        self
    }

    /// This document replaces the earlier one with this document UUID (send within 24 h).
    pub fn replaces(mut self, original_document: uuid::Uuid) -> Self {
        self.replaces = Some(original_document.to_string());
        self
    }

    /// The document version shown in the subject (default 1).
    pub fn version(mut self, version: u32) -> Self {
        self.message.set_version(version);
        self
    }

    /// `RecipientType` (default `FA`, GPCM-SD-039).
    pub fn recipient_type(mut self, t: RecipientType) -> Self {
        self.message.set_recipient_type(t);
        self
    }

    /// Where it goes (default: the registered practice via `GPPROVIDER`).
    pub fn addressing(mut self, addressing: Addressing) -> Self {
        self.message.set_addressing(addressing);
        self
    }

    /// The resource ids (default fresh UUIDs).
    pub fn ids(mut self, ids: MessageIdSet) -> Self {
        self.ids = ids;
        self
    }

    /// When the message was generated (default now).
    pub fn timestamp(mut self, at: DateTime<FixedOffset>) -> Self {
        self.message.set_timestamp(at);
        self
    }

    /// `Composition.date` as written (default the timestamp).
    pub fn date(mut self, date: &str) -> Self {
        self.date = Some(date.into());
        self
    }

    /// Adds a coded observation in its own section titled `section`.
    pub fn observation(mut self, section: &str, observation: Observation) -> Self {
        self.observations.push((section.into(), observation));
        self
    }

    /// Raises (or lowers) the document size limit (default 5 MB; at most 75 MB).
    pub fn max_document_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes.min(HARD_MAX_BYTES);
        self
    }

    /// Your own identifier systems, under `base`: bundle and composition identifiers become
    /// `{base}/bundle` and `{base}/composition`, and the patient and author get
    /// `{base}/patient` and `{base}/staff` identifiers, as the v2 example shows (default:
    /// `https://tools.ietf.org/html/rfc4122` UUID identifiers, as v1 shows).
    pub fn local_identifiers(mut self, base: &str) -> Self {
        self.message.set_local_identifiers(base);
        self
    }

    /// The date validation treats as today (default the current UTC date).
    pub fn today(mut self, today: NaiveDate) -> Self {
        self.message.set_today(today);
        self
    }

    /// Called after each chunk MESH confirmed (for a progress bar on a large document).
    pub fn progress(mut self, progress: impl Fn(SendProgress) + Send + Sync + 'static) -> Self {
        self.message.set_progress(progress);
        self
    }

    fn validate(&self) -> Result<(&Author, &Organisation, String), InvalidInput> {
        self.message.validate_patient()?;
        let author = self.author.as_ref().ok_or(InvalidInput::parameter("Composition.author", "missing"))?;
        if author.family.trim().is_empty() {
            return Err(InvalidInput::parameter("Practitioner.name.family", "missing"));
        }
        let org = self.organisation.as_ref().ok_or(InvalidInput::parameter("Composition.custodian", "missing"))?;
        if org.name.trim().is_empty() {
            return Err(InvalidInput::parameter("Organization.name", "missing"));
        }
        let doc = &self.document;
        if self.generation == Generation::V1ConsultationReport && doc.media_type != MediaType::Pdf {
            return Err(InvalidInput::parameter("Binary.contentType", "v1 sends a PDF only"));
        }
        if doc.content.is_empty() {
            return Err(InvalidInput::parameter("Binary.content", "empty document"));
        }
        if doc.content.len() > self.max_bytes {
            return Err(InvalidInput::parameter(
                "Binary.content",
                format!("document of {} bytes over the limit of {}", doc.content.len(), self.max_bytes),
            ));
        }
        if !doc.media_type.looks_right(&doc.content) {
            return Err(InvalidInput::parameter("Binary.content", "content does not match its media type"));
        }
        let title = match (self.generation, &self.title) {
            (_, Some(t)) if t.trim().is_empty() => return Err(InvalidInput::parameter("Composition.title", "empty")),
            (_, Some(t)) => t.clone(),
            (Generation::V1ConsultationReport, None) => "Consultation report".into(),
            (Generation::V2AnyDocument, None) => return Err(InvalidInput::parameter("Composition.title", "missing")),
        };
        if self.generation == Generation::V2AnyDocument && self.document_type.is_none() {
            return Err(InvalidInput::parameter("Composition.type", "missing (a PRSB document-naming code)"));
        }
        Ok((author, org, title))
    }

    /// `Mex-Subject` (spec 3.2). Holds the patient's name and NHS number.
    fn subject(&self, title: &str, org: &Organisation) -> String {
        match self.generation {
            // v1: the narrative's form with the spec's fixed title and no version.
            Generation::V1ConsultationReport => self.seen("Consultation report", org, ""),
            Generation::V2AnyDocument => self.seen(title, org, ""),
        }
    }

    /// The text of `Mex-Subject` and of `Composition.text` (spec 3.2, 3.4): v1
    /// `{title} for {name} , NHS Number {nhs}, seen at {practice}, ODS Code {ods}`, v2
    /// `{title} for {name}, NHS Number: {nhs}, seen at {practice}, ODS code: {ods}, version {n}`.
    /// The practice and its ODS code are left out of a restricted (confidential)
    /// consultation (GPCM-SD-092, the `*` of the v1 narrative). `v1_version` is appended
    /// to v1's form (the narrative ends `, Version {n}`, the subject does not).
    fn seen(&self, title: &str, org: &Organisation, v1_version: &str) -> String {
        let name = self.message.patient().display_name();
        let nhs = self.message.patient().nhs_number.expose();
        let version = self.message.version();
        let restricted = self.confidentiality == Confidentiality::Restricted;
        match self.generation {
            Generation::V1ConsultationReport if restricted => {
                format!("{title} for {name} , NHS Number {nhs}{v1_version}")
            }
            Generation::V1ConsultationReport => {
                format!("{title} for {name} , NHS Number {nhs}, seen at {}, ODS Code {}{v1_version}", org.name, org.ods)
            }
            Generation::V2AnyDocument if restricted => {
                format!("{title} for {name}, NHS Number: {nhs}, version {version}")
            }
            Generation::V2AnyDocument => format!(
                "{title} for {name}, NHS Number: {nhs}, seen at {}, ODS code: {}, version {version}",
                org.name, org.ods
            ),
        }
    }

    /// Validates the input and builds the message and its MESH envelope; nothing is sent
    /// (for a look at the message, or tests).
    ///
    /// # Errors
    /// `Error::InvalidInput` naming the element that breaks a rule, or when the MESH
    /// client has no ODS code configured.
    pub fn prepare(&self) -> gpconnect_core::Result<Prepared> {
        let payload = self.payload()?;
        self.message.prepare(payload)
    }

    /// Validates, builds and sends the message once over the MESH client. Returns the
    /// tracker of its acknowledgements with the MESH message ID; wait for them with
    /// [`Acknowledgements::wait`].
    ///
    /// # Errors
    /// As [`SendDocument::prepare`], then the MESH client's errors.
    ///
    /// After a failure whose outcome is unknown
    /// ([`may_have_been_sent`](gpconnect_core::Error::may_have_been_sent)), track the message
    /// ([`MeshError::itk3_ids`](gpconnect_core::mesh::MeshError::itk3_ids)) and, if it must
    /// go again, call `send` again on this builder: the same ids go out, so that the
    /// recipient recognises a repeat (code 20007).
    pub async fn send(&self) -> gpconnect_core::Result<Tracked<Acknowledgements>> {
        let payload = self.payload()?;
        self.message.send(payload).await
    }

    /// The document bundle and what the envelope needs.
    fn payload(&self) -> gpconnect_core::Result<Payload> {
        let (author, org, title) = self.validate()?;
        let m = &self.message;
        let ids = &self.ids;
        let urn = |id: &str| format!("urn:uuid:{id}");
        let stamp = m.instant();
        let v1 = self.generation == Generation::V1ConsultationReport;

        let mut patient = if v1 {
            let verification =
                MessageBuilder::nhs_number_verified(NHS_VERIFICATION_URL, NHS_VERIFICATION_SYSTEM, false);
            m.patient_resource(&ids.patient, PATIENT_PROFILE, verification)
        } else {
            let verification =
                MessageBuilder::nhs_number_verified(GPC_NHS_VERIFICATION_URL, NHS_VERIFICATION_SYSTEM, true);
            m.patient_resource(&ids.patient, PATIENT_PROFILE, verification)
        };
        patient.active = v1.then_some(true);
        let practitioner = m.practitioner(&ids.author, PRACTITIONER_PROFILE, author, v1.then_some("official"));
        let organisation =
            m.organization(&ids.organisation, ORGANIZATION_PROFILE, org.ods.as_str(), &org.name, org.phone.as_deref());
        let binary = Binary {
            id: Some(ids.binary.clone()),
            meta: Some(Meta::profile(BINARY_PROFILE)),
            content_type: Some(self.document.media_type.mime().into()),
            content: Some(base64::engine::general_purpose::STANDARD.encode(&self.document.content)),
            ..Default::default()
        };
        let doc_type = self
            .document_type
            .clone()
            .unwrap_or_else(|| Coding::new(SNOMED, "371531000", "Report of clinical encounter"));
        let mut sections = if v1 {
            vec![CompositionSection {
                title: Some(title.clone()),
                entry: vec![Reference::new(&urn(&ids.binary))],
                ..Default::default()
            }]
        } else {
            // v2 (the generic example): one section listing every resource.
            let all = [&ids.organisation, &ids.author, &ids.patient, &ids.binary];
            vec![CompositionSection {
                entry: all.iter().map(|id| Reference::new(&urn(id))).collect(),
                ..Default::default()
            }]
        };
        for (section, obs) in &self.observations {
            let id = obs.id.clone().unwrap_or_default();
            sections.push(CompositionSection {
                title: Some(section.clone()),
                entry: vec![Reference::new(&urn(&id))],
                ..Default::default()
            });
        }
        // Composition.text: mandatory in v1 and in the v2 guide (the v2 generic example
        // leaves it out; the guide wins).
        let narrative = self.seen(&title, org, &format!(", Version {}", m.version()));
        let composition = Composition {
            id: Some(ids.composition.clone()),
            meta: Some(Meta::profile(COMPOSITION_PROFILE)),
            text: Some(Narrative {
                status: Some("generated".into()),
                div: Some(
                    XmlNode::new("div")
                        .attr("xmlns", gpconnect_core::itk3::xml::XHTML_NS)
                        .child(text_node("p", &narrative)),
                ),
            }),
            identifier: Some(m.local_or_uuid("composition", &ids.composition)),
            status: Some("final".into()),
            type_: Some(if v1 { CodeableConcept::of(doc_type) } else { CodeableConcept::with_text(doc_type) }),
            subject: Some(Reference::new(&urn(&ids.patient))),
            date: Some(self.date.clone().unwrap_or_else(|| stamp.clone())),
            author: vec![Reference::new(&urn(&ids.author))],
            title: Some(title.clone()),
            confidentiality: match self.confidentiality {
                Confidentiality::Normal if v1 => Some("N".into()),
                Confidentiality::Normal => None,
                Confidentiality::Restricted => Some("R".into()),
            },
            // Mandatory in both generations (the v2 guide; the generic example omits it).
            custodian: Some(Reference::new(&urn(&ids.organisation))),
            relates_to: self
                .replaces
                .iter()
                .map(|target| CompositionRelatesTo {
                    code: Some("replaces".into()),
                    target_identifier: Some(Identifier::new(RFC4122, target)),
                })
                .collect(),
            section: sections,
            ..Default::default()
        };
        let identifier = m.local_or_uuid("bundle", if v1 { &ids.bundle_identifier } else { &ids.document_bundle });
        let mut document = m.document(&ids.document_bundle, identifier);
        document.push(&ids.composition, Resource::Composition(composition));
        if v1 {
            // The order of the v1 example: document, observations, author, organisation, patient.
            document.push(&ids.binary, Resource::Binary(binary));
            for (_, obs) in &self.observations {
                document.push(&obs.id.clone().unwrap_or_default(), Resource::Observation(obs.clone()));
            }
            document.push(&ids.author, Resource::Practitioner(practitioner));
            document.push(&ids.organisation, Resource::Organization(organisation));
            document.push(&ids.patient, Resource::Patient(patient));
        } else {
            // The order of the v2 example: organisation, author, patient, document.
            document.push(&ids.organisation, Resource::Organization(organisation));
            document.push(&ids.author, Resource::Practitioner(practitioner));
            document.push(&ids.patient, Resource::Patient(patient));
            for (_, obs) in &self.observations {
                document.push(&obs.id.clone().unwrap_or_default(), Resource::Observation(obs.clone()));
            }
            document.push(&ids.binary, Resource::Binary(binary));
        }
        Ok(Payload {
            event: MessageEvent::SendDocument,
            workflow: self.generation.workflow(),
            message_definition: MESSAGE_DEFINITION.into(),
            sender_reference: self.sender_reference.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            local_extension: self.generation.local_extension().into(),
            ids: EnvelopeIds {
                bundle: ids.bundle.clone(),
                bundle_identifier: ids.bundle_identifier.clone(),
                header: ids.header.clone(),
                sender: ids.sender.clone(),
            },
            timestamp: stamp,
            document_id: ids.document_bundle.clone(),
            document,
            subject: self.subject(&title, org),
        })
    }
}

fn text_node(name: &str, text: &str) -> XmlNode {
    let mut n = XmlNode::new(name);
    n.push_text(text);
    n
}
