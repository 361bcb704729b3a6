//! What the view could not use ([`ViewProblem`]); the rest of the record is still read.

use std::fmt;

use super::SectionKind;

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
    /// A resource nested deeper than the view reads ([`MAX_DEPTH`](gpconnect_core::fhir::lenient::MAX_DEPTH) levels, core's one limit): not read.
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
