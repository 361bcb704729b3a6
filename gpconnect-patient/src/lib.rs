//! # GP Connect patient-facing APIs
//!
//! The three APIs an NHS App-style service uses on behalf of a patient logged in with NHS
//! login, through the NHS API platform (`gpconnect_core::platform`):
//!
//! * [`AccessRecord`] (FHIR STU3): the patient's structured record, read through the
//!   same typed view as the clinicians' API ([`gpconnect_structured::StructuredRecord`]),
//!   their documents (Access Document's [`gpconnect_documents::DocumentList`]) and each
//!   document streamed into any [`tokio::io::AsyncWrite`];
//! * [`Appointments`] (FHIR STU3): free slots, book, list, read and cancel with
//!   Appointment Management's typed models, the non-standard "too late to cancel" answer
//!   as its own error ([`CancelError::TooLate`]), and [`Appointments::rebook`]: cancel and
//!   book again as one call that reports each step;
//! * [`Prescriptions`] (FHIR R4, UK Core, read with fhirbolt in strict mode): repeat
//!   medications, requesting an issue (with a one-off nominated pharmacy), and the status
//!   of requests, as views a patient app can show directly.
//!
//! Every operation is a `#[must_use]` builder of the one [`gpconnect_core::Operation`]
//! shape, with the setters of the one `gpconnect_core::builder!` macro (`timeout`,
//! `retry`, `correlation_id`, `request_id`; `user` is SSP-only and refused here) and
//! [`send`](GetRecord::send) through the one [`gpconnect_core::Call::send`], the
//! [`PatientSession`] being the [`Transport`] (token, `X-Request-ID`, retries for reads
//! only). Where the wire is the SSP's, the operation is the SSP crate's builder sent
//! through the platform, adding only what differs ([`SearchDocuments`] is Access
//! Document's search, [`ReadAppointment`] Appointment Management's read). Each returns the
//! typed value with its `X-Request-ID` ([`gpconnect_core::Traced`], streamed documents
//! included) or the one [`gpconnect_core::Error`]. The platform binds every call to the
//! logged-in patient: the SDK takes their NHS number from the verified ID token, and an
//! answer about anybody else is an error.
//!
//! ```no_run
//! use gpconnect_core::platform::{Environment, NhsLogin, PlatformClient, PlatformConfig};
//! use gpconnect_patient::{PatientExt, MedicationQuery};
//! use gpconnect_structured::Resolved;
//!
//! # async fn demo(key_pem: &[u8], id_token: String, nonce: &str) -> gpconnect_core::Result<()> {
//! let platform = PlatformClient::new(
//!     PlatformConfig::new(Environment::Integration, "api-key", "key-1", key_pem)?
//!         .nhs_login(NhsLogin::new(NhsLogin::INTEGRATION, "nhs-login-client-id")),
//! )?;
//! // The ID token NHS login returned, verified as a relying party must (signature, issuer,
//! // audience, expiry, nonce, P9, vot) before the session exists.
//! let patient = platform.log_in(id_token, Some(nonce)).await?;
//!
//! let record = patient
//!     .access_record()
//!     .get_record()
//!     .include_allergies(Resolved::Include)
//!     .include_medication(MedicationQuery::all())
//!     .send()
//!     .await?;
//! println!("{} allergies, {} medications", record.allergies().len(), record.medications().len());
//!
//! let medications = patient.prescriptions().medications().send().await?;
//! if let Some(repeat) = medications.requestable().next() {
//!     let request = patient.prescriptions().request_issue(repeat).note("Running low").send().await?;
//!     println!("request {:?} is {:?} (X-Request-ID {})", request.id, request.status, request.trace_id);
//! }
//! # Ok(()) }
//! ```
//!
//! ## Safety rules
//! * Booking, cancelling and requesting a prescription are never retried once they may
//!   have been sent; after an error whose `may_have_been_sent()` is true, read what
//!   happened ([`Appointments::list`], [`Prescriptions::request_status`]) before trying
//!   again.
//! * `Debug` of every view leaves out NHS numbers, names and free text.
//! * Every answer is checked for nesting depth ([`MAX_DEPTH`]) before it is parsed, and
//!   its size is bounded by the platform client's limit.
#![deny(missing_docs)]

mod answer;
mod appointments;
pub mod prescriptions;
mod record;

pub use appointments::{
    AppointmentList, Appointments, Book, CancelAppointment, Held, Holding, ListAppointments, ReadAppointment, Rebook,
    RebookOrder, RebookReport, SearchFreeSlots,
};
/// The one cancel error type, shared with Appointment Management.
pub use gpconnect_appointments::{CancelError, TOO_LATE_TO_CANCEL};
/// The deepest JSON nesting accepted in an answer: core's one limit.
pub use gpconnect_core::fhir::lenient::MAX_DEPTH;
pub use prescriptions::{Prescriptions, RequestIssue, RequestStatusSearch, SearchMedications};
pub use record::{
    AccessRecord, BinaryId, FindPatient, GetRecord, MedicationQuery, PatientRecord, RetrieveDocument, SearchDocuments,
};

// The typed models and views these APIs share with the clinicians' APIs, so the `patient`
// feature alone is enough to use them.
pub use gpconnect_appointments::{
    Appointment, AppointmentStatus, BookingOrganisation, DeliveryChannel, FreeSlot, FreeSlots, Includes,
    OrganisationType, SlotTime,
};
pub use gpconnect_core::foundations::FoundPatient;
pub use gpconnect_core::platform::{
    Environment, Identity, NhsLogin, NhsLoginIdToken, PatientSession, PlatformClient, PlatformConfig,
};
pub use gpconnect_core::{AppointmentId, CallOptions, PatientId, Transport};
pub use gpconnect_documents::{Document, DocumentList, Retrieved};
pub use gpconnect_structured::{
    Consultations, ImmunisationOptions, ImmunisationStatus, NotGiven, ProblemOptions, ProblemSignificance,
    ProblemStatus, Resolved, SearchPeriod, StructuredRecord,
};

/// Adds the three patient-facing APIs to a [`PatientSession`].
pub trait PatientExt {
    /// Access Record: the structured record and documents.
    fn access_record(&self) -> AccessRecord;
    /// Appointments Management.
    fn appointments(&self) -> Appointments;
    /// Prescriptions Management.
    fn prescriptions(&self) -> Prescriptions;
}

impl PatientExt for PatientSession {
    fn access_record(&self) -> AccessRecord {
        AccessRecord { session: self.clone() }
    }

    fn appointments(&self) -> Appointments {
        Appointments { session: self.clone() }
    }

    fn prescriptions(&self) -> Prescriptions {
        Prescriptions { session: self.clone() }
    }
}

/// The README's example, compiled and run as a doctest (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
