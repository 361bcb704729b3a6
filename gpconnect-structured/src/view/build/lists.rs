//! The record's Lists as the view keeps them while it is built: each List is parsed once
//! (leniently, its problems reported in bundle order) as only the elements the view reads
//! ([`ViewList`]: a List's `meta`, `subject`, `orderedBy` and the like are passed over, not
//! read), and at once reduced to what the sections read of it ([`RecordList`]).

use gpconnect_core::fhir::{Annotation, CodeableConcept, Extension, FhirDateTime, RawResource, Reference};
use gpconnect_core::fhir_type;

use super::text::{ext, ext_code, notes};
use crate::view::{ListInfo, ListWarning, SectionKind};

/// The code of a consultation List.
const CONSULTATION_LIST: &str = "325851000000107";

/// Codes of Lists that only give structure (consultations, topics, headings).
const STRUCTURE_CODES: [&str; 3] = [CONSULTATION_LIST, "25851000000105", "24781000000107"];

fhir_type! {
    /// The elements of a `List` the view reads; the others are passed over unread (so a
    /// malformed one is no problem of the view's).
    pub(in crate::view) struct ViewList [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Extensions (list warning codes, the related problem of a topic).
        extension: many Extension = "extension",
        /// Contained resources, kept raw.
        contained: many RawResource = "contained",
        /// Title.
        title: one String = "title",
        /// What the list is.
        code: one CodeableConcept = "code",
        /// The consultation's encounter.
        encounter: one Reference = "encounter",
        /// When prepared.
        date: one FhirDateTime = "date",
        /// Notes.
        note: many Annotation = "note",
        /// Entries.
        entry: many ViewListEntry = "entry",
        /// Why the list is empty.
        empty_reason: one CodeableConcept = "emptyReason",
    }
}

fhir_type! {
    /// The element of a List entry the view reads.
    pub(in crate::view) struct ViewListEntry [no_serialize, no_xml] {
        /// The referenced resource.
        item: one Reference = "item",
    }
}

/// What a List is in the record.
#[derive(Clone, Copy)]
pub(in crate::view) enum ListClass {
    /// The primary List of an area: its entries become the area's items.
    Primary(SectionKind),
    /// A secondary List, kept as references.
    Secondary,
    /// Structure (consultations, topics, headings), read through the items that use it.
    Structure,
    /// Neither code nor title names an area.
    Unknown,
}

/// What the view reads of one List (the rest of it is dropped as soon as it is parsed).
pub(in crate::view) struct RecordList {
    /// `List.id`.
    pub(in crate::view) id: Option<String>,
    /// `List.title`.
    pub(in crate::view) title: Option<String>,
    /// Its class when no other List references it (a referenced List is structure).
    class: ListClass,
    /// `List.encounter.reference` of a consultation List.
    consultation_of: Option<String>,
    /// The resources it contains: where its `#id` references point.
    pub(in crate::view) contained: Vec<RawResource>,
    /// Each entry's item, in order (`None` for an entry without one).
    pub(in crate::view) entries: Vec<Option<Reference>>,
    /// The problem a consultation topic is about (`RelatedProblemHeader`'s target).
    pub(in crate::view) related_problem: Option<Box<Reference>>,
    /// What the record shows of it (`items` filled in when shown); `None` for a List whose
    /// own class is structure.
    info: Option<Box<ListInfo>>,
}

impl RecordList {
    /// Keeps what the view uses of `list`, moving it out rather than copying it.
    pub(in crate::view) fn new(mut list: ViewList) -> Self {
        let class = classify(&list);
        let is_consultation =
            list.code.iter().flat_map(|c| c.coding.iter()).any(|c| c.code.as_deref() == Some(CONSULTATION_LIST));
        let consultation_of = match is_consultation {
            true => list.encounter.take().and_then(|e| e.reference),
            false => None,
        };
        let related_problem = ext(&list.extension, "Extension-CareConnect-RelatedProblemHeader-1").and_then(|x| {
            let target = x.sub("target").and_then(|t| t.value_reference.as_deref()).or(x.value_reference.as_deref());
            target.cloned().map(Box::new)
        });
        let info = match class {
            ListClass::Structure => None,
            _ => Some(Box::new(info(&mut list))),
        };
        let mut entries = Vec::with_capacity(list.entry.len());
        entries.extend(list.entry.into_iter().map(|e| e.item));
        let mut contained = list.contained;
        contained.shrink_to_fit();
        RecordList { id: list.id, title: list.title, class, consultation_of, contained, entries, related_problem, info }
    }

    /// Its class, given whether another List references it.
    pub(in crate::view) fn class(&self, referenced: bool) -> ListClass {
        if referenced {
            ListClass::Structure
        } else {
            self.class
        }
    }

    /// The encounter reference, for a consultation List.
    pub(in crate::view) fn consultation_of(&self) -> Option<&str> {
        self.consultation_of.as_deref()
    }

    /// The references of its entries' items.
    pub(in crate::view) fn references(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().filter_map(|e| e.as_ref()?.reference.as_deref())
    }

    /// What the record shows of it.
    pub(in crate::view) fn info(&self) -> ListInfo {
        let mut info = self.info.as_deref().cloned().unwrap_or_default();
        info.id = self.id.clone();
        info.title = self.title.clone();
        info.items = self.references().map(str::to_owned).collect();
        info
    }

    /// The first code of `List.code` (named by an unknown List's problem).
    pub(in crate::view) fn code(&self) -> Option<String> {
        self.info.as_ref()?.code.as_ref()?.code.clone()
    }
}

/// The class of a List that no other List references.
fn classify(list: &ViewList) -> ListClass {
    let codes: Vec<&str> = list
        .code
        .iter()
        .flat_map(|c| c.coding.iter())
        .filter_map(|c| c.code.as_deref())
        .chain(list.extension.iter().filter_map(|e| {
            e.value_codeable_concept
                .as_deref()
                .and_then(|c| c.coding.first())
                .and_then(|c| c.code.as_deref())
                .or_else(|| e.value_coding.as_deref().and_then(|c| c.code.as_deref()))
        }))
        .collect();
    if codes.iter().any(|c| STRUCTURE_CODES.contains(c)) {
        return ListClass::Structure;
    }
    if let Some(k) = codes.iter().find_map(|c| SectionKind::from_code(c)) {
        return ListClass::Primary(k);
    }
    let secondary_system = "https://fhir.hl7.org.uk/STU3/CodeSystem/GPConnect-SecondaryListValues-1";
    if list.code.iter().flat_map(|c| c.coding.iter()).any(|c| c.is_system(secondary_system))
        || codes.iter().any(|c| c.starts_with("consultations-") || c.starts_with("problems-"))
    {
        return ListClass::Secondary;
    }
    if let Some(k) = list.title.as_deref().and_then(SectionKind::from_title) {
        return ListClass::Primary(k);
    }
    let title = list.title.as_deref().unwrap_or("").to_ascii_lowercase();
    if ["linked to", "referenced from", "related to", "contained in"].iter().any(|p| title.contains(p)) {
        return ListClass::Secondary;
    }
    if list.encounter.is_some() {
        return ListClass::Structure;
    }
    ListClass::Unknown
}

/// The parts of [`ListInfo`] taken from `list` alone (id, title and items are added when
/// it is shown).
fn info(list: &mut ViewList) -> ListInfo {
    let warnings = list
        .extension
        .iter()
        .filter(|e| e.url.as_deref().is_some_and(|u| u.ends_with("ListWarningCode-1")))
        .filter_map(ext_code)
        .map(|c| ListWarning::from_code(&c))
        .collect();
    ListInfo {
        code: list.code.take().and_then(|c| c.coding.into_iter().next()),
        empty_reason: list.empty_reason.take(),
        warnings,
        notes: notes(&list.note),
        date: list.date.take(),
        ..ListInfo::default()
    }
}
