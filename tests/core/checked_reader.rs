//! The reader behind every lenient typed parse (`fhir::checked`) against serde_json,
//! which it replaces, through each type's `Deserialize` and through its own `FromChecked`
//! reading: for the spec's example resources, and for every value of
//! each of them swapped for a value of another kind, both give the same value, or both
//! fail at the same place with the same kind of error (the place is how the repair finds
//! the field that failed).

use gpconnect::structured::resources::{
    AllergyIntolerance, Condition, DiagnosticReport, Encounter, Immunization, Medication, MedicationRequest,
    MedicationStatement, Observation, ProcedureRequest, ReferralRequest, Specimen,
};
use gpconnect_core::fhir::checked::{self, FromChecked};
use gpconnect_core::fhir::{Bundle, HealthcareService, List, Location, Organization, Patient, Practitioner};
use gpconnect_core::fhir::{PractitionerRole, RawResource};
use gpconnect_testkit::fixtures::{fixture, NAMES};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// How a read ended: the value as JSON (when the type can be written), or where and how
/// it failed (line, column, kind error).
#[derive(Debug, PartialEq)]
enum Outcome {
    Read(Option<Value>),
    Failed(usize, usize, bool),
}

fn by_serde_json<T: DeserializeOwned>(text: &str, write: fn(&T) -> Option<Value>) -> Outcome {
    match serde_json::from_str::<T>(text) {
        Ok(v) => Outcome::Read(write(&v)),
        Err(e) => {
            let m = e.to_string();
            Outcome::Failed(e.line(), e.column(), m.starts_with("invalid type") || m.starts_with("invalid length"))
        }
    }
}

/// Read by the checked reader, through `read`.
fn by_checked<T>(
    text: &str,
    read: impl FnOnce(&str) -> Result<T, checked::Error>,
    write: fn(&T) -> Option<Value>,
) -> Outcome {
    match read(text) {
        Ok(v) => Outcome::Read(write(&v)),
        Err(e) => {
            let (line, column) = e.line_column(text);
            Outcome::Failed(line, column, e.is_kind_error())
        }
    }
}

fn written<T: Serialize>(v: &T) -> Option<Value> {
    serde_json::to_value(v).ok()
}

/// A type that is read only: which of its fields are set (its `Debug` names them).
fn unwritten<T: std::fmt::Debug>(v: &T) -> Option<Value> {
    Some(Value::String(format!("{v:?}")))
}

/// Both readers agree on `text` read as `T`, through its `Deserialize` and through its own
/// reading.
fn agree<T: DeserializeOwned + FromChecked>(text: &str, write: fn(&T) -> Option<Value>) {
    let expected = by_serde_json(text, write);
    let name = std::any::type_name::<T>();
    assert_eq!(by_checked(text, |t| checked::from_str(t), write), expected, "{name} (Deserialize) from {text}");
    assert_eq!(by_checked(text, checked::read, write), expected, "{name} (FromChecked) from {text}");
    // And as the resource of a Bundle read by its split, passing over what it does not
    // read by the split's jumps.
    if let Some(raw) = in_a_bundle(text) {
        let by_jumps = by_checked(raw.raw(), |t| checked::read_jumping(t, raw.jumps()), write);
        assert_eq!(by_jumps, expected, "{name} (FromChecked, jumping) from {text}");
    }
}

/// `text` as the resource of a Bundle read by its split (which notes its jumps), when it
/// is an object.
fn in_a_bundle(text: &str) -> Option<RawResource> {
    let body = format!(r#"{{"resourceType": "Bundle", "entry": [{{"resource": {text}}}]}}"#);
    let bundle = Bundle::from_text(body.into()).ok()?;
    let raw = bundle.resources().next()?.clone();
    (raw.raw() == text).then_some(raw)
}

/// Reads `text` as the type its `resourceType` names (and as a JSON tree).
fn agree_as_its_type(resource_type: &str, text: &str) {
    let tree = |v: &Value| Some(v.clone());
    assert_eq!(by_checked(text, |t| checked::from_str(t), tree), by_serde_json(text, tree), "a tree from {text}");
    match resource_type {
        "Patient" => agree::<Patient>(text, written),
        "Organization" => agree::<Organization>(text, written),
        "Practitioner" => agree::<Practitioner>(text, written),
        "PractitionerRole" => agree::<PractitionerRole>(text, written),
        "Location" => agree::<Location>(text, written),
        "HealthcareService" => agree::<HealthcareService>(text, written),
        "List" => agree::<List>(text, written),
        "AllergyIntolerance" => agree::<AllergyIntolerance>(text, unwritten),
        "Condition" => agree::<Condition>(text, unwritten),
        "DiagnosticReport" => agree::<DiagnosticReport>(text, unwritten),
        "Encounter" => agree::<Encounter>(text, unwritten),
        "Immunization" => agree::<Immunization>(text, unwritten),
        "Medication" => agree::<Medication>(text, unwritten),
        "MedicationRequest" => agree::<MedicationRequest>(text, unwritten),
        "MedicationStatement" => agree::<MedicationStatement>(text, unwritten),
        "Observation" => agree::<Observation>(text, unwritten),
        "ProcedureRequest" => agree::<ProcedureRequest>(text, unwritten),
        "ReferralRequest" => agree::<ReferralRequest>(text, unwritten),
        "Specimen" => agree::<Specimen>(text, unwritten),
        _ => {}
    }
}

/// Every JSON resource of the testkit's example Bundles.
fn example_resources() -> Vec<RawResource> {
    NAMES
        .iter()
        .filter(|n| n.ends_with(".json"))
        .filter_map(|n| Bundle::from_slice(fixture(n).as_bytes()).ok())
        .flat_map(|b| b.resources().cloned().collect::<Vec<_>>())
        .collect()
}

#[test]
fn reads_every_example_resource_as_serde_json_does() {
    let resources = example_resources();
    assert!(resources.len() > 300, "{}", resources.len());
    for r in &resources {
        agree_as_its_type(r.resource_type(), r.raw());
    }
    // The jumping reads above passed over something.
    let jumps: usize = resources.iter().filter_map(|r| in_a_bundle(r.raw())).map(|r| r.jumps().table.len()).sum();
    assert!(jumps > 1_000, "{jumps}");
}

/// Values of every kind, some with escapes and numbers serde_json reads its own way.
const SWAPS: &[&str] = &[
    "5",
    "-1.5e3",
    "18446744073709551616",
    "-0",
    "\"x\\u00e9\\ud83d\\ude00\\n\"",
    "true",
    "null",
    "[]",
    "{}",
    "[\"x\"]",
    "[{\"a\": 1}]",
    "{\"a\": \"b\"}",
    "\"2020-01-01\"",
];

/// Every place in `v` (as a path of keys and indices), depth first.
fn places(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(path.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                path.push(Value::String(k.clone()));
                places(child, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                path.push(Value::from(i));
                places(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at<'v>(v: &'v mut Value, path: &[Value]) -> &'v mut Value {
    path.iter().fold(v, |v, step| match step {
        Value::String(k) => &mut v[k.as_str()],
        step => &mut v[step.as_u64().unwrap_or(0) as usize],
    })
}

#[test]
fn fails_where_serde_json_fails_for_every_value_of_the_wrong_kind() {
    // Two resources of each type: enough shapes, a bounded run.
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let resources: Vec<RawResource> = example_resources()
        .into_iter()
        .filter(|r| {
            let n = seen.entry(r.resource_type().to_owned()).or_default();
            *n += 1;
            *n <= 2
        })
        .collect();
    let mut cases = 0;
    for r in &resources {
        let original: Value = serde_json::from_str(r.raw()).unwrap();
        let mut all = Vec::new();
        places(&original, &mut Vec::new(), &mut all);
        for path in all.iter().filter(|p| !p.is_empty()) {
            for swap in SWAPS {
                let mut mutated = original.clone();
                *at(&mut mutated, path) = serde_json::from_str(swap).unwrap();
                // One line, as the repair re-reads a resource, and pretty, as providers send.
                agree_as_its_type(r.resource_type(), &serde_json::to_string(&mutated).unwrap());
                cases += 1;
            }
        }
        agree_as_its_type(r.resource_type(), &serde_json::to_string_pretty(&original).unwrap());
    }
    assert!(cases > 10_000, "{cases}");
}

#[test]
fn places_a_body_that_is_no_object_or_has_escapes_as_serde_json_does() {
    for text in [
        "\"text\"",
        "[1, 2]",
        "  5",
        "\n\n  [\n {}]",
        "null",
        "{\"id\": 5}",
        "{\"id\": [\"a\"]}",
        // Escapes, kept as written by the examples' round trip above.
        r#"{"id": "a\u00e9\n\"b\/", "active": true, "name": [{"text": "\ud83d\ude00 \\"}], "x\u0041": 1}"#,
        r#"{"id": "a", "id": "b"}"#,
        // Numbers beyond f64, and a float serde_json reads its own way.
        r#"{"id": "a", "valueQuantity": {"value": 1e400}, "x": [-1e400, 2.5e-400, 0.1e1, 123456789012345678901234]}"#,
        r#"{"resourceType": "Observation", "valueQuantity": {"value": 1e2}, "code": {"text": "\t"}}"#,
    ] {
        agree_as_its_type("Patient", text);
        agree_as_its_type("Observation", text);
    }
}
