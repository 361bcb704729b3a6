//! # Access Record Structured
//!
//! Retrieve a patient's GP record as structured FHIR STU3 data (GP Connect Access Record
//! Structured 1.5.x / 1.6.x) and read it through a typed view.
//!
//! * [`GetRecord`]: the `POST Patient/$gpc.getstructuredrecord` request with every
//!   parameter and part as typed setters (`include_*`), checked before sending;
//! * [`MigrateRecord`]: the `POST Patient/$gpc.migratestructuredrecord` request (GP2GP-style
//!   migration of the full record), whose [`Sensitive`] choice sets both
//!   `includeSensitiveInformation` and the JWT's `conf/N` / `conf/R` scope;
//! * [`StructuredRecord`]: the answer (of both), one [`Section`] per clinical area (allergies,
//!   medications, problems, consultations, immunisations, investigations, referrals, diary
//!   entries, uncategorised data) with references resolved, each List's title, code, empty
//!   reason and warnings kept, the bundle's in-band warnings typed ([`RecordWarning`]), and
//!   anything the view could not use reported ([`ViewProblem`]), never dropped;
//! * [`resources`]: the STU3 resources only this API uses, read leniently.
//!
//! ```no_run
//! use chrono::NaiveDate;
//! use gpconnect_core::{NhsNumber, Provider};
//! use gpconnect_structured::{Consultations, Resolved, StructuredExt, Warning};
//!
//! # async fn demo(practice: Provider) -> gpconnect_core::Result<()> {
//! let nhs = NhsNumber::parse("9690937286")?;
//! let record = practice
//!     .structured()
//!     .get_record(&nhs)
//!     .include_allergies(Resolved::Include)
//!     .include_medication(NaiveDate::from_ymd_opt(2024, 1, 1))
//!     .include_consultations(Consultations::MostRecent(3))
//!     .send()
//!     .await?;
//! for med in record.medications() {
//!     println!("{:?} {:?} (last issued {:?})", med.name, med.dosage, med.last_issue_date);
//! }
//! if record.has_warning(Warning::ConfidentialItems) {
//!     println!("some items were withheld");
//! }
//! for warning in record.warnings() {
//!     println!("provider warning: {:?} {:?}", warning.kind, warning.parameter);
//! }
//! # Ok(()) }
//! ```
//!
//! Migrating a record (the view is the same; resources labelled `NOPAT` are listed by
//! [`StructuredRecord::not_for_patient`]):
//!
//! ```no_run
//! # use gpconnect_core::{NhsNumber, Provider};
//! # use gpconnect_structured::{Sensitive, StructuredExt};
//! # async fn demo(practice: Provider, nhs: NhsNumber) -> gpconnect_core::Result<()> {
//! let record = practice.structured().migrate_record(&nhs).sensitive_information(Sensitive::Include).send().await?;
//! println!("{} medications, {} not for the patient", record.medications().len(), record.not_for_patient().len());
//! # Ok(()) }
//! ```
//!
//! A saved response can be read without a call: [`StructuredRecord::from_slice`].
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod get_record;
mod migrate_record;
mod options;
pub mod parameters;
pub mod resources;
mod view;

pub use get_record::{GetRecord, PredefinedSearch};
pub use migrate_record::{MigrateRecord, Sensitive};
pub use options::{
    Consultations, ImmunisationOptions, ImmunisationStatus, MedicationOptions, NotGiven, PrescriptionIssues,
    ProblemOptions, ProblemSignificance, ProblemStatus, Resolved, SearchPeriod,
};
pub use view::{
    Allergy, Author, Consultation, ConsultationHeading, ConsultationTopic, DiaryEntry, Immunisation, ImmunisationKind,
    Investigation, LinkedItem, ListInfo, ListWarning, MedicationIssue, MedicationItem, PrescriptionType, Problem,
    Reaction, RecordWarning, RecordWarningKind, Referral, Section, SectionKind, SectionSummary, SpecimenSummary,
    StructuredRecord, TestResult, Uncategorised, ViewProblem, ViewProblemKind, Warning,
};

use gpconnect_core::{NhsNumber, Provider};

/// The Access Record Structured operations of a provider; from
/// [`StructuredExt::structured`].
#[derive(Debug, Clone)]
pub struct Structured {
    provider: Provider,
}

impl Structured {
    /// Gets the patient's structured record: see [`GetRecord`] for the HTTP call, the
    /// parameters, errors and retry safety.
    pub fn get_record(&self, nhs_number: &NhsNumber) -> GetRecord {
        GetRecord::new(&self.provider, nhs_number)
    }

    /// One of the spec's predefined multi-area searches (1.5.x / 1.6.x), exempt from the
    /// forbidden-combination rule exactly as defined: see [`PredefinedSearch`]. The
    /// same [`GetRecord`] (HTTP call, errors, retry safety) with its parameters set.
    pub fn predefined_search(&self, nhs_number: &NhsNumber, search: PredefinedSearch) -> GetRecord {
        GetRecord::predefined(&self.provider, nhs_number, search)
    }

    /// Migrates the patient's full structured record (`$gpc.migratestructuredrecord`): see
    /// [`MigrateRecord`] for the HTTP call, sensitive information, errors and retry safety.
    pub fn migrate_record(&self, nhs_number: &NhsNumber) -> MigrateRecord {
        MigrateRecord::new(&self.provider, nhs_number)
    }
}

/// Adds [`structured`](StructuredExt::structured) to a [`Provider`].
pub trait StructuredExt {
    /// The Access Record Structured operations.
    fn structured(&self) -> Structured;
}

impl StructuredExt for Provider {
    fn structured(&self) -> Structured {
        Structured { provider: self.clone() }
    }
}

/// The README's example, compiled and run as a doctest (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
