//! Steps 1 and 2: find the patient on the documents server, then search their documents
//! (the operation; the answer's model is in `model.rs`).

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;

use crate::model::DocumentList;
use gpconnect_core::fhir::{Bundle, DocumentReference, FhirResource, Patient, Reference};
use gpconnect_core::{
    Call, InteractionId, NhsNumber, OdsCode, Operation, PatientId, PatientMismatch, Provider, Request, Response,
    Result, Transport,
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
pub struct SearchDocuments<T = Provider> {
    call: Call<T>,
    patient_id: PatientId,
    created_from: Option<NaiveDate>,
    created_to: Option<NaiveDate>,
    author: Option<OdsCode>,
    description: Option<String>,
    document_type: Option<(String, String)>,
    facility: Option<(String, String)>,
    version: DocumentsVersion,
    nhs_number: Option<NhsNumber>,
}

gpconnect_core::builder!(impl<T: Transport> SearchDocuments<T>);

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

impl<T: Transport> SearchDocuments<T> {
    /// A search of the documents of the patient with logical id `patient_id` (from
    /// [`Documents::find_patient`](crate::Documents::find_patient)), sent through
    /// `transport`. On a transport bound to a patient (the API platform) the search also
    /// names that patient's NHS number (`patientNHSNumber`), as the platform asks.
    pub fn new(transport: &T, patient_id: &PatientId) -> Self {
        Self {
            call: Call::new(transport),
            patient_id: patient_id.clone(),
            created_from: None,
            created_to: None,
            author: None,
            description: None,
            document_type: None,
            facility: None,
            version: DocumentsVersion::Current,
            nhs_number: None,
        }
    }

    /// The NHS number of the patient found earlier (the one
    /// [`find_patient`](crate::Documents::find_patient) was asked for): the answer's
    /// Patients and every subject given by NHS number must carry it (else `WrongPatient`).
    /// Without it, the included Patient with the id searched for gives the NHS number.
    pub fn nhs_number(mut self, nhs_number: &NhsNumber) -> Self {
        self.nhs_number = Some(nhs_number.clone());
        self
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
                let mut request =
                    Request::get(InteractionId::SearchDocuments, format!("Patient/{id}/DocumentReference"));
                if let Some(nhs) = self.call.transport().bound_patient() {
                    request = request.query("patientNHSNumber", nhs.expose());
                }
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

impl<T: Transport> Operation for SearchDocuments<T> {
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
        // A transport bound to one patient (the API platform) names them by NHS number, and
        // the answer is checked by it: the ids in the platform's answers are the server's own.
        let checked = match self.call.transport().bound_patient() {
            None => check_patient(&bundle, self.patient_id.as_str(), self.nhs_number.as_ref()),
            Some(nhs) => check_bound_patient(&bundle, nhs),
        };
        checked.map_err(|m| m.error(self.interaction(), response.trace_id))?;
        Ok(DocumentList::read(&bundle))
    }
}

/// Checks that every Patient of a search answer carries the NHS number of the patient
/// the transport is bound to (when it carries one).
fn check_bound_patient(bundle: &Bundle, nhs: &NhsNumber) -> Result<(), PatientMismatch> {
    use gpconnect_core::fhir::lenient;
    for raw in bundle.resources_of(Patient::TYPE) {
        let found = lenient::parse_read::<Patient>(raw.raw()).ok().and_then(|(p, _)| p.nhs_number().map(digits));
        if found.is_some_and(|n| n != nhs.expose()) {
            return Err(PatientMismatch::OtherPatient);
        }
    }
    Ok(())
}

/// An NHS number without its spaces.
fn digits(nhs: &str) -> String {
    nhs.split_whitespace().collect()
}

/// Checks that a search answer is about the patient asked for, by the logical id the
/// search sent (`Patient/{id}/DocumentReference`, or `subject=Patient/{id}`) and, when
/// given, the NHS number of the patient found earlier (`known_nhs`).
///
/// Every DocumentReference's `subject` must name that patient: a `Patient/{id}` reference
/// (relative or absolute) with the same id, a reference that resolves in the Bundle to a
/// Patient with that id, or an NHS number identifier equal to the patient's: the one found
/// earlier, else the one the included Patient *of that id* carries (an included Patient
/// without an id vouches for nobody). Every included Patient must have that id (or none),
/// and all carry the same NHS number. Another id is [`PatientMismatch::OtherPatientId`],
/// another NHS number [`PatientMismatch::OtherPatient`]; a subject that is missing, names
/// no Patient or cannot be matched is [`PatientMismatch::NoPatient`]. A DocumentReference
/// that cannot be read at all is not checked: it is left out of the list (and reported).
pub(crate) fn check_patient(
    bundle: &Bundle,
    asked: &str,
    known_nhs: Option<&NhsNumber>,
) -> Result<(), PatientMismatch> {
    use gpconnect_core::fhir::lenient;
    use serde_json::Value;

    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Subject {
        subject: Option<Value>,
    }

    let asked = asked.trim();
    let mut asked_nhs = known_nhs.map(|n| n.expose().to_owned());
    let mut without_id = Vec::new();
    for raw in bundle.resources_of(Patient::TYPE) {
        if raw.id().is_some_and(|id| id.trim() != asked) {
            return Err(PatientMismatch::OtherPatientId);
        }
        let found = lenient::parse_read::<Patient>(raw.raw()).ok().and_then(|(p, _)| p.nhs_number().map(digits));
        match (&asked_nhs, found) {
            (Some(a), Some(b)) if *a != b => return Err(PatientMismatch::OtherPatient),
            (None, Some(b)) if raw.id().is_some() => asked_nhs = Some(b),
            (None, Some(b)) => without_id.push(b),
            _ => {}
        }
    }
    // A Patient without an id is checked against the patient's NHS number once known.
    if let Some(nhs) = &asked_nhs {
        if without_id.iter().any(|b| b != nhs) {
            return Err(PatientMismatch::OtherPatient);
        }
    }
    let index = bundle.index();
    let names_asked = |subject: &Value| -> Result<(), PatientMismatch> {
        let Ok(r) = serde_json::from_value::<Reference>(subject.clone()) else {
            return Err(PatientMismatch::NoPatient);
        };
        match r.parse() {
            Some(("Patient", id)) => return if id == asked { Ok(()) } else { Err(PatientMismatch::OtherPatientId) },
            Some(("", _)) | None if r.reference.is_some() => {
                return match index.resolve(&r).filter(|t| t.is::<Patient>()).and_then(|t| t.id()) {
                    Some(id) if id.trim() == asked => Ok(()),
                    Some(_) => Err(PatientMismatch::OtherPatientId),
                    None => Err(PatientMismatch::NoPatient),
                };
            }
            Some(_) => return Err(PatientMismatch::NoPatient),
            None => {}
        }
        let by_nhs = r.identifier.as_ref().filter(|i| i.system.as_deref() == Some(NhsNumber::SYSTEM));
        match (by_nhs.and_then(|i| i.value.as_deref()), &asked_nhs) {
            (Some(given), Some(nhs)) if digits(given) == *nhs => Ok(()),
            (Some(_), Some(_)) => Err(PatientMismatch::OtherPatient),
            (Some(_), None) => Err(PatientMismatch::NoNhsNumber),
            (None, _) => Err(PatientMismatch::NoPatient),
        }
    };
    for raw in bundle.resources_of(DocumentReference::TYPE) {
        let Ok((doc, _)) = lenient::parse_read::<Subject>(raw.raw()) else { continue };
        match doc.subject {
            // Read strictly: every reference of a subject sent as an array must name the patient.
            Some(Value::Array(all)) if !all.is_empty() => all.iter().try_for_each(names_asked)?,
            Some(one @ Value::Object(_)) => names_asked(&one)?,
            _ => return Err(PatientMismatch::NoPatient),
        }
    }
    Ok(())
}
