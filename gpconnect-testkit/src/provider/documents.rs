//! Access Document routes on the documents service root: patient search, a patient's
//! DocumentReference search and Binary retrieval. Answers are the spec's `documents__*`
//! and `access-record__GET_documents-*` examples, with ids and attachment URLs pointing
//! at the mock.

use gpconnect_core::{Capability, InteractionId};
use serde_json::Value;

use super::{check_nhs_number, empty_searchset, token, Ctx, Reply, Route};
use crate::fixtures::fixture_json;
use crate::outcome::{Rejection, SpineCode};

const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// The Binary id of the spec's document example, served by `Binary/{id}`.
pub(crate) const BINARY_ID: &str = "07a6483f-732b-461e-86b6-edb665c45510";

/// The ODS code of the authoring organisation in the spec's document search example.
pub(crate) const EXAMPLE_AUTHOR_ODS: &str = "O001";

/// The five parameters every document search must carry (spec 3.2).
const MANDATORY_INCLUDES: [(&str, &str); 5] = [
    ("_include", "DocumentReference:subject:Patient"),
    ("_include", "DocumentReference:custodian:Organization"),
    ("_include", "DocumentReference:author:Organization"),
    ("_include", "DocumentReference:author:Practitioner"),
    ("_revinclude:recurse", "PractitionerRole:practitioner"),
];

/// The includes of the documents 1.0.x search form (`GET /DocumentReference?subject=`).
const V1_0_INCLUDES: [(&str, &str); 3] = [
    ("_include", "DocumentReference:patient"),
    ("_include", "DocumentReference:custodian:Organization"),
    ("_include", "DocumentReference:author:Organization"),
];

const D: Capability = Capability::Documents;

pub(crate) static ROUTES: &[Route] = &[
    Route {
        capability: D,
        method: "GET",
        path: "Patient",
        interactions: &[InteractionId::SearchDocumentsPatient],
        handler: search_patient,
    },
    Route {
        capability: D,
        method: "GET",
        path: "Patient/{id}/DocumentReference",
        interactions: &[InteractionId::SearchDocuments],
        handler: search_documents,
    },
    Route {
        capability: D,
        method: "GET",
        path: "DocumentReference",
        interactions: &[InteractionId::SearchDocuments],
        handler: search_documents_1_0,
    },
    Route {
        capability: D,
        method: "GET",
        path: "Binary/{id}",
        // Retrieval and migration share the URL; the token's reason must match (checked
        // for every route).
        interactions: &[InteractionId::RetrieveDocument, InteractionId::MigrateDocument],
        handler: read_binary,
    },
];

fn invalid_parameter(diagnostics: impl Into<String>) -> Rejection {
    Rejection::provider(SpineCode::InvalidParameter, diagnostics)
}

fn search_patient(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let values = ctx.query_values("identifier");
    let [value] = values.as_slice() else {
        return Err(invalid_parameter("exactly one identifier search parameter is required"));
    };
    let nhs = match token(value) {
        (Some(NHS_NUMBER_SYSTEM), v) => v.to_string(),
        _ => return Err(invalid_parameter(format!("identifier system must be {NHS_NUMBER_SYSTEM}"))),
    };
    check_nhs_number(&nhs)?;
    let Some(id) = ctx.state.patients.get(&nhs).cloned() else {
        return Ok(Reply::ok(empty_searchset()));
    };
    let mut bundle = fixture_json("access-record__GET_documents-Patient-id__response-200__example.json");
    if let Some(patient) = bundle.pointer_mut("/entry/0/resource") {
        patient["id"] = Value::String(id);
        patient["identifier"] = serde_json::json!([{ "system": NHS_NUMBER_SYSTEM, "value": nhs }]);
    }
    Ok(Reply::ok(bundle))
}

/// A `created` value: `ge` or `le` and a date (`YYYY-MM-DD`) or dateTime.
fn created_bound(value: &str) -> Result<(&str, &str), Rejection> {
    let (prefix, date) = value.split_at(value.len().min(2));
    let valid_date = date.len() >= 10 && chrono::NaiveDate::parse_from_str(&date[..10], "%Y-%m-%d").is_ok();
    if !matches!(prefix, "ge" | "le") || !valid_date {
        return Err(invalid_parameter("created must be ge[date] or le[date]"));
    }
    Ok((prefix, &date[..10]))
}

fn search_documents(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let id = ctx.param("id").to_string();
    documents_bundle(ctx, id, &MANDATORY_INCLUDES)
}

/// The documents 1.0.x form: `GET /DocumentReference?subject=Patient/{id}`.
fn search_documents_1_0(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let subjects = ctx.query_values("subject");
    let [subject] = subjects.as_slice() else {
        return Err(invalid_parameter("exactly one subject parameter is required"));
    };
    let Some(id) = subject.strip_prefix("Patient/").map(str::to_owned) else {
        return Err(invalid_parameter("subject must be Patient/{id}"));
    };
    documents_bundle(ctx, id, &V1_0_INCLUDES)
}

fn documents_bundle(ctx: &mut Ctx<'_>, id: String, includes: &[(&str, &str)]) -> Result<Reply, Rejection> {
    if !ctx.state.patients.values().any(|known| *known == id) {
        return Err(Rejection::provider(SpineCode::PatientNotFound, "no patient with this logical id"));
    }
    for (name, value) in includes {
        if !ctx.query_values(name).contains(value) {
            return Err(invalid_parameter(format!("mandatory parameter {name}={value} missing")));
        }
    }
    let mut bounds = Vec::new();
    for value in ctx.query_values("created") {
        bounds.push(created_bound(value)?);
    }
    let authors = ctx.query_values("author");
    if authors.len() > 1 {
        return Err(invalid_parameter("at most one author parameter"));
    }
    let author = match authors.first().map(|v| token(v)) {
        None => None,
        Some((Some(ODS_SYSTEM), code)) if !code.is_empty() => Some(code.to_string()),
        Some(_) => return Err(invalid_parameter(format!("author must be an ODS code token ({ODS_SYSTEM}|code)"))),
    };

    let root = ctx.config.service_root(D);
    let mut bundle = fixture_json("documents__search-documentreference__response-bundle.json");
    let entries = bundle.get_mut("entry").and_then(Value::as_array_mut).map(std::mem::take).unwrap_or_default();
    let mut kept = Vec::new();
    for mut entry in entries {
        let resource_type = entry.pointer("/resource/resourceType").and_then(Value::as_str).unwrap_or("").to_string();
        match resource_type.as_str() {
            "Patient" => {
                entry["resource"]["id"] = Value::String(id.clone());
                entry["fullUrl"] = Value::String(format!("{root}/Patient/{id}"));
            }
            "DocumentReference" => {
                let created = entry.pointer("/resource/created").and_then(Value::as_str).unwrap_or("").to_string();
                let day = created.get(..10).unwrap_or("");
                let in_range = bounds.iter().all(|(prefix, date)| match *prefix {
                    "ge" => day >= *date,
                    _ => day <= *date,
                });
                // The example's authoring organisation has ODS code O001.
                let author_matches = author.as_deref().is_none_or(|code| code.eq_ignore_ascii_case(EXAMPLE_AUTHOR_ODS));
                if !in_range || !author_matches {
                    continue;
                }
                let resource = &mut entry["resource"];
                resource["subject"] = serde_json::json!({ "reference": format!("Patient/{id}") });
                if let Some(contents) = resource.get_mut("content").and_then(Value::as_array_mut) {
                    for content in contents {
                        if let Some(attachment) = content.get_mut("attachment") {
                            attachment["url"] = Value::String(format!("{root}/Binary/{BINARY_ID}"));
                        }
                    }
                }
            }
            _ => {}
        }
        kept.push(entry);
    }
    bundle["entry"] = Value::Array(kept);
    Ok(Reply::ok(bundle))
}

fn read_binary(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    if ctx.param("id") != BINARY_ID {
        return Err(Rejection::provider(SpineCode::NoRecordFound, "no document with this id"));
    }
    Ok(Reply::ok(fixture_json("documents__retrieve-binary__response.fixed.json")))
}
