//! What the provider said about its Lists ([`ListInfo`], [`ListWarning`]) and about the
//! record ([`RecordWarning`]).

use std::fmt;

use gpconnect_core::fhir::{CodeableConcept, Coding, FhirDateTime};

/// A warning code on a List (`Extension-CareConnect-GPC-ListWarningCode-1`).
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListWarning {
    /// `confidential-items`: items withheld for confidentiality or patient preference.
    ConfidentialItems,
    /// `data-in-transit`: record transfer from the previous practice not complete.
    DataInTransit,
    /// `data-awaiting-filing`: items in the practice workflow not yet filed.
    DataAwaitingFiling,
    /// A code this SDK does not know.
    Other(String),
}

impl ListWarning {
    pub(super) fn from_code(code: &str) -> Self {
        match code {
            "confidential-items" => ListWarning::ConfidentialItems,
            "data-in-transit" => ListWarning::DataInTransit,
            "data-awaiting-filing" => ListWarning::DataAwaitingFiling,
            other => ListWarning::Other(other.to_owned()),
        }
    }

    /// The code when known, else `"other"` (for `Debug`: an unknown code is provider text).
    pub(super) fn as_known(&self) -> &'static str {
        match self {
            ListWarning::ConfidentialItems => "confidential-items",
            ListWarning::DataInTransit => "data-in-transit",
            ListWarning::DataAwaitingFiling => "data-awaiting-filing",
            ListWarning::Other(_) => "other",
        }
    }

    /// The code as sent.
    pub fn as_str(&self) -> &str {
        match self {
            ListWarning::ConfidentialItems => "confidential-items",
            ListWarning::DataInTransit => "data-in-transit",
            ListWarning::DataAwaitingFiling => "data-awaiting-filing",
            ListWarning::Other(s) => s,
        }
    }
}

/// What a List said about itself: title, code, empty reason, warnings and notes.
///
/// Its `Debug` shows the structure only (titles and notes are provider text).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ListInfo {
    /// `List.id`, when sent (primary lists have none).
    pub id: Option<String>,
    /// `List.title`.
    pub title: Option<String>,
    /// The first coding of `List.code`.
    pub code: Option<Coding>,
    /// `List.emptyReason` (e.g. `no-content-recorded`).
    pub empty_reason: Option<CodeableConcept>,
    /// Warning codes.
    pub warnings: Vec<ListWarning>,
    /// `List.note` texts (warning texts, "Information not available").
    pub notes: Vec<String>,
    /// `List.date`.
    pub date: Option<FhirDateTime>,
    /// The references in `List.entry` (for secondary lists).
    pub items: Vec<String>,
}

impl fmt::Debug for ListInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListInfo")
            .field("warnings", &self.warnings.iter().map(ListWarning::as_known).collect::<Vec<_>>())
            .field("items", &self.items.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ListWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_known())
    }
}

/// A warning the provider put in the bundle's `OperationOutcome` (HTTP still 200).
///
/// Its `Debug` shows the kind only (the rest is provider text).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordWarning {
    /// What it says.
    pub kind: RecordWarningKind,
    /// The parameter named (`diagnostics`, e.g. `includeProblems`).
    pub parameter: Option<String>,
    /// The Spine code (`NOT_IMPLEMENTED`).
    pub code: Option<String>,
    /// `details.text`.
    pub text: Option<String>,
}

/// The kind of a [`RecordWarning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordWarningKind {
    /// `<parameter> is an unrecognised parameter` (consumer newer than provider).
    UnrecognisedParameter,
    /// `<parameter> has been disabled` (clinical area switched off at the practice).
    ClinicalAreaDisabled,
    /// Any other warning issue.
    Other,
}

/// Any warning a record can carry, for [`StructuredRecord::has_warning`](super::StructuredRecord::has_warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Warning {
    /// A List has `confidential-items`.
    ConfidentialItems,
    /// A List has `data-in-transit`.
    DataInTransit,
    /// A List has `data-awaiting-filing`.
    DataAwaitingFiling,
    /// The bundle says a parameter was not recognised.
    UnrecognisedParameter,
    /// The bundle says a clinical area is disabled.
    ClinicalAreaDisabled,
}

impl fmt::Debug for RecordWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordWarning").field("kind", &self.kind).finish_non_exhaustive()
    }
}
