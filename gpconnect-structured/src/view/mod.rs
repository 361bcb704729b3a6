//! The typed view of a structured record: one section per clinical area, references in the
//! bundle resolved, section warnings and record warnings kept, problems reported.
//!
//! Layout: this file holds the record ([`StructuredRecord`]), the table of sections
//! ([`SECTIONS`]) and the two traits a section's item type implements; what every section
//! shares is one file per job: `section.rs` ([`Section`], [`SectionKind`], the summary),
//! `warnings.rs` (List and record warnings), `problem.rs` (what the view could not use),
//! `author.rs` (authors and linked items). `build.rs` reads the Lists (each kept only as
//! what the view reads of it, `build/lists.rs`) and resolves references (each target parsed
//! once through one memo, cycles and fan-out bounded);
//! core's `fhir::lenient` reads a resource field by field when one field has the wrong
//! shape. Each clinical area is one file (`allergies.rs`, `medications.rs`, ...) holding
//! its item type and how an item is built; adding an area is adding one file and one line
//! to [`SECTIONS`]. The section files and `build.rs` name the shared files and this one,
//! never each other (`tests/module_cycles.rs` checks it).

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use gpconnect_core::fhir::{Bundle, Organization, Patient};
use gpconnect_core::{NhsNumber, PatientMismatch, Response};

mod allergies;
mod author;
mod build;
mod consultations;
mod diary_entries;
mod immunisations;
mod investigations;
mod medications;
mod problem;
mod problems;
mod referrals;
mod right_patient;
mod section;
mod uncategorised;
mod warnings;

pub use allergies::{Allergy, Reaction};
pub use author::{Author, LinkedItem};
pub use consultations::{Consultation, ConsultationHeading, ConsultationTopic};
pub use diary_entries::DiaryEntry;
pub use immunisations::{Immunisation, ImmunisationKind};
pub use investigations::{Investigation, SpecimenSummary, TestResult};
pub use medications::{MedicationIssue, MedicationItem, PrescriptionType};
pub use problem::{ViewProblem, ViewProblemKind};
pub use problems::Problem;
pub use referrals::Referral;
pub use section::{Section, SectionKind, SectionSummary};
pub use uncategorised::Uncategorised;
pub use warnings::{ListInfo, ListWarning, RecordWarning, RecordWarningKind, Warning};

use build::{build, Builder, Found};

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

/// A patient's structured record: the typed view of the `$gpc.getstructuredrecord` Bundle.
///
/// Its `Debug` shows counts only.
pub struct StructuredRecord {
    raw: Body,
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
            raw: Body::Bytes(Bytes::new()),
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
        d.field("bytes", &self.raw().len());
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
        // One copy of the body, shared by every resource of the bundle; bytes that are not
        // UTF-8 are not JSON, and `Bundle::from_slice` says where.
        let Ok(text) = std::str::from_utf8(json) else {
            let bundle = Bundle::from_slice(json)?;
            return Ok(Self::from_bundle(bundle, Bytes::copy_from_slice(json)));
        };
        let text: Arc<str> = Arc::from(text);
        let bundle = Bundle::from_text(text.clone())?;
        Ok(Self::from_shared(bundle, text))
    }

    /// Reads a `$gpc.getstructuredrecord` (or migrate) answer: its Bundle shares the one
    /// copy of the body the record keeps ([`Response::shared_bundle`]).
    pub(crate) fn from_response(response: &Response) -> gpconnect_core::Result<Self> {
        let (bundle, text) = response.shared_bundle()?;
        Ok(Self::from_shared(bundle, text))
    }

    /// Builds the view from a Bundle whose resources are stretches of `text`.
    fn from_shared(bundle: Bundle, text: Arc<str>) -> Self {
        let mut record = build(&bundle);
        record.bundle = bundle;
        record.raw = Body::Text(text);
        record
    }

    /// Builds the view from a parsed Bundle and its raw bytes.
    pub fn from_bundle(bundle: Bundle, raw: Bytes) -> Self {
        let mut record = build(&bundle);
        record.bundle = bundle;
        record.raw = Body::Bytes(raw);
        record
    }

    /// Checks that the record is about `asked`: every Patient in the bundle carries that
    /// NHS number, there is at least one, and no clinical item names another patient
    /// ([`right_patient`]).
    pub(crate) fn check_patient(&self, asked: &NhsNumber) -> Result<(), PatientMismatch> {
        right_patient::check_patient(&self.bundle, asked)
    }

    /// The raw response bytes. Patient data: keep out of logs.
    pub fn raw(&self) -> &[u8] {
        match &self.raw {
            Body::Bytes(b) => b,
            Body::Text(t) => t.as_bytes(),
        }
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
                gpconnect_core::fhir::checked::from_str::<Labelled>(r.raw())
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

/// The response body: as received, or the text the bundle's resources share.
#[derive(Clone)]
enum Body {
    Bytes(Bytes),
    Text(Arc<str>),
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
