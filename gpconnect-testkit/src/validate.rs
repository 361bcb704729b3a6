//! The checks every GP Connect request goes through: SSP headers, media types and the JWT.
//!
//! Written independently of the SDK's own code so that the testkit is a second opinion.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use gpconnect_core::InteractionId;
use serde_json::{Map, Value};

use crate::outcome::Rejection;

/// The only media type the testkit accepts in `Accept` and `Content-Type`.
pub const FHIR_JSON: &str = "application/fhir+json;charset=utf-8";
/// `exp - iat` the spec requires, in seconds.
pub const JWT_LIFETIME_SECS: i64 = 300;
/// How far in the future `iat` may be (clock skew), in seconds.
pub const IAT_FUTURE_SKEW_SECS: i64 = 180;

const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const SDS_USER_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-user-id";

/// The claims the spec says SHALL be present.
pub const REQUIRED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "reason_for_request",
    "requested_scope",
    "requesting_device",
    "requesting_organization",
    "requesting_practitioner",
];

/// Whether `s` is a hyphenated UUID.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::parse_str(s).is_ok()
}

/// The value of a header, if present and valid UTF-8.
pub(crate) fn header<'a>(req: &'a wiremock::Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

fn media_type_is_fhir_json(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case(FHIR_JSON)
}

/// Checks `Ssp-TraceID` and the presence of `Ssp-From` / `Ssp-To` (their values are the
/// SSP's business, see [`crate::spine`]).
pub(crate) fn check_trace_id(req: &wiremock::Request) -> Result<(), Rejection> {
    match header(req, "ssp-traceid") {
        None => Err(Rejection::bad_request("Ssp-TraceID header missing")),
        Some(v) if !is_uuid(v) => Err(Rejection::bad_request("Ssp-TraceID header is not a UUID")),
        Some(_) => Ok(()),
    }
}

/// Checks `Accept` and, when the request has a body, `Content-Type`.
pub(crate) fn check_media_types(req: &wiremock::Request, has_body: bool) -> Result<(), Rejection> {
    match header(req, "accept") {
        None => return Err(Rejection::bad_request("Accept header missing")),
        Some(v) if !media_type_is_fhir_json(v) => {
            return Err(Rejection::bad_request(format!("Accept header must be {FHIR_JSON}")))
        }
        Some(_) => {}
    }
    if has_body {
        match header(req, "content-type") {
            None => return Err(Rejection::bad_request("Content-Type header missing")),
            Some(v) if !media_type_is_fhir_json(v) => return Err(Rejection::ssp_unsupported_media_type()),
            Some(_) => {}
        }
    }
    Ok(())
}

/// Decodes the claims of a bearer token without checking anything, for the request log.
pub(crate) fn decode_claims(req: &wiremock::Request) -> Option<Value> {
    let token = header(req, "authorization")?.strip_prefix("Bearer ")?;
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// Checks the `Authorization: Bearer` JWT of a request sent to `service_root` for
/// `interaction`, at time `now` (Unix seconds).
pub(crate) fn check_authorization(
    req: &wiremock::Request,
    service_root: &str,
    interaction: InteractionId,
    now: i64,
) -> Result<(), Rejection> {
    match header(req, "authorization") {
        None => Err(Rejection::bad_request("Authorization header missing")),
        Some(v) => match v.strip_prefix("Bearer ") {
            None => Err(Rejection::bad_request("Authorization header is not a Bearer token")),
            Some(token) => check_jwt(token, service_root, interaction, now),
        },
    }
}

fn decode_part(part: &str, what: &str) -> Result<Value, Rejection> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Rejection::bad_request(format!("JWT {what} is not base64url without padding")))?;
    serde_json::from_slice(&bytes).map_err(|_| Rejection::bad_request(format!("JWT {what} is not JSON")))
}

/// Checks a serialised GP Connect JWT (spec section 1.3).
pub fn check_jwt(token: &str, service_root: &str, interaction: InteractionId, now: i64) -> Result<(), Rejection> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(Rejection::bad_request("JWT must be header.payload. with an empty signature and the trailing dot"));
    }
    if !parts[2].is_empty() {
        return Err(Rejection::bad_request("JWT must be unsigned (empty signature)"));
    }
    let head = decode_part(parts[0], "header")?;
    if head.get("alg").and_then(Value::as_str) != Some("none") {
        return Err(Rejection::bad_request("JWT header alg must be none"));
    }
    if head.get("typ").and_then(Value::as_str) != Some("JWT") {
        return Err(Rejection::bad_request("JWT header typ must be JWT"));
    }
    let payload = decode_part(parts[1], "payload")?;
    let claims = payload.as_object().ok_or_else(|| Rejection::bad_request("JWT payload is not a JSON object"))?;
    check_claims(claims, service_root, interaction, now)
}

fn claim_str<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<&'a str, Rejection> {
    match claims.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) => Err(Rejection::bad_request(format!("Empty JWT {name} claim"))),
        _ => Err(Rejection::bad_request(format!("JWT {name} claim must be a string"))),
    }
}

fn claim_int(claims: &Map<String, Value>, name: &str) -> Result<i64, Rejection> {
    claims
        .get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| Rejection::bad_request(format!("JWT {name} claim must be an integer (Unix seconds)")))
}

fn claim_resource<'a>(
    claims: &'a Map<String, Value>,
    name: &str,
    resource_type: &str,
) -> Result<&'a Map<String, Value>, Rejection> {
    let resource = claims
        .get(name)
        .and_then(Value::as_object)
        .ok_or_else(|| Rejection::bad_request(format!("JWT {name} claim must be a FHIR resource object")))?;
    match resource.get("resourceType").and_then(Value::as_str) {
        Some(t) if t == resource_type => Ok(resource),
        Some(_) => Err(Rejection::invalid_resource(format!(
            "JWT {name} claim has the wrong resourceType (expected {resource_type})"
        ))),
        None => Err(Rejection::invalid_resource(format!("JWT {name} claim has no resourceType"))),
    }
}

/// The identifiers of a claim resource as (system, value) pairs; an invalid identifier
/// list is an invalid resource.
fn identifiers<'a>(resource: &'a Map<String, Value>, name: &str) -> Result<Vec<(&'a str, &'a str)>, Rejection> {
    let list = resource
        .get("identifier")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| Rejection::invalid_resource(format!("JWT {name} claim has no identifier")))?;
    list.iter()
        .map(|i| {
            let system = i.get("system").and_then(Value::as_str);
            let value = i.get("value").and_then(Value::as_str);
            match (system, value) {
                (Some(s), Some(v)) if !s.is_empty() && !v.is_empty() => Ok((s, v)),
                _ => Err(Rejection::invalid_resource(format!(
                    "JWT {name} claim has an identifier without system and value"
                ))),
            }
        })
        .collect()
}

fn check_claims(
    claims: &Map<String, Value>,
    service_root: &str,
    interaction: InteractionId,
    now: i64,
) -> Result<(), Rejection> {
    for name in REQUIRED_CLAIMS {
        match claims.get(*name) {
            None => return Err(Rejection::bad_request(format!("Missing JWT {name} claim"))),
            Some(Value::Null) => return Err(Rejection::bad_request(format!("Empty JWT {name} claim"))),
            Some(_) => {}
        }
    }
    claim_str(claims, "iss")?;
    let sub = claim_str(claims, "sub")?;
    let aud = claim_str(claims, "aud")?;
    let exp = claim_int(claims, "exp")?;
    let iat = claim_int(claims, "iat")?;
    if exp - iat != JWT_LIFETIME_SECS {
        return Err(Rejection::bad_request(format!(
            "JWT exp must be exactly iat + {JWT_LIFETIME_SECS} (got exp - iat = {})",
            exp - iat
        )));
    }
    if iat > now + IAT_FUTURE_SKEW_SECS {
        return Err(Rejection::bad_request("JWT iat claim is in the future"));
    }
    if exp < now {
        return Err(Rejection::bad_request("JWT has expired (exp is in the past)"));
    }
    if aud != service_root {
        return Err(Rejection::bad_request(format!(
            "JWT aud claim must be the provider service root the request is sent to ({service_root})"
        )));
    }
    let reason = claim_str(claims, "reason_for_request")?;
    if reason != interaction.reason_for_request() {
        return Err(Rejection::bad_request(format!(
            "JWT reason_for_request must be {} for this interaction",
            interaction.reason_for_request()
        )));
    }
    let scope = claim_str(claims, "requested_scope")?;
    check_scope(scope, interaction)?;

    let device = claim_resource(claims, "requesting_device", "Device")?;
    identifiers(device, "requesting_device")?;

    let org = claim_resource(claims, "requesting_organization", "Organization")?;
    let org_ids = identifiers(org, "requesting_organization")?;
    if !org_ids.iter().any(|(s, _)| *s == ODS_SYSTEM) {
        return Err(Rejection::invalid_resource(format!(
            "JWT requesting_organization claim has no {ODS_SYSTEM} identifier"
        )));
    }

    let practitioner = claim_resource(claims, "requesting_practitioner", "Practitioner")?;
    let practitioner_id = practitioner
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Rejection::invalid_resource("JWT requesting_practitioner claim has no id"))?;
    if !practitioner.get("name").is_some_and(Value::is_array) {
        return Err(Rejection::invalid_resource(
            "JWT requesting_practitioner claim name must be an array (STU3 HumanName list)",
        ));
    }
    let practitioner_ids = identifiers(practitioner, "requesting_practitioner")?;
    // Providers' conformance tests accept a practitioner without role profile or local
    // identifiers, so only the SDS user ID (which may be `UNK`) is required.
    if !practitioner_ids.iter().any(|(s, _)| *s == SDS_USER_SYSTEM) {
        return Err(Rejection::invalid_resource(format!(
            "JWT requesting_practitioner claim has no {SDS_USER_SYSTEM} identifier"
        )));
    }
    if sub != practitioner_id {
        return Err(Rejection::bad_request("JWT sub claim must equal requesting_practitioner.id"));
    }
    Ok(())
}

fn check_scope(scope: &str, interaction: InteractionId) -> Result<(), Rejection> {
    let expected = interaction.scope().as_str();
    let mut parts = scope.split(' ');
    let resource = parts.next().unwrap_or_default();
    let conf = parts.next();
    let ok = resource == expected && matches!(conf, None | Some("conf/N") | Some("conf/R")) && parts.next().is_none();
    if ok {
        Ok(())
    } else {
        Err(Rejection::bad_request(format!(
            "JWT requested_scope must be {expected} (optionally followed by conf/N or conf/R) for this interaction"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ROOT: &str = "https://provider.testkit.invalid/A20047/STU3/1/gpconnect";

    fn good_claims(now: i64) -> Value {
        json!({
            "iss": "https://consumer.testkit.invalid/",
            "sub": "10019",
            "aud": ROOT,
            "exp": now + 300,
            "iat": now,
            "reason_for_request": "directcare",
            "requested_scope": "patient/*.read",
            "requesting_device": { "resourceType": "Device", "identifier": [ { "system": "https://consumer.testkit.invalid/device", "value": "1" } ] },
            "requesting_organization": { "resourceType": "Organization", "identifier": [ { "system": ODS_SYSTEM, "value": "A1001" } ] },
            "requesting_practitioner": {
                "resourceType": "Practitioner", "id": "10019",
                "identifier": [ { "system": SDS_USER_SYSTEM, "value": "UNK" }, { "system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "UNK" } ],
                "name": [ { "family": "Jones" } ]
            }
        })
    }

    fn token(claims: &Value) -> String {
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    fn code(claims: &Value) -> Option<(u16, String)> {
        check_jwt(&token(claims), ROOT, InteractionId::SearchPatient, 1_700_000_000).err().map(|r| (r.status, r.code))
    }

    #[test]
    fn good_token_passes_and_each_rule_bites() {
        let now = 1_700_000_000;
        let good = good_claims(now);
        assert_eq!(code(&good), None);
        let mut c = good.clone();
        c["requested_scope"] = json!("patient/*.read conf/N");
        assert_eq!(code(&c), None);

        let bad_request = Some((400, "BAD_REQUEST".to_string()));
        let invalid = Some((422, "INVALID_RESOURCE".to_string()));
        for name in REQUIRED_CLAIMS {
            let mut c = good.clone();
            c.as_object_mut().unwrap().remove(*name);
            assert_eq!(code(&c), bad_request, "{name}");
        }
        type Want = Option<(u16, String)>;
        let cases: Vec<(&str, Value, &Want)> = vec![
            ("/exp", json!(now + 301), &bad_request),
            ("/aud", json!("https://elsewhere.invalid"), &bad_request),
            ("/requested_scope", json!("organization/*.read"), &bad_request),
            ("/requested_scope", json!("patient/*.read conf/X"), &bad_request),
            ("/reason_for_request", json!("migration"), &bad_request),
            ("/sub", json!("other"), &bad_request),
            ("/requesting_device/resourceType", json!("Patient"), &invalid),
            ("/requesting_practitioner/name", json!({ "family": "Jones" }), &invalid),
            ("/requesting_practitioner/identifier/0/system", json!("x"), &invalid),
        ];
        for (pointer, value, want) in cases {
            let mut c = good.clone();
            *c.pointer_mut(pointer).unwrap() = value;
            assert_eq!(&code(&c), want, "{pointer}");
        }
    }

    #[test]
    fn token_shape_is_checked() {
        let good = token(&good_claims(1_700_000_000));
        let check = |t: &str| check_jwt(t, ROOT, InteractionId::SearchPatient, 1_700_000_000);
        assert!(check(&good).is_ok());
        assert!(check(good.trim_end_matches('.')).is_err());
        assert!(check(&format!("{good}sig")).is_err());
    }
}
