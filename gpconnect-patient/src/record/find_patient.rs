//! `GET /documents/Patient/{nhs}`: the patient's id on the practice's documents server.

use gpconnect_core::fhir::{Bundle, FhirResource};
use gpconnect_core::foundations::FoundPatient;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{Call, InteractionId, NhsNumber, Operation, Request, Response, Result};

use crate::answer::{check_answer, patient_nhs_number};

/// Finds the logged-in patient on the documents server; from
/// [`AccessRecord::find_patient`](crate::AccessRecord::find_patient).
///
/// Sends `GET /documents/Patient/{NHS number}` to the Access Record API. The answer's
/// `Patient.id` is what [`search_documents`](crate::AccessRecord::search_documents) needs.
///
/// Sends the search.
///
/// # Errors
/// `INVALID_NHS_NUMBER` (400), `INVALID_PARAMETER` (422), `Error::Auth` when the
/// patient must log in again. Safe to retry: a read.
#[derive(Debug, Clone)]
#[must_use]
pub struct FindPatient {
    call: Call<PatientSession>,
}

gpconnect_core::builder!(FindPatient);

impl FindPatient {
    pub(crate) fn new(session: &PatientSession) -> Self {
        Self { call: Call::new(session) }
    }

    /// Builds the wire request (nothing is sent).
    fn build(&self) -> Result<Request> {
        let nhs = patient_nhs_number(self.call.transport())?;
        let path = format!("documents/Patient/{}", nhs.expose());
        Ok(Request::get(InteractionId::SearchDocumentsPatient, path))
    }

    /// Reads the searchset with core's one patient search reading
    /// ([`FoundPatient::from_searchset`]): `None` when there is no patient; a Patient with
    /// another NHS number is an error of kind `WrongPatient`.
    fn read_answer(response: &Response, nhs_number: &NhsNumber) -> Result<Option<FoundPatient>> {
        check_answer(response, Bundle::TYPE)?;
        FoundPatient::from_searchset(response, nhs_number)
    }
}

impl Operation for FindPatient {
    type Answer = Response;
    type Output = Option<FoundPatient>;

    fn interaction(&self) -> InteractionId {
        InteractionId::SearchDocumentsPatient
    }

    fn request(&self) -> Result<Request> {
        self.build()
    }

    fn parse(&self, response: Response) -> Result<Option<FoundPatient>> {
        let nhs = patient_nhs_number(self.call.transport())?;
        Self::read_answer(&response, &nhs)
    }
}
