//! `GET /Patient/{id}/DocumentReference`: the patient's documents, with Access Document's
//! search ([`gpconnect_documents::SearchDocuments`]) sent through the platform.

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::fhir::{lenient, Bundle, DocumentReference, FhirResource, Patient, Reference};
use gpconnect_core::jwt::SDS_USER_ID_SYSTEM;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{
    Call, InteractionId, NhsNumber, OdsCode, Operation, PatientId, PatientMismatch, Request, Response, Result,
};
use gpconnect_documents::DocumentList;

use crate::answer::{check_answer, patient_nhs_number, wrong_patient};

/// Searches the logged-in patient's documents; from
/// [`AccessRecord::search_documents`](crate::AccessRecord::search_documents).
///
/// Access Document's own search ([`gpconnect_documents::SearchDocuments`]) sent through the
/// platform: `GET /Patient/{id}/DocumentReference?patientNHSNumber=..` (the session's NHS
/// number, which the platform asks for) with Access Document's
/// [`MANDATORY_INCLUDES`](gpconnect_documents::MANDATORY_INCLUDES) (the four `_include`s and
/// `_revinclude:recurse=PractitionerRole:practitioner`) and the filters set. The answer is
/// read through Access Document's [`DocumentList`], after the platform's checks (a
/// Bundle, bounded depth, every DocumentReference's subject the logged-in patient); an
/// answer about another patient is an error of kind `WrongPatient`.
///
/// # Errors
/// `InvalidInput` (nothing sent) for a reversed `created` range, a range with a single
/// date, two authors, a malformed SDS user id or a blank description;
/// from the provider `INVALID_PARAMETER` (400 / 422), `INVALID_NHS_NUMBER` (400),
/// `PATIENT_NOT_FOUND` (404); `WrongPatient` for a document whose subject is another
/// patient or cannot be matched to the logged-in one. Safe to retry: a read.
#[derive(Debug)]
#[must_use]
pub struct SearchDocuments {
    call: Call<PatientSession>,
    search: gpconnect_documents::SearchDocuments<PatientSession>,
    /// Whether `created_from` / `created_to` were set (not with `created_on`).
    created_range: bool,
    created_on: Option<NaiveDate>,
    /// Whether `author` (an ODS code) was set (not with `author_user`).
    author_ods: bool,
    author_user: Option<String>,
}

gpconnect_core::builder!(SearchDocuments);

impl SearchDocuments {
    pub(crate) fn new(session: &PatientSession, patient_id: &PatientId) -> Self {
        Self {
            call: Call::new(session),
            search: gpconnect_documents::SearchDocuments::new(session, patient_id),
            created_range: false,
            created_on: None,
            author_ods: false,
            author_user: None,
        }
    }

    /// Only documents created on or after `date` (`created=ge{date}`).
    pub fn created_from(mut self, date: NaiveDate) -> Self {
        self.search = self.search.created_from(date);
        self.created_range = true;
        self
    }

    /// Only documents created on or before `date` (`created=le{date}`).
    pub fn created_to(mut self, date: NaiveDate) -> Self {
        self.search = self.search.created_to(date);
        self.created_range = true;
        self
    }

    /// Only documents created on `date` (`created=eq{date}`); not with a range.
    pub fn created_on(mut self, date: NaiveDate) -> Self {
        self.created_on = Some(date);
        self
    }

    /// Only documents authored by this organisation
    /// (`author=https://fhir.nhs.uk/Id/ods-organization-code|{ods}`: the error table says
    /// the author must be an ODS code, though the spec's example shows an SDS user id).
    pub fn author(mut self, ods: &OdsCode) -> Self {
        self.search = self.search.author(ods);
        self.author_ods = true;
        self
    }

    /// Only documents authored by this person
    /// (`author=https://fhir.nhs.uk/Id/sds-user-id|{id}`, the form of the spec's example;
    /// its error table asks for an ODS code, so a provider may refuse it with
    /// `INVALID_PARAMETER`); not with [`author`](Self::author), which is the same
    /// parameter. An SDS user id is 1 to 64 letters and digits.
    pub fn author_user(mut self, sds_user_id: impl Into<String>) -> Self {
        self.author_user = Some(sds_user_id.into());
        self
    }

    /// Only documents whose description matches `text` (`description={text}`).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.search = self.search.description(text);
        self
    }
}

impl Operation for SearchDocuments {
    type Answer = Response;
    type Output = DocumentList;

    fn interaction(&self) -> InteractionId {
        InteractionId::SearchDocuments
    }

    /// Access Document's request; the platform binds it to the logged-in patient, so a
    /// session without an NHS number is refused before anything is sent.
    fn request(&self) -> Result<Request> {
        patient_nhs_number(self.call.transport())?;
        let invalid = |p: &'static str, m: &str| -> gpconnect_core::Error { InvalidInput::parameter(p, m).into() };
        if self.created_on.is_some() && self.created_range {
            return Err(invalid("created", "one date (eq) or a range (ge/le), not both"));
        }
        let user = match self.author_user.as_deref().map(str::trim) {
            Some(_) if self.author_ods => return Err(invalid("author", "an ODS code or an SDS user id, not both")),
            Some(id) if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                return Err(invalid("author", "an SDS user id is 1 to 64 letters and digits"));
            }
            other => other,
        };
        let mut request = self.search.request()?;
        if let Some(on) = self.created_on {
            request = request.query("created", format!("eq{}", on.format("%Y-%m-%d")));
        }
        if let Some(id) = user {
            request = request.query("author", format!("{SDS_USER_ID_SYSTEM}|{id}"));
        }
        Ok(request)
    }

    /// The platform's checks (a Bundle, nested at most `MAX_DEPTH` deep, every document
    /// about the logged-in patient: `check_subjects`), then Access Document's reading,
    /// which checks every included Patient by the session's NHS number (another patient
    /// is `WrongPatient`).
    fn parse(&self, response: Response) -> Result<DocumentList> {
        check_answer(&response, "Bundle")?;
        let nhs = patient_nhs_number(self.call.transport())?;
        let bundle: Bundle = response.json()?;
        check_subjects(&bundle, &nhs).map_err(|m| wrong_patient(&response, m))?;
        self.search.parse(response)
    }
}

/// Every DocumentReference of the answer must name the logged-in patient (`nhs`) as its
/// `subject`: by an NHS number identifier equal to the session's, by a reference that
/// resolves in the Bundle to a Patient carrying the session's NHS number (the spec makes
/// `_include=DocumentReference:subject:Patient` mandatory, so the Patient is there), or by
/// `Patient/{the session's NHS number}`; and every way it names one must agree. Another
/// NHS number is [`PatientMismatch::OtherPatient`]; no subject, a subject that cannot be
/// read, a reference to a Patient not in the answer or one without an NHS number is
/// [`PatientMismatch::NoNhsNumber`]. The platform's ids are the provider's own, so the
/// id searched for proves nothing: only NHS numbers do.
fn check_subjects(bundle: &Bundle, nhs: &NhsNumber) -> std::result::Result<(), PatientMismatch> {
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Subject {
        subject: Option<Reference>,
    }
    let index = bundle.index();
    for raw in bundle.resources_of(DocumentReference::TYPE) {
        let subject = lenient::parse_read::<Subject>(raw.raw())
            .ok()
            .and_then(|(s, _)| s.subject)
            .ok_or(PatientMismatch::NoNhsNumber)?;
        let mut named = false;
        if let Some(id) = subject.identifier.as_deref().filter(|i| i.system.as_deref() == Some(NhsNumber::SYSTEM)) {
            PatientMismatch::check(nhs, id.value.as_deref())?;
            named = true;
        }
        if subject.reference.is_some() {
            match index.resolve(&subject).filter(|r| r.is::<Patient>()) {
                Some(patient) => {
                    let (patient, _) =
                        lenient::parse_read::<Patient>(patient.raw()).map_err(|_| PatientMismatch::NoNhsNumber)?;
                    PatientMismatch::check(nhs, patient.nhs_number())?;
                }
                None if subject.resource_type() == Some(Patient::TYPE) && subject.id() == Some(nhs.expose()) => {}
                None => return Err(PatientMismatch::NoNhsNumber),
            }
            named = true;
        }
        if !named {
            return Err(PatientMismatch::NoNhsNumber);
        }
    }
    Ok(())
}
