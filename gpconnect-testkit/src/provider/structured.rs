//! Access Record Structured routes: `POST Patient/$gpc.getstructuredrecord`, answered from
//! the spec's example bundles after the provider's parameter checks (spec section 2.1), and
//! `POST Patient/$gpc.migratestructuredrecord` (section 2.4), answered with the full record.

use gpconnect_core::{Capability, InteractionId};
use serde_json::{json, Value};

use super::{check_nhs_number, Ctx, Reply, Route};
use crate::fixtures::fixture_json;
use crate::outcome::{Rejection, SpineCode};

const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const FULL_RECORD: &str = "access-record__POST_Patient-gpc-getstructuredrecord__response-200__fullRecordResponse.json";

pub(crate) static ROUTES: &[Route] = &[
    Route {
        capability: Capability::Structured,
        method: "POST",
        path: "Patient/$gpc.getstructuredrecord",
        interactions: &[InteractionId::GetStructuredRecord],
        handler: get_structured_record,
    },
    Route {
        capability: Capability::Structured,
        method: "POST",
        path: "Patient/$gpc.migratestructuredrecord",
        interactions: &[InteractionId::MigrateStructuredRecord],
        handler: migrate_structured_record,
    },
];

/// Every parameter the 1.6.x OperationDefinition knows, with its parts.
const PARAMETERS: &[(&str, &[&str])] = &[
    ("includeAllergies", &["includeResolvedAllergies"]),
    ("includeMedication", &["includePrescriptionIssues", "medicationSearchFromDate"]),
    ("includeConsultations", &["consultationSearchPeriod", "includeNumberOfMostRecent"]),
    ("includeProblems", &["filterStatus", "filterSignificance"]),
    ("includeImmunisations", &["includeNotGiven", "includeStatus"]),
    ("includeUncategorisedData", &["uncategorisedDataSearchPeriod"]),
    ("includeInvestigations", &["investigationSearchPeriod"]),
    ("includeReferrals", &["referralSearchPeriod"]),
    ("includeDiaryEntries", &["diaryEntriesSearchDate"]),
];

/// Parts forbidden with `includeConsultations` (and, except the problem filters, with
/// `includeProblems`).
const FORBIDDEN: &[(&str, &str)] = &[
    ("includeMedication", "medicationSearchFromDate"),
    ("includeUncategorisedData", "uncategorisedDataSearchPeriod"),
    ("includeProblems", "filterStatus"),
    ("includeProblems", "filterSignificance"),
    ("includeReferrals", "referralSearchPeriod"),
    ("includeDiaryEntries", "diaryEntriesSearchDate"),
    ("includeImmunisations", "includeNotGiven"),
    ("includeImmunisations", "includeStatus"),
];

fn invalid_parameter(diagnostics: impl Into<String>) -> Rejection {
    Rejection::provider(SpineCode::InvalidParameter, diagnostics)
}

fn has_value(part: &Value) -> bool {
    part.as_object().is_some_and(|o| o.keys().any(|k| k.starts_with("value")))
}

fn full_date(v: &Value) -> bool {
    v.as_str().is_some_and(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10)
}

fn check_part(param: &str, part: &Value) -> Result<(), Rejection> {
    let name = part["name"].as_str().unwrap_or("");
    if !has_value(part) {
        return Err(invalid_parameter(format!("{param}.{name} has no value")));
    }
    let bad = |what: &str| Err(invalid_parameter(format!("{param}.{name}: {what}")));
    match name {
        "medicationSearchFromDate" | "diaryEntriesSearchDate" if !full_date(&part["valueDate"]) => {
            bad("must be a full date (yyyy-mm-dd)")
        }
        "consultationSearchPeriod"
        | "uncategorisedDataSearchPeriod"
        | "investigationSearchPeriod"
        | "referralSearchPeriod" => {
            let p = &part["valuePeriod"];
            let (s, e) = (&p["start"], &p["end"]);
            if (!s.is_null() && !full_date(s)) || (!e.is_null() && !full_date(e)) {
                return bad("period dates must be full dates (yyyy-mm-dd)");
            }
            if let (Some(s), Some(e)) = (s.as_str(), e.as_str()) {
                if s > e {
                    return bad("start is after end");
                }
            }
            Ok(())
        }
        "filterStatus" if !matches!(part["valueCode"].as_str(), Some("active" | "inactive")) => {
            bad("must be active or inactive")
        }
        "includeNumberOfMostRecent" if part["valuePositiveInt"].as_u64().is_none_or(|n| n == 0) => {
            bad("must be a positive integer")
        }
        _ => Ok(()),
    }
}

fn get_structured_record(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let Some(parameters) = ctx.body.filter(|b| b["resourceType"] == "Parameters") else {
        return Err(Rejection::invalid_resource("the body must be a FHIR Parameters resource"));
    };
    let params: &[Value] = parameters["parameter"].as_array().map(Vec::as_slice).unwrap_or_default();
    let by_name = |n: &str| params.iter().find(|p| p["name"] == n);

    let nhs = patient_nhs_number(params)?;

    // Every other parameter: known, parts only their own, each with a value.
    let mut warnings = Vec::new();
    let mut requested = Vec::new();
    for p in params {
        let name = p["name"].as_str().unwrap_or("");
        if name == "patientNHSNumber" {
            continue;
        }
        let Some((_, allowed)) = PARAMETERS.iter().find(|(n, _)| *n == name) else {
            warnings.push(name.to_string());
            continue;
        };
        if requested.contains(&name) {
            // 1.5.x / 1.6.0: `includeProblems` repeats, one status / significance pair each.
            let filtered = |p: &&Value| p["part"].as_array().is_some_and(|a| !a.is_empty());
            let problems = params.iter().filter(|p| p["name"] == "includeProblems");
            if name != "includeProblems" || !problems.clone().all(|p| filtered(&p)) {
                return Err(invalid_parameter(format!("{name} is repeated")));
            }
        } else {
            requested.push(name);
        }
        for part in p["part"].as_array().into_iter().flatten() {
            let part_name = part["name"].as_str().unwrap_or("");
            if !allowed.contains(&part_name) {
                return Err(invalid_parameter(format!("{part_name} is not a part of {name}")));
            }
            check_part(name, part)?;
        }
    }
    if requested.is_empty() && warnings.is_empty() {
        return Err(invalid_parameter("no clinical area requested"));
    }
    let part_of = |param: &str, part: &str| {
        by_name(param).is_some_and(|p| p["part"].as_array().is_some_and(|a| a.iter().any(|x| x["name"] == part)))
    };
    if by_name("includeAllergies").is_some() && !part_of("includeAllergies", "includeResolvedAllergies") {
        return Err(invalid_parameter("includeAllergies.includeResolvedAllergies is mandatory"));
    }
    if part_of("includeConsultations", "consultationSearchPeriod")
        && part_of("includeConsultations", "includeNumberOfMostRecent")
    {
        return Err(Rejection::invalid_resource(
            "includeConsultations: consultationSearchPeriod and includeNumberOfMostRecent together",
        ));
    }
    for (by, skip_problem_filters) in [("includeConsultations", false), ("includeProblems", true)] {
        if by_name(by).is_none() || is_predefined(params) {
            continue;
        }
        for (param, part) in FORBIDDEN {
            if skip_problem_filters && *param == "includeProblems" {
                continue;
            }
            if part_of(param, part) {
                return Err(invalid_parameter(format!("{param}.{part} is not allowed with {by}")));
            }
        }
    }
    if !ctx.state.patients.contains_key(&nhs) {
        return Err(Rejection::provider(SpineCode::PatientNotFound, "no patient with this NHS number"));
    }

    let mut bundle = fixture_json(example_for(&requested, by_name("includeAllergies")));
    normalise(&mut bundle, &nhs);
    if !warnings.is_empty() {
        let issues: Vec<Value> = warnings
            .iter()
            .map(|name| {
                json!({
                    "severity": "warning",
                    "code": "not-supported",
                    "details": {
                        "coding": [{ "system": crate::outcome::SPINE_ERROR_SYSTEM, "code": "NOT_IMPLEMENTED", "display": "Not implemented" }],
                        "text": format!("{name} is an unrecognised parameter"),
                    },
                    "diagnostics": name,
                })
            })
            .collect();
        let outcome = json!({ "resource": {
            "resourceType": "OperationOutcome",
            "id": uuid::Uuid::new_v4().to_string(),
            "meta": { "profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"] },
            "issue": issues,
        }});
        if let Some(entries) = bundle["entry"].as_array_mut() {
            entries.retain(|e| e["resource"]["resourceType"] != "OperationOutcome");
            entries.push(outcome);
        }
    }
    Ok(Reply::ok(bundle))
}

/// Whether the request is one of the spec's predefined multi-area searches, which are
/// exempt from the forbidden combinations: consultations (3 most recent), problems,
/// allergies and medication from a date (search 1), plus immunisations and uncategorised
/// data (search 2), with no other parts.
fn is_predefined(params: &[Value]) -> bool {
    let mut names: Vec<&str> =
        params.iter().filter_map(|p| p["name"].as_str()).filter(|n| *n != "patientNHSNumber").collect();
    names.sort_unstable();
    let search_1 = ["includeAllergies", "includeConsultations", "includeMedication", "includeProblems"];
    let search_2 = [
        "includeAllergies",
        "includeConsultations",
        "includeImmunisations",
        "includeMedication",
        "includeProblems",
        "includeUncategorisedData",
    ];
    if names != search_1 && names != search_2 {
        return false;
    }
    let parts = |name: &str| -> Vec<Value> {
        params.iter().find(|p| p["name"] == name).and_then(|p| p["part"].as_array()).cloned().unwrap_or_default()
    };
    let consultations = parts("includeConsultations");
    let three_most_recent = consultations.len() == 1
        && consultations[0]["name"] == "includeNumberOfMostRecent"
        && (consultations[0]["valuePositiveInt"] == 3 || consultations[0]["valueInteger"] == 3);
    let medication = parts("includeMedication")
        .iter()
        .all(|p| matches!(p["name"].as_str(), Some("medicationSearchFromDate" | "includePrescriptionIssues")));
    let bare =
        ["includeProblems", "includeImmunisations", "includeUncategorisedData"].iter().all(|n| parts(n).is_empty());
    three_most_recent && medication && bare
}

/// `patientNHSNumber`: present, NHS number system, valid number.
fn patient_nhs_number(params: &[Value]) -> Result<String, Rejection> {
    let nhs = params
        .iter()
        .find(|p| p["name"] == "patientNHSNumber")
        .ok_or_else(|| invalid_parameter("patientNHSNumber is missing"))?;
    let identifier = &nhs["valueIdentifier"];
    if identifier["system"] != NHS_NUMBER_SYSTEM {
        return Err(invalid_parameter(format!("patientNHSNumber system must be {NHS_NUMBER_SYSTEM}")));
    }
    let nhs = identifier["value"].as_str().unwrap_or_default().to_string();
    check_nhs_number(&nhs)?;
    Ok(nhs)
}

/// Spec section 2.4: `patientNHSNumber` and `includeFullRecord.includeSensitiveInformation`;
/// sensitive information only with the JWT scope `conf/R`, else `400 CONFLICTING_VALUES`.
/// (The shared checks have already required `reason_for_request: migration`.)
fn migrate_structured_record(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let Some(parameters) = ctx.body.filter(|b| b["resourceType"] == "Parameters") else {
        return Err(Rejection::invalid_resource("the body must be a FHIR Parameters resource"));
    };
    let params: &[Value] = parameters["parameter"].as_array().map(Vec::as_slice).unwrap_or_default();
    let by_name = |n: &str| params.iter().find(|p| p["name"] == n);
    let nhs = patient_nhs_number(params)?;
    if let Some(other) = params
        .iter()
        .filter_map(|p| p["name"].as_str())
        .find(|n| !matches!(*n, "patientNHSNumber" | "includeFullRecord"))
    {
        return Err(invalid_parameter(format!("{other} is not a parameter of $gpc.migratestructuredrecord")));
    }
    let full = by_name("includeFullRecord").ok_or_else(|| invalid_parameter("includeFullRecord is missing"))?;
    let parts: &[Value] = full["part"].as_array().map(Vec::as_slice).unwrap_or_default();
    if let Some(other) = parts.iter().find(|p| p["name"] != "includeSensitiveInformation") {
        return Err(invalid_parameter(format!("{} is not a part of includeFullRecord", other["name"])));
    }
    let sensitive = match parts.first() {
        None => true, // the spec's default
        Some(part) => part["valueBoolean"]
            .as_bool()
            .ok_or_else(|| invalid_parameter("includeFullRecord.includeSensitiveInformation must be a valueBoolean"))?,
    };
    let scope = crate::validate::decode_claims(ctx.request)
        .and_then(|c| c["requested_scope"].as_str().map(str::to_owned))
        .unwrap_or_default();
    if sensitive && !scope.split(' ').any(|s| s == "conf/R") {
        return Err(Rejection::provider(
            SpineCode::ConflictingValues,
            "includeSensitiveInformation is only allowed with the conf/R scope",
        ));
    }
    if !ctx.state.patients.contains_key(&nhs) {
        return Err(Rejection::provider(SpineCode::PatientNotFound, "no patient with this NHS number"));
    }
    let mut bundle = fixture_json(FULL_RECORD);
    normalise(&mut bundle, &nhs);
    Ok(Reply::ok(bundle))
}

/// The example bundle that best answers the requested areas.
fn example_for(requested: &[&str], allergies: Option<&Value>) -> &'static str {
    match requested {
        ["includeAllergies"] => {
            let resolved = allergies
                .and_then(|a| a["part"].as_array())
                .and_then(|p| p.iter().find(|x| x["name"] == "includeResolvedAllergies"))
                .is_some_and(|x| x["valueBoolean"] == true);
            if resolved {
                "structured__response__allergies1.json"
            } else {
                "structured__response__allergies2.json"
            }
        }
        ["includeMedication"] => "structured__response__meds.json",
        ["includeImmunisations"] => "structured__response__immunizations2.json",
        ["includeUncategorisedData"] => "structured__response__uncategorised1.json",
        ["includeInvestigations"] => "structured__response__pathology1.json",
        ["includeReferrals"] => "structured__response__referrals1.json",
        ["includeDiaryEntries"] => "structured__response__diaryentries1.json",
        ["includeConsultations"] => "structured__response__consultations1.fixed.json",
        _ => FULL_RECORD,
    }
}

/// Puts the patient's NHS number in, and wraps resources the examples put straight on an
/// entry (the diary example) into `entry.resource`.
fn normalise(bundle: &mut Value, nhs: &str) {
    bundle["id"] = Value::String(uuid::Uuid::new_v4().to_string());
    for entry in bundle["entry"].as_array_mut().into_iter().flatten() {
        if entry.get("resource").is_none() && entry.get("resourceType").is_some() {
            let resource = entry.take();
            *entry = json!({ "resource": resource });
        }
        let resource = &mut entry["resource"];
        if resource["resourceType"] == "Patient" {
            for id in resource["identifier"].as_array_mut().into_iter().flatten() {
                if id["system"] == NHS_NUMBER_SYSTEM {
                    id["value"] = Value::String(nhs.to_string());
                }
            }
        }
    }
}
