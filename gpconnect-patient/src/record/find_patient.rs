//! `GET /documents/Patient/{nhs}`: the patient's id on the practice's documents server.

use gpconnect_core::fhir::{FhirResource, Patient};
use gpconnect_core::platform::{PatientSession, PlatformApi};
use gpconnect_core::{InteractionId, NhsNumber, Request, Response, Result};
use gpconnect_documents::DocumentsPatient;

use crate::options::{bundle, operation, other_patient, patient_nhs_number, CallOptions};

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
    session: PatientSession,
    options: CallOptions,
}

operation!(FindPatient, PlatformApi::AccessRecord, InteractionId::SearchDocumentsPatient => Option<DocumentsPatient>);

impl FindPatient {
    pub(crate) fn new(session: PatientSession) -> Self {
        Self { session, options: CallOptions::default() }
    }

    /// Builds the wire request (nothing is sent).
    fn build(&self) -> Result<Request> {
        let nhs = patient_nhs_number(&self.session)?;
        let path = format!("documents/Patient/{}", nhs.expose());
        self.options.apply(Request::get(InteractionId::SearchDocumentsPatient, path))
    }

    /// Reads the searchset: the patient with an id, `None` when there is none. A Patient
    /// with another NHS number is an error.
    pub fn read_answer(response: &Response, nhs_number: &NhsNumber) -> Result<Option<DocumentsPatient>> {
        let bundle = bundle(response)?;
        for raw in bundle.resources_of(Patient::TYPE) {
            let patient: Patient = raw
                .parse()
                .map_err(|e| response.decode_error(gpconnect_core::error::DecodeProblem::json("entry.resource", &e)))?;
            if patient.nhs_number().is_some_and(|n| n != nhs_number.expose()) {
                return Err(other_patient(response, "entry.resource(Patient).identifier"));
            }
            if let Some(id) = patient.id.clone() {
                return Ok(Some(DocumentsPatient { id, patient }));
            }
        }
        Ok(None)
    }
}
