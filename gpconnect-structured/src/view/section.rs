//! One clinical area of the record ([`Section`]), which one it is ([`SectionKind`]) and
//! how much of it the record holds ([`SectionSummary`]).

use std::fmt;

use gpconnect_core::fhir::CodeableConcept;

use super::{ListInfo, ListWarning, SectionSpec, SECTIONS};

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

    pub(super) fn spec(self) -> &'static SectionSpec {
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

    pub(super) fn from_code(code: &str) -> Option<Self> {
        SECTIONS.iter().find(|s| s.codes.contains(&code)).map(|s| s.kind)
    }

    pub(super) fn from_title(title: &str) -> Option<Self> {
        let t = title.trim().to_ascii_lowercase();
        SECTIONS.iter().find(|s| s.titles.contains(&t.as_str())).map(|s| s.kind)
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
    /// [`StructuredRecord::view_problems`](super::StructuredRecord::view_problems)).
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
/// [`StructuredRecord::section_summary`](super::StructuredRecord::section_summary).
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
    /// cyclic references), also in [`StructuredRecord::view_problems`](super::StructuredRecord::view_problems).
    pub problems: usize,
}
