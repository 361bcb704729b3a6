//! Every spec example payload of the testkit (`gpconnect_testkit::fixtures`) goes through the
//! FHIR layer.

use std::collections::BTreeMap;

use gpconnect_core::fhir::{
    Binary, Bundle, BundleEntry, CapabilityStatement, DocumentReference, HealthcareService, List, Location,
    OperationOutcome, Organization, Patient, Practitioner, PractitionerRole, RawResource,
};
use serde_json::Value;

/// Spec examples that are not strict JSON; each has a corrected `<name>.fixed.json` copy.
const NOT_STRICT: &[&str] = &[
    "ssp-error__target-url-varies__400.json",
    "structured__operationoutcome__forwards-compatibility-warning__bundle-entry.json",
    "structured__response__consultations1.json",
    "documents__retrieve-binary__response.json",
];

use gpconnect_testkit::fixtures::{fixture, NAMES};

/// The names of the JSON fixtures, sorted.
fn json_files() -> Vec<&'static str> {
    let mut files: Vec<&'static str> = NAMES.iter().copied().filter(|n| n.ends_with(".json")).collect();
    files.sort_unstable();
    files
}

fn must<T: serde::de::DeserializeOwned>(r: &RawResource, file: &str) -> T {
    r.parse::<T>().unwrap_or_else(|e| panic!("{file}: {} {:?}: {e}", r.resource_type(), r.id()))
}

/// Parse one resource through its typed model; returns whether the type is a core type.
fn parse_core(r: &RawResource, file: &str) -> bool {
    match r.resource_type() {
        "Patient" => drop(must::<Patient>(r, file)),
        "Organization" => drop(must::<Organization>(r, file)),
        "Practitioner" => drop(must::<Practitioner>(r, file)),
        "PractitionerRole" => drop(must::<PractitionerRole>(r, file)),
        "Location" => drop(must::<Location>(r, file)),
        "HealthcareService" => drop(must::<HealthcareService>(r, file)),
        "OperationOutcome" => drop(must::<OperationOutcome>(r, file)),
        "DocumentReference" => drop(must::<DocumentReference>(r, file)),
        "List" => {
            let list: List = must(r, file);
            let v: Value = serde_json::from_str(r.raw()).unwrap();
            let n = v["contained"].as_array().map_or(0, Vec::len);
            assert_eq!(list.contained.len(), n, "{file}: List contained kept");
            let n = v["entry"].as_array().map_or(0, Vec::len);
            assert_eq!(list.entry.len(), n, "{file}: List entries");
        }
        "Binary" => {
            let b: Binary = must(r, file);
            assert!(b.content.is_some_and(|c| !c.is_empty()), "{file}: Binary content");
        }
        "CapabilityStatement" => {
            let c: CapabilityStatement = must(r, file);
            assert!(c.fhir_version.is_some(), "{file}: fhirVersion");
            assert!(!c.rest.is_empty(), "{file}: rest");
        }
        _ => return false,
    }
    true
}

fn check_outcome(r: &RawResource, file: &str) {
    let oo: OperationOutcome = must(r, file);
    assert!(!oo.issue.is_empty(), "{file}: issues");
    if file.starts_with("error") || file.starts_with("ssp-error") {
        assert!(!oo.codes().is_empty(), "{file}: no Spine/GPC code found");
    }
}

#[test]
fn every_fixture_parses() {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut checked_files = 0;
    for name in json_files() {
        let bytes = fixture(name).as_bytes();
        let value: Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(_) => {
                assert!(NOT_STRICT.contains(&name), "{name} is not strict JSON and not in the known list");
                let fixed = name.replace(".json", ".fixed.json");
                assert!(NAMES.contains(&fixed.as_str()), "{name}: missing corrected .fixed.json copy");
                continue; // the fixed copy is checked in its own turn
            }
        };
        checked_files += 1;

        // A bare bundle entry (`{"resource": {...}}`).
        if value.get("resourceType").is_none() && value.get("resource").is_some() {
            let entry: BundleEntry = serde_json::from_slice(bytes).unwrap();
            let r = entry.resource.expect("entry resource kept");
            assert!(parse_core(&r, name), "{name}: unexpected entry type");
            if r.resource_type() == "OperationOutcome" {
                let oo: OperationOutcome = must(&r, name);
                assert!(!oo.codes().is_empty(), "{name}: codes");
            }
            *seen.entry(r.resource_type().to_owned()).or_default() += 1;
            continue;
        }
        let Some(rt) = value.get("resourceType").and_then(Value::as_str) else {
            continue; // JWT examples etc.
        };

        // Every resource is readable raw.
        let raw = RawResource::from_json(std::str::from_utf8(bytes).unwrap()).unwrap();
        assert_eq!(raw.resource_type(), rt, "{name}");
        assert_eq!(raw.id(), value.get("id").and_then(Value::as_str), "{name}");

        if rt == "Bundle" {
            let bundle = Bundle::from_slice(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            let entries = value["entry"].as_array().map_or(&[][..], Vec::as_slice);
            assert_eq!(bundle.entry.len(), entries.len(), "{name}: entry count");
            let with_resource = entries.iter().filter(|e| e.get("resource").is_some()).count();
            assert_eq!(bundle.resources().count(), with_resource, "{name}: resources");
            for (entry, json) in bundle.entry.iter().zip(entries) {
                let Some(r) = entry.resource.as_ref() else {
                    continue;
                };
                // kept verbatim
                let back: Value = serde_json::from_str(r.raw()).unwrap();
                assert_eq!(&back, &json["resource"], "{name}: raw resource differs");
                assert_eq!(r.resource_type(), json["resource"]["resourceType"].as_str().unwrap_or(""), "{name}");
                parse_core(r, name);
                *seen.entry(r.resource_type().to_owned()).or_default() += 1;
            }
            // List items that point into the bundle resolve to the right type
            let index = bundle.index();
            for list in bundle.parse_all::<List>() {
                let list = list.unwrap();
                for item in list.entry.iter().filter_map(|e| e.item.as_ref()) {
                    if let Some(r) = index.resolve(item) {
                        assert_eq!(Some(r.resource_type()), item.resource_type(), "{name}");
                    }
                }
            }
            for oo in bundle.resources_of("OperationOutcome") {
                check_outcome(oo, name);
            }
        } else {
            parse_core(&raw, name);
            if rt == "OperationOutcome" {
                check_outcome(&raw, name);
            }
        }
        *seen.entry(rt.to_owned()).or_default() += 1;
    }
    assert!(checked_files > 100, "only {checked_files} fixtures checked");
    for ty in [
        "Patient",
        "Organization",
        "Practitioner",
        "PractitionerRole",
        "Location",
        "HealthcareService",
        "List",
        "DocumentReference",
        "Binary",
        "CapabilityStatement",
        "OperationOutcome",
        "Bundle",
    ] {
        assert!(seen.get(ty).copied().unwrap_or(0) > 0, "no {ty} in fixtures");
    }
}

#[test]
fn fixed_copies_exist_for_non_strict_examples() {
    for name in NOT_STRICT {
        assert!(serde_json::from_str::<Value>(fixture(name)).is_err(), "{name} is strict now?");
        let fixed = fixture(&name.replace(".json", ".fixed.json"));
        serde_json::from_str::<Value>(fixed).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn patient_details_from_read_patient() {
    let p: Patient = serde_json::from_str(fixture("foundations__read-patient-response.json")).unwrap();
    assert!(p.nhs_number().is_some());
    assert!(p.official_name().is_some());
}

#[test]
fn bundle_round_trip_keeps_entries_verbatim() {
    // Offsets, milliseconds and decimal text are unchanged because entries are raw.
    let bundle: Bundle = serde_json::from_str(fixture("structured__response__pathology1.json")).unwrap();
    let out = serde_json::to_string(&bundle).unwrap();
    for r in bundle.resources() {
        assert!(out.contains(r.raw()));
    }
}
