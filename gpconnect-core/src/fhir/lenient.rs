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
//!   every typed read goes through [`checked`], a reader of JSON text whose syntax was
//!   checked when the body was read (a text from elsewhere is checked first), which gives
//!   serde_json's values and error places for less work;
//! * [`Report::read`]: [`parse`] for one item of an answer, recording each repaired field (and an
//!   unreadable item) as a [`Problem`] that names the field's path and nothing the
//!   provider wrote;
//! * [`Targets`]: the resources items of a Bundle reference, each parsed once and its
//!   problems reported once, however many items name it;
//! * [`lenient_extensions`]: extensions read in the same pass as their resource, a value of
//!   the wrong type costing only that value.

use std::fmt;

use super::checked;
use super::scan;
use super::{
    CodeableConcept, Coding, Decimal, Extension, FhirDateTime, Identifier, Period, Quantity, Reference, ResourceIndex,
};
use serde::de::{DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

mod items;
mod locate;
mod node;
mod repair;
pub use items::{Problem, ProblemKind, Report, Targets, COPY_BUDGET_PER_BYTE};
pub(crate) use repair::error_path;
pub use repair::Repairer;

/// How deeply one resource may nest arrays and objects. The spec's deepest resources nest
/// about ten levels; serde_json stops at 128 per parse, which is not a bound on the stack
/// when parts are captured raw and parsed again.
pub const MAX_DEPTH: usize = 64;

/// Field repairs tried on one resource before it is kept with its identity only.
const MAX_REPAIRS: usize = 8;

/// Whether `json` nests arrays and objects more than `limit` levels deep (strings are
/// skipped). One pass that reads eight bytes at a time until one matters: a fraction of a
/// parse.
pub fn depth_exceeds(json: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let (mut i, mut in_string) = (0, false);
    while let Some(at) = scan::next_that_matters(json, i, in_string) {
        i = at + 1;
        match (in_string, json[at]) {
            // A backslash escapes the byte after it.
            (true, b'\\') => i += 1,
            (_, b'"') => in_string = !in_string,
            (false, b'[' | b'{') => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            _ => depth = depth.saturating_sub(1),
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

/// [`parse`] for the text of JSON already read (a `RawResource`'s or a `RawValue`'s, or a
/// part of one): its syntax is not checked a second time ([`Repairer::for_read_text`]).
pub fn parse_read<T: DeserializeOwned + 'static>(json: &str) -> Result<(T, Vec<String>), Unreadable> {
    Repairer::for_read_text(json.len()).parse(json)
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

/// A value read as `T` if it fits, else `None`: the raw text is borrowed and read once
/// more on its own, by `T`'s own reading (a leaf type, never an extension, so no
/// recursion).
fn value<'de, A: MapAccess<'de>, T: checked::FromChecked>(map: &mut A) -> Result<Option<T>, A::Error> {
    let raw: &'de RawValue = map.next_value()?;
    Ok(checked::read_nullable::<T>(raw.get()).ok().flatten())
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
    fn text_not_known_to_be_json_is_checked_before_the_typed_read() {
        use crate::fhir::Patient;
        // JSON the checked reader alone would take (it checks no syntax): a leading zero,
        // a raw control character; `parse` refuses each at its syntax error.
        assert_eq!(
            parse::<Patient>(r#"{"id": "a", "x": 01}"#).err(),
            Some(Unreadable::NotAnObject { line: 1, column: 19 })
        );
        assert!(matches!(parse::<Patient>("{\"id\": \"a\u{1}\"}"), Err(Unreadable::NotAnObject { line: 1, .. })));
        // Read JSON reads the same either way.
        let text = r#"{"resourceType": "Patient", "id": "p", "active": "true", "name": {"family": "X"}}"#;
        let (a, repaired_a) = parse::<Patient>(text).unwrap();
        let (b, repaired_b) = parse_read::<Patient>(text).unwrap();
        assert_eq!((serde_json::to_value(a).unwrap(), repaired_a), (serde_json::to_value(b).unwrap(), repaired_b));
    }

    #[test]
    fn depth_is_counted_outside_strings_only() {
        assert!(!depth_exceeds(br#"{"a": [1, {"b": "[[[[[[{{{{\"[["}]}"#, 3));
        assert!(depth_exceeds(br#"{"a": [1, {"b": "x"}]}"#, 2));
        assert!(!depth_exceeds(br#"[[]] [[]]"#, 2));
        assert!(!depth_exceeds(b"\"unterminated [[[[", 1));
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(depth_exceeds(deep.as_bytes(), MAX_DEPTH));
    }

    /// The byte-at-a-time reading that [`depth_exceeds`] does eight bytes at a time.
    fn depth_byte_by_byte(json: &[u8], limit: usize) -> bool {
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        for &b in json {
            match (in_string, escaped, b) {
                (true, true, _) => escaped = false,
                (true, false, b'\\') => escaped = true,
                (_, _, b'"') => in_string = !in_string,
                (false, _, b'[' | b'{') => {
                    depth += 1;
                    if depth > limit {
                        return true;
                    }
                }
                (false, _, b']' | b'}') => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        false
    }

    #[test]
    fn depth_read_by_words_agrees_with_byte_by_byte() {
        // Every arrangement of these pieces up to five long, at every limit that matters,
        // so each piece lands at every place in an eight-byte word.
        let pieces: [&[u8]; 9] = [b"[", b"{", b"]", b"}", b"\"", b"\\", b"ab", b"  \n    ", b"\"x\\\"[{y\""];
        let mut cases: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<u8>> =
                cases.iter().flat_map(|c| pieces.iter().map(move |p| [c.as_slice(), p].concat())).collect();
            cases.extend(longer);
            cases.dedup();
        }
        for case in &cases {
            for limit in 0..4 {
                assert_eq!(
                    depth_exceeds(case, limit),
                    depth_byte_by_byte(case, limit),
                    "{:?} at {limit}",
                    String::from_utf8_lossy(case)
                );
            }
        }
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

    #[test]
    fn resources_checked_once_for_depth_still_refuse_a_deep_one() {
        use crate::fhir::Bundle;
        let shallow = r#"{"id": "s", "name": "n"}"#;
        let deep = format!(r#"{{"id": "d", "name": {}1{}}}"#, "[".repeat(70), "]".repeat(70));
        let bundle = |resources: &[&str]| {
            let entries: Vec<String> = resources.iter().map(|r| format!(r#"{{"resource": {r}}}"#)).collect();
            let text = format!(r#"{{"entry": [{}]}}"#, entries.join(","));
            // Measured as it is split, and (read the general way) not measured.
            [
                Bundle::from_text(std::sync::Arc::from(text.as_str())).unwrap(),
                Bundle::from_slice(text.as_bytes()).unwrap(),
            ]
        };
        for all_shallow in bundle(&[shallow, shallow]) {
            // All shallow: no text needs a check of its own.
            let mut all_shallow = Repairer::for_bundle(&all_shallow);
            assert!(!all_shallow.too_deep(shallow));
            assert_eq!(all_shallow.parse::<Thing>(shallow).unwrap().0.id.as_deref(), Some("s"));
        }
        for one_deep in bundle(&[shallow, deep.as_str()]) {
            // One deep: each text is checked on its own, so only the deep one is refused.
            let mut one_deep = Repairer::for_bundle(&one_deep);
            assert!(one_deep.too_deep(&deep) && !one_deep.too_deep(shallow));
            assert!(matches!(one_deep.parse::<Thing>(&deep), Err(Unreadable::TooDeep)));
            assert_eq!(one_deep.parse::<Thing>(shallow).unwrap().0.id.as_deref(), Some("s"));
        }
    }
}
