//! The typed view of a structured record: one section per clinical area, references in the
//! bundle resolved, section warnings and record warnings kept, problems reported.
//!
//! Layout: this file holds what every section shares (the record, [`Section`], its
//! summary, warnings, problems, authors and linked items) and the table of sections;
//! `build.rs` reads the Lists and resolves references (each target parsed once, cycles
//! and fan-out bounded); core's `fhir::lenient` reads a resource field by field when one
//! field has the wrong shape. Each clinical area is one file (`allergies.rs`, `medications.rs`, ...)
//! holding its item type and how an item is built; adding an area is adding one file and
//! one line to [`SECTIONS`].

use std::any::Any;
use std::collections::HashMap;
use std::fmt;

use bytes::Bytes;
use gpconnect_core::fhir::lenient;
use gpconnect_core::fhir::{
    Bundle, CodeableConcept, Coding, FhirDateTime, FhirResource, Organization, Patient, NHS_NUMBER_SYSTEM,
};
use gpconnect_core::{NhsNumber, PatientMismatch};

mod allergies;
mod build;
mod consultations;
mod diary_entries;
mod immunisations;
mod investigations;
mod medications;
mod problems;
mod referrals;
mod uncategorised;

pub use allergies::{Allergy, Reaction};
pub use consultations::{Consultation, ConsultationHeading, ConsultationTopic};
pub use diary_entries::DiaryEntry;
pub use immunisations::{Immunisation, ImmunisationKind};
pub use investigations::{Investigation, SpecimenSummary, TestResult};
pub use medications::{MedicationIssue, MedicationItem, PrescriptionType};
pub use problems::Problem;
pub use referrals::Referral;
pub use uncategorised::Uncategorised;

use build::{build, Builder, Found};

pub(crate) use lenient::{lenient_extensions, MAX_DEPTH};

/// What one section file declares: its kind, codes, name and titles, and its item type.
struct SectionSpec {
    kind: SectionKind,
    /// The SNOMED CT code of its primary List (1.6.2 table), then codes older examples use.
    codes: &'static [&'static str],
    /// A snake_case name.
    name: &'static str,
    /// Lower-case titles of older providers and of the spec's `_includes` examples.
    titles: &'static [&'static str],
    /// An empty section of the right item type.
    empty: fn() -> Box<dyn AnySection>,
}

/// Every section, in display order: the one table to extend when adding an area.
const SECTIONS: [&SectionSpec; 10] = [
    &allergies::ACTIVE,
    &allergies::ENDED,
    &medications::SPEC,
    &problems::SPEC,
    &consultations::SPEC,
    &immunisations::SPEC,
    &uncategorised::SPEC,
    &investigations::SPEC,
    &referrals::SPEC,
    &diary_entries::SPEC,
];

/// A clinical area of the record (one primary List each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SectionKind {
    /// Allergies and adverse reactions (`886921000000105`).
    Allergies,
    /// Ended allergies (`1103671000000101`).
    EndedAllergies,
    /// Medications and medical devices (`933361000000108`).
    Medications,
    /// Problems (`717711000000103`).
    Problems,
    /// List of consultations (`1149501000000101`).
    Consultations,
    /// Immunisations (`1102181000000102`).
    Immunisations,
    /// Uncategorised data (`826501000000100`).
    Uncategorised,
    /// Investigations and results (`887191000000108`).
    Investigations,
    /// Outbound referral (`792931000000107`).
    Referrals,
    /// Patient recall administration, i.e. diary entries (`714311000000108`).
    DiaryEntries,
}

impl SectionKind {
    /// Every section, in display order.
    pub const ALL: [SectionKind; 10] = [
        SectionKind::Allergies,
        SectionKind::EndedAllergies,
        SectionKind::Medications,
        SectionKind::Problems,
        SectionKind::Consultations,
        SectionKind::Immunisations,
        SectionKind::Uncategorised,
        SectionKind::Investigations,
        SectionKind::Referrals,
        SectionKind::DiaryEntries,
    ];

    fn spec(self) -> &'static SectionSpec {
        // Every kind has exactly one entry (checked by a unit test); the fallback is never used.
        SECTIONS.iter().find(|s| s.kind == self).copied().unwrap_or(SECTIONS[0])
    }

    /// The SNOMED CT code of the section's primary List (1.6.2 table).
    pub fn snomed_code(self) -> &'static str {
        self.spec().codes[0]
    }

    /// A snake_case name (`diary_entries`).
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    fn from_code(code: &str) -> Option<Self> {
        SECTIONS.iter().find(|s| s.codes.contains(&code)).map(|s| s.kind)
    }

    fn from_title(title: &str) -> Option<Self> {
        let t = title.trim().to_ascii_lowercase();
        SECTIONS.iter().find(|s| s.titles.contains(&t.as_str())).map(|s| s.kind)
    }
}

/// A section's item type: how one List entry becomes an item.
trait SectionItem: Clone + Send + Sync + 'static {
    /// Builds the item from the resource a List entry points at; `None` (with a problem
    /// reported by the builder) when it cannot be an item of this area.
    fn build(b: &mut Builder<'_>, found: Found<'_>, kind: SectionKind) -> Option<Self>;
}

/// A [`Section`] of any item type, as the record keeps it.
trait AnySection: Send + Sync {
    fn lists(&self) -> &[ListInfo];
    fn items(&self) -> usize;
    fn unresolved(&self) -> usize;
    /// Adds the List and how many of its entries were lost.
    fn attach(&mut self, list: ListInfo, lost: usize);
    /// Builds and adds one item; `false` if it could not be.
    fn add(&mut self, b: &mut Builder<'_>, found: Found<'_>, kind: SectionKind) -> bool;
    fn as_any(&self) -> &dyn Any;
    fn clone_box(&self) -> Box<dyn AnySection>;
}

impl<T: SectionItem> AnySection for Section<T> {
    fn lists(&self) -> &[ListInfo] {
        &self.lists
    }
    fn items(&self) -> usize {
        self.items.len()
    }
    fn unresolved(&self) -> usize {
        self.unresolved
    }
    fn attach(&mut self, list: ListInfo, lost: usize) {
        self.lists.push(list);
        self.unresolved += lost;
    }
    fn add(&mut self, b: &mut Builder<'_>, found: Found<'_>, kind: SectionKind) -> bool {
        T::build(b, found, kind).map(|item| self.items.push(item)).is_some()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn clone_box(&self) -> Box<dyn AnySection> {
        Box::new(self.clone())
    }
}

fn empty_section<T: SectionItem>() -> Box<dyn AnySection> {
    Box::new(Section::<T>::default())
}

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
    fn from_code(code: &str) -> Self {
        match code {
            "confidential-items" => ListWarning::ConfidentialItems,
            "data-in-transit" => ListWarning::DataInTransit,
            "data-awaiting-filing" => ListWarning::DataAwaitingFiling,
            other => ListWarning::Other(other.to_owned()),
        }
    }

    /// The code when known, else `"other"` (for `Debug`: an unknown code is provider text).
    fn as_known(&self) -> &'static str {
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

/// One clinical area: the List(s) that carried it and the items.
#[derive(Clone)]
pub struct Section<T> {
    /// The primary List(s) of this area (none when not requested or not returned).
    pub lists: Vec<ListInfo>,
    /// The items, references resolved.
    pub items: Vec<T>,
    /// List entries that could not become an item (also in
    /// [`StructuredRecord::view_problems`]).
    pub unresolved: usize,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Self { lists: Vec::new(), items: Vec::new(), unresolved: 0 }
    }
}

impl<T> fmt::Debug for Section<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Section")
            .field("lists", &self.lists.len())
            .field("items", &self.items.len())
            .field("unresolved", &self.unresolved)
            .finish()
    }
}

impl<T> Section<T> {
    /// Whether the provider returned a List for this area.
    pub fn is_present(&self) -> bool {
        !self.lists.is_empty()
    }

    /// Every warning code of the area's Lists.
    pub fn warnings(&self) -> impl Iterator<Item = &ListWarning> {
        self.lists.iter().flat_map(|l| l.warnings.iter())
    }

    /// Whether a List of this area carries `warning`.
    pub fn has_warning(&self, warning: &ListWarning) -> bool {
        self.warnings().any(|w| w == warning)
    }

    /// The list title (of the first List).
    pub fn title(&self) -> Option<&str> {
        self.lists.first().and_then(|l| l.title.as_deref())
    }

    /// The empty reason (of the first List).
    pub fn empty_reason(&self) -> Option<&CodeableConcept> {
        self.lists.first().and_then(|l| l.empty_reason.as_ref())
    }

    /// The items.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<'a, T> IntoIterator for &'a Section<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// How much of one area the record holds and what it could not show: see
/// [`StructuredRecord::section_summary`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SectionSummary<'a> {
    /// The area.
    pub kind: SectionKind,
    /// Its primary List(s).
    pub lists: &'a [ListInfo],
    /// Items shown.
    pub items: usize,
    /// List entries that could not become an item.
    pub unresolved: usize,
    /// Problems reported for this area (lost entries, malformed fields, dangling or
    /// cyclic references), also in [`StructuredRecord::view_problems`].
    pub problems: usize,
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

/// Any warning a record can carry, for [`StructuredRecord::has_warning`].
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

/// Something in the bundle the view could not use; the rest of the record is still read.
///
/// Its `Debug` shows the area and the kind of problem only: references, ids and titles
/// are provider text.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ViewProblem {
    /// The area it affects, when known.
    pub section: Option<SectionKind>,
    /// `true` when a List entry could not become an item (so the section has one item
    /// fewer than its List has entries).
    pub lost_entry: bool,
    /// What went wrong.
    pub kind: ViewProblemKind,
}

/// What a [`ViewProblem`] is.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViewProblemKind {
    /// A reference that matches no resource in the bundle.
    DanglingReference {
        /// The referring resource (`Type/id`, or `List`).
        from: String,
        /// The reference as written.
        reference: String,
    },
    /// A resource that is not valid for its type (position of the JSON error only: the
    /// message could quote patient data).
    UnparseableEntry {
        /// `resourceType`.
        resource_type: String,
        /// `id`.
        id: Option<String>,
        /// Line of the error within the resource.
        line: usize,
        /// Column of the error within the resource.
        column: usize,
    },
    /// A List whose code and title match no known area.
    UnknownList {
        /// `List.title`.
        title: Option<String>,
        /// `List.code` first code.
        code: Option<String>,
    },
    /// A List entry of a type the area does not hold (e.g. a Condition in Medications).
    UnexpectedResource {
        /// The reference.
        reference: String,
        /// The resource type found.
        resource_type: String,
    },
    /// A List entry without an item reference.
    EntryWithoutItem,
    /// A field of the wrong shape (an array where one value belongs, a number sent as a
    /// string, ...): the item is kept, the field is empty or read as its single element.
    MalformedField {
        /// `resourceType`.
        resource_type: String,
        /// `id`.
        id: Option<String>,
        /// The field's path in the resource (`effectivePeriod`, `dosage[0].text`).
        path: String,
    },
    /// A reference that leads back to where it came from (an Observation that is its own
    /// member): not followed again.
    Cycle {
        /// The referring resource.
        from: String,
        /// The reference as written.
        reference: String,
    },
    /// A resource nested deeper than the view reads ([`MAX_NESTING`] levels): not read.
    TooDeep {
        /// `resourceType`.
        resource_type: String,
        /// `id`.
        id: Option<String>,
    },
    /// The record re-uses resolved resources (authors, results, medications) far more
    /// than its size allows: from here on references are left unresolved.
    FanOutLimit,
}

/// How deeply a resource may nest JSON arrays and objects before the view stops reading
/// it (the whole body is checked once, before anything is parsed).
pub const MAX_NESTING: usize = MAX_DEPTH;

impl ViewProblemKind {
    /// A short name of the kind (`dangling_reference`), free of provider text.
    pub fn name(&self) -> &'static str {
        match self {
            ViewProblemKind::DanglingReference { .. } => "dangling_reference",
            ViewProblemKind::UnparseableEntry { .. } => "unparseable_entry",
            ViewProblemKind::UnknownList { .. } => "unknown_list",
            ViewProblemKind::UnexpectedResource { .. } => "unexpected_resource",
            ViewProblemKind::EntryWithoutItem => "entry_without_item",
            ViewProblemKind::MalformedField { .. } => "malformed_field",
            ViewProblemKind::Cycle { .. } => "cycle",
            ViewProblemKind::TooDeep { .. } => "too_deep",
            ViewProblemKind::FanOutLimit => "fan_out_limit",
        }
    }
}

impl fmt::Debug for ViewProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for ViewProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ViewProblem")
            .field("section", &self.section)
            .field("lost_entry", &self.lost_entry)
            .field("kind", &self.kind)
            .finish()
    }
}

/// A practitioner, organisation or service, resolved from a reference.
///
/// Its `Debug` shows whether it resolved, never the names.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Author {
    /// The reference as written.
    pub reference: Option<String>,
    /// The person's name (or the organisation / service name).
    pub name: Option<String>,
    /// The role (`PractitionerRole.code`).
    pub role: Option<String>,
    /// The organisation (`PractitionerRole.organization`, or the Organization itself).
    pub organisation: Option<String>,
    /// Whether the reference resolved in the bundle.
    pub resolved: bool,
}

/// A reference to another clinical item (consultation contents, problem links), with a
/// display name when the target is in the bundle.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkedItem {
    /// The reference as written.
    pub reference: String,
    /// The target's resource type (when resolved).
    pub resource_type: Option<String>,
    /// The target's code display, text or title.
    pub name: Option<String>,
    /// Whether the reference resolved in the bundle.
    pub resolved: bool,
}

impl fmt::Debug for Author {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Author").field("resolved", &self.resolved).finish_non_exhaustive()
    }
}

impl fmt::Debug for LinkedItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkedItem").field("resolved", &self.resolved).finish_non_exhaustive()
    }
}

/// A patient's structured record: the typed view of the `$gpc.getstructuredrecord` Bundle.
///
/// Its `Debug` shows counts only.
pub struct StructuredRecord {
    raw: Bytes,
    bundle: Bundle,
    patient: Option<Patient>,
    registered_practice: Option<Organization>,
    sections: HashMap<SectionKind, Box<dyn AnySection>>,
    secondary_lists: Vec<ListInfo>,
    warnings: Vec<RecordWarning>,
    view_problems: Vec<ViewProblem>,
}

impl Default for StructuredRecord {
    fn default() -> Self {
        Self {
            raw: Bytes::new(),
            bundle: Bundle::default(),
            patient: None,
            registered_practice: None,
            sections: SECTIONS.iter().map(|s| (s.kind, (s.empty)())).collect(),
            secondary_lists: Vec::new(),
            warnings: Vec::new(),
            view_problems: Vec::new(),
        }
    }
}

impl Clone for StructuredRecord {
    fn clone(&self) -> Self {
        Self {
            raw: self.raw.clone(),
            bundle: self.bundle.clone(),
            patient: self.patient.clone(),
            registered_practice: self.registered_practice.clone(),
            sections: self.sections.iter().map(|(k, s)| (*k, s.clone_box())).collect(),
            secondary_lists: self.secondary_lists.clone(),
            warnings: self.warnings.clone(),
            view_problems: self.view_problems.clone(),
        }
    }
}

impl fmt::Debug for StructuredRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("StructuredRecord");
        d.field("bytes", &self.raw.len());
        for kind in SectionKind::ALL {
            let s = self.section_summary(kind);
            d.field(kind.name(), &(s.items, s.unresolved, s.problems));
        }
        d.field("warnings", &self.warnings).field("view_problems", &self.view_problems.len()).finish_non_exhaustive()
    }
}

impl StructuredRecord {
    /// Reads a saved `$gpc.getstructuredrecord` response Bundle. Fails only when the bytes
    /// are not a Bundle (the error names where, never a value); every resource problem is
    /// reported in [`view_problems`](Self::view_problems) instead.
    pub fn from_slice(json: &[u8]) -> Result<Self, gpconnect_core::error::DecodeProblem> {
        let bundle = Bundle::from_slice(json)?;
        Ok(Self::from_bundle(bundle, Bytes::copy_from_slice(json)))
    }

    /// Builds the view from a parsed Bundle and its raw bytes.
    pub fn from_bundle(bundle: Bundle, raw: Bytes) -> Self {
        let mut record = build(&bundle);
        record.bundle = bundle;
        record.raw = raw;
        record
    }

    /// Checks that the record is about `asked`: every Patient in the bundle carries that
    /// NHS number, and there is at least one.
    pub(crate) fn check_patient(&self, asked: &NhsNumber) -> Result<(), PatientMismatch> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct Identified {
            #[serde(deserialize_with = "gpconnect_core::fhir::one_or_many")]
            identifier: Vec<gpconnect_core::fhir::Identifier>,
        }
        let mut patients = self.bundle.resources_of(Patient::TYPE).peekable();
        if patients.peek().is_none() {
            return Err(PatientMismatch::NoNhsNumber);
        }
        patients.try_for_each(|raw| {
            let id: Identified = lenient::parse(raw.raw()).map(|(v, _)| v).unwrap_or_default();
            let nhs = id.identifier.iter().find(|i| i.system.as_deref() == Some(NHS_NUMBER_SYSTEM));
            PatientMismatch::check(asked, nhs.and_then(|i| i.value.as_deref()))
        })
    }

    /// The raw response bytes. Patient data: keep out of logs.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The Bundle, entries raw (for anything the view does not surface).
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The patient (`CareConnect-GPC-Patient-1`).
    pub fn patient(&self) -> Option<&Patient> {
        self.patient.as_ref()
    }

    /// The registered practice (`Patient.generalPractitioner`, else
    /// `managingOrganization`).
    pub fn registered_practice(&self) -> Option<&Organization> {
        self.registered_practice.as_ref()
    }

    /// The section of `kind` with items of type `T` (an empty one if `T` is not its type).
    fn section<T: SectionItem>(&self, kind: SectionKind) -> &Section<T> {
        static_empty::<T>(self.sections.get(&kind).and_then(|s| s.as_any().downcast_ref::<Section<T>>()))
    }

    /// Active allergies.
    pub fn allergies(&self) -> &Section<Allergy> {
        self.section(SectionKind::Allergies)
    }

    /// Ended allergies (only with `Resolved::Include`).
    pub fn ended_allergies(&self) -> &Section<Allergy> {
        self.section(SectionKind::EndedAllergies)
    }

    /// Medications, one per `MedicationStatement`.
    pub fn medications(&self) -> &Section<MedicationItem> {
        self.section(SectionKind::Medications)
    }

    /// Problems.
    pub fn problems(&self) -> &Section<Problem> {
        self.section(SectionKind::Problems)
    }

    /// Consultations.
    pub fn consultations(&self) -> &Section<Consultation> {
        self.section(SectionKind::Consultations)
    }

    /// Immunisations.
    pub fn immunisations(&self) -> &Section<Immunisation> {
        self.section(SectionKind::Immunisations)
    }

    /// Investigations.
    pub fn investigations(&self) -> &Section<Investigation> {
        self.section(SectionKind::Investigations)
    }

    /// Referrals.
    pub fn referrals(&self) -> &Section<Referral> {
        self.section(SectionKind::Referrals)
    }

    /// Diary entries.
    pub fn diary_entries(&self) -> &Section<DiaryEntry> {
        self.section(SectionKind::DiaryEntries)
    }

    /// Uncategorised data.
    pub fn uncategorised(&self) -> &Section<Uncategorised> {
        self.section(SectionKind::Uncategorised)
    }

    /// What the record holds for one area: its Lists, items, lost entries and problems.
    pub fn section_summary(&self, kind: SectionKind) -> SectionSummary<'_> {
        let problems = self.view_problems.iter().filter(|p| p.section == Some(kind)).count();
        match self.sections.get(&kind) {
            Some(s) => {
                SectionSummary { kind, lists: s.lists(), items: s.items(), unresolved: s.unresolved(), problems }
            }
            None => SectionSummary { kind, lists: &[], items: 0, unresolved: 0, problems },
        }
    }

    /// Secondary lists (`GPConnect-SecondaryListValues-1`: items contained in
    /// consultations or related to problems), kept as references.
    pub fn secondary_lists(&self) -> &[ListInfo] {
        &self.secondary_lists
    }

    /// The bundle's in-band warnings (unrecognised parameter, clinical area disabled).
    /// The spec says consumers must show these to users.
    pub fn warnings(&self) -> &[RecordWarning] {
        &self.warnings
    }

    /// Whether the record carries `warning`, on any List or in the bundle.
    pub fn has_warning(&self, warning: Warning) -> bool {
        let list = |w: ListWarning| {
            self.sections.values().flat_map(|s| s.lists()).chain(&self.secondary_lists).any(|l| l.warnings.contains(&w))
        };
        let outcome = |k: RecordWarningKind| self.warnings.iter().any(|w| w.kind == k);
        match warning {
            Warning::ConfidentialItems => list(ListWarning::ConfidentialItems),
            Warning::DataInTransit => list(ListWarning::DataInTransit),
            Warning::DataAwaitingFiling => list(ListWarning::DataAwaitingFiling),
            Warning::UnrecognisedParameter => outcome(RecordWarningKind::UnrecognisedParameter),
            Warning::ClinicalAreaDisabled => outcome(RecordWarningKind::ClinicalAreaDisabled),
        }
    }

    /// The resources labelled `NOPAT` (`meta.security` code `NOPAT`, system
    /// `http://hl7.org/fhir/v3/ActCode`): not to be shown to the patient, which migrate
    /// responses must honour. Given as `Type/id` references, in bundle order; the resources
    /// stay in the view and the bundle.
    pub fn not_for_patient(&self) -> Vec<String> {
        #[derive(serde::Deserialize)]
        struct Labelled {
            meta: Option<gpconnect_core::fhir::Meta>,
        }
        self.bundle
            .resources()
            .filter(|r| {
                r.parse::<Labelled>()
                    .ok()
                    .and_then(|l| l.meta)
                    .is_some_and(|m| m.security.iter().any(|c| c.is_not_for_patient()))
            })
            .map(|r| format!("{}/{}", r.resource_type(), r.id().unwrap_or_default()))
            .collect()
    }

    /// What the view could not use: dangling references, unparseable resources, unknown
    /// Lists, unexpected entries, malformed fields. Never silently dropped.
    pub fn view_problems(&self) -> &[ViewProblem] {
        &self.view_problems
    }
}

/// `found`, or an empty section of item type `T` that lives for the whole program (one per
/// type, made on first use).
fn static_empty<T: SectionItem>(found: Option<&Section<T>>) -> &Section<T> {
    use std::any::TypeId;
    use std::sync::{Mutex, OnceLock};
    if let Some(s) = found {
        return s;
    }
    static EMPTY: OnceLock<Mutex<HashMap<TypeId, &'static (dyn Any + Send + Sync)>>> = OnceLock::new();
    let mut map = EMPTY.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    let any: &'static (dyn Any + Send + Sync) =
        *map.entry(TypeId::of::<Section<T>>()).or_insert_with(|| Box::leak(Box::new(Section::<T>::default())));
    any.downcast_ref::<Section<T>>().unwrap_or_else(|| unreachable!("keyed by its own type"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_section_with_its_own_code_and_name() {
        for kind in SectionKind::ALL {
            assert_eq!(SECTIONS.iter().filter(|s| s.kind == kind).count(), 1, "{kind:?}");
            assert_eq!(SectionKind::from_code(kind.snomed_code()), Some(kind));
            assert_eq!(StructuredRecord::default().section_summary(kind).items, 0);
        }
        assert_eq!(SectionKind::from_title(" Ended Allergies "), Some(SectionKind::EndedAllergies));
        assert_eq!(SectionKind::from_code("886721000000107"), Some(SectionKind::Referrals));
    }
}
