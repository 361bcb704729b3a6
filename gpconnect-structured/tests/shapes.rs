//! Records as providers really send them (issue 14): contained resources, wrong-shaped
//! fields and every List item once, with hand-made bundles; and hostile shapes (issue 9):
//! deep nesting, self and mutual references, huge fan-out.

use gpconnect_structured::{SectionKind, StructuredRecord, ViewProblemKind};
use serde_json::{json, Value};

const SNOMED: &str = "http://snomed.info/sct";

fn bundle(resources: Vec<Value>) -> Vec<u8> {
    let entries: Vec<Value> = resources.into_iter().map(|r| json!({ "resource": r })).collect();
    serde_json::to_vec(&json!({"resourceType": "Bundle", "type": "collection", "entry": entries})).unwrap()
}

fn list(code: &str, entries: &[&str]) -> Value {
    let entry: Vec<Value> = entries.iter().map(|r| json!({"item": {"reference": r}})).collect();
    json!({"resourceType": "List", "code": {"coding": [{"system": SNOMED, "code": code}]}, "entry": entry})
}

fn named(resource_type: &str, id: &str, name: &str) -> Value {
    json!({"resourceType": resource_type, "id": id, "code": {"text": name}})
}

fn malformed_paths(r: &StructuredRecord, id: &str) -> Vec<String> {
    r.view_problems()
        .iter()
        .filter_map(|p| match &p.kind {
            ViewProblemKind::MalformedField { id: Some(i), path, .. } if i == id => Some(path.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn contained_items_resolve_inside_their_list_even_when_bundle_ids_clash() {
    let mut ended = list(SectionKind::EndedAllergies.snomed_code(), &["#28", "#29"]);
    ended["contained"] = json!([
        {"resourceType": "AllergyIntolerance", "id": "28", "code": {"text": "Penicillin"}, "clinicalStatus": "resolved",
         "recorder": {"reference": "#prac"}},
        {"resourceType": "Practitioner", "id": "prac", "name": [{"family": "Contained", "given": ["Dr"]}]}
    ]);
    let body = bundle(vec![
        ended,
        // A bundle resource with the same id as the contained allergy: never the target.
        named("MedicationRequest", "28", "Not an allergy"),
        json!({"resourceType": "Practitioner", "id": "prac", "name": [{"family": "Bundle"}]}),
    ]);
    let r = StructuredRecord::from_slice(&body).unwrap();
    let ended = r.ended_allergies();
    assert_eq!(ended.len(), 1, "{:?}", r.view_problems());
    let a = &ended.items[0];
    assert_eq!((a.id.as_deref(), a.name.as_deref(), a.ended), (Some("28"), Some("Penicillin"), true));
    let recorder = a.recorder.as_ref().unwrap();
    assert!(recorder.resolved);
    assert!(recorder.name.as_deref().is_some_and(|n| n.contains("Contained")), "#prac resolves among the contained");
    // "#29" has no contained target: a reported dangling reference, never a bundle resource.
    assert_eq!(ended.unresolved, 1);
    assert!(r.view_problems().iter().any(|p| p.lost_entry
        && matches!(&p.kind, ViewProblemKind::DanglingReference { reference, .. } if reference == "#29")));
    assert!(!r.view_problems().iter().any(|p| matches!(p.kind, ViewProblemKind::UnexpectedResource { .. })));
}

#[test]
fn an_items_own_contained_resources_resolve_its_references() {
    let body = bundle(vec![
        list(SectionKind::Medications.snomed_code(), &["MedicationStatement/ms"]),
        json!({"resourceType": "MedicationStatement", "id": "ms", "medicationReference": {"reference": "#med"},
               "contained": [{"resourceType": "Medication", "id": "med", "code": {"text": "Contained med"}}]}),
        named("Medication", "med", "Bundle med"),
    ]);
    let r = StructuredRecord::from_slice(&body).unwrap();
    assert_eq!(r.medications().items[0].name.as_deref(), Some("Contained med"));
}

#[test]
fn every_list_entry_once_whatever_the_reference_form() {
    let body = serde_json::to_vec(&json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": list(SectionKind::Problems.snomed_code(),
            &["Condition/c1", "c1", "https://provider.example/fhir/Condition/c1", "urn:uuid:c2", "Condition/c2", "c3"])},
        {"fullUrl": "https://provider.example/fhir/Condition/c1", "resource": named("Condition", "c1", "One")},
        {"fullUrl": "urn:uuid:c2", "resource": named("Condition", "c2", "Two")},
        {"resource": named("Condition", "c3", "Three")},
    ]}))
    .unwrap();
    let r = StructuredRecord::from_slice(&body).unwrap();
    let names: Vec<_> = r.problems().iter().map(|p| p.name.clone().unwrap_or_default()).collect();
    assert_eq!(names, ["One", "Two", "Three"], "{:?}", r.view_problems());
    assert_eq!(r.problems().unresolved, 0);
    assert!(r.view_problems().is_empty());
}

#[test]
fn a_wrong_shaped_field_costs_only_that_field_in_every_section() {
    let cases: Vec<(SectionKind, Value)> = vec![
        (
            SectionKind::Allergies,
            json!({"resourceType": "AllergyIntolerance", "id": "x", "code": {"text": "Nuts"},
                   "assertedDate": ["2020-01-01"], "reaction": {"severity": 3}}),
        ),
        (
            SectionKind::Medications,
            json!({"resourceType": "MedicationStatement", "id": "x", "medicationCodeableConcept": {"text": "Aspirin"},
                   "status": "active", "effectivePeriod": [{"start": "2021-02-03"}], "dosage": [{"text": ["one daily"]}]}),
        ),
        (
            SectionKind::Problems,
            json!({"resourceType": "Condition", "id": "x", "code": {"text": "Asthma"}, "onsetDateTime": 2019,
                   "abatementPeriod": "2020"}),
        ),
        (
            SectionKind::Consultations,
            json!({"resourceType": "Encounter", "id": "x", "type": {"text": "Surgery"}, "period": [{"start": "2020"}],
                   "status": ["finished"]}),
        ),
        (
            SectionKind::Immunisations,
            json!({"resourceType": "Immunization", "id": "x", "vaccineCode": {"text": "Flu"}, "notGiven": "false",
                   "vaccinationProtocol": [{"doseSequence": "2"}], "lotNumber": {"a": 1}}),
        ),
        (
            SectionKind::Investigations,
            json!({"resourceType": "DiagnosticReport", "id": "x", "code": {"text": "FBC"}, "issued": {"when": 1},
                   "status": "final"}),
        ),
        (
            SectionKind::Referrals,
            json!({"resourceType": "ReferralRequest", "id": "x", "reasonCode": {"text": "Physio"},
                   "priority": ["routine"], "authoredOn": true}),
        ),
        (
            SectionKind::DiaryEntries,
            json!({"resourceType": "ProcedureRequest", "id": "x", "code": {"text": "Recall"},
                   "occurrencePeriod": [{"start": "2025"}], "intent": 5}),
        ),
        (
            SectionKind::Uncategorised,
            json!({"resourceType": "Observation", "id": "x", "code": {"text": "Weight"},
                   "valueQuantity": {"value": "70", "unit": "kg"}, "effectiveDateTime": ["2020"], "comment": []}),
        ),
    ];
    for (kind, resource) in cases {
        let reference = format!("{}/x", resource["resourceType"].as_str().unwrap());
        let r = StructuredRecord::from_slice(&bundle(vec![list(kind.snomed_code(), &[&reference]), resource])).unwrap();
        let summary = r.section_summary(kind);
        assert_eq!((summary.items, summary.unresolved), (1, 0), "{kind:?}: {:?}", r.view_problems());
        assert!(summary.problems > 0, "{kind:?}: the malformed field is reported");
        assert!(!malformed_paths(&r, "x").is_empty(), "{kind:?}: named by its path");
    }
    // What was kept is read: the one-element period as its element, the number as text.
    let r = StructuredRecord::from_slice(&bundle(vec![
        list(SectionKind::Medications.snomed_code(), &["MedicationStatement/m"]),
        json!({"resourceType": "MedicationStatement", "id": "m", "medicationCodeableConcept": {"text": "Aspirin"},
               "status": "active", "effectivePeriod": [{"start": "2021-02-03"}], "dosage": [{"text": "one daily"}]}),
    ]))
    .unwrap();
    let m = &r.medications().items[0];
    assert_eq!(m.start.as_ref().map(|d| d.as_str()), Some("2021-02-03"));
    assert_eq!((m.name.as_deref(), m.dosage.as_deref()), (Some("Aspirin"), Some("one daily")));
    assert_eq!(malformed_paths(&r, "m"), ["effectivePeriod"]);
}

#[test]
fn an_item_without_identity_is_dropped_and_reported() {
    let mut l = list(SectionKind::Problems.snomed_code(), &["#bad"]);
    l["contained"] = json!([["not", "an", "object"]]);
    let r = StructuredRecord::from_slice(&bundle(vec![l])).unwrap();
    assert_eq!((r.problems().len(), r.problems().unresolved), (0, 1));
    assert_eq!(r.section_summary(SectionKind::Problems).problems, 1);
}

#[test]
fn deep_nesting_is_refused_once_not_per_reparse() {
    // Extensions nested far deeper than any record (written as text: serde_json's own writer
    // and drop would recurse 5000 deep): the resource is reported, the others read.
    let deep = format!(
        r#"{}{{"url": "leaf", "valueString": "x"}}{}"#,
        r#"{"url": "n", "extension": ["#.repeat(5000),
        "]}".repeat(5000)
    );
    let deep_condition = format!(r#"{{"resourceType": "Condition", "id": "deep", "extension": [{deep}]}}"#);
    let mut body = bundle(vec![
        list(SectionKind::Problems.snomed_code(), &["Condition/deep", "Condition/ok"]),
        json!("DEEP"),
        named("Condition", "ok", "Fine"),
    ]);
    let at = body.windows(6).position(|w| w == b"\"DEEP\"").unwrap();
    body.splice(at..at + 6, deep_condition.bytes());
    let r = StructuredRecord::from_slice(&body).unwrap();
    assert_eq!(r.problems().len(), 1);
    assert!(r.view_problems().iter().any(|p| p.lost_entry && matches!(p.kind, ViewProblemKind::TooDeep { .. })));
}

#[test]
fn self_and_mutual_references_are_cycles_reported_once_each() {
    let members: Vec<Value> =
        (0..100).map(|_| json!({"type": "has-member", "target": {"reference": "Observation/g"}})).collect();
    let body = bundle(vec![
        list(SectionKind::Investigations.snomed_code(), &["DiagnosticReport/d"]),
        json!({"resourceType": "DiagnosticReport", "id": "d", "result": [{"reference": "Observation/g"}, {"reference": "Observation/a"}]}),
        json!({"resourceType": "Observation", "id": "g", "code": {"text": "Group"}, "related": members}),
        json!({"resourceType": "Observation", "id": "a", "related": [{"type": "has-member", "target": {"reference": "Observation/b"}}]}),
        json!({"resourceType": "Observation", "id": "b", "related": [{"type": "has-member", "target": {"reference": "Observation/a"}}]}),
    ]);
    let r = StructuredRecord::from_slice(&body).unwrap();
    let inv = &r.investigations().items[0];
    assert_eq!(inv.results.len(), 2);
    assert!(inv.results[0].members.is_empty());
    assert_eq!(inv.results[1].members.len(), 1, "a -> b, and b -> a is the cycle");
    let cycles = r.view_problems().iter().filter(|p| matches!(p.kind, ViewProblemKind::Cycle { .. })).count();
    assert_eq!(cycles, 101);
}

#[test]
fn huge_fan_out_is_bounded_by_the_body_size() {
    // One large practitioner named by thousands of items: copying its name into each would
    // cost thousands of times the body; the copies stop at a budget and that is reported.
    let big_name = "N".repeat(200_000);
    let mut resources = vec![json!({"resourceType": "Practitioner", "id": "p", "name": [{"text": big_name}]})];
    let mut refs = Vec::new();
    for i in 0..2000 {
        resources.push(
            json!({"resourceType": "Condition", "id": format!("c{i}"), "asserter": {"reference": "Practitioner/p"}}),
        );
        refs.push(format!("Condition/c{i}"));
    }
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    resources.push(list(SectionKind::Problems.snomed_code(), &refs));
    let body = bundle(resources);
    let r = StructuredRecord::from_slice(&body).unwrap();
    assert_eq!(r.problems().len(), 2000, "every item kept");
    let copied: usize = r.problems().iter().filter_map(|p| p.asserter.as_ref()?.name.as_ref()).map(String::len).sum();
    assert!(copied <= 5 * body.len() + 256 * 1024, "copied {copied} for a body of {}", body.len());
    assert!(r.view_problems().iter().any(|p| matches!(p.kind, ViewProblemKind::FanOutLimit)));
}
