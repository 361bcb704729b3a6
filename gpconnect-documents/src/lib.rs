//! Access Document: find a patient's documents at their GP practice and retrieve them,
//! streamed into any [`tokio::io::AsyncWrite`] (a file, a buffer, a hasher) with memory
//! that stays flat however large the document is.
//!
//! Access Document is its own FHIR server with its own service root (found in SDS with
//! the documents interaction IDs). Using it takes three steps (spec section 3):
//!
//! 1. [`Documents::find_patient`]: the patient's logical id on the documents server;
//! 2. [`Documents::search_documents`]: the patient's documents, with authors and
//!    custodians resolved, sizes, MIME types and the URL to retrieve each from;
//! 3. [`Documents::retrieve`]: one document, decoded from the FHIR `Binary` as it
//!    arrives, into a writer ([`RetrieveDocument::write_to`]) or a file
//!    ([`RetrieveDocument::download_to_file`], which only ever leaves a complete file).
//!
//! ```no_run
//! use gpconnect_documents::DocumentsExt;
//!
//! # async fn demo(practice: gpconnect_core::Provider, nhs: gpconnect_core::NhsNumber) -> gpconnect_core::Result<()> {
//! let documents = practice.documents();
//! let Some(patient) = documents.find_patient(&nhs).send().await?.value else {
//!     println!("no such patient at this practice");
//!     return Ok(());
//! };
//! let list = documents
//!     .search_documents(&patient.id)
//!     .created_from(chrono::NaiveDate::from_ymd_opt(2019, 6, 24).unwrap())
//!     .send()
//!     .await?;
//! for doc in &list.documents {
//!     match doc.placeholder_reason() {
//!         Some(reason) => println!("{:?}: not retrievable ({reason})", doc.title()),
//!         None => println!("{:?}: {:?} bytes of {:?}", doc.title(), doc.size, doc.content_type),
//!     }
//! }
//! if let Some(doc) = list.retrievable().next() {
//!     let saved = documents.retrieve(doc).download_to_file("letter.doc").await?;
//!     println!("saved {} bytes of {:?}", saved.bytes, saved.content_type);
//!
//!     let mut buffer = Vec::new();
//!     documents.retrieve(doc).write_to(&mut buffer).await?;
//! }
//! # Ok(()) }
//! ```
//!
//! Every operation needs a requesting user, on the provider handle
//! ([`Provider::with_user`]) or per call (`.user(&user)`). All three are reads with JWT
//! scope `patient/*.read`, safe to retry.
//!
//! Where the spec is unsure (section 3.2): providers on documents 1.0.x search with
//! `GET /DocumentReference?subject=Patient/{id}` and take the `type` and `facility`
//! filters, which later versions removed: choose the form per provider with
//! [`SearchDocuments::version`] and [`DocumentsVersion::of`] its capability statement.
//! The `attachment.url` forms differ between examples and are treated as opaque
//! (`http://` ones included, sent through the SSP as the spec says).
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod model;
mod retrieve;
mod scanner;
mod search;

use gpconnect_core::foundations::FindPatient;
use gpconnect_core::{InteractionId, NhsNumber, PatientId, Provider};

pub use model::{Document, DocumentList, RETRIEVAL_LIMIT};
pub use retrieve::{
    decode_binary, stream_into, BodyFormat, RetrieveDocument, Retrieved, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MIGRATION_MAX_BYTES, DEFAULT_RETRIEVAL_MAX_BYTES, MIGRATION_TIMEOUT, RETRIEVAL_TIMEOUT,
};
pub use search::{DocumentsVersion, SearchDocuments, MANDATORY_INCLUDES, V1_0_INCLUDES};

/// Adds [`documents`](DocumentsExt::documents) to a [`Provider`].
pub trait DocumentsExt {
    /// The Access Document operations of this provider.
    fn documents(&self) -> Documents;
}

impl DocumentsExt for Provider {
    fn documents(&self) -> Documents {
        Documents { provider: self.clone() }
    }
}

/// The Access Document operations of one provider; from [`DocumentsExt::documents`].
#[derive(Debug, Clone)]
pub struct Documents {
    provider: Provider,
}

impl Documents {
    /// Finds the patient on the documents server (step 1), for their logical id.
    ///
    /// Sends `GET /Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}` to the
    /// documents root (`urn:nhs:names:services:gpconnect:documents:fhir:rest:search:patient-1`,
    /// scope `patient/*.read`): core's one patient search
    /// ([`FindPatient`]) with the documents
    /// interaction, so the NHS number must match (else kind `WrongPatient`) and the id is
    /// a checked [`PatientId`]. No match is `None`, not an error.
    ///
    /// # Example
    /// ```no_run
    /// # use gpconnect_documents::DocumentsExt;
    /// # async fn demo(p: gpconnect_core::Provider, nhs: gpconnect_core::NhsNumber) -> gpconnect_core::Result<()> {
    /// if let Some(patient) = p.documents().find_patient(&nhs).send().await?.transpose() {
    ///     println!("documents patient id {} (Ssp-TraceID {})", patient.id, patient.trace_id);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `INVALID_NHS_NUMBER`, `INVALID_PARAMETER`, `PATIENT_NOT_FOUND` (deceased outside the
    /// access window), `ACCESS DENIED`, or a timeout. Safe to retry: a read.
    pub fn find_patient(&self, nhs_number: &NhsNumber) -> FindPatient {
        FindPatient::new(&self.provider, InteractionId::SearchDocumentsPatient, nhs_number)
    }

    /// Searches a patient's documents (step 2); `patient_id` is the
    /// [`FoundPatient::id`](gpconnect_core::foundations::FoundPatient::id) from
    /// [`find_patient`](Self::find_patient).
    ///
    /// Sends `GET /Patient/{id}/DocumentReference` with the five mandatory
    /// [`MANDATORY_INCLUDES`] and the filters set
    /// (`urn:nhs:names:services:gpconnect:documents:fhir:rest:search:documentreference-1`,
    /// scope `patient/*.read`).
    ///
    /// # Example
    /// ```no_run
    /// # use gpconnect_documents::DocumentsExt;
    /// # async fn demo(p: gpconnect_core::Provider, ods: gpconnect_core::OdsCode) -> gpconnect_core::Result<()> {
    /// let list = p.documents().search_documents(&"2".parse()?).author(&ods).description("discharge").send().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Nothing is sent (`InvalidInput`) for a `created` range whose
    /// start is after its end, a blank description or a malformed `type`/`facility`
    /// token. From the provider: `PATIENT_NOT_FOUND`, `NO_PATIENT_CONSENT`,
    /// `INVALID_PARAMETER`, `ACCESS DENIED` (Access Document disabled at the practice).
    /// Safe to retry: a read.
    pub fn search_documents(&self, patient_id: &PatientId) -> SearchDocuments {
        SearchDocuments::new(&self.provider, patient_id)
    }

    /// Retrieves a document from a search (step 3); see [`RetrieveDocument::write_to`]
    /// and [`RetrieveDocument::download_to_file`].
    ///
    /// Sends `GET {ssp}/{attachment.url}`
    /// (`urn:nhs:names:services:gpconnect:documents:fhir:rest:read:binary-1`, scope
    /// `patient/*.read`). A placeholder without a URL fails with `InvalidInput` before
    /// anything is sent; one with a URL is tried (providers answer `NO_RECORD_FOUND` for
    /// documents over the 5 MB limit).
    ///
    /// # Errors
    /// See [`RetrieveDocument::write_to`]. Safe to retry: a read.
    pub fn retrieve(&self, document: &Document) -> RetrieveDocument {
        RetrieveDocument::for_document(&self.provider, InteractionId::RetrieveDocument, document)
    }

    /// Retrieves a document by its absolute `attachment.url` (for example from a
    /// DocumentReference in a structured record); as [`retrieve`](Self::retrieve).
    pub fn retrieve_url(&self, url: &str) -> RetrieveDocument {
        RetrieveDocument::for_url(&self.provider, InteractionId::RetrieveDocument, url)
    }

    /// Migrates a document (GP2GP replacement; only some providers): the same
    /// `GET {ssp}/{attachment.url}` as [`retrieve`](Self::retrieve), sent as
    /// `urn:nhs:names:services:gpconnect:documents:fhir:rest:migrate:binary-1` with a
    /// migration token (`reason_for_request` `migration`, scope `patient/*.read`).
    ///
    /// The spec sets no size limit here (files may exceed 100 MB, rarely about 250 MB), so
    /// documents listed as placeholders for being over the 5 MB retrieval limit can be
    /// migrated when they carry a URL. The answer is streamed and decoded as it arrives
    /// (memory stays flat), [`download_to_file`](RetrieveDocument::download_to_file) only
    /// ever leaves a complete file, and the whole download may take up to
    /// [`MIGRATION_TIMEOUT`] unless `.timeout()` says otherwise.
    ///
    /// # Errors
    /// As [`RetrieveDocument::write_to`]. Safe to retry: a read.
    pub fn migrate(&self, document: &Document) -> RetrieveDocument {
        RetrieveDocument::for_document(&self.provider, InteractionId::MigrateDocument, document)
    }

    /// Migrates a document by its absolute `attachment.url`; as [`migrate`](Self::migrate).
    pub fn migrate_url(&self, url: &str) -> RetrieveDocument {
        RetrieveDocument::for_url(&self.provider, InteractionId::MigrateDocument, url)
    }
}

/// The README's example, compiled and run as a doctest (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
