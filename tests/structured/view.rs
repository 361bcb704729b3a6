//! The typed view over every structured example payload in the testkit fixtures.

use std::collections::{HashMap, HashSet};

use gpconnect_structured::{
    ImmunisationKind, ListWarning, PrescriptionType, RecordWarningKind, SectionKind, StructuredRecord, ViewProblemKind,
    Warning,
};
use gpconnect_testkit::fixtures::fixture;
use serde_json::Value;

const RESPONSES: &[&str] = &[
    "structured__response__allergies1.json",
    "structured__response__allergies2.json",
    "structured__response__consultations-forwards1.json",
    "structured__response__consultations1.fixed.json",
    "structured__response__diaryentries1.json",
    "structured__response__immunizations1.json",
    "structured__response__immunizations2.json",
    "structured__response__meds.json",
    "structured__response__pathology1.json",
    "structured__response__problems1.json",
    "structured__response__problems2.json",
    "structured__response__referrals1.json",
    "structured__response__skeleton-full-record.json",
    "structured__response__split-plan.json",
    "structured__response__uncategorised1.json",
    "access-record__POST_Patient-gpc-getstructuredrecord__response-200__allergies.json",
    "access-record__POST_Patient-gpc-getstructuredrecord__response-200__fullRecordResponse.json",
    "access-record__POST_Patient-gpc-getstructuredrecord__response-200__immunizations.json",
    "access-record__POST_Patient-gpc-getstructuredrecord__response-200__repeatOnlyResponse.json",
];

/// The spec's table (codes), then the titles of the older examples.
fn section_of(list: &Value) -> Option<SectionKind> {
    let code = list.pointer("/code/coding/0/code").and_then(Value::as_str).unwrap_or("");
    let by_code = SectionKind::ALL.into_iter().find(|k| k.snomed_code() == code);
    if by_code.is_some() {
        return by_code;
    }
    if code == "886721000000107" {
        return Some(SectionKind::Referrals);
    }
    match list["title"].as_str().unwrap_or("") {
        "Resolved Allergies" => Some(SectionKind::EndedAllergies),
        "Allergies List" => Some(SectionKind::Allergies),
        "Medication List" => Some(SectionKind::Medications),
        "Problem List" => Some(SectionKind::Problems),
        "Consultation List" => Some(SectionKind::Consultations),
        "Uncategorised data List" => Some(SectionKind::Uncategorised),
        "Immunization List" => Some(SectionKind::Immunisations),
        _ => None,
    }
}

/// Distinct List entries per section, counted straight from the JSON.
fn expected_counts(json: &Value) -> HashMap<SectionKind, usize> {
    let lists: Vec<&Value> = json["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.get("resource"))
        .filter(|r| r["resourceType"] == "List")
        .collect();
    let referenced: HashSet<String> = lists
        .iter()
        .flat_map(|l| l["entry"].as_array().into_iter().flatten())
        .filter_map(|e| e.pointer("/item/reference").and_then(Value::as_str))
        .filter_map(|r| r.strip_prefix("List/").map(str::to_owned))
        .collect();
    let mut items: HashMap<SectionKind, HashSet<String>> = HashMap::new();
    let mut without_item: HashMap<SectionKind, usize> = HashMap::new();
    for l in lists {
        if l["id"].as_str().is_some_and(|id| referenced.contains(id)) {
            continue;
        }
        let Some(kind) = section_of(l) else { continue };
        for e in l["entry"].as_array().into_iter().flatten() {
            match e.pointer("/item/reference").and_then(Value::as_str) {
                Some(r) => {
                    items.entry(kind).or_default().insert(r.to_owned());
                }
                None => *without_item.entry(kind).or_default() += 1,
            }
        }
    }
    SectionKind::ALL
        .into_iter()
        .map(|k| (k, items.get(&k).map_or(0, HashSet::len) + without_item.get(&k).copied().unwrap_or(0)))
        .collect()
}

fn strict(name: &str) -> &'static str {
    fixture(name)
}

#[test]
fn every_example_parses_with_no_list_entry_lost() {
    for name in RESPONSES {
        let text = strict(name);
        let json: Value = serde_json::from_str(text).unwrap();
        let record = StructuredRecord::from_slice(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = expected_counts(&json);
        for kind in SectionKind::ALL {
            let summary = record.section_summary(kind);
            let (items, unresolved) = (summary.items, summary.unresolved);
            let reported = record.view_problems().iter().filter(|p| p.section == Some(kind) && p.lost_entry).count();
            assert_eq!(unresolved, reported, "{name} {kind:?}: unresolved count matches reported problems");
            assert_eq!(items + unresolved, expected[&kind], "{name} {kind:?}: items + reported == List entries");
        }
    }
}

#[test]
fn full_record_has_every_requested_area() {
    let r = StructuredRecord::from_slice(
        fixture("access-record__POST_Patient-gpc-getstructuredrecord__response-200__fullRecordResponse.json")
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(r.medications().len(), 3);
    assert_eq!(r.consultations().len(), 49);
    assert_eq!(r.diary_entries().len(), 9);
    assert_eq!(r.problems().len(), 1);
    assert!(r.allergies().is_present() && r.allergies().is_empty());
    assert!(r.ended_allergies().is_present());
    assert!(r.immunisations().is_present() && r.immunisations().is_empty());
    assert!(r.patient().is_some());
    assert!(r.view_problems().iter().all(|p| !p.lost_entry), "{:?}", r.view_problems());
    // Every consultation has its structure resolved.
    assert!(r.consultations().iter().all(|c| !c.topics.is_empty()));
    assert!(!r.secondary_lists().is_empty());
}

#[test]
fn medications_resolve_plan_medication_issues_and_prescriber() {
    let r = StructuredRecord::from_slice(fixture("structured__response__meds.json").as_bytes()).unwrap();
    assert_eq!(r.medications().len(), 3);
    let m = &r.medications().items[0];
    assert_eq!(m.name.as_deref(), Some("Amoxicillin 250mg capsules"));
    assert_eq!(m.code.as_ref().and_then(|c| c.code.as_deref()), Some("323509004"));
    assert_eq!(m.dosage.as_deref(), Some("TAKE ONE DAILY"));
    assert_eq!(m.quantity.as_deref(), Some("28 capsule(s)"));
    assert_eq!(m.status.as_deref(), Some("completed"));
    assert_eq!(m.prescription_type, Some(PrescriptionType::Acute));
    assert_eq!(m.prescribing_agency.as_deref(), Some("prescribed-at-gp-practice"));
    assert_eq!(m.last_issue_date.as_ref().map(|d| d.as_str()), Some("2016-05-10"));
    assert_eq!(m.start.as_ref().map(|d| d.as_str()), Some("2016-05-10"));
    assert!(m.prescriber.as_ref().is_some_and(|a| a.resolved && a.name.is_some()));
    assert!(r.view_problems().is_empty(), "{:?}", r.view_problems());
    assert_eq!(m.issues.len(), 1);
    assert!(m.last_issue().is_some());
    assert!(r.view_problems().is_empty(), "{:?}", r.view_problems());
    // Debug never shows clinical content.
    let dbg = format!("{m:?} {r:?}");
    assert!(!dbg.contains("Amoxicillin") && !dbg.contains("TAKE ONE"), "{dbg}");
}

#[test]
fn allergies_active_and_ended_from_contained() {
    let r = StructuredRecord::from_slice(fixture("structured__response__allergies1.json").as_bytes()).unwrap();
    assert_eq!(r.allergies().title(), Some("Active Allergies"));
    assert_eq!(r.ended_allergies().len(), 1);
    assert!(r.ended_allergies().items[0].ended);
    let a = &r.allergies().items[0];
    assert_eq!(a.name.as_deref(), Some("Amoxicillin 250mg capsules"));
    assert_eq!(a.reactions[0].manifestations, vec!["O/E - itchy rash".to_string()]);
    assert_eq!(a.reactions[0].severity.as_deref(), Some("mild"));
}

#[test]
fn diary_example_with_resources_outside_entry_resource_is_reported_not_dropped() {
    // The spec's diary example puts both ProcedureRequests straight on the entry.
    let r = StructuredRecord::from_slice(fixture("structured__response__diaryentries1.json").as_bytes()).unwrap();
    assert_eq!(r.diary_entries().len(), 0);
    assert_eq!(r.diary_entries().unresolved, 2);
    let dangling: Vec<_> =
        r.view_problems().iter().filter(|p| p.section == Some(SectionKind::DiaryEntries) && p.lost_entry).collect();
    assert_eq!(dangling.len(), 2);
    assert!(matches!(dangling[0].kind, ViewProblemKind::DanglingReference { .. }));
}

#[test]
fn investigations_have_reports_with_results_and_specimens() {
    let r = StructuredRecord::from_slice(fixture("structured__response__pathology1.json").as_bytes()).unwrap();
    let inv = &r.investigations().items[0];
    assert_eq!(inv.issued.as_ref().map(|d| d.as_str()), Some("2019-04-03T12:00:00+00:00"));
    assert_eq!(inv.request.as_deref(), Some("FBC - Full blood count"));
    assert_eq!(inv.specimens.len(), 1);
    assert!(!inv.results.is_empty());
    let members: usize = inv.results.iter().map(|t| t.members.len()).sum();
    assert!(members > 0, "test group members resolved");
}

#[test]
fn referrals_immunisations_uncategorised_and_consultations_read() {
    let r = StructuredRecord::from_slice(fixture("structured__response__referrals1.json").as_bytes()).unwrap();
    assert_eq!(r.referrals().len(), 2);

    assert!(r.referrals().iter().any(|x| x.ubrn.as_deref() == Some("bb2378b6-dde2-11e9-9d36-2a2ae2dbcce4")));
    assert!(r.referrals().iter().any(|x| x.name.as_deref() == Some("Referral to physiotherapist")));
    let r = StructuredRecord::from_slice(fixture("structured__response__immunizations2.json").as_bytes()).unwrap();
    assert_eq!(r.immunisations().len(), 2);
    let i = &r.immunisations().items[0];
    assert_eq!(i.kind, ImmunisationKind::Vaccination);
    assert_eq!(i.procedure.as_deref(), Some("First hepatitis A vaccination"));
    assert_eq!(i.lot_number.as_deref(), Some("AAJN11K"));
    let r = StructuredRecord::from_slice(fixture("structured__response__uncategorised1.json").as_bytes()).unwrap();
    assert_eq!(r.uncategorised().len(), 3);
    assert_eq!(r.uncategorised().title(), Some("Miscellaneous record"));
    let r =
        StructuredRecord::from_slice(fixture("structured__response__consultations1.fixed.json").as_bytes()).unwrap();
    assert_eq!(r.consultations().len(), 3);
    let c = &r.consultations().items[0];
    assert_eq!(c.title.as_deref(), Some("Surgery Consultation"));
    assert_eq!(c.topics.len(), 5);
    assert_eq!(c.topics[0].title.as_deref(), Some("Anxiety with Depression"));
    assert_eq!(c.topics[0].headings[0].title.as_deref(), Some("History"));
    assert!(c.topics[0].headings[0].items.iter().all(|i| i.resolved && i.name.is_some()));
    assert!(c.clinician.as_ref().is_some_and(|a| a.resolved));
    // Code wins over title: the "Medication List" coded 826501000000100 is uncategorised data.
    assert_eq!(r.uncategorised().len(), 47);
    // Problem-B in the spec's example has a field that is not valid STU3: the problem is
    // kept, the field reported by its path.
    assert_eq!(r.problems().len(), 4, "{:?}", r.view_problems());
    assert_eq!(r.problems().unresolved, 0);
    let b = r.problems().iter().find(|p| p.id.as_deref() == Some("Problem-B-Swollen-Legs")).unwrap();
    assert!(b.name.is_some());
    let malformed = r.view_problems().iter().find_map(|p| match &p.kind {
        ViewProblemKind::MalformedField { id: Some(id), path, .. } if id == "Problem-B-Swollen-Legs" => {
            Some(path.clone())
        }
        _ => None,
    });
    assert!(malformed.is_some());
    let urti = r.problems().iter().find(|p| p.id.as_deref() == Some("Problem-D-URTI")).unwrap();
    assert_eq!(urti.related_problems[0].0, "Parent");
    assert!(urti.actual_problem.as_ref().is_some_and(|l| l.resolved));
    assert!(!urti.linked_items.is_empty());
}

#[test]
fn in_band_outcome_warnings_are_typed() {
    let r =
        StructuredRecord::from_slice(fixture("structured__response__consultations-forwards1.json").as_bytes()).unwrap();
    assert!(r.has_warning(Warning::UnrecognisedParameter));
    assert!(!r.has_warning(Warning::ClinicalAreaDisabled));
    assert!(r.warnings().iter().any(|w| w.kind == RecordWarningKind::UnrecognisedParameter
        && w.parameter.as_deref() == Some("includeConsultations")));
}

fn bundle(entries: Vec<Value>) -> Vec<u8> {
    let entries: Vec<Value> = entries.into_iter().map(|r| serde_json::json!({ "resource": r })).collect();
    serde_json::to_vec(&serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": entries})).unwrap()
}

#[test]
fn list_warnings_disabled_area_and_bad_shapes_are_kept_and_reported() {
    use serde_json::json;
    let disabled: Value =
        serde_json::from_str(fixture("structured__operationoutcome__clinical-area-disabled__bundle-entry.json"))
            .unwrap();
    let body = bundle(vec![
        json!({"resourceType": "Patient", "id": "p", "generalPractitioner": [{"reference": "Organization/o"}]}),
        json!({"resourceType": "Organization", "id": "o", "name": "Practice"}),
        disabled["resource"].clone(),
        json!({"resourceType": "List", "title": "Medications and medical devices",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "933361000000108"}]},
            "extension": [
                {"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1", "valueCode": "confidential-items"},
                {"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1", "valueCode": "data-in-transit"}],
            "entry": [
                {"item": {"reference": "MedicationStatement/good"}},
                {"item": {"reference": "MedicationStatement/missing"}},
                {"item": {"reference": "MedicationStatement/broken"}},
                {"item": {"reference": "Condition/c"}},
                {}]}),
        json!({"resourceType": "MedicationStatement", "id": "good", "status": "active",
            "medicationCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "1", "display": "Inline med"}]},
            "basedOn": [{"reference": "MedicationRequest/nowhere"}]}),
        json!({"resourceType": "MedicationStatement", "id": "broken", "status": 7}),
        json!({"resourceType": "Condition", "id": "c"}),
        json!({"resourceType": "List", "title": "Something new", "code": {"coding": [{"code": "123"}]}, "entry": []}),
        json!({"resourceType": "List", "title": "Problems",
            "emptyReason": {"coding": [{"code": "no-content-recorded"}]},
            "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1", "valueCode": "data-awaiting-filing"}]}),
    ]);
    let r = StructuredRecord::from_slice(&body).unwrap();
    assert_eq!(r.registered_practice().and_then(|o| o.name.as_deref()), Some("Practice"));
    let meds = r.medications();
    assert_eq!(meds.len(), 2, "a wrong-shaped field costs only that field");
    assert_eq!(meds.items[0].name.as_deref(), Some("Inline med"));
    assert_eq!(meds.items[1].id.as_deref(), Some("broken"));
    assert_eq!(meds.unresolved, 3);
    assert!(meds.has_warning(&ListWarning::ConfidentialItems));
    assert!(r.has_warning(Warning::DataInTransit) && r.has_warning(Warning::DataAwaitingFiling));
    assert!(r.has_warning(Warning::ClinicalAreaDisabled));
    assert_eq!(r.warnings()[0].parameter.as_deref(), Some("includeProblems"));
    assert_eq!(r.problems().empty_reason().and_then(|c| c.coding[0].code.as_deref()), Some("no-content-recorded"));
    let kinds: Vec<&ViewProblemKind> = r.view_problems().iter().map(|p| &p.kind).collect();
    assert!(kinds.iter().any(|k| matches!(k, ViewProblemKind::DanglingReference { reference, .. } if reference == "MedicationStatement/missing")));
    assert!(kinds.iter().any(|k| matches!(k, ViewProblemKind::DanglingReference { reference, .. } if reference == "MedicationRequest/nowhere")));
    assert!(kinds.iter().any(
        |k| matches!(k, ViewProblemKind::MalformedField { id: Some(id), path, .. } if id == "broken" && path == "status")
    ));
    assert!(kinds.iter().any(
        |k| matches!(k, ViewProblemKind::UnexpectedResource { resource_type, .. } if resource_type == "Condition")
    ));
    assert!(kinds.iter().any(|k| matches!(k, ViewProblemKind::EntryWithoutItem)));
    assert!(kinds.iter().any(|k| matches!(k, ViewProblemKind::UnknownList { code: Some(c), .. } if c == "123")));
}
