//! The answer of a document search: the documents, read leniently.

use std::collections::HashMap;

use gpconnect_core::fhir::lenient::{Problem, ProblemKind, Report, Targets};
use gpconnect_core::fhir::{
    Bundle, CodeableConcept, DocumentReference, FhirDateTime, FhirResource, Organization, Patient, Practitioner,
    PractitionerRole, Reference,
};
use gpconnect_core::{Response, Result};

/// The largest document the retrieve interaction serves (spec 3.3); larger ones are
/// listed as placeholders and retrieving them answers `NO_RECORD_FOUND`.
pub const RETRIEVAL_LIMIT: u64 = 5 * 1024 * 1024;

/// The answer to a document search: the patient's documents, newest first as the
/// provider ordered them, with authors and custodians resolved from the Bundle.
///
/// One malformed field costs only that field: the document stays with its other fields,
/// and [`problems`](Self::problems) (and the document's own
/// [`Document::problems`]) names the field's path. A DocumentReference is left out only
/// when it has no identity at all (no id and no attachment URL), cannot be read, or
/// repeats an id already listed; each is a reported problem too.
#[derive(Debug, Clone)]
pub struct DocumentList {
    /// The documents.
    pub documents: Vec<Document>,
    /// The patient (from `_include=DocumentReference:subject:Patient`). `Debug` is redacted.
    pub patient: Option<Patient>,
    problems: Vec<Problem>,
}

/// The DocumentReference `status` codes (FHIR STU3 `document-reference-status`).
const DOCUMENT_STATUS: [&str; 3] = ["current", "superseded", "entered-in-error"];
/// The DocumentReference `docStatus` codes (FHIR STU3 `composition-status`).
const DOC_STATUS: [&str; 4] = ["preliminary", "final", "amended", "entered-in-error"];

impl DocumentList {
    /// Builds the view from a searchset answer. Only a body that is not a Bundle is an
    /// error; see [`from_bundle`](Self::from_bundle).
    pub fn from_response(response: &Response) -> Result<Self> {
        let bundle: Bundle = response.resource()?;
        Ok(Self::read(&bundle))
    }

    /// Builds the view from a searchset Bundle (also works on any Bundle holding
    /// DocumentReferences and the resources they reference).
    ///
    /// # Errors
    /// None any more: every resource problem is reported in
    /// [`problems`](Self::problems) instead. The `Result` is kept so callers written for
    /// earlier versions still compile.
    pub fn from_bundle(bundle: &Bundle) -> Result<Self, (&'static str, serde_json::Error)> {
        Ok(Self::read(bundle))
    }

    /// Reads the documents of a Bundle, each field leniently, each referenced resource once.
    pub(crate) fn read(bundle: &Bundle) -> Self {
        let mut targets = Targets::new(bundle);
        let mut roles = Roles::new();
        for (_, raw) in targets.entries::<PractitionerRole>() {
            let Some(role) = targets.read::<PractitionerRole>(raw) else { continue };
            let (Some(practitioner), Some(org)) =
                (role.practitioner.as_ref().and_then(Reference::id).map(str::to_owned), role.organization.clone())
            else {
                continue;
            };
            if !roles.contains_key(&practitioner) && targets.get::<Organization>(&org).is_some() {
                roles.insert(practitioner, org);
            }
        }
        let mut problems = Vec::new();
        // Sized once: doubling a vector of large items would hold three times their room.
        let mut documents: Vec<Document> = Vec::with_capacity(targets.entries::<DocumentReference>().count());
        let mut seen = std::collections::HashSet::new();
        for (entry, raw) in targets.entries::<DocumentReference>() {
            let mut own = Vec::new();
            let mut report = Report::new(DocumentReference::TYPE, Some(entry), &mut own);
            let Some(reference) = report.read_with::<DocumentReference>(targets.repairer(), raw.raw()) else {
                problems.append(&mut own);
                continue;
            };
            let has_url = reference.content.iter().any(|c| c.attachment.as_ref().is_some_and(|a| a.url.is_some()));
            if reference.id.is_none() && !has_url {
                report.push(ProblemKind::NoIdentity);
                problems.append(&mut own);
                continue;
            }
            if reference.id.as_deref().is_some_and(|id| !seen.insert(id.to_owned())) {
                problems.push(Problem::new(Some(entry), DocumentReference::TYPE, ProblemKind::Duplicate));
                continue;
            }
            report.code("status", reference.status.as_deref(), &DOCUMENT_STATUS);
            report.code("docStatus", reference.doc_status.as_deref(), &DOC_STATUS);
            report.date("created", reference.created.as_ref(), false);
            report.date("indexed", reference.indexed.as_ref(), false);
            let mut document = Document::resolve(reference, &mut targets, &roles);
            problems.extend(own.iter().cloned());
            document.problems = own;
            documents.push(document);
        }
        let patient = targets.entries::<Patient>().next().and_then(|(_, raw)| targets.read::<Patient>(raw).cloned());
        problems.append(&mut targets.take_problems());
        documents.shrink_to_fit();
        Self { documents, patient, problems }
    }

    /// The documents that can be retrieved (not placeholders).
    pub fn retrievable(&self) -> impl Iterator<Item = &Document> {
        self.documents.iter().filter(|d| d.is_retrievable())
    }

    /// Everything in the answer that could not be read as the spec says: malformed fields
    /// of the documents kept (also on each [`Document::problems`]), documents left out
    /// (no identity, unreadable, a second copy), and malformed fields of the included
    /// Patient, organisations and practitioners. Names paths, never values.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

/// For each practitioner, the organisation of their first PractitionerRole (in Bundle
/// order) whose organisation is in the Bundle: found once, however many documents.
type Roles = HashMap<String, Reference>;

/// The organisation of a PractitionerRole of this practitioner.
fn role_organisation(targets: &mut Targets<'_>, roles: &Roles, practitioner_id: &str) -> Option<Organization> {
    targets.copy::<Organization>(roles.get(practitioner_id)?)
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
    /// authoring practitioner's PractitionerRole. (The resolved resources are boxed: a
    /// document without them stays small.)
    pub author_organization: Option<Box<Organization>>,
    /// The authoring practitioner, when an `author` is a Practitioner.
    pub author_practitioner: Option<Box<Practitioner>>,
    /// The organisation that keeps the document (`custodian`).
    pub custodian: Option<Box<Organization>>,
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
    /// The DocumentReference's own problems.
    problems: Vec<Problem>,
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

    fn resolve(reference: DocumentReference, targets: &mut Targets<'_>, roles: &Roles) -> Self {
        let mut author_organization = None;
        let mut author_practitioner: Option<Box<Practitioner>> = None;
        for author in &reference.author {
            if author_organization.is_none() {
                author_organization = targets.copy::<Organization>(author).map(Box::new);
            }
            if author_practitioner.is_none() {
                author_practitioner = targets.copy::<Practitioner>(author).map(Box::new);
            }
        }
        if author_organization.is_none() {
            if let Some(practitioner_id) = author_practitioner.as_ref().and_then(|p| p.id.as_deref()) {
                author_organization = role_organisation(targets, roles, practitioner_id).map(Box::new);
            }
        }
        let custodian = reference.custodian.as_ref().and_then(|r| targets.copy::<Organization>(r)).map(Box::new);
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
            problems: Vec::new(),
            reference,
        }
    }

    /// The DocumentReference's fields that could not be read as the spec says (each
    /// problem names the field's path; the document is kept with its other fields).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
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
        use gpconnect_core::ids::Screened;
        f.debug_struct("Document")
            .field("id", &Screened(&self.id))
            .field("status", &Screened(&self.status))
            .field("content_type", &Screened(&self.content_type))
            .field("size", &self.size)
            .field("retrievable", &self.is_retrievable())
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}
