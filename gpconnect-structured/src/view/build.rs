//! Building the view: classify the Lists, resolve every reference once, keep what cannot
//! be used as a reported problem.
//!
//! Bounded work whatever the body: the nesting of every resource is checked once, before
//! any is parsed ([`Repairer::for_bundle`]: measured as the body was read); each target of a reference is parsed once and shared (authors,
//! linked items and test results are remembered by target); a reference that leads back
//! into itself is reported as a cycle; and everything copied from a shared target is
//! charged to a budget proportional to the body, so no fan-out can grow the view beyond a
//! constant times the bytes received.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

use rustc_hash::FxHasher;

use gpconnect_core::fhir::{
    parse_reference, same_url, Annotation, Bundle, CodeableConcept, Coding, Extension, FhirResource, HealthcareService,
    List, Location, OperationOutcome, Organization, Patient, Period, Practitioner, PractitionerRole, Quantity,
    RawResource, Reference, ResourceIndex, SNOMED_SYSTEM,
};

use super::{
    Author, LinkedItem, RecordWarning, RecordWarningKind, SectionKind, StructuredRecord, ViewProblem, ViewProblemKind,
};
use crate::resources::Observation;
use gpconnect_core::fhir::checked::{self, FromChecked, Reader};
use gpconnect_core::fhir::lenient::{Repairer, Unreadable};

mod lists;
mod text;
pub(super) use lists::RecordList;
use lists::{ListClass, ViewList};
pub(super) use text::{
    code_of, ext, ext_code, name_of, notes, observation_value, practitioner_name, quantity_of, quantity_text,
    range_text,
};

const EXT: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/";
const UK_EXT: &str = "https://fhir.hl7.org.uk/STU3/StructureDefinition/";

/// A map keyed by where a resource lives in memory (with what else the key needs): no
/// provider chooses such a key, so a plain fast hash is safe. Maps keyed by what a
/// provider wrote (ids, references) keep std's keyed hash.
type ByAddress<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// The set of [`ByAddress`].
type AddressSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

/// Bytes that may be copied out of shared targets: this many times the body, plus a floor.
const BUDGET_PER_BYTE: usize = 4;
const BUDGET_FLOOR: usize = 256 * 1024;

/// Where `#id` references of a resource point: the resources contained by it (or by the
/// resource that contains it). `stable` when they live as long as the bundle (so targets
/// can be remembered by address).
#[derive(Clone, Copy)]
pub(super) struct Scope<'s> {
    contained: &'s [RawResource],
    stable: bool,
}

impl<'s> Scope<'s> {
    /// References of a bundle entry without contained resources.
    pub(super) const BUNDLE: Scope<'static> = Scope { contained: &[], stable: true };

    /// References written in a List of the bundle.
    pub(super) fn of_list(list: &'s RecordList) -> Self {
        Scope { contained: &list.contained, stable: true }
    }
}

/// A resource a reference led to, and the scope of its own `#id` references.
#[derive(Clone, Copy)]
pub(super) struct Found<'s> {
    /// The resource, raw.
    pub(super) raw: &'s RawResource,
    scope: Scope<'s>,
}

impl<'s> Found<'s> {
    /// A bundle entry.
    fn entry(raw: &'s RawResource) -> Self {
        Found { raw, scope: Scope::BUNDLE }
    }

    /// The key under which what is built from this target is remembered (`None` for a
    /// resource contained in an item, which lives only while the item is built).
    fn key(&self) -> Option<usize> {
        self.scope.stable.then_some(self.raw as *const RawResource as usize)
    }

    /// The scope of the found resource's own references, given the resources it contains
    /// (its `contained`, once parsed): those, else its container's.
    pub(super) fn scope<'t>(&self, own: &'t [RawResource]) -> Scope<'t>
    where
        's: 't,
    {
        if own.is_empty() {
            self.scope
        } else {
            Scope { contained: own, stable: false }
        }
    }
}

pub(super) fn build(bundle: &Bundle) -> StructuredRecord {
    // Every List first: they own contained resources and give the structure.
    let mut problems = Vec::new();
    // Every resource's nesting checked once, here, not again at each parse.
    let mut repairer = Repairer::for_bundle(bundle);
    let body: usize = bundle.resources().map(|r| r.raw().len()).sum();
    // Each parsed List is reduced at once to what the view reads of it.
    let mut lists = Vec::with_capacity(bundle.resources_of(List::TYPE).count());
    lists.extend(
        bundle
            .resources_of(List::TYPE)
            .filter_map(|raw| parse_reporting::<ViewList>(raw, false, None, &mut problems, &mut repairer))
            .map(RecordList::new),
    );
    let budget = BUDGET_PER_BYTE * body + BUDGET_FLOOR;
    // Maps are sized for what they can hold (no growing, no rehashing of their keys).
    let mut lists_by_id = HashMap::with_capacity(lists.len());
    let mut consultation_lists = HashMap::with_capacity(lists.len());
    for (i, l) in lists.iter().enumerate() {
        if let Some(id) = l.id.as_deref() {
            lists_by_id.entry(id).or_insert(i);
        }
        if let Some(enc) = l.consultation_of() {
            consultation_lists.entry(enc).or_insert(i);
        }
    }
    Builder {
        index: bundle.index(),
        bundle,
        lists: &lists,
        lists_by_id,
        consultation_lists,
        problems,
        repairer,
        section: None,
        authors: ByAddress::default(),
        linked: ByAddress::with_capacity_and_hasher(bundle.entry.len(), Default::default()),
        memo: ByAddress::default(),
        in_progress: AddressSet::default(),
        budget,
        budget_spent: false,
        states: HashMap::new(),
    }
    .read()
}

/// Parses a resource leniently: malformed fields are reported and left empty, a resource
/// with no identity (or nested too deep) is reported and `None`.
fn parse_reporting<T: FromChecked + 'static>(
    raw: &RawResource,
    lost_entry: bool,
    section: Option<SectionKind>,
    problems: &mut Vec<ViewProblem>,
    repairer: &mut Repairer,
) -> Option<T> {
    match repairer.read_resource::<T>(raw) {
        Ok((v, repaired)) => {
            report_parse(raw, lost_entry, section, problems, Ok(repaired));
            Some(v)
        }
        Err(e) => {
            report_parse(raw, lost_entry, section, problems, Err(e));
            None
        }
    }
}

/// The problems of one lenient parse (not generic: shared by every resource type).
fn report_parse(
    raw: &RawResource,
    lost_entry: bool,
    section: Option<SectionKind>,
    problems: &mut Vec<ViewProblem>,
    outcome: Result<Vec<String>, Unreadable>,
) {
    let resource_type = || raw.resource_type().to_owned();
    let id = || raw.id().map(str::to_owned);
    let mut report = |lost_entry, kind| problems.push(ViewProblem { section, lost_entry, kind });
    match outcome {
        Ok(repaired) => {
            for path in repaired {
                report(false, ViewProblemKind::MalformedField { resource_type: resource_type(), id: id(), path });
            }
        }
        Err(Unreadable::TooDeep) => {
            report(lost_entry, ViewProblemKind::TooDeep { resource_type: resource_type(), id: id() })
        }
        Err(Unreadable::NotAnObject { line, column }) => report(
            lost_entry,
            ViewProblemKind::UnparseableEntry { resource_type: resource_type(), id: id(), line, column },
        ),
    }
}

/// Reads a bundle into a record; see the module documentation for the bounds.
pub(super) struct Builder<'a> {
    bundle: &'a Bundle,
    index: ResourceIndex<'a>,
    lists: &'a [RecordList],
    lists_by_id: HashMap<&'a str, usize>,
    consultation_lists: HashMap<&'a str, usize>,
    problems: Vec<ViewProblem>,
    /// Lenient parsing, with what it learned from earlier resources.
    repairer: Repairer,
    section: Option<SectionKind>,
    /// What was built from a target, by target address.
    authors: ByAddress<usize, (Author, usize)>,
    /// The name of each linked target (its type is the target's own).
    linked: ByAddress<usize, Option<String>>,
    /// What [`memoised`](Self::memoised) built, by type and target address.
    memo: ByAddress<(TypeId, usize), Box<dyn Any>>,
    /// Targets being built by [`memoised`](Self::memoised) (a reference to one of them is a cycle).
    in_progress: AddressSet<usize>,
    /// Bytes that may still be copied out of shared targets.
    budget: usize,
    budget_spent: bool,
    /// Section-private state (e.g. the medication plans and issues index).
    states: HashMap<TypeId, Box<dyn Any>>,
}

impl<'a> Builder<'a> {
    /// Reports a problem in the current section.
    pub(super) fn problem(&mut self, lost_entry: bool, kind: ViewProblemKind) {
        self.problems.push(ViewProblem { section: self.section, lost_entry, kind });
    }

    /// The bundle being read.
    pub(super) fn bundle(&self) -> &'a Bundle {
        self.bundle
    }

    /// Takes `bytes` from the copy budget; `false` (reported once) when it is spent.
    pub(super) fn charge(&mut self, bytes: usize) -> bool {
        if bytes <= self.budget {
            self.budget -= bytes;
            return true;
        }
        if !self.budget_spent {
            self.budget_spent = true;
            self.problem(false, ViewProblemKind::FanOutLimit);
        }
        false
    }

    /// Section-private state of type `S`, taken out (put it back with [`put_state`](Self::put_state)).
    pub(super) fn take_state<S: Default + 'static>(&mut self) -> S {
        self.states.remove(&TypeId::of::<S>()).and_then(|b| b.downcast::<S>().ok()).map_or_else(S::default, |b| *b)
    }

    /// Puts section-private state back.
    pub(super) fn put_state<S: 'static>(&mut self, state: S) {
        self.states.insert(TypeId::of::<S>(), Box::new(state));
    }

    /// Finds what `reference` points at: `#id` only among the contained resources of
    /// `scope`; a full URL, `Type/id` or absolute URL in the bundle; a bare id in the
    /// bundle by id, else among the contained resources.
    fn lookup<'s>(&self, scope: Scope<'s>, reference: &str) -> Option<Found<'s>>
    where
        'a: 's,
    {
        let reference = reference.trim();
        let contained = |id: &str| scope.contained.iter().find(|c| c.id() == Some(id)).map(|raw| Found { raw, scope });
        if let Some(id) = reference.strip_prefix('#') {
            return contained(id);
        }
        if let Some(raw) = self.index.resolve_str(reference) {
            return Some(Found::entry(raw));
        }
        if reference.is_empty() || reference.contains(['/', ':']) {
            return None;
        }
        self.index.resolve_str(&format!("#{reference}")).map(Found::entry).or_else(|| contained(reference))
    }

    /// Resolves a reference, reporting it when it points at nothing.
    pub(super) fn find<'s>(
        &mut self,
        scope: Scope<'s>,
        from: &str,
        r: &Reference,
        lost_entry: bool,
    ) -> Option<Found<'s>>
    where
        'a: 's,
    {
        let reference = r.reference.as_deref()?;
        let found = self.lookup(scope, reference);
        if found.is_none() {
            self.problem(
                lost_entry,
                ViewProblemKind::DanglingReference { from: from.to_owned(), reference: reference.to_owned() },
            );
        }
        found
    }

    /// Parses a resource leniently (see [`parse_reporting`]).
    pub(super) fn parse<T: FromChecked + 'static>(&mut self, raw: &RawResource, lost_entry: bool) -> Option<T> {
        parse_reporting(raw, lost_entry, self.section, &mut self.problems, &mut self.repairer)
    }

    /// Parses a List entry's target as `T`, reporting a wrong type or no identity as a
    /// lost entry.
    pub(super) fn entry<T: FromChecked + FhirResource + 'static>(&mut self, found: Found<'_>) -> Option<T> {
        let raw = found.raw;
        if !raw.is::<T>() {
            self.problem(
                true,
                ViewProblemKind::UnexpectedResource {
                    reference: format!("{}/{}", raw.resource_type(), raw.id().unwrap_or("")),
                    resource_type: raw.resource_type().to_owned(),
                },
            );
            return None;
        }
        self.parse(raw, true)
    }

    /// Resolves and parses a reference of type `T` (charged to the copy budget).
    pub(super) fn resolve_as<T: FromChecked + FhirResource + 'static>(
        &mut self,
        scope: Scope<'_>,
        from: &str,
        r: &Reference,
    ) -> Option<T> {
        let found = self.find(scope, from, r, false)?;
        if !found.raw.is::<T>() || !self.charge(found.raw.raw().len()) {
            return None;
        }
        self.parse(found.raw, false)
    }

    /// The practitioner, organisation or service a reference names (remembered by target).
    pub(super) fn author(&mut self, scope: Scope<'_>, from: &str, r: Option<&Reference>) -> Option<Author> {
        let r = r?;
        let Some(reference) = r.reference.clone() else {
            return r.display.clone().map(|name| Author { name: Some(name), ..Author::default() });
        };
        let mut author = Author { reference: Some(reference), name: r.display.clone(), ..Author::default() };
        let Some(found) = self.find(scope, from, r, false) else { return Some(author) };
        // Built once per target; each use is charged before anything is copied.
        let key = found.key();
        let fresh = match key.filter(|k| self.authors.contains_key(k)) {
            Some(_) => None,
            None => {
                let a = self.author_of(found.raw);
                let weight =
                    [&a.name, &a.role, &a.organisation].iter().flat_map(|s| s.as_ref()).map(|s| s.len()).sum::<usize>()
                        + 32;
                match key {
                    Some(k) => {
                        self.authors.insert(k, (a, weight));
                        None
                    }
                    None => Some((a, weight)),
                }
            }
        };
        let weight = match (&fresh, key.and_then(|k| self.authors.get(&k))) {
            (Some((_, w)), _) | (None, Some((_, w))) => *w,
            (None, None) => return Some(author),
        };
        if !self.charge(weight) {
            return Some(author);
        }
        let resolved = match fresh {
            Some((a, _)) => a,
            None => match key.and_then(|k| self.authors.get(&k)) {
                Some((a, _)) => a.clone(),
                None => return Some(author),
            },
        };
        author.resolved = true;
        author.name = resolved.name.or(author.name);
        author.role = resolved.role;
        author.organisation = resolved.organisation;
        Some(author)
    }

    fn author_of(&mut self, raw: &RawResource) -> Author {
        let mut author = Author::default();
        let from = format!("{}/{}", raw.resource_type(), raw.id().unwrap_or(""));
        match raw.resource_type() {
            Practitioner::TYPE => {
                author.name = self.parse::<Practitioner>(raw, false).as_ref().and_then(practitioner_name);
            }
            PractitionerRole::TYPE => {
                if let Some(role) = self.parse::<PractitionerRole>(raw, false) {
                    author.role = role.code.first().and_then(|c| name_of(Some(c)));
                    if let Some(p) = role.practitioner.as_ref() {
                        author.name = self
                            .resolve_as::<Practitioner>(Scope::BUNDLE, &from, p)
                            .as_ref()
                            .and_then(practitioner_name);
                    }
                    if let Some(o) = role.organization.as_ref() {
                        author.organisation =
                            self.resolve_as::<Organization>(Scope::BUNDLE, &from, o).and_then(|o| o.name);
                    }
                }
            }
            Organization::TYPE => {
                if let Some(o) = self.parse::<Organization>(raw, false) {
                    author.organisation = o.name.clone();
                    author.name = o.name;
                }
            }
            HealthcareService::TYPE => author.name = self.parse::<HealthcareService>(raw, false).and_then(|s| s.name),
            Location::TYPE => author.name = self.parse::<Location>(raw, false).and_then(|l| l.name),
            _ => {}
        }
        author
    }

    /// A link to another clinical item, named from its target (remembered by target).
    pub(super) fn linked(&mut self, scope: Scope<'_>, from: &str, r: &Reference) -> Option<LinkedItem> {
        let reference = r.reference.clone()?;
        let mut item = LinkedItem { reference, name: r.display.clone(), ..LinkedItem::default() };
        let Some(found) = self.find(scope, from, r, false) else { return Some(item) };
        let key = found.key();
        let repairer = &self.repairer;
        let named = |raw: &RawResource| if repairer.too_deep(raw.raw()) { None } else { item_name(raw) };
        let resource_type = found.raw.resource_type();
        let weight = |n: &Option<String>| resource_type.len() + n.as_ref().map_or(0, String::len) + 32;
        // Named once per target (remembered by address), charged at every use.
        let (fresh, cost) = match key {
            Some(k) => (None, weight(self.linked.entry(k).or_insert_with(|| named(found.raw)))),
            None => {
                let name = named(found.raw);
                let cost = weight(&name);
                (Some(name), cost)
            }
        };
        if !self.charge(cost + item.reference.len()) {
            return Some(item);
        }
        // Copied only once charged: a fresh name (a target without a key), else the remembered one.
        let name = fresh.unwrap_or_else(|| key.and_then(|k| self.linked.get(&k).cloned()).flatten());
        item.resolved = true;
        item.resource_type = Some(resource_type.to_owned());
        item.name = name.or(item.name);
        Some(item)
    }

    /// Builds `T` from the `R` that `r` points to, once per target: what was built is
    /// remembered by target address (charged to the budget again at every use), and a
    /// reference that leads back into a target still being built (a test group that
    /// contains itself) is reported as a cycle and not followed. `build` gets the target
    /// and returns the value with the bytes it copied; it may call `memoised` again for
    /// the target's own members.
    pub(super) fn memoised<'s, R: FhirResource, T: Clone + 'static>(
        &mut self,
        scope: Scope<'s>,
        from: &str,
        r: &Reference,
        build: impl FnOnce(&mut Self, Found<'s>) -> Option<(T, usize)>,
    ) -> Option<(T, usize)>
    where
        'a: 's,
    {
        let found = self.find(scope, from, r, false)?;
        if !found.raw.is::<R>() {
            return None;
        }
        let address = found.raw as *const RawResource as usize;
        if self.in_progress.contains(&address) {
            let reference = r.reference.clone().unwrap_or_default();
            self.problem(false, ViewProblemKind::Cycle { from: from.to_owned(), reference });
            return None;
        }
        let key = found.key().map(|k| (TypeId::of::<T>(), k));
        if let Some(memo) = key.and_then(|k| self.memo.get(&k)) {
            let memo = memo.downcast_ref::<Option<(T, usize)>>().expect("remembered under its own type").clone();
            let weight = memo.as_ref()?.1;
            return self.charge(weight).then_some(memo).flatten();
        }
        if !self.charge(found.raw.raw().len()) {
            return None;
        }
        self.in_progress.insert(address);
        let built = build(self, found);
        self.in_progress.remove(&address);
        if let Some(k) = key {
            self.memo.insert(k, Box::new(built.clone()));
        }
        built
    }

    /// The Lists: primary ones become sections, the others structure or secondary lists.
    fn read(mut self) -> StructuredRecord {
        let mut rec = StructuredRecord::default();
        let (bundle, lists) = (self.bundle, self.lists);

        // Patient and practice.
        if let Some(raw) = bundle.resources_of(Patient::TYPE).next() {
            rec.patient = self.parse::<Patient>(raw, false);
        }
        if let Some(p) = rec.patient.as_ref() {
            for r in p.general_practitioner.iter().chain(p.managing_organization.iter()) {
                let reference = r.reference.as_deref().unwrap_or("");
                if self.lookup(Scope::BUNDLE, reference).is_some_and(|f| f.raw.is::<Organization>()) {
                    rec.registered_practice = self.resolve_as::<Organization>(Scope::BUNDLE, "Patient", r);
                    break;
                }
            }
        }
        rec.warnings = self.record_warnings();

        // Lists referenced from other Lists are structure (topics, headings).
        let mut referenced: HashSet<&str> = HashSet::with_capacity(lists.len());
        referenced.extend(lists.iter().flat_map(RecordList::references).filter_map(|r| match parse_reference(r) {
            Some(("List", id)) => Some(id),
            _ => None,
        }));

        // Every item once per area, whatever the form of the reference.
        let mut seen: AddressSet<(SectionKind, usize)> =
            AddressSet::with_capacity_and_hasher(bundle.entry.len(), Default::default());
        let mut seen_unresolved: HashSet<(SectionKind, &str)> = HashSet::new();
        for list in lists {
            let is_referenced = list.id.as_deref().is_some_and(|id| referenced.contains(id));
            let kind = match list.class(is_referenced) {
                ListClass::Primary(k) => k,
                ListClass::Secondary => {
                    rec.secondary_lists.push(list.info());
                    continue;
                }
                ListClass::Structure => continue,
                ListClass::Unknown => {
                    self.section = None;
                    self.problem(false, ViewProblemKind::UnknownList { title: list.title.clone(), code: list.code() });
                    rec.secondary_lists.push(list.info());
                    continue;
                }
            };
            self.section = Some(kind);
            let scope = Scope::of_list(list);
            let Some(section) = rec.sections.get_mut(&kind) else { continue };
            let mut lost = 0;
            for entry in &list.entries {
                let Some(item) = entry.as_ref().filter(|i| i.reference.is_some()) else {
                    self.problem(true, ViewProblemKind::EntryWithoutItem);
                    lost += 1;
                    continue;
                };
                let reference = item.reference.as_deref().unwrap_or_default();
                let Some(found) = self.lookup(scope, reference) else {
                    if seen_unresolved.insert((kind, reference)) {
                        self.find(scope, "List", item, true);
                        lost += 1;
                    }
                    continue;
                };
                if !seen.insert((kind, found.raw as *const RawResource as usize)) {
                    continue; // the same item twice, in one List or two Lists of one area
                }
                if !section.add(&mut self, found, kind) {
                    lost += 1;
                }
            }
            section.attach(list.info(), lost);
        }
        self.states.clear();
        rec.view_problems = self.problems;
        rec
    }

    fn record_warnings(&mut self) -> Vec<RecordWarning> {
        let mut warnings = Vec::new();
        for raw in self.bundle.resources_of(OperationOutcome::TYPE) {
            let Some(oo) = self.parse::<OperationOutcome>(raw, false) else { continue };
            for issue in oo.issue.iter().filter(|i| !i.is_error()) {
                let text = issue.details.as_ref().and_then(|d| d.text.clone());
                let t = text.as_deref().unwrap_or("");
                let kind = if t.contains("unrecognised parameter") {
                    RecordWarningKind::UnrecognisedParameter
                } else if t.contains("has been disabled") {
                    RecordWarningKind::ClinicalAreaDisabled
                } else {
                    RecordWarningKind::Other
                };
                let parameter = issue.diagnostics.clone().or_else(|| t.split_whitespace().next().map(str::to_owned));
                let code = issue.codes().next().map(|c| c.code.to_owned());
                warnings.push(RecordWarning { kind, parameter, code, text });
            }
        }
        warnings
    }

    /// The consultation List of an encounter (`Encounter/id` as the Lists write it).
    pub(super) fn consultation_list(&self, encounter: &str) -> Option<&'a RecordList> {
        self.consultation_lists.get(encounter).and_then(|&i| self.lists.get(i))
    }

    /// The List a reference names, if it is `List/id`.
    pub(super) fn list(&self, reference: Option<&str>) -> Option<&'a RecordList> {
        match parse_reference(reference?) {
            Some(("List", id)) => self.lists_by_id.get(id).and_then(|&i| self.lists.get(i)),
            _ => None,
        }
    }
}

/// A resource's display name: the name of `code`, else `vaccineCode`, else `title`, else
/// `description`, else the first `type`. `None` if none of them names it, or if one of
/// them is malformed or repeated before the name is known.
///
/// Of each concept only what [`name_of`] reads is kept, and reading stops at `code` when
/// it gives a name (it wins over everything else), so most of a clinical item is never
/// read again after the Bundle was.
fn item_name(raw: &RawResource) -> Option<String> {
    let mut named = Named::default();
    // Stopping once the name is known leaves the object unfinished, which the reader
    // reports as an error: whether the name is known is what counts. The text was checked
    // as the Bundle was read.
    let read = checked::with_reader(raw.raw(), raw.jumps(), |r| r.object(Named::KEYS, &mut |r, i| named.member(r, i)));
    match named.done.take() {
        Some(name) => Some(name),
        None => read.ok().and_then(|()| named.after_all()),
    }
}

/// What [`item_name`] has read so far; strings without escapes are lent from the
/// resource's text.
#[derive(Default)]
struct Named<'t> {
    vaccine_code: Option<NameConcept<'t>>,
    title: Option<Cow<'t, str>>,
    description: Option<Cow<'t, str>>,
    type_: Vec<NameConcept<'t>>,
    /// The name, once `code` gave one (reading stops there).
    done: Option<String>,
}

impl<'t> Named<'t> {
    /// The members read, by index (each at most once: the reader refuses a repeated one).
    const KEYS: &'static [&'static str] = &["code", "vaccineCode", "title", "description", "type"];

    fn member(&mut self, r: &mut Reader<'t>, key: usize) -> Result<(), checked::Error> {
        match key {
            0 => {
                if let Some(name) = r.nullable(NameConcept::read)?.and_then(NameConcept::name) {
                    self.done = Some(name);
                    // Code wins over everything else: nothing more to read.
                    return Err(serde::de::Error::custom("named"));
                }
            }
            1 => self.vaccine_code = r.nullable(NameConcept::read)?,
            2 => self.title = r.nullable(Reader::text)?,
            3 => self.description = r.nullable(Reader::text)?,
            _ => self.type_ = r.many(NameConcept::read)?,
        }
        Ok(())
    }

    /// The name when `code` gave none.
    fn after_all(&mut self) -> Option<String> {
        self.vaccine_code
            .take()
            .and_then(NameConcept::name)
            .or(self.title.take().map(Cow::into_owned))
            .or(self.description.take().map(Cow::into_owned))
            .or_else(|| std::mem::take(&mut self.type_).into_iter().next().and_then(NameConcept::name))
    }
}

/// The parts of a `CodeableConcept` that name it.
#[derive(Default)]
struct NameConcept<'t> {
    coding: Vec<NameCoding<'t>>,
    text: Option<Cow<'t, str>>,
}

#[derive(Default)]
struct NameCoding<'t> {
    system: Option<Cow<'t, str>>,
    display: Option<Cow<'t, str>>,
}

impl<'t> NameConcept<'t> {
    /// Read as a `CodeableConcept` is (an object; `coding` one or many).
    fn read(r: &mut Reader<'t>) -> Result<Self, checked::Error> {
        let mut c = NameConcept::default();
        r.object(&["coding", "text"], &mut |r, key| {
            match key {
                0 => c.coding = r.many(NameCoding::read)?,
                _ => c.text = r.nullable(Reader::text)?,
            }
            Ok(())
        })?;
        Ok(c)
    }

    /// Same choice as [`name_of`]: text, else the SNOMED display, else any display.
    fn name(self) -> Option<String> {
        let mut coding = self.coding;
        let snomed = coding.iter().position(|c| c.system.as_deref().is_some_and(|s| same_url(s, SNOMED_SYSTEM)));
        self.text
            .or_else(|| snomed.and_then(|i| coding[i].display.take()))
            .or_else(|| coding.into_iter().find_map(|c| c.display))
            .map(Cow::into_owned)
    }
}

impl<'t> NameCoding<'t> {
    /// Read as a `Coding` is (an object).
    fn read(r: &mut Reader<'t>) -> Result<Self, checked::Error> {
        let mut c = NameCoding::default();
        r.object(&["system", "display"], &mut |r, key| {
            let text = r.nullable(Reader::text)?;
            match key {
                0 => c.system = text,
                _ => c.display = text,
            }
            Ok(())
        })?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(json: &str) -> Option<String> {
        item_name(&RawResource::from_json(json).unwrap())
    }

    #[test]
    fn item_name_follows_name_of_order() {
        let snomed = r#"{"coding": [{"system": "http://x", "display": "Other"},
            {"system": "https://snomed.info/sct", "display": "Snomed", "extension": [{"url": "u", "valueId": "1"}]}]}"#;
        assert_eq!(
            name(&format!(r#"{{"resourceType": "Observation", "code": {snomed}, "title": "T"}}"#)).as_deref(),
            Some("Snomed")
        );
        assert_eq!(name(r#"{"code": {"coding": {"display": "One"}, "text": "Text"}}"#).as_deref(), Some("Text"));
        assert_eq!(
            name(r#"{"code": {"coding": [{"system": "http://snomed.info/sct"}, {"display": "Any"}]}}"#).as_deref(),
            Some("Any")
        );
        // Code first wins even when it comes last; otherwise vaccineCode, title, description, type.
        assert_eq!(name(r#"{"title": "T", "code": {"text": "C"}}"#).as_deref(), Some("C"));
        assert_eq!(
            name(r#"{"code": {"coding": []}, "description": "D", "vaccineCode": {"text": "V"}}"#).as_deref(),
            Some("V")
        );
        assert_eq!(name(r#"{"type": {"text": "Ty"}, "description": "D", "title": "T"}"#).as_deref(), Some("T"));
        assert_eq!(name(r#"{"type": [{"text": "Ty"}, {"text": "2"}], "description": "D"}"#).as_deref(), Some("D"));
        assert_eq!(name(r#"{"type": [{"coding": [{"display": "Ty"}]}], "code": null}"#).as_deref(), Some("Ty"));
        assert_eq!(name(r#"{"resourceType": "Encounter", "id": "e"}"#), None);
        // A malformed or repeated naming element before the name is known: no name.
        assert_eq!(name(r#"{"title": 5, "code": {"text": "C"}}"#), None);
        assert_eq!(name(r#"{"title": "A", "title": "B"}"#), None);
        assert_eq!(name(r#""text""#), None);
        // Escapes in names and values are read as written; a name of the wrong kind is no name.
        assert_eq!(name(r#"{"code": {"text": "A\u00e9\"b"}}"#).as_deref(), Some("Aé\"b"));
        assert_eq!(
            name(r#"{"c\u006fde": {"coding": [{"system": "http://snomed.info\/sct", "display": "S\/n"}, {"display": "x"}]}}"#)
                .as_deref(),
            Some("S/n")
        );
        assert_eq!(name(r#"{"code": {"coding": [{"display": 5}]}, "title": "T"}"#), None);
        assert_eq!(name(r#"{"description": "D\n", "title": null}"#).as_deref(), Some("D\n"));
    }
}
