//! Foundations routes: capability statement, patient / organisation / practitioner search
//! and read, location read. Answers are the spec's `foundations__*.json` examples.

use gpconnect_core::{Capability, InteractionId};
use serde_json::Value;

use super::{check_nhs_number, empty_searchset, token, Ctx, Reply, Route};
use crate::fixtures::fixture_json;
use crate::outcome::{Rejection, SpineCode};

const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const SDS_USER_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-user-id";

/// The logical id of the organisation in the spec's examples.
pub(crate) const ORGANIZATION_ID: &str = "23";
/// The registered practice's logical id in the spec's patient examples
/// (`managingOrganization: Organization/14`); answered with the same organisation.
pub(crate) const PATIENT_PRACTICE_ID: &str = "14";
/// The ODS code of the organisation in the spec's examples.
pub(crate) const EXAMPLE_ODS: &str = "A00001";
/// The logical id of the practitioner in the spec's examples.
pub(crate) const PRACTITIONER_ID: &str = "15";
/// The SDS user id of the practitioner in the spec's examples.
pub(crate) const PRACTITIONER_SDS_USER_ID: &str = "111122223333";
/// The logical id of the location in the spec's examples.
pub(crate) const LOCATION_ID: &str = "17";

const F: Capability = Capability::Foundations;

/// The logical id of the healthcare service in the spec's 1.2.8 examples.
pub(crate) const HEALTHCARE_SERVICE_ID: &str = "15";
/// The DOS service ID of that healthcare service.
pub(crate) const DOS_SERVICE_ID: &str = "1000000123";
const DOS_SYSTEM: &str = "https://fhir.nhs.uk/Id/uec-dos-service-id";

pub(crate) static ROUTES: &[Route] = &[
    Route {
        capability: F,
        method: "GET",
        path: "HealthcareService",
        interactions: &[InteractionId::SearchHealthcareService],
        handler: search_healthcare_service,
    },
    Route {
        capability: F,
        method: "GET",
        path: "HealthcareService/{id}",
        interactions: &[InteractionId::ReadHealthcareService],
        handler: read_healthcare_service,
    },
    Route {
        capability: F,
        method: "GET",
        path: "metadata",
        interactions: &[InteractionId::ReadMetadata],
        handler: metadata,
    },
    // Each capability's server has its own capability statement read; the mock answers
    // all three with the spec's example.
    Route {
        capability: Capability::Structured,
        method: "GET",
        path: "metadata",
        interactions: &[InteractionId::ReadStructuredMetadata],
        handler: metadata,
    },
    Route {
        capability: Capability::Documents,
        method: "GET",
        path: "metadata",
        interactions: &[InteractionId::ReadDocumentsMetadata],
        handler: metadata,
    },
    Route {
        capability: F,
        method: "GET",
        path: "Patient",
        interactions: &[InteractionId::SearchPatient],
        handler: search_patient,
    },
    Route {
        capability: F,
        method: "POST",
        path: "Patient/$gpc.registerpatient",
        interactions: &[InteractionId::RegisterPatient],
        handler: register_patient,
    },
    Route {
        capability: F,
        method: "GET",
        path: "Patient/{id}",
        interactions: &[InteractionId::ReadPatient],
        handler: read_patient,
    },
    Route {
        capability: F,
        method: "GET",
        path: "Organization",
        interactions: &[InteractionId::SearchOrganization],
        handler: search_organization,
    },
    Route {
        capability: F,
        method: "GET",
        path: "Organization/{id}",
        interactions: &[InteractionId::ReadOrganization],
        handler: read_organization,
    },
    Route {
        capability: F,
        method: "GET",
        path: "Practitioner",
        interactions: &[InteractionId::SearchPractitioner],
        handler: search_practitioner,
    },
    Route {
        capability: F,
        method: "GET",
        path: "Practitioner/{id}",
        interactions: &[InteractionId::ReadPractitioner],
        handler: read_practitioner,
    },
    Route {
        capability: F,
        method: "GET",
        path: "Location/{id}",
        interactions: &[InteractionId::ReadLocation],
        handler: read_location,
    },
];

fn metadata(_: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    Ok(Reply::ok(fixture_json("foundations__get-capability-statement-response.json")))
}

/// The one `identifier` search parameter as (system, value), checked against `system`.
fn identifier_param<'a>(ctx: &'a Ctx<'_>, system: &str) -> Result<&'a str, Rejection> {
    let values = ctx.query_values("identifier");
    let [value] = values.as_slice() else {
        return Err(Rejection::bad_request("exactly one identifier search parameter is required"));
    };
    match token(value) {
        (Some(s), v) if s == system => Ok(v),
        _ => {
            Err(Rejection::provider(SpineCode::InvalidIdentifierSystem, format!("identifier system must be {system}")))
        }
    }
}

/// Sets the first identifier of `system` in `resource` to `value`.
fn set_identifier(resource: &mut Value, system: &str, value: &str) {
    if let Some(ids) = resource.get_mut("identifier").and_then(Value::as_array_mut) {
        for id in ids {
            if id.get("system").and_then(Value::as_str) == Some(system) {
                id["value"] = Value::String(value.to_string());
            }
        }
    }
}

fn patient_resource(mut resource: Value, id: &str, nhs: &str) -> Value {
    resource["id"] = Value::String(id.to_string());
    set_identifier(&mut resource, NHS_NUMBER_SYSTEM, nhs);
    resource
}

fn search_patient(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let nhs = identifier_param(ctx, NHS_NUMBER_SYSTEM)?.to_string();
    check_nhs_number(&nhs)?;
    let Some(id) = ctx.state.patients.get(&nhs).cloned() else {
        return Ok(Reply::ok(empty_searchset()));
    };
    let mut bundle = fixture_json("foundations__find-patient-response.json");
    if let Some(resource) = bundle.pointer_mut("/entry/0/resource") {
        *resource = patient_resource(resource.take(), &id, &nhs);
    }
    Ok(Reply::ok(bundle))
}

/// What the register use case says a consumer SHALL NOT populate: a provider answers
/// `INVALID_RESOURCE`.
const NOT_FOR_REGISTRATION: [&str; 14] = [
    "id",
    "extension",
    "active",
    "deceasedBoolean",
    "deceasedDateTime",
    "maritalStatus",
    "multipleBirthBoolean",
    "multipleBirthInteger",
    "photo",
    "contact",
    "communication",
    "generalPractitioner",
    "managingOrganization",
    "link",
];

/// Temporary registration: a Parameters with one `registerPatient` Patient resource. A
/// patient already known is `DUPLICATE_REJECTED`; elements the consumer SHALL NOT send
/// (a `registrationDetails` extension, `old` telecoms or addresses ...) are
/// `INVALID_RESOURCE`; a birth date that is not a full date fails the PDS check
/// (`INVALID_PATIENT_DEMOGRAPHICS`).
fn register_patient(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let patient = ctx
        .body
        .filter(|b| b["resourceType"] == "Parameters")
        .and_then(|b| b["parameter"].as_array())
        .and_then(|ps| ps.iter().find(|p| p["name"] == "registerPatient"))
        .map(|p| &p["resource"])
        .filter(|r| r["resourceType"] == "Patient")
        .ok_or_else(|| Rejection::invalid_resource("Parameters must hold a registerPatient Patient resource"))?;
    let nhs = patient["identifier"]
        .as_array()
        .and_then(|ids| ids.iter().find(|i| i["system"] == NHS_NUMBER_SYSTEM))
        .and_then(|i| i["value"].as_str())
        .ok_or_else(|| Rejection::invalid_resource("the patient has no NHS number identifier"))?
        .to_string();
    check_nhs_number(&nhs)?;
    if let Some(key) = NOT_FOR_REGISTRATION.iter().find(|k| !patient[**k].is_null()) {
        return Err(Rejection::invalid_resource(format!("Patient.{key} must not be sent to register a patient")));
    }
    for element in ["telecom", "address", "name"] {
        if patient[element].as_array().is_some_and(|all| all.iter().any(|e| e["use"] == "old")) {
            return Err(Rejection::invalid_resource(format!("Patient.{element} with use old must not be sent")));
        }
    }
    let full_date = patient["birthDate"]
        .as_str()
        .is_some_and(|d| d.len() == 10 && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok());
    if !full_date {
        return Err(Rejection::provider(
            SpineCode::InvalidPatientDemographics,
            "a full birth date is needed for the PDS check",
        ));
    }
    if ctx.state.patients.contains_key(&nhs) {
        return Err(Rejection::provider(SpineCode::DuplicateRejected, "the patient is already registered here"));
    }
    let id = ctx.state.add_patient(&nhs);
    let mut bundle = fixture_json("foundations__register-patient-response.json");
    if let Some(resource) = bundle.pointer_mut("/entry/0/resource") {
        *resource = patient_resource(resource.take(), &id, &nhs);
    }
    Ok(Reply::ok(bundle))
}

fn read_patient(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let id = ctx.param("id").to_string();
    let nhs = ctx
        .state
        .patients
        .iter()
        .find(|(_, logical)| **logical == id)
        .map(|(nhs, _)| nhs.clone())
        .ok_or_else(|| Rejection::provider(SpineCode::PatientNotFound, "no patient with this logical id"))?;
    let resource = fixture_json("foundations__read-patient-response.json");
    Ok(Reply::ok(patient_resource(resource, &id, &nhs)))
}

fn search_organization(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let ods = identifier_param(ctx, ODS_SYSTEM)?.to_string();
    if ods != EXAMPLE_ODS && ods != ctx.config.provider_ods {
        return Ok(Reply::ok(empty_searchset()));
    }
    let mut bundle = fixture_json("foundations__find-organization-response.json");
    if let Some(resource) = bundle.pointer_mut("/entry/0/resource") {
        set_identifier(resource, ODS_SYSTEM, &ods);
    }
    Ok(Reply::ok(bundle))
}

/// 1.2.8: a healthcare service by DOS service ID (an unparseable token is
/// `INVALID_PARAMETER`), or every service of the practice with no identifier (the spec's
/// second example).
fn search_healthcare_service(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let values = ctx.query_values("identifier");
    let (system, id) = match values.as_slice() {
        [] => return Ok(Reply::ok(fixture_json("foundations-1.2.8__find-healthcareservice-response-payload-2.json"))),
        [value] => token(value),
        _ => (None, ""),
    };
    if system != Some(DOS_SYSTEM) || id.is_empty() {
        return Err(Rejection::provider(
            SpineCode::InvalidParameter,
            format!("one identifier={DOS_SYSTEM}|<id> is required"),
        ));
    }
    if id != DOS_SERVICE_ID {
        return Ok(Reply::ok(empty_searchset()));
    }
    Ok(Reply::ok(fixture_json("foundations-1.2.8__find-healthcareservice-response-payload-1a.json")))
}

fn read_healthcare_service(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    if ctx.param("id") != HEALTHCARE_SERVICE_ID {
        return Err(Rejection::provider(SpineCode::NoRecordFound, "no healthcare service with this logical id"));
    }
    Ok(Reply::ok(fixture_json("foundations-1.2.8__read-healthcareservice-response-payload-1.json")))
}

fn read_organization(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let id = ctx.param("id");
    if id != ORGANIZATION_ID && id != PATIENT_PRACTICE_ID {
        return Err(Rejection::provider(SpineCode::OrganisationNotFound, "no organisation with this logical id"));
    }
    let mut org = fixture_json("foundations__read-organization-response.json");
    org["id"] = id.into();
    Ok(Reply::ok(org))
}

fn search_practitioner(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let user = identifier_param(ctx, SDS_USER_SYSTEM)?;
    if user != PRACTITIONER_SDS_USER_ID {
        return Ok(Reply::ok(empty_searchset()));
    }
    Ok(Reply::ok(fixture_json("foundations__find-practitioner-response.json")))
}

fn read_practitioner(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    if ctx.param("id") != PRACTITIONER_ID {
        return Err(Rejection::provider(SpineCode::PractitionerNotFound, "no practitioner with this logical id"));
    }
    Ok(Reply::ok(fixture_json("foundations__read-practitioner-response.json")))
}

fn read_location(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    if ctx.param("id") != LOCATION_ID {
        return Err(Rejection::provider(SpineCode::NoRecordFound, "no location with this logical id"));
    }
    Ok(Reply::ok(fixture_json("foundations__read-location-response.json")))
}
