//! Reading provider resources without losing an item to one bad field, in bounded work.
//!
//! Shared by every API crate's views (the structured record, documents, appointments):
//!
//! * [`depth_exceeds`]: one pass over a resource's bytes before anything parses it, so
//!   every later parse (and re-parse of a part) stays within [`MAX_DEPTH`] levels;
//! * [`Repairer::parse`]: the typed parse, and when one field has the wrong shape, a repair
//!   loop that reads that field as its single element, converts a number or boolean sent
//!   as a string, or else drops the field, naming each repaired field's path; repairs are
//!   learned per resource type and applied up front to the next resource, and re-parses
//!   are charged to a budget proportional to the body ([`parse`] for one resource alone);
//! * [`Report::read`]: [`parse`] for one item of an answer, recording each repaired field (and an
//!   unreadable item) as a [`Problem`] that names the field's path and nothing the
//!   provider wrote;
//! * [`Targets`]: the resources items of a Bundle reference, each parsed once and its
//!   problems reported once, however many items name it;
//! * [`lenient_extensions`]: extensions read in the same pass as their resource, a value of
//!   the wrong type costing only that value.

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;

use super::{
    CodeableConcept, Coding, Decimal, Extension, FhirDateTime, Identifier, Period, Quantity, Reference, ResourceIndex,
};
use serde::de::{DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

mod items;
pub use items::{Problem, ProblemKind, Report, Targets, COPY_BUDGET_PER_BYTE};

/// How deeply one resource may nest arrays and objects. The spec's deepest resources nest
/// about ten levels; serde_json stops at 128 per parse, which is not a bound on the stack
/// when parts are captured raw and parsed again.
pub const MAX_DEPTH: usize = 64;

/// Field repairs tried on one resource before it is kept with its identity only.
const MAX_REPAIRS: usize = 8;

/// Whether `json` nests arrays and objects more than `limit` levels deep (strings are
/// skipped with `memchr`, so this costs a fraction of a parse).
pub fn depth_exceeds(json: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(at) = memchr::memchr3(b'"', b'[', b'{', &json[i..]).map(|j| i + j) {
        // Closers between the last stop and this one.
        depth = depth.saturating_sub(json[i..at].iter().filter(|&&b| b == b']' || b == b'}').count());
        if json[at] == b'"' {
            let mut k = at + 1;
            loop {
                match memchr::memchr2(b'"', b'\\', &json[k..]) {
                    Some(j) if json[k + j] == b'\\' => k += j + 2,
                    Some(j) => {
                        k += j + 1;
                        break;
                    }
                    None => return false,
                }
                if k >= json.len() {
                    return false;
                }
            }
            i = k;
        } else {
            depth += 1;
            if depth > limit {
                return true;
            }
            i = at + 1;
        }
    }
    false
}

/// Why a resource could not be read at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreadable {
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Not a JSON object (no identity): position of the error.
    NotAnObject {
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
    },
}

/// Re-parse bytes a [`Repairer`] may spend per byte of the body it reads (plus
/// [`REPARSE_FLOOR`]).
pub const REPARSE_PER_BYTE: usize = 4;

/// Re-parse bytes a [`Repairer`] may spend whatever the body's size.
pub const REPARSE_FLOOR: usize = 64 * 1024;

/// Parses `json` as `T` on its own (see [`Repairer::parse`]), its re-parses bounded by
/// [`Repairer::for_body`] of `json`.
pub fn parse<T: DeserializeOwned + 'static>(json: &str) -> Result<(T, Vec<String>), Unreadable> {
    Repairer::for_body(json.len()).parse(json)
}

/// Learned repairs kept per resource type, at most.
const MAX_LEARNED: usize = 16;

/// Reads the resources of one body leniently, in work linear in the body.
///
/// A repair found by a failed typed parse is remembered for the resource type (where it
/// applies, array positions ignored, and the JSON kind it applied to): the next resource
/// of that type with a value of that kind there is repaired up front, so a field that a
/// provider sends wrongly in every item costs one extra parse per item, not one per wrong
/// field per item. Only kind errors (`invalid type`, `invalid length`) are learned: they
/// depend on the kind of value at the place, never on its content. Every parse after a
/// failed one is charged to a budget of bytes proportional to the body; once it is spent,
/// a resource that still fails keeps its identity only (path `*`).
pub struct Repairer {
    learned: HashMap<TypeId, Vec<Learned>>,
    budget: usize,
}

/// A repair learned from one resource, for the next of its type.
struct Learned {
    at: Vec<Pattern>,
    kind: Kind,
    action: Action,
}

#[derive(Clone, PartialEq, Eq)]
enum Pattern {
    Key(String),
    /// Any array position.
    Each,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    fn of(v: &Value) -> Self {
        match v {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }
}

/// What a repair did.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    /// A one-element array read as its element.
    Unwrap,
    /// An array read as its first element; a string as the number or boolean it holds;
    /// a number or boolean as text.
    Convert,
    /// The field (or array element) dropped.
    Drop,
}

impl Repairer {
    /// A repairer whose parses after a failed one may read `budget` bytes in all.
    pub fn new(budget: usize) -> Self {
        Self { learned: HashMap::new(), budget }
    }

    /// A repairer for a body of `bytes`: [`REPARSE_PER_BYTE`] times it plus [`REPARSE_FLOOR`].
    pub fn for_body(bytes: usize) -> Self {
        Self::new(bytes.saturating_mul(REPARSE_PER_BYTE).saturating_add(REPARSE_FLOOR))
    }

    /// Takes `bytes` from the budget; `false` when it is spent.
    fn charge(&mut self, bytes: usize) -> bool {
        let ok = bytes <= self.budget;
        self.budget = self.budget.saturating_sub(bytes);
        ok
    }

    /// Parses `json` as `T`. A field of the wrong shape costs only that field: the result
    /// comes with the paths of the fields repaired (read as their single element, converted
    /// from a string, or dropped). After eight repairs, or once the budget is
    /// spent, only `resourceType` and `id` are kept (path `*`).
    pub fn parse<T: DeserializeOwned + 'static>(&mut self, json: &str) -> Result<(T, Vec<String>), Unreadable> {
        if depth_exceeds(json.as_bytes(), MAX_DEPTH) {
            return Err(Unreadable::TooDeep);
        }
        let first = match serde_json::from_str::<T>(json) {
            Ok(v) => return Ok((v, Vec::new())),
            Err(e) => e,
        };
        let mut value: Value = match serde_json::from_str(json) {
            Ok(v @ Value::Object(_)) => v,
            _ => return Err(Unreadable::NotAnObject { line: first.line(), column: first.column() }),
        };
        let mut repaired: Vec<String> = Vec::new();
        let mut repairs = 0;
        for l in self.learned.get(&TypeId::of::<T>()).into_iter().flatten() {
            replay(&mut value, l, &mut repaired, &mut repairs);
        }
        let mut tried: Vec<(Vec<Step>, u8)> = Vec::new();
        while repairs <= MAX_REPAIRS {
            if !self.charge(json.len()) {
                break;
            }
            let text = value.to_string();
            let mut de = serde_json::Deserializer::from_str(&text);
            let (path, learnable) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Ok(v) => return Ok((v, repaired)),
                Err(e) => {
                    let message = e.inner().to_string();
                    (steps(e.path()), message.starts_with("invalid type") || message.starts_with("invalid length"))
                }
            };
            if repairs == MAX_REPAIRS {
                break;
            }
            let attempt = match tried.iter_mut().find(|(p, _)| *p == path) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    tried.push((path.clone(), 0));
                    0
                }
            };
            let Some((fixed, kind, action)) = repair(&mut value, &path, attempt) else { break };
            repairs += 1;
            note(&mut repaired, fixed);
            let learned = self.learned.entry(TypeId::of::<T>()).or_default();
            if learnable && learned.len() < MAX_LEARNED {
                let at = fixed.iter().map(Step::pattern).collect();
                if !learned.iter().any(|l| l.at == at && l.kind == kind) {
                    learned.push(Learned { at, kind, action });
                }
            }
        }
        // Identity only: the item stays, every field but its id is reported lost.
        let identity: serde_json::Map<String, Value> = ["resourceType", "id"]
            .into_iter()
            .filter_map(|k| Some((k.to_owned(), Value::String(value.get(k)?.as_str()?.to_owned()))))
            .collect();
        match serde_json::from_value::<T>(Value::Object(identity)).or_else(|_| serde_json::from_str::<T>("{}")) {
            Ok(v) => Ok((v, vec!["*".to_owned()])),
            Err(_) => Err(Unreadable::NotAnObject { line: first.line(), column: first.column() }),
        }
    }
}

/// Applies a learned repair wherever its place holds a value of its kind (array elements
/// from the last, so a drop does not move the ones still to visit), counting each in
/// `repairs` and stopping past [`MAX_REPAIRS`].
fn replay(root: &mut Value, l: &Learned, repaired: &mut Vec<String>, repairs: &mut usize) {
    let mut found: Vec<Vec<Step>> = Vec::new();
    matching(root, &l.at, &mut Vec::new(), &mut found);
    for path in found.iter().rev() {
        if *repairs > MAX_REPAIRS {
            return;
        }
        let Some(slot) = at(root, path).filter(|v| Kind::of(v) == l.kind) else { continue };
        let done = match l.action {
            Action::Unwrap => match slot {
                Value::Array(a) if a.len() == 1 => {
                    *slot = a.pop().unwrap_or(Value::Null);
                    true
                }
                _ => false,
            },
            Action::Convert => match converted(slot) {
                Some(v) => {
                    *slot = v;
                    true
                }
                None => false,
            },
            Action::Drop => remove(root, path),
        };
        if done {
            *repairs += 1;
            note(repaired, path);
        }
    }
}

/// Every concrete path matching `pattern` (arrays expanded at `Each`).
fn matching(v: &Value, pattern: &[Pattern], path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    let Some((first, rest)) = pattern.split_first() else {
        out.push(path.clone());
        return;
    };
    match (first, v) {
        (Pattern::Key(k), Value::Object(m)) => {
            if let Some(next) = m.get(k) {
                path.push(Step::Key(k.clone()));
                matching(next, rest, path, out);
                path.pop();
            }
        }
        (Pattern::Each, Value::Array(a)) => {
            for (i, next) in a.iter().enumerate() {
                path.push(Step::Index(i));
                matching(next, rest, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Adds a repaired path to the list, once.
fn note(repaired: &mut Vec<String>, path: &[Step]) {
    let name = display(path);
    if !repaired.contains(&name) {
        repaired.push(name);
    }
}

#[derive(Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

impl Step {
    fn pattern(&self) -> Pattern {
        match self {
            Step::Key(k) => Pattern::Key(k.clone()),
            Step::Index(_) => Pattern::Each,
        }
    }
}

fn steps(path: &serde_path_to_error::Path) -> Vec<Step> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|s| match s {
            Segment::Map { key } => Some(Step::Key(key.clone())),
            Segment::Seq { index } => Some(Step::Index(*index)),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

fn display(path: &[Step]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// A value of another kind that may fit: an array's first element, the number or boolean
/// a string holds, a number or boolean as text.
fn converted(slot: &mut Value) -> Option<Value> {
    match slot {
        Value::Array(a) if !a.is_empty() => Some(a.swap_remove(0)),
        Value::String(s) => match s.trim() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            t => t.parse::<serde_json::Number>().ok().map(Value::Number),
        },
        Value::Number(n) => Some(Value::String(n.to_string())),
        Value::Bool(b) => Some(Value::String(b.to_string())),
        _ => None,
    }
}

/// Removes the field or array element at `path`.
fn remove(root: &mut Value, path: &[Step]) -> bool {
    let Some((last, parent_path)) = path.split_last() else { return false };
    match (last, at(root, parent_path)) {
        (Step::Key(k), Some(Value::Object(m))) => m.remove(k).is_some(),
        (Step::Index(i), Some(Value::Array(a))) if *i < a.len() => {
            a.remove(*i);
            true
        }
        _ => false,
    }
}

/// Repairs the value at `path` and returns the path of what it changed, the kind it had
/// and what was done. The first try (attempt 0) reads a one-element array as its element
/// (serde reads an array where an object belongs element by element, so the error points
/// inside it), else converts (see [`converted`]); any later try drops the field.
fn repair<'p>(root: &mut Value, path: &'p [Step], attempt: u8) -> Option<(&'p [Step], Kind, Action)> {
    if attempt == 0 {
        if let Some((Step::Index(_), outer)) = path.split_last() {
            if let Some(slot) = at(root, outer).filter(|v| v.as_array().is_some_and(|a| a.len() == 1)) {
                *slot = slot.as_array_mut().and_then(Vec::pop).unwrap_or(Value::Null);
                return Some((outer, Kind::Array, Action::Unwrap));
            }
        }
        let slot = at(root, path)?;
        let kind = Kind::of(slot);
        if let Some(v) = converted(slot) {
            *slot = v;
            return Some((path, kind, Action::Convert));
        }
    }
    let kind = Kind::of(at(root, path)?);
    remove(root, path).then_some((path, kind, Action::Drop))
}

/// The value at `path`.
fn at<'v>(root: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    path.iter().try_fold(root, |v, s| match (s, v) {
        (Step::Key(k), Value::Object(m)) => m.get_mut(k),
        (Step::Index(i), Value::Array(a)) => a.get_mut(*i),
        _ => None,
    })
}

/// Reads `extension` in the same pass as its resource: an array, a single object, or
/// anything else (ignored). Each extension keeps its `url` and nested extensions even
/// when its value does not fit STU3 (e.g. `valueCode` sent as an array).
pub fn lenient_extensions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Extension>, D::Error> {
    d.deserialize_any(ExtensionsVisitor)
}

struct ExtensionsVisitor;

impl<'de> Visitor<'de> for ExtensionsVisitor {
    type Value = Vec<Extension>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("extensions")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(LenientExtension(e)) = seq.next_element()? {
            out.extend(e);
        }
        Ok(out)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok(ExtensionVisitor.visit_map(map)?.into_iter().collect())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

/// One extension, or `None` when the element is not an object.
struct LenientExtension(Option<Extension>);

impl<'de> Deserialize<'de> for LenientExtension {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ExtensionVisitor).map(LenientExtension)
    }
}

struct ExtensionVisitor;

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum Key {
    Url,
    Extension,
    ValueCode,
    ValueString,
    ValueUri,
    ValueId,
    ValueBoolean,
    ValueInteger,
    ValuePositiveInt,
    ValueUnsignedInt,
    ValueDecimal,
    ValueDate,
    ValueDateTime,
    ValueInstant,
    ValueReference,
    ValueCodeableConcept,
    ValueCoding,
    ValuePeriod,
    ValueQuantity,
    ValueIdentifier,
    #[serde(other)]
    Other,
}

/// A value read as `T` if it fits, else `None`: the raw text is borrowed and parsed once
/// more on its own (a leaf type, never an extension, so no recursion).
fn value<'de, A: MapAccess<'de>, T: DeserializeOwned>(map: &mut A) -> Result<Option<T>, A::Error> {
    let raw: &'de RawValue = map.next_value()?;
    Ok(serde_json::from_str::<Option<T>>(raw.get()).ok().flatten())
}

impl<'de> Visitor<'de> for ExtensionVisitor {
    type Value = Option<Extension>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an extension")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut e = Extension::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Url => e.url = value(&mut map)?,
                Key::Extension => e.extension = map.next_value::<Extensions>()?.0,
                Key::ValueCode => e.value_code = value(&mut map)?,
                Key::ValueString => e.value_string = value(&mut map)?,
                Key::ValueUri => e.value_uri = value(&mut map)?,
                Key::ValueId => e.value_id = value(&mut map)?,
                Key::ValueBoolean => e.value_boolean = value(&mut map)?,
                Key::ValueInteger => e.value_integer = value(&mut map)?,
                Key::ValuePositiveInt => e.value_positive_int = value(&mut map)?,
                Key::ValueUnsignedInt => e.value_unsigned_int = value(&mut map)?,
                Key::ValueDecimal => e.value_decimal = value::<_, Decimal>(&mut map)?,
                Key::ValueDate => e.value_date = value::<_, FhirDateTime>(&mut map)?,
                Key::ValueDateTime => e.value_date_time = value::<_, FhirDateTime>(&mut map)?,
                Key::ValueInstant => e.value_instant = value::<_, FhirDateTime>(&mut map)?,
                Key::ValueReference => e.value_reference = value::<_, Reference>(&mut map)?.map(Box::new),
                Key::ValueCodeableConcept => {
                    e.value_codeable_concept = value::<_, CodeableConcept>(&mut map)?.map(Box::new)
                }
                Key::ValueCoding => e.value_coding = value::<_, Coding>(&mut map)?.map(Box::new),
                Key::ValuePeriod => e.value_period = value::<_, Period>(&mut map)?.map(Box::new),
                Key::ValueQuantity => e.value_quantity = value::<_, Quantity>(&mut map)?.map(Box::new),
                Key::ValueIdentifier => e.value_identifier = value::<_, Identifier>(&mut map)?.map(Box::new),
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(e))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Nested extensions, read by the same visitor (same parse, same depth budget).
struct Extensions(Vec<Extension>);

impl<'de> Deserialize<'de> for Extensions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient_extensions(d).map(Extensions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_counted_outside_strings_only() {
        assert!(!depth_exceeds(br#"{"a": [1, {"b": "[[[[[[{{{{\"[["}]}"#, 3));
        assert!(depth_exceeds(br#"{"a": [1, {"b": "x"}]}"#, 2));
        assert!(!depth_exceeds(br#"[[]] [[]]"#, 2));
        assert!(!depth_exceeds(b"\"unterminated [[[[", 1));
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(depth_exceeds(deep.as_bytes(), MAX_DEPTH));
    }

    #[derive(Deserialize, Default, Debug)]
    #[serde(default, rename_all = "camelCase")]
    struct Thing {
        id: Option<String>,
        period: Option<Period>,
        count: Option<u32>,
        flag: Option<bool>,
        name: Option<String>,
        #[serde(deserialize_with = "lenient_extensions")]
        extension: Vec<Extension>,
    }

    #[test]
    fn wrong_shapes_cost_only_their_field_and_are_named() {
        let json = r#"{"id": "t1", "period": [{"start": "2020"}], "count": "7", "flag": "true", "name": {"x": 1},
            "extension": [{"url": "u", "valueCode": ["a"], "extension": {"url": "n", "valueString": "s"}}, 5]}"#;
        let (t, paths): (Thing, _) = parse(json).unwrap();
        assert_eq!(t.id.as_deref(), Some("t1"));
        assert_eq!(t.period.and_then(|p| p.start).map(|d| d.as_str().to_owned()).as_deref(), Some("2020"));
        assert_eq!((t.count, t.flag, t.name), (Some(7), Some(true), None));
        // Compared as a set: the order follows the JSON map's, which depends on whether
        // serde_json's `preserve_order` is on in the build.
        let mut paths = paths;
        paths.sort();
        assert_eq!(paths, ["count", "flag", "name", "period"]);
        assert_eq!(t.extension.len(), 1, "a non-object extension is skipped");
        assert_eq!(t.extension[0].url.as_deref(), Some("u"));
        assert_eq!(t.extension[0].value_code, None);
        assert_eq!(t.extension[0].extension[0].value_string.as_deref(), Some("s"));
    }

    #[test]
    fn hopeless_resources_keep_their_identity_or_are_unreadable() {
        let many: String = (0..20).map(|i| format!(r#""f{i}": 1, "#)).collect();
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Strict {
            id: Option<String>,
            #[serde(flatten)]
            _rest: std::collections::HashMap<String, String>,
        }
        let (t, paths): (Strict, _) = parse(&format!(r#"{{{many} "id": "x"}}"#)).unwrap();
        assert_eq!(t.id.as_deref(), Some("x"));
        assert_eq!(paths.last().map(String::as_str), Some("*"));
        assert!(matches!(parse::<Thing>("[1]"), Err(Unreadable::NotAnObject { .. })));
        let deep = format!(r#"{{"id": "d", "name": {}1{}}}"#, "[".repeat(70), "]".repeat(70));
        assert!(matches!(parse::<Thing>(&deep), Err(Unreadable::TooDeep)));
    }
}
