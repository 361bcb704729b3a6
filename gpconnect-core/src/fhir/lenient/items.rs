//! What one answer's items cost when they cannot be read as the spec says: [`Problem`]s,
//! the [`Report`] of one item and the [`Targets`] items reference, parsed once.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;

use serde::de::DeserializeOwned;

use super::{Repairer, ResourceIndex};
use crate::fhir::{Bundle, FhirDateTime, FhirResource, RawResource, Reference};

/// Something in an answer that could not be read as the spec says; the rest is still read.
///
/// It names where (the entry's position in the Bundle, the resource type, the field's
/// path) and never holds what the provider wrote there: no value, no id, no free text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// The position of the resource in `Bundle.entry`; `None` for an answer that is one
    /// resource (an Appointment).
    pub entry: Option<usize>,
    /// The resource type read (`DocumentReference`, `Slot`, ...).
    pub resource_type: &'static str,
    /// What was wrong.
    pub kind: ProblemKind,
}

/// What a [`Problem`] is. The first three cost one field and keep the item; the others
/// cost the whole item, which is left out of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A field of the wrong shape (an array where one value belongs, or the reverse, a
    /// number or boolean sent as a string, an object where text belongs): the field is read
    /// as its single element or converted, or else left empty. Path `*`: so many fields
    /// were wrong that only the item's identity was kept.
    MalformedField {
        /// The field's path in the resource (`content[0].attachment.size`).
        path: String,
    },
    /// A code outside the field's value set: kept as sent (an `Other` variant or text).
    UnknownCode {
        /// The field's path (`status`).
        path: String,
    },
    /// A date or time not in the FHIR format the field needs (`2026-03-02 09:00`, no
    /// offset on an instant): kept as written; its typed accessors give `None`.
    MalformedDate {
        /// The field's path (`start`).
        path: String,
    },
    /// The item has nothing that identifies it (no id, or none of what its type needs to
    /// be used): left out.
    NoIdentity,
    /// The entry could not be read at all (not a JSON object, or nested deeper than
    /// [`MAX_DEPTH`](super::MAX_DEPTH)): left out.
    Unreadable,
    /// A second copy of an item already in the answer (the same id): left out, the first
    /// is kept.
    Duplicate,
    /// The answer names its shared resources (organisations, practitioners, schedules,
    /// locations) so many times that copying each into every item naming it would cost
    /// more than [`COPY_BUDGET_PER_BYTE`] times the answer: from here on, items do not
    /// carry them. Reported once.
    CopyBudgetSpent,
}

impl Problem {
    /// A problem of the resource at `entry`.
    pub fn new(entry: Option<usize>, resource_type: &'static str, kind: ProblemKind) -> Self {
        Self { entry, resource_type, kind }
    }

    /// The path of the field it concerns, for the kinds that cost one field.
    pub fn path(&self) -> Option<&str> {
        match &self.kind {
            ProblemKind::MalformedField { path }
            | ProblemKind::UnknownCode { path }
            | ProblemKind::MalformedDate { path } => Some(path),
            _ => None,
        }
    }

    /// Whether the item was left out of the answer (rather than kept with one field less).
    pub fn lost_item(&self) -> bool {
        matches!(self.kind, ProblemKind::NoIdentity | ProblemKind::Unreadable | ProblemKind::Duplicate)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ty = self.resource_type;
        match &self.kind {
            ProblemKind::MalformedField { path } if path == "*" => {
                write!(f, "{ty}: too many malformed fields, only its identity was read")
            }
            ProblemKind::MalformedField { path } => write!(f, "{ty}.{path}: wrong shape, read as far as possible"),
            ProblemKind::UnknownCode { path } => write!(f, "{ty}.{path}: unknown code, kept as sent"),
            ProblemKind::MalformedDate { path } => write!(f, "{ty}.{path}: not a FHIR date, kept as written"),
            ProblemKind::NoIdentity => write!(f, "a {ty} with nothing that identifies it was left out"),
            ProblemKind::Unreadable => write!(f, "a {ty} that could not be read was left out"),
            ProblemKind::Duplicate => write!(f, "a second copy of a {ty} was left out"),
            ProblemKind::CopyBudgetSpent => {
                write!(f, "{ty}s named too many times: later items were read without them")
            }
        }?;
        if let Some(entry) = self.entry {
            write!(f, " (entry {entry})")?;
        }
        Ok(())
    }
}

/// Records the problems of one resource of an answer: where it is, and into which list.
///
/// ```
/// use gpconnect_core::fhir::lenient::{ProblemKind, Report};
/// use gpconnect_core::fhir::Period;
///
/// #[derive(serde::Deserialize, Default)]
/// #[serde(default)]
/// struct Slot { id: Option<String>, status: Option<String>, period: Option<Period> }
///
/// let mut problems = Vec::new();
/// let mut report = Report::new("Slot", Some(3), &mut problems);
/// let slot: Slot = report.read(r#"{"id": "1", "status": "fre", "period": [{"start": "2026"}]}"#).unwrap();
/// report.code("status", slot.status.as_deref(), &["free", "busy"]);
/// assert_eq!(slot.period.and_then(|p| p.start).map(|d| d.to_string()).as_deref(), Some("2026"));
/// assert_eq!(problems.iter().map(|p| p.path().unwrap()).collect::<Vec<_>>(), ["period", "status"]);
/// assert!(matches!(problems[1].kind, ProblemKind::UnknownCode { .. }));
/// ```
#[derive(Debug)]
pub struct Report<'a> {
    entry: Option<usize>,
    resource_type: &'static str,
    problems: &'a mut Vec<Problem>,
}

impl<'a> Report<'a> {
    /// Problems of the `resource_type` at `entry` (`None`: the answer is this resource),
    /// pushed to `problems`.
    pub fn new(resource_type: &'static str, entry: Option<usize>, problems: &'a mut Vec<Problem>) -> Self {
        Self { entry, resource_type, problems }
    }

    /// Records a problem.
    pub fn push(&mut self, kind: ProblemKind) {
        self.problems.push(Problem::new(self.entry, self.resource_type, kind));
    }

    /// Reads the resource leniently (see [`parse`](super::parse)): each repaired field is recorded as
    /// [`ProblemKind::MalformedField`]; a resource that cannot be read at all is recorded
    /// as [`ProblemKind::Unreadable`] and gives `None`.
    pub fn read<T: DeserializeOwned + 'static>(&mut self, json: &str) -> Option<T> {
        self.read_with(&mut Repairer::for_body(json.len()), json)
    }

    /// [`read`](Self::read) with the repairer of the whole answer, so repairs learned from
    /// one item apply to the next and all re-parses share one budget.
    pub fn read_with<T: DeserializeOwned + 'static>(&mut self, repairer: &mut Repairer, json: &str) -> Option<T> {
        match repairer.parse::<T>(json) {
            Ok((value, repaired)) => {
                self.repaired(repaired);
                Some(value)
            }
            Err(_) => {
                self.push(ProblemKind::Unreadable);
                None
            }
        }
    }

    /// Records each repaired field (not generic: shared by every resource type).
    fn repaired(&mut self, repaired: Vec<String>) {
        for path in repaired {
            self.push(ProblemKind::MalformedField { path });
        }
    }

    /// Checks a date field that is present: not a FHIR date (or, for an `instant`, not a
    /// full date-time with offset) is recorded as [`ProblemKind::MalformedDate`].
    pub fn date(&mut self, path: &str, date: Option<&FhirDateTime>, instant: bool) {
        let Some(date) = date else { return };
        if !(if instant { date.to_datetime().is_some() } else { date.is_valid() }) {
            self.push(ProblemKind::MalformedDate { path: path.to_owned() });
        }
    }

    /// Checks a code field that is present against its value set `known`: any other code
    /// is recorded as [`ProblemKind::UnknownCode`].
    pub fn code(&mut self, path: &str, code: Option<&str>, known: &[&str]) {
        if code.is_some_and(|c| !known.contains(&c)) {
            self.push(ProblemKind::UnknownCode { path: path.to_owned() });
        }
    }
}

/// How many bytes of shared resources [`Targets::copy`] hands out per byte of the answer
/// (plus 256 KB), so an answer where every item names a large resource costs memory
/// linear in its size.
pub const COPY_BUDGET_PER_BYTE: usize = 16;

/// The resources of a Bundle that items reference (authors, schedules, locations), each
/// parsed at most once, leniently, with its problems reported once however many items
/// name it: bounded work for an answer where every item references the same resource.
pub struct Targets<'a> {
    bundle: &'a Bundle,
    index: ResourceIndex<'a>,
    /// Position in `Bundle.entry` of each resource, by address.
    entry_of: HashMap<usize, usize>,
    /// What each resource was read as, by address and Rust type (`None`: unreadable).
    parsed: HashMap<(usize, TypeId), Option<Box<dyn Any>>>,
    problems: Vec<Problem>,
    /// Bytes of resource text [`Targets::copy`] may still hand out.
    copy_budget: usize,
    /// Whether the budget ran out (every later copy is refused).
    copies_refused: bool,
    /// The answer's repairer (see [`Targets::repairer`]).
    repairer: Repairer,
}

impl fmt::Debug for Targets<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Targets").field("parsed", &self.parsed.len()).field("problems", &self.problems).finish()
    }
}

impl<'a> Targets<'a> {
    /// Targets in `bundle` (indexed once).
    pub fn new(bundle: &'a Bundle) -> Self {
        let entry_of = bundle
            .entry
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((e.resource.as_ref()? as *const RawResource as usize, i)))
            .collect();
        let body: usize = bundle.entry.iter().filter_map(|e| e.resource.as_ref()).map(|r| r.raw().len()).sum();
        Self {
            bundle,
            index: bundle.index(),
            entry_of,
            parsed: HashMap::new(),
            problems: Vec::new(),
            copy_budget: body.saturating_mul(COPY_BUDGET_PER_BYTE).saturating_add(256 * 1024),
            copies_refused: false,
            repairer: Repairer::for_bundle(bundle),
        }
    }

    /// The resources of type `T` in the Bundle, with their position in `Bundle.entry`.
    pub fn entries<T: FhirResource>(&self) -> impl Iterator<Item = (usize, &'a RawResource)> + 'a {
        self.bundle
            .entry
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((i, e.resource.as_ref().filter(|r| r.is::<T>())?)))
    }

    /// The `T` that `reference` names in the Bundle (`None`: no such resource, another
    /// type, or unreadable), parsed the first time it is asked for.
    pub fn get<T: FhirResource + DeserializeOwned + 'static>(&mut self, reference: &Reference) -> Option<&T> {
        let raw = self.resolve::<T>(reference)?;
        self.read(raw)
    }

    /// The resource of type `T` that `reference` names in the Bundle, unread.
    fn resolve<T: FhirResource>(&self, reference: &Reference) -> Option<&'a RawResource> {
        self.index.resolve(reference).filter(|r| r.is::<T>())
    }

    /// A copy of the `T` that `reference` names, for an item to own, charged (by the size of
    /// its text) to a budget of [`COPY_BUDGET_PER_BYTE`] times the answer: once that is
    /// spent, `None`, reported once as [`ProblemKind::CopyBudgetSpent`].
    pub fn copy<T: FhirResource + DeserializeOwned + Clone + 'static>(&mut self, reference: &Reference) -> Option<T> {
        let raw = self.resolve::<T>(reference)?;
        let size = raw.raw().len();
        if self.copies_refused || size > self.copy_budget {
            if !self.copies_refused {
                self.copies_refused = true;
                self.problems.push(Problem::new(None, T::TYPE, ProblemKind::CopyBudgetSpent));
            }
            return None;
        }
        self.copy_budget -= size;
        self.read::<T>(raw).cloned()
    }

    /// `raw` read as `T`, parsed the first time it is asked for.
    pub fn read<T: FhirResource + DeserializeOwned + 'static>(&mut self, raw: &'a RawResource) -> Option<&T> {
        let address = raw as *const RawResource as usize;
        let entry = self.entry_of.get(&address).copied();
        let (problems, repairer) = (&mut self.problems, &mut self.repairer);
        self.parsed
            .entry((address, TypeId::of::<T>()))
            .or_insert_with(|| {
                Report::new(T::TYPE, entry, problems)
                    .read_with::<T>(repairer, raw.raw())
                    .map(|v| Box::new(v) as Box<dyn Any>)
            })
            .as_ref()
            .and_then(|v| v.downcast_ref::<T>())
    }

    /// The answer's repairer, for reading its items with [`Report::read_with`]: one budget
    /// of re-parses for the whole answer, repairs learned from one item applied to the next.
    pub fn repairer(&mut self) -> &mut Repairer {
        &mut self.repairer
    }

    /// The problems of the resources read so far.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The problems of the resources read, taken out.
    pub fn take_problems(&mut self) -> Vec<Problem> {
        std::mem::take(&mut self.problems)
    }
}
