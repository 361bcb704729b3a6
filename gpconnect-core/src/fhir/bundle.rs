//! `Bundle`, raw entries and O(1) reference resolution.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{DeserializeOwned, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use super::checked::{Jump, Jumps};
use super::datatypes::{parse_reference, Meta, Reference};
use super::one_or_many;
use super::outcome::OperationOutcome;
use super::primitives::FhirDateTime;
use super::FhirResource;
use crate::redact::Screened;

mod split;

/// One resource kept as raw JSON, with its `resourceType` and `id` peeked.
///
/// Entries are not parsed until asked ([`RawResource::parse`]), so one malformed or
/// unknown resource never stops the rest of a Bundle from being read. Like
/// [`Decimal`](super::Decimal), it can only be deserialized from JSON text with serde_json.
#[derive(Clone)]
pub struct RawResource {
    raw: Text,
    names: Names,
    /// How deep it nests, when measured as it was read.
    depth: Option<usize>,
}

/// Where a resource's `resourceType` and `id` are: stretches of its own text (the usual
/// case, read by the split of [`Bundle::from_text`]: no copy of either), else copies.
#[derive(Clone)]
enum Names {
    /// `(start, len)` in the resource's text of each, as written (no escapes in them).
    At { resource_type: (u32, u32), id: Option<(u32, u32)> },
    /// Their own copies (read the general way, or written with escapes).
    Own(Box<(String, Option<String>)>),
}

impl Names {
    /// The names `peek` read.
    fn own((resource_type, id): (String, Option<String>)) -> Self {
        Names::Own(Box::new((resource_type, id)))
    }

    /// Where `resource_type` and `id`, slices of `text`, are in it (`None` if either is not
    /// a slice of it, or too far in for the compact form).
    fn within(text: &str, resource_type: &str, id: Option<&str>) -> Option<Self> {
        let at = |part: &str| -> Option<(u32, u32)> {
            if part.is_empty() {
                return Some((0, 0));
            }
            let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
            (text.get(start..start + part.len())? == part).then_some(())?;
            Some((u32::try_from(start).ok()?, u32::try_from(part.len()).ok()?))
        };
        let id = match id {
            Some(id) => Some(at(id)?),
            None => None,
        };
        Some(Names::At { resource_type: at(resource_type)?, id })
    }
}

/// The JSON text of a resource: its own copy, or a stretch of a body shared by every
/// resource of a Bundle read with [`Bundle::from_text`], with the jumps over the body's
/// arrays and objects (`jumps` those inside this stretch).
#[derive(Clone)]
enum Text {
    Own(Box<RawValue>),
    Shared { body: Arc<str>, start: usize, end: usize, table: Arc<Vec<Jump>>, jumps: (u32, u32) },
}

impl Text {
    fn get(&self) -> &str {
        match self {
            Text::Own(raw) => raw.get(),
            Text::Shared { body, start, end, .. } => &body[*start..*end],
        }
    }
}

impl RawResource {
    /// Capture a resource from JSON text.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The `resourceType` (empty if the value had none or was not an object).
    pub fn resource_type(&self) -> &str {
        match &self.names {
            Names::At { resource_type, .. } => self.stretch(*resource_type),
            Names::Own(own) => &own.0,
        }
    }

    /// The resource `id`, if any.
    pub fn id(&self) -> Option<&str> {
        match &self.names {
            Names::At { id, .. } => id.map(|at| self.stretch(at)),
            Names::Own(own) => own.1.as_deref(),
        }
    }

    /// `len` bytes of the text from `start` (see [`Names::At`]).
    fn stretch(&self, (start, len): (u32, u32)) -> &str {
        let start = start as usize;
        self.raw().get(start..start + len as usize).unwrap_or_default()
    }

    /// The raw JSON text, exactly as received.
    pub fn raw(&self) -> &str {
        self.raw.get()
    }

    /// The jumps over this resource's arrays and objects that the Bundle's split noted
    /// (none for a resource with a text of its own), for the checked reader.
    #[doc(hidden)]
    pub fn jumps(&self) -> Jumps<'_> {
        match &self.raw {
            Text::Shared { start, table, jumps: (from, to), .. } => {
                Jumps { table: table.get(*from as usize..*to as usize).unwrap_or_default(), base: *start }
            }
            Text::Own(_) => Jumps::NONE,
        }
    }

    /// A resource the one-pass split of `body` found (see [`Bundle::from_text`]), with the
    /// split's jumps.
    fn split(body: &Arc<str>, table: &Arc<Vec<Jump>>, found: split::Resource<'_>) -> Self {
        let names = match found.peeked {
            split::Peeked::Known(resource_type, id) => Names::within(found.text, resource_type, id)
                .unwrap_or_else(|| Names::own((resource_type.to_owned(), id.map(str::to_owned)))),
            split::Peeked::Unknown => Names::own(peek(found.text)),
        };
        // The split takes no text longer than `u32::MAX`.
        let jumps = (found.jumps.start as u32, found.jumps.end as u32);
        let (start, end) = (found.start, found.start + found.text.len());
        let raw = Text::Shared { body: body.clone(), start, end, table: table.clone(), jumps };
        Self { raw, names, depth: Some(found.depth) }
    }

    /// How deeply it nests arrays and objects (a flat object is 1), when that was measured
    /// as the Bundle was read ([`Bundle::from_text`]).
    pub(crate) fn measured_depth(&self) -> Option<usize> {
        self.depth
    }

    /// Whether this is a `T`.
    pub fn is<T: FhirResource>(&self) -> bool {
        self.resource_type() == T::TYPE
    }

    /// Parse into a typed resource (does not check `resourceType`; see [`is`](Self::is)).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.raw.get())
    }
}

impl fmt::Debug for RawResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the body: it may hold patient data.
        f.debug_struct("RawResource")
            .field("resource_type", &Screened(self.resource_type()))
            .field("id", &Screened(self.id()))
            .field("len", &self.raw.get().len())
            .finish()
    }
}

impl Serialize for RawResource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.raw {
            Text::Own(raw) => raw.serialize(s),
            // Read when the Bundle was, so valid JSON: borrowed again to be written verbatim.
            Text::Shared { .. } => {
                let raw: &RawValue = serde_json::from_str(self.raw()).map_err(serde::ser::Error::custom)?;
                raw.serialize(s)
            }
        }
    }
}

crate::__checked_via_serde!(RawResource);

impl<'de> Deserialize<'de> for RawResource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let names = Names::own(peek(raw.get()));
        Ok(Self { raw: Text::Own(raw), names, depth: None })
    }
}

/// Reads the top-level `resourceType` and `id` of a resource, stopping as soon as both
/// have been read (they usually come first), so the rest of the resource is not scanned
/// again. Anything unexpected before that (not an object, a non-string value, a repeated
/// key) gives `("", None)`.
fn peek(json: &str) -> (String, Option<String>) {
    #[derive(Deserialize)]
    #[serde(field_identifier)]
    enum Key {
        #[serde(rename = "resourceType")]
        ResourceType,
        #[serde(rename = "id")]
        Id,
        #[serde(other)]
        Other,
    }

    /// Fills `found`; returns early (which the deserializer reports as an error) once
    /// both keys are read.
    struct Peek<'a> {
        found: &'a mut (Option<Option<String>>, Option<Option<String>>),
    }

    impl<'de> Visitor<'de> for Peek<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a resource object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<Key>()? {
                let slot = match key {
                    Key::ResourceType => &mut self.found.0,
                    Key::Id => &mut self.found.1,
                    Key::Other => {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                };
                if slot.is_some() {
                    return Err(A::Error::custom("repeated key"));
                }
                *slot = Some(map.next_value()?);
                if self.found.0.is_some() && self.found.1.is_some() {
                    return Ok(());
                }
            }
            Ok(())
        }
    }

    let mut found = (None, None);
    let result = serde_json::Deserializer::from_str(json).deserialize_map(Peek { found: &mut found });
    match (result, found) {
        // Both read: the early return leaves the map unfinished, which is not an error here.
        (_, (Some(resource_type), Some(id))) => (resource_type.unwrap_or_default(), id),
        (Ok(()), (resource_type, id)) => (resource_type.flatten().unwrap_or_default(), id.flatten()),
        (Err(_), _) => (String::new(), None),
    }
}

/// A FHIR Bundle (search results, the structured record, ...).
///
/// Deserialize with `serde_json::from_slice`/`from_str` (or [`Bundle::from_slice`]).
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Bundle {
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// `searchset | collection | transaction | ...`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Total matches (searchset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Links.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<BundleLink>,
    /// Entries.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
}

impl FhirResource for Bundle {
    const TYPE: &'static str = "Bundle";
}

/// `Bundle.link`. `Debug` leaves out the URL: a search's `self` link echoes the query,
/// NHS number included.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BundleLink {
    /// `self | next | ...`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    /// URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// `Bundle.entry`.
///
/// An entry is kept even if it has no `resource` (some spec examples put the resource's
/// fields straight on the entry; those are not recovered).
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BundleEntry {
    /// Absolute URL (or `urn:uuid:`) of the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_url: Option<String>,
    /// The resource, raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<RawResource>,
    /// Search information (boxed, as are `request` and `response`: rarely sent, and every
    /// entry would otherwise carry their room).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<Box<BundleEntrySearch>>,
    /// Transaction request information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Box<BundleEntryRequest>>,
    /// Transaction response information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Box<BundleEntryResponse>>,
}

/// `Bundle.entry.search`.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BundleEntrySearch {
    /// `match | include | outcome`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Search ranking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<super::Decimal>,
}

/// `Bundle.entry.request`. `Debug` leaves out the URL, which can carry a query.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BundleEntryRequest {
    /// HTTP method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

// Debug by the one rule (crate::redact): codes screened, URLs and contents by presence.
crate::redacted_debug!(
    Bundle, id, type_, total, link, entry [meta];
    BundleLink, relation [url];
    BundleEntry, search, request, response [full_url, resource];
    BundleEntrySearch, mode, score;
    BundleEntryRequest, method [url];
    BundleEntryResponse, status, etag, last_modified [location, outcome];
);

/// `Bundle.entry.response`.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BundleEntryResponse {
    /// Status line/code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Location of the created resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// ETag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Last modified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<FhirDateTime>,
    /// Outcome (kept raw).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<RawResource>,
}

impl Bundle {
    /// Parse a Bundle from JSON bytes. The error names the line and column, never a value
    /// from the body (serde_json's own messages quote them).
    pub fn from_slice(json: &[u8]) -> Result<Self, crate::problem::DecodeProblem> {
        super::from_json_slice(json).map_err(|e| crate::problem::DecodeProblem::json("$", &e))
    }

    /// Parse a Bundle from JSON text that its entries share: each entry's resource is a
    /// stretch of `text`, not a copy of it (one allocation for the whole body). Errors as
    /// [`from_slice`](Self::from_slice).
    ///
    /// One pass over the text checks its syntax and finds every entry, its resource and the
    /// resource's nesting, `resourceType` and `id`. What it does not take (see
    /// `bundle/split.rs`: keys written with escapes, repeated fields, a lone entry) is read as
    /// [`from_slice`](Self::from_slice) reads it, each resource then its own copy: the same
    /// answer, or the same error.
    pub fn from_text(text: Arc<str>) -> Result<Self, crate::problem::DecodeProblem> {
        match Self::from_split(&text) {
            Some(bundle) => Ok(bundle),
            None => Self::from_slice(text.as_bytes()),
        }
    }

    /// The Bundle [`split`] found in `text`, each field read from its own stretch as serde
    /// would read it in place; `None` (read the general way) if the split or a field fails.
    pub(crate) fn from_split(text: &Arc<str>) -> Option<Self> {
        const FIELDS: [&str; 5] = ["id", "meta", "type", "total", "link"];
        const ENTRY_FIELDS: [&str; 4] = ["fullUrl", "search", "request", "response"];
        fn read<'t, T: Deserialize<'t>>(value: &'t str) -> Option<T> {
            serde_json::from_str(value).ok()
        }
        let skeleton = split::split(text, &FIELDS, &ENTRY_FIELDS)?;
        let jumps = Arc::new(skeleton.jumps);
        let mut bundle = Bundle::default();
        for (name, value) in skeleton.fields {
            match name {
                "id" => bundle.id = read(value)?,
                "meta" => bundle.meta = read(value)?,
                "type" => bundle.type_ = read(value)?,
                "total" => bundle.total = read(value)?,
                _ => {
                    let mut d = serde_json::Deserializer::from_str(value);
                    bundle.link = one_or_many(&mut d).ok()?;
                    d.end().ok()?;
                }
            }
        }
        bundle.entry.reserve_exact(skeleton.entries.len());
        for found in skeleton.entries {
            let mut entry = BundleEntry {
                resource: found.resource.map(|r| RawResource::split(text, &jumps, r)),
                ..Default::default()
            };
            for (name, value) in found.fields {
                match name {
                    "fullUrl" => entry.full_url = read(value)?,
                    "search" => entry.search = read(value)?,
                    "request" => entry.request = read(value)?,
                    _ => entry.response = read(value)?,
                }
            }
            bundle.entry.push(entry);
        }
        Some(bundle)
    }

    /// Every entry resource, raw.
    pub fn resources(&self) -> impl Iterator<Item = &RawResource> {
        self.entry.iter().filter_map(|e| e.resource.as_ref())
    }

    /// Entry resources whose `resourceType` is `type_name`.
    pub fn resources_of<'a>(&'a self, type_name: &'a str) -> impl Iterator<Item = &'a RawResource> + 'a {
        self.resources().filter(move |r| r.resource_type() == type_name)
    }

    /// Parse every entry of type `T`, one result per entry, so a bad entry never loses
    /// the others.
    pub fn parse_all<T: FhirResource + DeserializeOwned>(&self) -> Vec<Result<T, serde_json::Error>> {
        self.resources_of(T::TYPE).map(RawResource::parse).collect()
    }

    /// Parse the first entry of type `T`, if any.
    pub fn first<T: FhirResource + DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        self.resources_of(T::TYPE).next().map(RawResource::parse)
    }

    /// Every `OperationOutcome` entry that parses (e.g. structured record warnings).
    pub fn operation_outcomes(&self) -> Vec<OperationOutcome> {
        self.parse_all::<OperationOutcome>().into_iter().filter_map(Result::ok).collect()
    }

    /// Build an index for O(1) reference resolution.
    pub fn index(&self) -> ResourceIndex<'_> {
        ResourceIndex::new(self)
    }
}

/// Maps `(resourceType, id)` and `fullUrl` to entries for O(1) reference resolution.
///
/// If ids repeat, the first entry wins.
#[derive(Debug, Default, Clone)]
pub struct ResourceIndex<'a> {
    /// The first resource with each id: also the first of its `(type, id)`.
    by_id: HashMap<&'a str, &'a RawResource>,
    /// The first resource of each `(type, id)` whose id an earlier resource of another
    /// type has (rare: one map holds the usual case).
    by_key: HashMap<(&'a str, &'a str), &'a RawResource>,
    by_full_url: HashMap<&'a str, &'a RawResource>,
}

impl<'a> ResourceIndex<'a> {
    /// Index every entry of `bundle`.
    pub fn new(bundle: &'a Bundle) -> Self {
        let mut idx = Self { by_id: HashMap::with_capacity(bundle.entry.len()), ..Self::default() };
        for e in &bundle.entry {
            let Some(r) = e.resource.as_ref() else {
                continue;
            };
            idx.insert(r);
            if let Some(u) = e.full_url.as_deref() {
                idx.by_full_url.entry(u).or_insert(r);
            }
        }
        idx
    }

    /// Add a resource (e.g. a contained one) to the index.
    pub fn insert(&mut self, r: &'a RawResource) {
        let Some(id) = r.id() else { return };
        match self.by_id.get(id) {
            None => {
                self.by_id.insert(id, r);
            }
            Some(first) if first.resource_type() != r.resource_type() => {
                self.by_key.entry((r.resource_type(), id)).or_insert(r);
            }
            Some(_) => {}
        }
    }

    /// Number of resources indexed by `(type, id)`.
    pub fn len(&self) -> usize {
        self.by_id.len() + self.by_key.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Look up by type and id.
    pub fn get(&self, resource_type: &str, id: &str) -> Option<&'a RawResource> {
        match self.by_id.get(id) {
            Some(first) if first.resource_type() == resource_type => Some(first),
            Some(_) => self.by_key.get(&(resource_type, id)).copied(),
            None => None,
        }
    }

    /// Resolve a reference string: `fullUrl` match, `Type/id` (relative or absolute URL),
    /// or `#id` (matched by id alone).
    pub fn resolve_str(&self, reference: &str) -> Option<&'a RawResource> {
        if let Some(r) = self.by_full_url.get(reference) {
            return Some(r);
        }
        match parse_reference(reference)? {
            ("", id) => self.by_id.get(id).copied(),
            (ty, id) => self.get(ty, id),
        }
    }

    /// Resolve a [`Reference`].
    pub fn resolve(&self, reference: &Reference) -> Option<&'a RawResource> {
        self.resolve_str(reference.reference.as_deref()?)
    }

    /// Resolve and parse as `T`; `None` if unresolved or of another type.
    pub fn resolve_as<T: FhirResource + DeserializeOwned>(
        &self,
        reference: &Reference,
    ) -> Option<Result<T, serde_json::Error>> {
        self.resolve(reference).filter(|r| r.is::<T>()).map(RawResource::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::{Organization, Patient};

    const BUNDLE: &str = r#"{
      "resourceType": "Bundle", "type": "searchset", "total": 3, "futureThing": {"a": [1]},
      "link": {"relation": "self", "url": "http://x"},
      "entry": [
        {"fullUrl": "urn:uuid:aaa", "resource": {"id": "p1", "resourceType": "Patient",
          "managingOrganization": {"reference": "Organization/o1"}, "birthDate": 7}},
        {"fullUrl": "http://x/Organization/o1", "resource": {"resourceType": "Organization", "id": "o1", "name": "Practice"}},
        {"resource": {"resourceType": "Patient", "id": "p2", "name": [{"family": "Ok"}]}},
        {"resource": {"resourceType": "Observation", "id": "ob1", "valueQuantity": {"value": 10864}}},
        {"search": {"mode": "include"}}
      ]}"#;

    #[test]
    fn bundle_keeps_entries_and_isolates_failures() {
        let b = Bundle::from_slice(BUNDLE.as_bytes()).unwrap();
        assert_eq!(b.entry.len(), 5);
        assert_eq!(b.link.len(), 1);
        assert_eq!(b.resources().count(), 4);
        let patients = b.parse_all::<Patient>();
        assert_eq!(patients.len(), 2);
        assert!(patients[0].is_err(), "birthDate 7 is not a string");
        assert_eq!(patients[1].as_ref().unwrap().id.as_deref(), Some("p2"));
        let obs = b.resources_of("Observation").next().unwrap();
        assert_eq!(obs.id(), Some("ob1"));
        assert!(obs.raw().contains("10864}"));
        let out = serde_json::to_string(&b).unwrap();
        assert!(out.contains(r#""value": 10864}"#), "raw kept verbatim");
    }

    #[test]
    fn from_text_shares_the_body_and_reads_as_from_slice() {
        let with_outcome = BUNDLE.replace(
            r#"{"search": {"mode": "include"}}"#,
            r#"{"search": {"mode": "include"}, "response": {"status": "200", "outcome": {"resourceType": "OperationOutcome", "id": "oo"}}}"#,
        );
        let text: Arc<str> = Arc::from(with_outcome.as_str());
        let shared = Bundle::from_text(text.clone()).unwrap();
        let copied = Bundle::from_slice(with_outcome.as_bytes()).unwrap();
        assert_eq!(format!("{shared:?}"), format!("{copied:?}"));
        assert_eq!(serde_json::to_string(&shared).unwrap(), serde_json::to_string(&copied).unwrap());
        let pairs = shared.resources().zip(copied.resources());
        for (s, c) in pairs {
            assert_eq!((s.raw(), s.resource_type(), s.id()), (c.raw(), c.resource_type(), c.id()));
            let at = s.raw().as_ptr() as usize - text.as_ptr() as usize;
            assert_eq!(&text[at..at + s.raw().len()], s.raw(), "a stretch of the body, not a copy");
        }
        let outcome = shared.entry[4].response.as_ref().and_then(|r| r.outcome.as_ref()).unwrap();
        assert_eq!((outcome.resource_type(), outcome.id()), ("OperationOutcome", Some("oo")));
        assert_eq!(shared.index().len(), 4);
        assert!(Bundle::from_text(Arc::from(r#"{"entry": [{"resource": {"id": }]}"#)).is_err());
        assert!(Bundle::from_text(Arc::from("[1]")).is_err());
    }

    #[test]
    fn from_text_measures_each_resource_as_the_depth_check_does() {
        let resources =
            [r#"{"a": "[{\"[", "b": [[{}], []]}"#, "{}", r#"{"x": {"y": {"z": [1]}}}"#, r#""[[""#, "[[[]]]"];
        let entries: Vec<String> = resources.iter().map(|r| format!(r#"{{"resource": {r}}}"#)).collect();
        let text: Arc<str> = Arc::from(format!(r#"{{"entry": [{}]}}"#, entries.join(",")));
        let bundle = Bundle::from_text(text).unwrap();
        for r in bundle.resources() {
            let depth = r.measured_depth().expect("measured by the split");
            let json = r.raw().as_bytes();
            assert!(!crate::fhir::lenient::depth_exceeds(json, depth), "{}", r.raw());
            assert!(depth == 0 || crate::fhir::lenient::depth_exceeds(json, depth - 1), "{}", r.raw());
        }
    }

    #[test]
    fn index_resolves_references() {
        let b = Bundle::from_slice(BUNDLE.as_bytes()).unwrap();
        let idx = b.index();
        assert_eq!(idx.len(), 4);
        let org_ref = Reference::to("Organization", "o1");
        let org: Organization = idx.resolve_as(&org_ref).unwrap().unwrap();
        assert_eq!(org.name.as_deref(), Some("Practice"));
        assert!(idx.resolve_as::<Patient>(&org_ref).is_none());
        assert_eq!(idx.resolve_str("urn:uuid:aaa").and_then(|r| r.id()), Some("p1"));
        assert_eq!(idx.resolve_str("https://elsewhere/fhir/Patient/p2").and_then(|r| r.id()), Some("p2"));
        assert_eq!(idx.resolve_str("#ob1").map(|r| r.resource_type()), Some("Observation"));
        assert!(idx.resolve_str("Patient/nope").is_none());
    }

    #[test]
    fn raw_resource_lenient_peek() {
        let r = RawResource::from_json(r#""just a string""#).unwrap();
        assert_eq!(r.resource_type(), "");
        assert_eq!(r.id(), None);
        let r = RawResource::from_json(r#"{"resourceType":"Pat\u0069ent","id":"1"}"#).unwrap();
        assert_eq!(r.resource_type(), "Patient");
        assert!(r.is::<Patient>());
    }

    #[test]
    fn raw_resource_peek_finds_keys_anywhere_and_rejects_bad_ones() {
        let peek = |json: &str| {
            let r = RawResource::from_json(json).unwrap();
            (r.resource_type().to_owned(), r.id().map(str::to_owned))
        };
        let some = |t: &str, id: &str| (t.to_owned(), Some(id.to_owned()));
        assert_eq!(peek(r#"{"meta":{"id":"no"},"id":"1","x":[{"id":2}],"resourceType":"List"}"#), some("List", "1"));
        assert_eq!(peek(r#"{"resourceType":"List","title":"t","entry":[]}"#), ("List".to_owned(), None));
        assert_eq!(peek(r#"{"resourceType":"List","id":null}"#), ("List".to_owned(), None));
        assert_eq!(peek(r#"{"resourceType":7,"id":"1"}"#), (String::new(), None));
        assert_eq!(peek(r#"{"id":"1","id":"2","resourceType":"List"}"#), (String::new(), None));
        assert_eq!(peek("[1]"), (String::new(), None));
        let r = RawResource::from_json(r#"{"resourceType":"List","id":"1","entry":[1, 2]}"#).unwrap();
        assert_eq!(r.raw(), r#"{"resourceType":"List","id":"1","entry":[1, 2]}"#, "raw kept whole");
    }

    #[test]
    fn debug_leaves_out_link_and_request_urls() {
        let b = Bundle::from_slice(
            br#"{"resourceType": "Bundle", "type": "searchset",
                "link": [{"relation": "self", "url": "https://p/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9690937286"}],
                "entry": [{"request": {"method": "GET", "url": "Patient?identifier=9690937286"}}]}"#,
        )
        .unwrap();
        let debug = format!("{b:?}");
        assert!(!debug.contains("9690937286"), "{debug}");
        assert!(debug.contains("self") && debug.contains("GET"), "{debug}");
    }
}
