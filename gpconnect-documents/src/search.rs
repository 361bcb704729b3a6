//! Steps 1 and 2: find the patient on the documents server, then search their documents.

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::fhir::{
    Bundle, CodeableConcept, DocumentReference, FhirDateTime, FhirResource, Organization, Patient, Practitioner,
    PractitionerRole, Reference, ResourceIndex,
};
use gpconnect_core::{Call, InteractionId, OdsCode, Operation, PatientId, Provider, Request, Response, Result};

/// The five `_include` / `_revinclude:recurse` parameters every document search sends
/// (spec 3.2: a provider answers `INVALID_PARAMETER` without them), in the spec's order.
pub const MANDATORY_INCLUDES: [(&str, &str); 5] = [
    ("_include", "DocumentReference:subject:Patient"),
    ("_include", "DocumentReference:custodian:Organization"),
    ("_include", "DocumentReference:author:Organization"),
    ("_include", "DocumentReference:author:Practitioner"),
    ("_revinclude:recurse", "PractitionerRole:practitioner"),
];

/// The three `_include` parameters of the documents 1.0.x search
/// (`GET /DocumentReference?subject=Patient/{id}`), in that page's order.
pub const V1_0_INCLUDES: [(&str, &str); 3] = [
    ("_include", "DocumentReference:patient"),
    ("_include", "DocumentReference:custodian:Organization"),
    ("_include", "DocumentReference:author:Organization"),
];

/// Which Access Document search form a provider runs (spec 3.2): choose it from the
/// provider's documents capability statement with [`DocumentsVersion::of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DocumentsVersion {
    /// Documents 1.0.0 / 1.0.1: `GET /DocumentReference?subject=Patient/{id}` with
    /// [`V1_0_INCLUDES`]; the `type` and `facility` filters exist.
    V1_0,
    /// The current form (as restated in the 1.6.x site, the default):
    /// `GET /Patient/{id}/DocumentReference` with [`MANDATORY_INCLUDES`]; no `type` or
    /// `facility`.
    #[default]
    Current,
}

impl DocumentsVersion {
    /// The form of a provider whose documents capability statement
    /// (`p.capability_statement(Capability::Documents)`) has this `version`: `1.0.x` is
    /// [`V1_0`](Self::V1_0), anything else (or none) [`Current`](Self::Current).
    pub fn of(capability: &gpconnect_core::fhir::CapabilityStatement) -> Self {
        match capability.version.as_deref().map(str::trim) {
            Some(v) if v == "1.0" || v.starts_with("1.0.") => DocumentsVersion::V1_0,
            _ => DocumentsVersion::Current,
        }
    }
}

/// The largest document the retrieve interaction serves (spec 3.3); larger ones are
/// listed as placeholders and retrieving them answers `NO_RECORD_FOUND`.
pub const RETRIEVAL_LIMIT: u64 = 5 * 1024 * 1024;

/// Searches a patient's documents; see
/// [`Documents::search_documents`](crate::Documents::search_documents). Every parameter
/// is validated first (nothing is sent on bad input).
///
/// # Example
/// ```no_run
/// # use gpconnect_documents::DocumentsExt;
/// # async fn demo(p: gpconnect_core::Provider) -> gpconnect_core::Result<()> {
/// let from = chrono::NaiveDate::from_ymd_opt(2019, 6, 24).unwrap();
/// let list = p.documents().search_documents(&"2".parse()?).created_from(from).send().await?;
/// println!("{} documents (Ssp-TraceID {})", list.documents.len(), list.trace_id);
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct SearchDocuments {
    call: Call,
    patient_id: PatientId,
    created_from: Option<NaiveDate>,
    created_to: Option<NaiveDate>,
    author: Option<OdsCode>,
    description: Option<String>,
    document_type: Option<(String, String)>,
    facility: Option<(String, String)>,
    version: DocumentsVersion,
}

gpconnect_core::builder!(SearchDocuments);

fn token_param(parameter: &'static str, system: &str, code: &str) -> Result<String, InvalidInput> {
    let bad = |problem: &str| InvalidInput::Parameter { parameter, problem: problem.into() };
    let system = system.trim();
    let code = code.trim();
    if !(system.starts_with("http://") || system.starts_with("https://") || system.starts_with("urn:"))
        || system.contains(['|', ',', ' '])
    {
        return Err(bad("the system must be an absolute URI (for example http://snomed.info/sct)"));
    }
    if code.is_empty() || code.contains(['|', ',']) || code.contains(char::is_whitespace) {
        return Err(bad("the code must be non-empty, without spaces, `|` or `,`"));
    }
    Ok(format!("{system}|{code}"))
}

impl SearchDocuments {
    pub(crate) fn new(provider: &Provider, patient_id: &PatientId) -> Self {
        Self {
            call: Call::new(provider),
            patient_id: patient_id.clone(),
            created_from: None,
            created_to: None,
            author: None,
            description: None,
            document_type: None,
            facility: None,
            version: DocumentsVersion::Current,
        }
    }

    /// The search form the provider runs (default [`DocumentsVersion::Current`]).
    pub fn version(mut self, version: DocumentsVersion) -> Self {
        self.version = version;
        self
    }

    /// Only documents created on or after `date` (`created=ge{date}`).
    pub fn created_from(mut self, date: NaiveDate) -> Self {
        self.created_from = Some(date);
        self
    }

    /// Only documents created on or before `date` (`created=le{date}`).
    pub fn created_to(mut self, date: NaiveDate) -> Self {
        self.created_to = Some(date);
        self
    }

    /// Only documents authored by the organisation with this ODS code
    /// (`author=https://fhir.nhs.uk/Id/ods-organization-code|{ods}`; the spec allows no
    /// other author identifier).
    pub fn author(mut self, ods: &OdsCode) -> Self {
        self.author = Some(ods.clone());
        self
    }

    /// Only documents whose description or type matches `text` (`description={text}`).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Documents 1.0.x only ([`DocumentsVersion::V1_0`]): `type={system}|{code}` (for
    /// example a SNOMED CT code). Removed in later versions (spec 3.2): with the current
    /// form it is refused rather than silently ignored by the provider.
    pub fn document_type(mut self, system: impl Into<String>, code: impl Into<String>) -> Self {
        self.document_type = Some((system.into(), code.into()));
        self
    }

    /// Documents 1.0.x only ([`DocumentsVersion::V1_0`]): `facility={system}|{code}` (the
    /// practice setting, a clinical specialty). Removed in later versions (spec 3.2): with
    /// the current form it is refused rather than silently ignored by the provider.
    pub fn facility(mut self, system: impl Into<String>, code: impl Into<String>) -> Self {
        self.facility = Some((system.into(), code.into()));
        self
    }

    fn checked_request(&self) -> Result<Request, InvalidInput> {
        let id = &self.patient_id;
        if let (Some(from), Some(to)) = (self.created_from, self.created_to) {
            if from > to {
                return Err(InvalidInput::Parameter {
                    parameter: "created",
                    problem: format!("the start {from} is after the end {to}"),
                });
            }
        }
        let mut request = match self.version {
            DocumentsVersion::V1_0 => {
                let request = Request::get(InteractionId::SearchDocuments, "DocumentReference")
                    .query("subject", format!("Patient/{id}"));
                V1_0_INCLUDES.iter().fold(request, |r, (name, value)| r.query(*name, *value))
            }
            DocumentsVersion::Current => {
                if self.document_type.is_some() || self.facility.is_some() {
                    return Err(InvalidInput::Parameter {
                        parameter: if self.document_type.is_some() { "type" } else { "facility" },
                        problem: "only documents 1.0.x providers take this filter (DocumentsVersion::V1_0)".into(),
                    });
                }
                let request = Request::get(InteractionId::SearchDocuments, format!("Patient/{id}/DocumentReference"));
                MANDATORY_INCLUDES.iter().fold(request, |r, (name, value)| r.query(*name, *value))
            }
        };
        if let Some(from) = self.created_from {
            request = request.query("created", format!("ge{from}"));
        }
        if let Some(to) = self.created_to {
            request = request.query("created", format!("le{to}"));
        }
        if let Some(ods) = &self.author {
            request = request.query("author", format!("{}|{}", OdsCode::SYSTEM, ods.as_str()));
        }
        if let Some(text) = &self.description {
            let text = text.trim();
            if text.is_empty() || text.chars().any(char::is_control) {
                return Err(InvalidInput::Parameter {
                    parameter: "description",
                    problem: "the text must be non-empty, without control characters".into(),
                });
            }
            request = request.query("description", text);
        }
        if let Some((system, code)) = &self.document_type {
            request = request.query("type", token_param("type", system, code)?);
        }
        if let Some((system, code)) = &self.facility {
            request = request.query("facility", token_param("facility", system, code)?);
        }
        Ok(request)
    }
}

impl Operation for SearchDocuments {
    type Answer = Response;
    type Output = DocumentList;

    fn interaction(&self) -> InteractionId {
        InteractionId::SearchDocuments
    }

    fn request(&self) -> Result<Request> {
        Ok(self.checked_request()?)
    }

    fn parse(&self, response: Response) -> Result<DocumentList> {
        DocumentList::from_response(&response)
    }
}

/// The answer to a document search: the patient's documents, newest first as the
/// provider ordered them, with authors and custodians resolved from the Bundle.
#[derive(Debug, Clone)]
pub struct DocumentList {
    /// The documents.
    pub documents: Vec<Document>,
    /// The patient (from `_include=DocumentReference:subject:Patient`). `Debug` is redacted.
    pub patient: Option<Patient>,
}

impl DocumentList {
    /// Builds the view from a searchset answer.
    pub fn from_response(response: &Response) -> Result<Self> {
        let bundle: Bundle = response.resource()?;
        Self::from_bundle(&bundle).map_err(|(path, e)| response.json_error(path, &e))
    }

    /// Builds the view from a searchset Bundle (also works on any Bundle holding
    /// DocumentReferences and the resources they reference). The error names the
    /// resource that failed to parse.
    pub fn from_bundle(bundle: &Bundle) -> Result<Self, (&'static str, serde_json::Error)> {
        let index = bundle.index();
        let mut documents = Vec::new();
        for raw in bundle.resources_of(DocumentReference::TYPE) {
            let reference: DocumentReference = raw.parse().map_err(|e| ("entry.resource(DocumentReference)", e))?;
            documents.push(Document::resolve(reference, bundle, &index));
        }
        let patient = match bundle.resources_of(Patient::TYPE).next() {
            Some(raw) => Some(raw.parse().map_err(|e| ("entry.resource(Patient)", e))?),
            None => None,
        };
        Ok(Self { documents, patient })
    }

    /// The documents that can be retrieved (not placeholders).
    pub fn retrievable(&self) -> impl Iterator<Item = &Document> {
        self.documents.iter().filter(|d| d.is_retrievable())
    }
}

/// One document of a search, with its references resolved. `Debug` leaves out the
/// description and the people involved.
#[derive(Clone)]
pub struct Document {
    /// The DocumentReference's logical id.
    pub id: Option<String>,
    /// `current | superseded | entered-in-error`.
    pub status: Option<String>,
    /// The kind of document (`DocumentReference.type`, usually SNOMED CT).
    pub document_type: Option<CodeableConcept>,
    /// The human-readable description (the document's title).
    pub description: Option<String>,
    /// When the document was created (`created`).
    pub created: Option<FhirDateTime>,
    /// When the document was indexed (`indexed`), which the `created` filter falls back to.
    pub indexed: Option<FhirDateTime>,
    /// The authoring organisation: an `author` Organization, or the organisation of the
    /// authoring practitioner's PractitionerRole.
    pub author_organization: Option<Organization>,
    /// The authoring practitioner, when an `author` is a Practitioner.
    pub author_practitioner: Option<Practitioner>,
    /// The organisation that keeps the document (`custodian`).
    pub custodian: Option<Organization>,
    /// The document's size in bytes (`attachment.size`), to show before retrieving.
    pub size: Option<u64>,
    /// The document's MIME type (`attachment.contentType`).
    pub content_type: Option<String>,
    /// The absolute provider URL to retrieve the document from (`attachment.url`).
    pub url: Option<String>,
    /// The consultation it belongs to (`context.encounter`).
    pub encounter: Option<Reference>,
    /// Why the document cannot be retrieved, when it cannot; see [`Document::placeholder_reason`].
    placeholder: Option<String>,
    /// The DocumentReference as received, for anything else.
    pub reference: DocumentReference,
}

impl Document {
    /// A file name for the document, safe to join to a folder: the provider's id with
    /// anything but ASCII letters, digits, `-` and `_` replaced by `_` (so no `/`, `..`,
    /// drive letter or hidden file can come from the provider), at most 64 characters,
    /// `document` when there is no id, and an extension from the content type
    /// (`../../etc/passwd` as a PDF is `______etc_passwd.pdf`).
    pub fn file_name(&self) -> String {
        let id: String = self
            .id
            .as_deref()
            .unwrap_or("document")
            .chars()
            .take(64)
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        let id = if id.is_empty() { "document".to_owned() } else { id };
        let extension = match self.content_type.as_deref().map(|t| t.split(';').next().unwrap_or("").trim()) {
            Some("application/pdf") => "pdf",
            Some("application/msword") => "doc",
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document") => "docx",
            Some("application/rtf" | "text/rtf") => "rtf",
            Some("text/plain") => "txt",
            Some("text/html") => "html",
            Some("image/jpeg") => "jpg",
            Some("image/png") => "png",
            Some("image/tiff") => "tif",
            _ => "bin",
        };
        format!("{id}.{extension}")
    }

    fn resolve(reference: DocumentReference, bundle: &Bundle, index: &ResourceIndex<'_>) -> Self {
        fn org(index: &ResourceIndex<'_>, r: &Reference) -> Option<Organization> {
            index.resolve_as::<Organization>(r).and_then(|r| r.ok())
        }
        let mut author_organization = None;
        let mut author_practitioner = None;
        for author in &reference.author {
            if author_organization.is_none() {
                author_organization = org(index, author);
            }
            if author_practitioner.is_none() {
                author_practitioner = index.resolve_as::<Practitioner>(author).and_then(|r| r.ok());
            }
        }
        if author_organization.is_none() {
            if let Some(practitioner_id) = author_practitioner.as_ref().and_then(|p| p.id.as_deref()) {
                author_organization = bundle
                    .resources_of(PractitionerRole::TYPE)
                    .filter_map(|raw| raw.parse::<PractitionerRole>().ok())
                    .filter(|role| role.practitioner.as_ref().and_then(Reference::id) == Some(practitioner_id))
                    .find_map(|role| role.organization.as_ref().and_then(|r| org(index, r)));
            }
        }
        let custodian = reference.custodian.as_ref().and_then(|r| org(index, r));
        let attachment = reference.content.iter().find_map(|c| c.attachment.as_ref());
        let url = attachment.and_then(|a| a.url.clone()).filter(|u| !u.trim().is_empty());
        let size = attachment.and_then(|a| a.size);
        let title = attachment.and_then(|a| a.title.clone()).filter(|t| !t.trim().is_empty());
        // attachment.title is only used for placeholders (spec 3.2), and carries the reason.
        let placeholder = match (&title, &url, size) {
            (Some(reason), _, _) => Some(reason.clone()),
            (None, None, _) => Some("no attachment URL".to_owned()),
            (None, Some(_), Some(size)) if size > RETRIEVAL_LIMIT => {
                Some(format!("larger than the {RETRIEVAL_LIMIT}-byte retrieval limit"))
            }
            _ => None,
        };
        Self {
            id: reference.id.clone(),
            status: reference.status.clone(),
            document_type: reference.type_.clone(),
            description: reference.description.clone(),
            created: reference.created.clone(),
            indexed: reference.indexed.clone(),
            author_organization,
            author_practitioner,
            custodian,
            size,
            content_type: attachment.and_then(|a| a.content_type.clone()),
            url,
            encounter: reference.context.as_ref().and_then(|c| c.encounter.clone()),
            placeholder,
            reference,
        }
    }

    /// The title to show: the description, else the type's display text.
    pub fn title(&self) -> Option<&str> {
        self.description.as_deref().or_else(|| self.document_type.as_ref().and_then(|t| t.display_text()))
    }

    /// The creation date, falling back to the indexed date as the spec's filter does.
    pub fn created_or_indexed(&self) -> Option<&FhirDateTime> {
        self.created.as_ref().or(self.indexed.as_ref())
    }

    /// Why the document is listed but cannot be retrieved (the `attachment.title` the
    /// provider gave a placeholder, no URL, or over the 5 MB limit); `None` when it can be.
    pub fn placeholder_reason(&self) -> Option<&str> {
        self.placeholder.as_deref()
    }

    /// Whether the document can be retrieved.
    pub fn is_retrievable(&self) -> bool {
        self.placeholder.is_none()
    }

    /// Whether a security label says not to show the document to the patient (`NOPAT`).
    pub fn is_not_for_patient(&self) -> bool {
        self.reference.security_label.iter().any(|label| label.coding.iter().any(|c| c.is_not_for_patient()))
    }
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .field("retrievable", &self.is_retrievable())
            .finish_non_exhaustive()
    }
}
