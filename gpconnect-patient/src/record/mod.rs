//! Access Record (FHIR STU3): the patient's structured record and their documents.

mod find_patient;
mod get_record;
mod retrieve;
mod search_documents;

pub use find_patient::FindPatient;
pub use get_record::{GetRecord, MedicationQuery, PatientRecord};
pub use retrieve::{BinaryId, RetrieveDocument};
pub use search_documents::SearchDocuments;

use gpconnect_core::platform::PatientSession;
use gpconnect_core::PatientId;
use gpconnect_documents::Document;

/// The Access Record operations for the logged-in patient; from
/// [`PatientExt::access_record`](crate::PatientExt::access_record).
#[derive(Debug, Clone)]
pub struct AccessRecord {
    pub(crate) session: PatientSession,
}

impl AccessRecord {
    /// The patient's structured record (`POST /Patient/$gpc.getstructuredrecord`); see
    /// [`GetRecord`].
    pub fn get_record(&self) -> GetRecord {
        GetRecord::new(&self.session)
    }

    /// The patient's id on the documents server (`GET /documents/Patient/{nhs}`); see
    /// [`FindPatient`].
    pub fn find_patient(&self) -> FindPatient {
        FindPatient::new(&self.session)
    }

    /// The patient's documents (`GET /Patient/{id}/DocumentReference`); `patient_id` is
    /// the id from [`find_patient`](Self::find_patient). See [`SearchDocuments`].
    pub fn search_documents(&self, patient_id: &PatientId) -> SearchDocuments {
        SearchDocuments::new(&self.session, patient_id)
    }

    /// One document from a search (`GET /documents/Binary/{id}`), streamed; see
    /// [`RetrieveDocument::write_to`].
    pub fn retrieve(&self, document: &Document) -> RetrieveDocument {
        RetrieveDocument::for_document(&self.session, document)
    }

    /// One document by the id of its `Binary`; as [`retrieve`](Self::retrieve).
    pub fn retrieve_id(&self, id: &BinaryId) -> RetrieveDocument {
        RetrieveDocument::for_id(&self.session, id)
    }

    /// One document by its `attachment.url` (`.../Binary/{id}`); as
    /// [`retrieve`](Self::retrieve). A URL that does not end in a logical id is refused
    /// when sent (`InvalidInput`, nothing sent).
    pub fn retrieve_url(&self, url: &str) -> RetrieveDocument {
        RetrieveDocument::for_url(&self.session, url)
    }
}
