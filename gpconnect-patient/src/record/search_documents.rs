//! `GET /Patient/{id}/DocumentReference`: the patient's documents.

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::foundations::logical_id;
use gpconnect_core::platform::{PatientSession, PlatformApi};
use gpconnect_core::{InteractionId, NhsNumber, OdsCode, Request, Response, Result};
use gpconnect_documents::DocumentList;

use crate::options::{bundle, operation, other_patient, patient_nhs_number, CallOptions};

/// The four `_include` parameters every document search sends: the spec's error table
/// answers 400 `INVALID_PARAMETER` without "the mandatory _include parameters".
pub const DOCUMENT_INCLUDES: [&str; 4] = [
    "DocumentReference:subject:Patient",
    "DocumentReference:custodian:Organization",
    "DocumentReference:author:Organization",
    "DocumentReference:author:Practitioner",
];

/// Searches the logged-in patient's documents; from
/// [`AccessRecord::search_documents`](crate::AccessRecord::search_documents).
///
/// Sends `GET /Patient/{id}/DocumentReference?patientNHSNumber=..` with the four
/// [`DOCUMENT_INCLUDES`], `_revinclude:recurse=PractitionerRole:practitioner` and the
/// filters set. The answer is read through Access Document's [`DocumentList`].
///
/// Sends the search.
///
/// # Errors
/// `InvalidInput` (nothing sent) for a bad id, a reversed `created` range or a blank
/// description; from the provider `INVALID_PARAMETER` (400 / 422),
/// `INVALID_NHS_NUMBER` (400), `PATIENT_NOT_FOUND` (404). Safe to retry: a read.
#[derive(Debug, Clone)]
#[must_use]
pub struct SearchDocuments {
    session: PatientSession,
    patient_id: String,
    created_from: Option<NaiveDate>,
    created_to: Option<NaiveDate>,
    author: Option<OdsCode>,
    description: Option<String>,
    options: CallOptions,
}

operation!(SearchDocuments, PlatformApi::AccessRecord, InteractionId::SearchDocuments => DocumentList);

impl SearchDocuments {
    pub(crate) fn new(session: PatientSession, patient_id: &str) -> Self {
        Self {
            session,
            patient_id: patient_id.to_owned(),
            created_from: None,
            created_to: None,
            author: None,
            description: None,
            options: CallOptions::default(),
        }
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

    /// Only documents authored by this organisation
    /// (`author=https://fhir.nhs.uk/Id/ods-organization-code|{ods}`: the error table says
    /// the author must be an ODS code, though the spec's example shows an SDS user id).
    pub fn author(mut self, ods: &OdsCode) -> Self {
        self.author = Some(ods.clone());
        self
    }

    /// Only documents whose description matches `text` (`description={text}`).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Validates and builds the wire request (nothing is sent).
    fn build(&self) -> Result<Request> {
        let nhs = patient_nhs_number(&self.session)?;
        let id = logical_id(&self.patient_id).map_err(|_| {
            InvalidInput::parameter(
                "id",
                "the patient's documents id is 1 to 64 letters, digits, '-' or '.' (from find_patient)",
            )
        })?;
        if let (Some(from), Some(to)) = (self.created_from, self.created_to) {
            if from > to {
                return Err(InvalidInput::parameter("created", "the start is after the end").into());
            }
        }
        let mut request = Request::get(InteractionId::SearchDocuments, format!("Patient/{id}/DocumentReference"))
            .query("patientNHSNumber", nhs.expose());
        for include in DOCUMENT_INCLUDES {
            request = request.query("_include", include);
        }
        request = request.query("_revinclude:recurse", "PractitionerRole:practitioner");
        if let Some(from) = self.created_from {
            request = request.query("created", format!("ge{}", from.format("%Y-%m-%d")));
        }
        if let Some(to) = self.created_to {
            request = request.query("created", format!("le{}", to.format("%Y-%m-%d")));
        }
        if let Some(ods) = &self.author {
            request = request.query("author", format!("{}|{}", OdsCode::SYSTEM, ods.as_str()));
        }
        if let Some(text) = &self.description {
            let text = text.trim();
            if text.is_empty() || text.chars().any(char::is_control) {
                return Err(InvalidInput::parameter(
                    "description",
                    "the text must be non-empty, without control characters",
                )
                .into());
            }
            request = request.query("description", text);
        }
        self.options.apply(request)
    }

    /// Reads the searchset into Access Document's view; an included Patient with another
    /// NHS number is an error.
    pub fn read_answer(response: &Response, nhs_number: &NhsNumber) -> Result<DocumentList> {
        bundle(response)?;
        let list = DocumentList::from_response(response)?;
        if list.patient.as_ref().and_then(|p| p.nhs_number()).is_some_and(|n| n != nhs_number.expose()) {
            return Err(other_patient(response, "entry.resource(Patient).identifier"));
        }
        Ok(list)
    }
}
