//! `GET /Patient/{id}/DocumentReference`: the patient's documents, with Access Document's
//! search ([`gpconnect_documents::SearchDocuments`]) sent through the platform.

use chrono::NaiveDate;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{Call, InteractionId, OdsCode, Operation, PatientId, Request, Response, Result};
use gpconnect_documents::DocumentList;

use crate::answer::{check_answer, patient_nhs_number};

/// Searches the logged-in patient's documents; from
/// [`AccessRecord::search_documents`](crate::AccessRecord::search_documents).
///
/// Access Document's own search ([`gpconnect_documents::SearchDocuments`]) sent through the
/// platform: `GET /Patient/{id}/DocumentReference?patientNHSNumber=..` (the session's NHS
/// number, which the platform asks for) with Access Document's
/// [`MANDATORY_INCLUDES`](gpconnect_documents::MANDATORY_INCLUDES) (the four `_include`s and
/// `_revinclude:recurse=PractitionerRole:practitioner`) and the filters set. The answer is
/// read through Access Document's [`DocumentList`], after the platform's checks (a
/// Bundle, bounded depth); an included Patient with another NHS number is an error of
/// kind `WrongPatient`.
///
/// # Errors
/// `InvalidInput` (nothing sent) for a reversed `created` range or a blank description;
/// from the provider `INVALID_PARAMETER` (400 / 422), `INVALID_NHS_NUMBER` (400),
/// `PATIENT_NOT_FOUND` (404). Safe to retry: a read.
#[derive(Debug)]
#[must_use]
pub struct SearchDocuments {
    call: Call<PatientSession>,
    search: gpconnect_documents::SearchDocuments<PatientSession>,
}

gpconnect_core::builder!(SearchDocuments);

impl SearchDocuments {
    pub(crate) fn new(session: &PatientSession, patient_id: &PatientId) -> Self {
        Self { call: Call::new(session), search: gpconnect_documents::SearchDocuments::new(session, patient_id) }
    }

    /// Only documents created on or after `date` (`created=ge{date}`).
    pub fn created_from(mut self, date: NaiveDate) -> Self {
        self.search = self.search.created_from(date);
        self
    }

    /// Only documents created on or before `date` (`created=le{date}`).
    pub fn created_to(mut self, date: NaiveDate) -> Self {
        self.search = self.search.created_to(date);
        self
    }

    /// Only documents authored by this organisation
    /// (`author=https://fhir.nhs.uk/Id/ods-organization-code|{ods}`: the error table says
    /// the author must be an ODS code, though the spec's example shows an SDS user id).
    pub fn author(mut self, ods: &OdsCode) -> Self {
        self.search = self.search.author(ods);
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
        self.search.request()
    }

    /// The platform's checks (a Bundle, nested at most `MAX_DEPTH` deep), then Access
    /// Document's reading, which checks every included Patient by the session's NHS
    /// number (another patient is `WrongPatient`).
    fn parse(&self, response: Response) -> Result<DocumentList> {
        check_answer(&response, "Bundle")?;
        self.search.parse(response)
    }
}
