//! The Send Document operation: builder, validation, the ITK3 message and its MESH envelope.

use std::fmt;

use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, FixedOffset, NaiveDate};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::itk3::model::{
    CodeableConcept, Coding, ContactPoint, Extension, ExtensionValue, HumanName, Identifier, Meta, Narrative, Reference,
};
use gpconnect_core::itk3::resources::{
    Binary, Bundle, Composition, CompositionRelatesTo, CompositionSection, Observation, Organization, Patient,
    Practitioner,
};
use gpconnect_core::itk3::{
    fhir_instant, Acknowledgements, Addressing, Envelope, HandlingSpec, MessageEvent, PatientDemographics, Prepared,
    RecipientType, Resource, XmlNode, DOCUMENT_BUNDLE_PROFILE, ODS_SYSTEM, RFC4122,
};
use gpconnect_core::mesh::{MailboxId, MeshClient, WorkflowId};
use gpconnect_core::OdsCode;

/// The MessageDefinition of Send Document (both generations).
pub const MESSAGE_DEFINITION: &str =
    "https://fhir.nhs.uk/STU3/MessageDefinition/ITK-GPConnectSendDocument-MessageDefinition-1";
/// SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";
/// The SDS user ID system.
pub const SDS_USER_ID: &str = "https://fhir.nhs.uk/Id/sds-user-id";
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

/// The practitioner who wrote the document.
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

/// Sends a document to a patient's registered GP practice (GP Connect Send Document).
///
/// Builds the ITK3 message (message bundle, MessageHeader with the handling
/// specification, sender organisation, and the document bundle: Composition, the document
/// as an ITK-Attachment-Binary-1, author, organisation, patient) as FHIR XML, validates it,
/// and sends it over MESH to `GPPROVIDER_{NHS number}_{YYYYMMDD}_{surname}` with the
/// generation's workflow ID, `Mex-Subject` and `Mex-LocalID` (the sender ODS code).
///
/// # Example
/// ```no_run
/// use chrono::NaiveDate;
/// use gpconnect_core::itk3::PatientDemographics;
/// use gpconnect_send::{Author, Document, Generation, Organisation, SendDocument};
///
/// # async fn demo(mesh: gpconnect_core::mesh::MeshClient, pdf: Vec<u8>) -> gpconnect_core::Result<()> {
/// let patient = PatientDemographics::new(
///     "9690937286".parse()?, "Smith", &["Richard"], NaiveDate::from_ymd_opt(1957, 1, 9).unwrap());
/// let practice = Organisation::new("A20047".parse()?, "Cumbria Starling Medical Centre");
/// let mut answers = SendDocument::new(Generation::V2AnyDocument, patient, Document::pdf(pdf))
///     .author(Author::new("Pritchard", &["Gary"]).prefix("Dr"))
///     .organisation(practice)
///     .title("Consultation report")
///     .send(&mesh)
///     .await?;
/// // later: gpconnect_core::itk3::receive_answers(&mesh, &Generation::V2AnyDocument.ack_workflow(), std::slice::from_mut(&mut answers))
/// # Ok(()) }
/// ```
///
/// # Errors
/// `Error::InvalidInput` naming the element before anything is sent; the MESH client's
/// errors after (`may_have_been_sent` says whether the document could have left).
#[must_use = "a builder does nothing until sent"]
#[derive(Clone)]
pub struct SendDocument {
    generation: Generation,
    patient: PatientDemographics,
    document: Document,
    author: Option<Author>,
    organisation: Option<Organisation>,
    title: Option<String>,
    document_type: Option<Coding>,
    confidentiality: Confidentiality,
    sender_reference: Option<String>,
    replaces: Option<String>,
    version: u32,
    recipient_type: RecipientType,
    addressing: Addressing,
    ids: MessageIdSet,
    timestamp: Option<DateTime<FixedOffset>>,
    date: Option<String>,
    observations: Vec<(String, Observation)>,
    max_bytes: usize,
    today: Option<NaiveDate>,
    identifier_base: Option<String>,
}

impl fmt::Debug for SendDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendDocument")
            .field("generation", &self.generation)
            .field("patient", &self.patient)
            .field("document", &self.document)
            .finish_non_exhaustive()
    }
}

impl SendDocument {
    /// A message of `generation` carrying `document` about `patient`.
    pub fn new(generation: Generation, patient: PatientDemographics, document: Document) -> Self {
        SendDocument {
            generation,
            patient,
            document,
            author: None,
            organisation: None,
            title: None,
            document_type: None,
            confidentiality: Confidentiality::Normal,
            sender_reference: None,
            replaces: None,
            version: 1,
            recipient_type: RecipientType::ForAction,
            addressing: Addressing::RegisteredPractice,
            ids: MessageIdSet::fresh(),
            timestamp: None,
            date: None,
            observations: Vec::new(),
            max_bytes: RECOMMENDED_MAX_BYTES,
            today: None,
            identifier_base: None,
        }
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
        self.version = version;
        self
    }

    /// `RecipientType` (default `FA`, GPCM-SD-039).
    pub fn recipient_type(mut self, t: RecipientType) -> Self {
        self.recipient_type = t;
        self
    }

    /// Where it goes (default: the registered practice via `GPPROVIDER`).
    pub fn addressing(mut self, addressing: Addressing) -> Self {
        self.addressing = addressing;
        self
    }

    /// The resource ids (default fresh UUIDs).
    pub fn ids(mut self, ids: MessageIdSet) -> Self {
        self.ids = ids;
        self
    }

    /// When the message was generated (default now).
    pub fn timestamp(mut self, at: DateTime<FixedOffset>) -> Self {
        self.timestamp = Some(at);
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
        self.identifier_base = Some(base.trim_end_matches('/').into());
        self
    }

    /// The date validation treats as today (default the current UTC date).
    pub fn today(mut self, today: NaiveDate) -> Self {
        self.today = Some(today);
        self
    }

    fn validate(&self) -> Result<(&Author, &Organisation, String), InvalidInput> {
        let today = self.today.unwrap_or_else(|| chrono::Utc::now().date_naive());
        self.patient.validate(today)?;
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
        if self.sender_reference.as_ref().is_some_and(|r| r.chars().count() > 255) {
            return Err(InvalidInput::parameter("SenderReference", "longer than 255 characters"));
        }
        Ok((author, org, title))
    }

    /// `Mex-Subject` (spec 3.2). Holds the patient's name and NHS number.
    fn subject(&self, title: &str, org: &Organisation) -> String {
        let name = self.patient.display_name();
        let nhs = self.patient.nhs_number.expose();
        let restricted = self.confidentiality == Confidentiality::Restricted;
        match self.generation {
            Generation::V1ConsultationReport if restricted => {
                format!("Consultation report for {name} , NHS Number {nhs}")
            }
            Generation::V1ConsultationReport => {
                format!("Consultation report for {name} , NHS Number {nhs}, seen at {}, ODS Code {}", org.name, org.ods)
            }
            Generation::V2AnyDocument if restricted => {
                format!("{title} for {name}, NHS Number: {nhs}, version {}", self.version)
            }
            Generation::V2AnyDocument => format!(
                "{title} for {name}, NHS Number: {nhs}, seen at {}, ODS code: {}, version {}",
                org.name, org.ods, self.version
            ),
        }
    }

    /// Validates the input and builds the message and its MESH envelope; nothing is sent.
    ///
    /// `sender` is the sending mailbox (`source.endpoint`), `sender_ods` the sending
    /// organisation (header Organization, `Mex-LocalID`).
    ///
    /// # Errors
    /// `Error::InvalidInput` naming the element that breaks a rule.
    pub fn request(&self, sender: &MailboxId, sender_ods: &OdsCode) -> gpconnect_core::Result<Prepared> {
        let (author, org, title) = self.validate()?;
        let ids = &self.ids;
        let urn = |id: &str| format!("urn:uuid:{id}");
        let timestamp = self.timestamp.unwrap_or_else(|| chrono::Utc::now().fixed_offset());
        let stamp = fhir_instant(&timestamp);
        let sender_reference = self.sender_reference.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let v1 = self.generation == Generation::V1ConsultationReport;

        let local = |kind: &str, value: &str| match &self.identifier_base {
            Some(base) => Identifier::new(format!("{base}/{kind}"), value),
            None => Identifier::new(RFC4122, value),
        };
        let handling = HandlingSpec::acknowledged(
            self.recipient_type,
            MESSAGE_DEFINITION,
            sender_reference,
            self.generation.local_extension(),
        );
        let envelope = Envelope::new(MessageEvent::SendDocument, handling, sender.as_str(), sender_ods.as_str())
            .with_ids(&ids.bundle, local("bundle", &ids.bundle_identifier), &ids.header, &ids.sender, stamp.clone());

        let patient = self.patient_resource();
        let practitioner = Practitioner {
            id: Some(ids.author.clone()),
            meta: Some(Meta::profile(PRACTITIONER_PROFILE)),
            identifier: (self.identifier_base.iter().map(|b| Identifier::new(format!("{b}/staff"), &ids.author)))
                .chain(author.sds_user_id.iter().map(|id| Identifier::new(SDS_USER_ID, id)))
                .chain(author.identifiers.iter().map(|(s, v)| Identifier::new(s, v)))
                .collect(),
            name: vec![HumanName {
                use_: v1.then(|| "official".into()),
                family: Some(author.family.clone()),
                given: author.given.clone(),
                prefix: author.prefix.clone(),
                ..Default::default()
            }],
            telecom: author.phone.iter().map(|p| work_phone(p)).collect(),
            ..Default::default()
        };
        let organisation = Organization {
            id: Some(ids.organisation.clone()),
            meta: Some(Meta::profile(ORGANIZATION_PROFILE)),
            identifier: vec![Identifier::new(ODS_SYSTEM, org.ods.as_str())],
            name: Some(org.name.clone()),
            telecom: org.phone.iter().map(|p| work_phone(p)).collect(),
            address: Vec::new(),
            ..Default::default()
        };
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
        let narrative = format!(
            "{title} for {} , NHS Number {}, Version {}",
            self.patient.display_name(),
            self.patient.nhs_number.expose(),
            self.version
        );
        let composition = Composition {
            id: Some(ids.composition.clone()),
            meta: Some(Meta::profile(COMPOSITION_PROFILE)),
            text: v1.then(|| Narrative {
                status: Some("generated".into()),
                div: Some(
                    XmlNode::new("div")
                        .attr("xmlns", gpconnect_core::itk3::xml::XHTML_NS)
                        .child(text_node("p", &narrative)),
                ),
            }),
            identifier: Some(local("composition", &ids.composition)),
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
            custodian: v1.then(|| Reference::new(&urn(&ids.organisation))),
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
        let identifier = local("bundle", if v1 { &ids.bundle_identifier } else { &ids.document_bundle });
        let mut document = Bundle::document(&ids.document_bundle, Meta::profile(DOCUMENT_BUNDLE_PROFILE), identifier);
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
        let message = envelope.wrap(&ids.document_bundle, Resource::Bundle(Box::new(document)));

        let to = self.addressing.recipient(&self.patient)?;
        let subject = self.subject(&title, org);
        Ok(Prepared::new(message, to, self.generation.workflow(), subject, sender_ods.as_str())?)
    }

    fn patient_resource(&self) -> Patient {
        let v1 = self.generation == Generation::V1ConsultationReport;
        let verified = Coding::new(NHS_VERIFICATION_SYSTEM, "01", "Number present and verified");
        let verification = if v1 {
            Extension::value(NHS_VERIFICATION_URL, ExtensionValue::CodeableConcept(CodeableConcept::of(verified)))
        } else {
            Extension::value(
                GPC_NHS_VERIFICATION_URL,
                ExtensionValue::CodeableConcept(CodeableConcept::with_text(verified)),
            )
        };
        let local = self.identifier_base.as_ref().map(|b| Identifier::new(format!("{b}/patient"), &self.ids.patient));
        let mut patient = self.patient.resource(&self.ids.patient, Meta::profile(PATIENT_PROFILE), verification, local);
        patient.active = v1.then_some(true);
        patient
    }

    /// Validates, builds and sends the message once over `mesh`, from its mailbox, with
    /// `sender_ods` as the sending organisation. Returns the tracker of its
    /// acknowledgements (read them with [`gpconnect_core::itk3::receive_answers`] on
    /// [`Generation::ack_workflow`]).
    ///
    /// # Errors
    /// As [`SendDocument::request`], then the MESH client's errors.
    pub async fn send_from(self, mesh: &MeshClient, sender_ods: &OdsCode) -> gpconnect_core::Result<Acknowledgements> {
        self.request(mesh.mailbox(), sender_ods)?.send(mesh).await
    }

    /// [`SendDocument::send_from`] with the organisation's ODS code as the sender.
    ///
    /// # Errors
    /// As [`SendDocument::send_from`]; `InvalidInput` when no organisation was given.
    pub async fn send(self, mesh: &MeshClient) -> gpconnect_core::Result<Acknowledgements> {
        let ods = self
            .organisation
            .as_ref()
            .map(|o| o.ods.clone())
            .ok_or(InvalidInput::parameter("Composition.custodian", "missing"))?;
        self.send_from(mesh, &ods).await
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

fn text_node(name: &str, text: &str) -> XmlNode {
    let mut n = XmlNode::new(name);
    n.push_text(text);
    n
}
