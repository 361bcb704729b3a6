//! Where a failed typed parse failed, from the error's position alone: the path of the
//! value at a byte offset of the JSON text.
//!
//! serde_json places a type error at the value it concerns: just after a scalar it read
//! (a string where a number belongs), or at the opening bracket of an array or object it
//! did not expect. Walking the text to that offset gives the value's path without parsing
//! the resource a second time through a path-tracking deserializer, which would compile a
//! second copy of every resource's deserializer (one per resource type, for the slow path
//! only). One function, not generic.

use std::sync::Arc;

/// One step of a path into a resource.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) enum Step {
    Key(Arc<str>),
    Index(usize),
}

/// A container being walked: its path length before it, and the index of its next element.
enum Open {
    Array(usize),
    Object,
}

/// The path of the value that starts or ends at byte `at` of `text` (an error at a
/// container's opening bracket, or just after a scalar or a container); else the innermost
/// container holding `at`. `None` when `text` is not well-formed JSON up to `at`.
pub(super) fn path_at(text: &str, at: usize) -> Option<Vec<Step>> {
    let bytes = text.as_bytes();
    let mut path: Vec<Step> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut i = skip_ws(bytes, 0);
    loop {
        // A value starts at `i`, at `path`.
        if i >= at {
            return Some(path);
        }
        let end = match *bytes.get(i)? {
            b'{' => {
                i = skip_ws(bytes, i + 1);
                if bytes.get(i) == Some(&b'}') {
                    i + 1
                } else {
                    open.push(Open::Object);
                    i = key(bytes, i, at, &mut path)?;
                    continue;
                }
            }
            b'[' => {
                i = skip_ws(bytes, i + 1);
                if bytes.get(i) == Some(&b']') {
                    i + 1
                } else {
                    open.push(Open::Array(0));
                    path.push(Step::Index(0));
                    continue;
                }
            }
            b'"' => string_end(bytes, i)?,
            _ => i + bytes[i..].iter().position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())?,
        };
        // The value at `path` ended at `end`; close the containers that end with it.
        if end >= at {
            return Some(path);
        }
        i = skip_ws(bytes, end);
        loop {
            let Some(inner) = open.last_mut() else { return Some(path) };
            match (bytes.get(i)?, inner) {
                (b',', Open::Array(n)) => {
                    *n += 1;
                    path.pop();
                    path.push(Step::Index(*n));
                    i = skip_ws(bytes, i + 1);
                    break;
                }
                (b',', Open::Object) => {
                    path.pop();
                    i = key(bytes, skip_ws(bytes, i + 1), at, &mut path)?;
                    break;
                }
                (b']' | b'}', _) => {
                    open.pop();
                    path.pop();
                    if i + 1 >= at {
                        return Some(path);
                    }
                    i = skip_ws(bytes, i + 1);
                }
                _ => return None,
            }
        }
    }
}

/// Reads the key at `i` (pushed onto `path`) and its colon; the index of its value.
fn key(bytes: &[u8], i: usize, at: usize, path: &mut Vec<Step>) -> Option<usize> {
    let end = string_end(bytes, i)?;
    let raw = std::str::from_utf8(&bytes[i..end]).ok()?;
    let name: Arc<str> = match raw[1..raw.len() - 1].contains('\\') {
        true => serde_json::from_str::<String>(raw).ok()?.into(),
        false => raw[1..raw.len() - 1].into(),
    };
    path.push(Step::Key(name));
    let colon = skip_ws(bytes, end);
    if at <= colon || bytes.get(colon) != Some(&b':') {
        return (at <= colon).then_some(colon);
    }
    Some(skip_ws(bytes, colon + 1))
}

/// The index just past the string starting at `i`.
fn string_end(bytes: &[u8], i: usize) -> Option<usize> {
    let mut k = i + 1;
    loop {
        let j = memchr::memchr2(b'"', b'\\', bytes.get(k..)?)?;
        if bytes[k + j] == b'\\' {
            k += j + 2;
        } else {
            return Some(k + j + 1);
        }
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str, at: usize) -> String {
        let path = path_at(text, at).expect("well-formed");
        let mut out = String::new();
        for s in path {
            match s {
                Step::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&k);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    #[test]
    fn finds_the_value_at_its_start_or_just_after_it() {
        let t = r#"{"a":"x","b":[1,{"c":true,"d\"e":{}}],"f":{"g":null}}"#;
        let at = |s: &str| t.find(s).unwrap();
        assert_eq!(shown(t, at(r#""x""#) + 3), "a");
        assert_eq!(shown(t, at("[1")), "b");
        assert_eq!(shown(t, at("1,") + 1), "b[0]");
        assert_eq!(shown(t, at(r#"{"c""#)), "b[1]");
        assert_eq!(shown(t, at("true") + 4), "b[1].c");
        assert_eq!(shown(t, at("{}")), "b[1].d\"e");
        assert_eq!(shown(t, at("{}") + 2), "b[1].d\"e");
        assert_eq!(shown(t, at("null") + 4), "f.g");
        assert_eq!(shown(t, 0), "");
    }

    /// The path serde_path_to_error finds (what the repairs used before), for comparison.
    fn tracked<T: serde::de::DeserializeOwned>(text: &str) -> (Vec<Step>, usize) {
        // Both must fail at the same place for the comparison to mean anything.
        use serde_path_to_error::Segment;
        let mut de = serde_json::Deserializer::from_str(text);
        let e = serde_path_to_error::deserialize::<_, T>(&mut de).err().expect("a failing body");
        let path = e
            .path()
            .iter()
            .filter_map(|s| match s {
                Segment::Map { key } => Some(Step::Key(key.as_str().into())),
                Segment::Seq { index } => Some(Step::Index(*index)),
                Segment::Enum { .. } | Segment::Unknown => None,
            })
            .collect();
        (path, serde_json::from_str::<T>(text).err().expect("a failing body").column())
    }

    #[test]
    fn agrees_with_a_path_tracking_deserializer() {
        use crate::fhir::{Extension, Patient};
        let patients = [
            r#"{"id":5}"#,
            r#"{"id":"p","active":"yes"}"#,
            r#"{"identifier":[{"system":"s","value":"v"},{"system":["a","b"]}]}"#,
            r#"{"identifier":{"system":{"x":1}}}"#,
            r#"{"name":[{"given":["A",{"x":1}]}]}"#,
            r#"{"name":[{"family":"F","given":["A"]}],"telecom":[{"system":"phone","value":7}]}"#,
            r#"{"meta":{"lastUpdated":[1,2],"profile":["p"]}}"#,
            r#"{"managingOrganization":{"reference":true}}"#,
            r#"{"generalPractitioner":[{"reference":"Practitioner/1"},{"identifier":{"value":[]}}]}"#,
            r#"{"birthDate":{"a":[1,{"b":2}]}}"#,
            r#"{"address":[{"line":["1 Road"],"period":{"start":3}}]}"#,
            r#"{"active":[true]}"#,
            r#"{"contact":[{"relationship":[{"coding":[{"code":{"c":1}}]}]}]}"#,
        ];
        let mut compared = 0;
        for text in patients {
            // Some of these the types read leniently as they are.
            if serde_json::from_str::<Patient>(text).is_ok() {
                continue;
            }
            let (expected, column) = tracked::<Patient>(text);
            assert_eq!(path_at(text, column), Some(expected), "{text}");
            compared += 1;
        }
        assert!(compared >= 8, "only {compared} bodies failed to parse");
        let text = r#"{"url":"u","extension":[{"url":"n","valueBoolean":"x"}],"valueInteger":[[1]]}"#;
        if serde_json::from_str::<Extension>(text).is_err() {
            let (expected, column) = tracked::<Extension>(text);
            assert_eq!(path_at(text, column), Some(expected), "{text}");
        }
    }
}
