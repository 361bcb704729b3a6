//! Steps 1 and 2: find the patient on the documents server, then search their documents.

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;
use std::collections::HashMap;

use gpconnect_core::fhir::lenient::{Problem, ProblemKind, Report, Targets};
use gpconnect_core::fhir::{
    Bundle, CodeableConcept, DocumentReference, FhirDateTime, FhirResource, Organization, Patient, Practitioner,
    PractitionerRole, Reference,
};
use gpconnect_core::{
    Call, InteractionId, NhsNumber, OdsCode, Operation, PatientId, PatientMismatch, Provider, Request, Response, Result,
};

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
        let bundle: Bundle = response.resource()?;
        check_patient(&bundle, self.patient_id.as_str()).map_err(|m| m.error(self.interaction(), response.trace_id))?;
        Ok(DocumentList::read(&bundle))
    }
}

/// An NHS number without its spaces.
fn digits(nhs: &str) -> String {
    nhs.split_whitespace().collect()
}

/// Checks that a search answer is about the patient asked for, by the logical id the
/// search sent (`Patient/{id}/DocumentReference`, or `subject=Patient/{id}`).
///
/// Every DocumentReference's `subject` must name that patient: a `Patient/{id}` reference
/// (relative or absolute) with the same id, a reference that resolves in the Bundle to a
/// Patient with that id, or an NHS number identifier equal to the one the included Patient
/// of that id carries. Every included Patient must have that id, and all carry the same NHS
/// number. Another id or NHS number
/// is [`PatientMismatch::OtherPatient`]; a subject that is missing, names no Patient or
/// cannot be matched is [`PatientMismatch::NoNhsNumber`]. A DocumentReference that cannot
/// be read at all is not checked: it is left out of the list (and reported).
pub(crate) fn check_patient(bundle: &Bundle, asked: &str) -> Result<(), PatientMismatch> {
    use gpconnect_core::fhir::lenient;
    use serde_json::Value;

    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Subject {
        subject: Option<Value>,
    }

    let asked = asked.trim();
    let mut asked_nhs = None;
    for raw in bundle.resources_of(Patient::TYPE) {
        if raw.id().is_some_and(|id| id.trim() != asked) {
            return Err(PatientMismatch::OtherPatient);
        }
        let found = lenient::parse::<Patient>(raw.raw()).ok().and_then(|(p, _)| p.nhs_number().map(digits));
        match (&asked_nhs, found) {
            (Some(a), Some(b)) if *a != b => return Err(PatientMismatch::OtherPatient),
            (None, Some(b)) => asked_nhs = Some(b),
            _ => {}
        }
    }
    let index = bundle.index();
    let names_asked = |subject: &Value| -> Result<(), PatientMismatch> {
        let Ok(r) = serde_json::from_value::<Reference>(subject.clone()) else {
            return Err(PatientMismatch::NoNhsNumber);
        };
        match r.parse() {
            Some(("Patient", id)) => return if id == asked { Ok(()) } else { Err(PatientMismatch::OtherPatient) },
            Some(("", _)) | None if r.reference.is_some() => {
                return match index.resolve(&r).filter(|t| t.is::<Patient>()).and_then(|t| t.id()) {
                    Some(id) if id.trim() == asked => Ok(()),
                    Some(_) => Err(PatientMismatch::OtherPatient),
                    None => Err(PatientMismatch::NoNhsNumber),
                };
            }
            Some(_) => return Err(PatientMismatch::NoNhsNumber),
            None => {}
        }
        let by_nhs = r.identifier.as_ref().filter(|i| i.system.as_deref() == Some(NhsNumber::SYSTEM));
        match (by_nhs.and_then(|i| i.value.as_deref()), &asked_nhs) {
            (Some(given), Some(nhs)) if digits(given) == *nhs => Ok(()),
            (Some(_), Some(_)) => Err(PatientMismatch::OtherPatient),
            _ => Err(PatientMismatch::NoNhsNumber),
        }
    };
    for raw in bundle.resources_of(DocumentReference::TYPE) {
        let Ok((doc, _)) = lenient::parse::<Subject>(raw.raw()) else { continue };
        match doc.subject {
            // Read strictly: every reference of a subject sent as an array must name the patient.
            Some(Value::Array(all)) if !all.is_empty() => all.iter().try_for_each(names_asked)?,
            Some(one @ Value::Object(_)) => names_asked(&one)?,
            _ => return Err(PatientMismatch::NoNhsNumber),
        }
    }
    Ok(())
}

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
