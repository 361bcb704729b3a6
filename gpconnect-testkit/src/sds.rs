//! The mock SDS FHIR API (`/spine-directory/FHIR/R4/`): `Endpoint` and `Device` searches.

use gpconnect_core::InteractionId;
use serde_json::{json, Value};

use crate::outcome::Rejection;
use crate::validate::{header, is_uuid};
use crate::world::{token, Config, Outcome, Reply};

/// The path of the SDS FHIR API base on the mock server.
pub const SDS_BASE_PATH: &str = "/spine-directory/FHIR/R4";

const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const INTERACTION_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhsServiceInteractionId";
const PARTY_KEY_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhsMhsPartyKey";
const ASID_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhsSpineASID";

/// Handles a request under [`SDS_BASE_PATH`]; `rest` is the path after it.
pub(crate) fn handle(config: &Config, req: &wiremock::Request, rest: &str, query: &[(String, String)]) -> Outcome {
    let mut outcome = Outcome {
        service_root: Some(SDS_BASE_PATH.to_string()),
        fhir_path: rest.trim_start_matches('/').to_string(),
        ..Outcome::default()
    };
    outcome.result = answer(config, req, &outcome.fhir_path, query);
    outcome
}

struct Search<'a> {
    organization: Option<&'a str>,
    interaction: Option<&'a str>,
    party_key: Option<&'a str>,
}

fn parse_search(query: &[(String, String)]) -> Result<Search<'_>, Rejection> {
    let mut search = Search { organization: None, interaction: None, party_key: None };
    for (name, value) in query {
        let (system, v) = token(value);
        match (name.as_str(), system) {
            ("organization", Some(ODS_SYSTEM)) => search.organization = Some(v),
            ("identifier", Some(INTERACTION_SYSTEM)) => search.interaction = Some(v),
            ("identifier", Some(PARTY_KEY_SYSTEM)) => search.party_key = Some(v),
            ("organization" | "identifier", _) => {
                return Err(Rejection::sds(400, "INVALID_SEARCH_DATA", format!("unsupported {name} system")))
            }
            _ => {}
        }
    }
    Ok(search)
}

fn answer(
    config: &Config,
    req: &wiremock::Request,
    fhir_path: &str,
    query: &[(String, String)],
) -> Result<Reply, Rejection> {
    match header(req, "apikey") {
        Some(k) if k == config.sds_api_key => {}
        _ => return Err(Rejection::sds(401, "ACCESS_DENIED", "missing or invalid apikey header")),
    }
    if let Some(id) = header(req, "x-request-id") {
        if !is_uuid(id) {
            return Err(Rejection::sds(400, "INVALID_VALUE", "X-Request-ID must be a UUID"));
        }
    }
    if req.method.as_str() != "GET" {
        return Err(Rejection::sds(405, "METHOD_NOT_ALLOWED", "only GET is supported"));
    }
    let search = parse_search(query)?;
    let matches = |s: &Search<'_>| -> Option<InteractionId> {
        let interaction = s.interaction?.parse::<InteractionId>().ok()?;
        (s.organization? == config.provider_ods && s.party_key.is_none_or(|k| k == config.party_key))
            .then_some(interaction)
    };
    match fhir_path {
        "Endpoint" => {
            if search.organization.is_none() || search.interaction.is_none() {
                return Err(Rejection::sds(
                    400,
                    "MISSING_PARAM",
                    "organization and identifier (interaction) are required",
                ));
            }
            let entries = matches(&search).map(|i| endpoint(config, i)).into_iter().collect();
            Ok(Reply::ok(bundle(config, "Endpoint", entries)))
        }
        "Device" => {
            if search.organization.is_none() || search.interaction.is_none() {
                return Err(Rejection::sds(
                    400,
                    "MISSING_PARAM",
                    "organization and identifier (interaction) are required",
                ));
            }
            let entries = matches(&search).map(|_| device(config)).into_iter().collect();
            Ok(Reply::ok(bundle(config, "Device", entries)))
        }
        other => Err(Rejection::sds(404, "NOT_FOUND", format!("no SDS resource type {other}"))),
    }
}

fn bundle(config: &Config, resource_type: &str, resources: Vec<Value>) -> Value {
    let entries: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            json!({
                "fullUrl": format!("{}{SDS_BASE_PATH}/{resource_type}/{}", config.base_url, r["id"].as_str().unwrap_or_default()),
                "resource": r,
                "search": { "mode": "match" },
            })
        })
        .collect();
    let mut b = json!({
        "resourceType": "Bundle",
        "id": uuid::Uuid::new_v4().to_string(),
        "type": "searchset",
        "total": entries.len(),
    });
    if !entries.is_empty() {
        b["entry"] = Value::Array(entries);
    }
    b
}

fn party_key_identifier(config: &Config) -> Value {
    json!({ "system": PARTY_KEY_SYSTEM, "value": config.party_key })
}

fn endpoint(config: &Config, interaction: InteractionId) -> Value {
    json!({
        "resourceType": "Endpoint",
        "id": format!("testkit-endpoint-{}", config.provider_ods),
        "status": "active",
        "connectionType": {
            "system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
            "code": "hl7-fhir-rest",
            "display": "HL7 FHIR"
        },
        "payloadType": [ { "coding": [ {
            "system": "http://terminology.hl7.org/CodeSystem/endpoint-payload-type",
            "code": "any",
            "display": "Any"
        } ] } ],
        "managingOrganization": { "identifier": { "system": ODS_SYSTEM, "value": config.provider_ods } },
        "address": config.service_root(interaction.capability()),
        "identifier": [
            { "system": INTERACTION_SYSTEM, "value": interaction.urn() },
            party_key_identifier(config),
        ],
    })
}

fn device(config: &Config) -> Value {
    json!({
        "resourceType": "Device",
        "id": format!("testkit-device-{}", config.provider_asid),
        "identifier": [
            { "system": ASID_SYSTEM, "value": config.provider_asid },
            party_key_identifier(config),
        ],
        "owner": { "identifier": { "system": ODS_SYSTEM, "value": config.provider_ods } },
    })
}
