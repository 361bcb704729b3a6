//! Hand-built GP Connect requests, independent of the SDK.
#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use gpconnect_core::{Capability, InteractionId};
use gpconnect_testkit::MockSpine;
use serde_json::{json, Value};

pub const FHIR_JSON: &str = "application/fhir+json;charset=utf-8";

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Valid claims for `interaction` sent to `aud`.
pub fn claims(aud: &str, interaction: InteractionId) -> Value {
    let iat = now();
    json!({
        "iss": "https://consumer.testkit.invalid/",
        "sub": "10019",
        "aud": aud,
        "exp": iat + 300,
        "iat": iat,
        "reason_for_request": interaction.reason_for_request(),
        "requested_scope": interaction.scope().as_str(),
        "requesting_device": {
            "resourceType": "Device",
            "identifier": [ { "system": "https://consumer.testkit.invalid/Id/device-identifier", "value": "TESTKIT-1" } ],
            "model": "testkit tests",
            "version": "0.1.0"
        },
        "requesting_organization": {
            "resourceType": "Organization",
            "identifier": [ { "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A1001" } ],
            "name": "Test Hospital"
        },
        "requesting_practitioner": {
            "resourceType": "Practitioner",
            "id": "10019",
            "identifier": [
                { "system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "111222333444" },
                { "system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "444555666777" }
            ],
            "name": [ { "family": "Jones", "given": [ "Claire" ], "prefix": [ "Dr" ] } ]
        }
    })
}

pub fn token(claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// A GET through the SSP with every header right; `headers` are then set (an empty value
/// removes the header).
pub struct Call {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

impl Call {
    pub fn new(spine: &MockSpine, interaction: InteractionId, fhir_path: &str) -> Call {
        Call::to(spine, interaction, interaction.capability(), fhir_path)
    }

    pub fn to(spine: &MockSpine, interaction: InteractionId, capability: Capability, fhir_path: &str) -> Call {
        let root = spine.service_root(capability);
        let claims = claims(&root, interaction);
        Call {
            url: spine.url(capability, fhir_path),
            headers: vec![
                ("Ssp-TraceID".into(), uuid::Uuid::new_v4().to_string()),
                ("Ssp-From".into(), spine.consumer_asid().into()),
                ("Ssp-To".into(), spine.provider_asid().into()),
                ("Ssp-InteractionID".into(), interaction.urn().into()),
                ("Accept".into(), FHIR_JSON.into()),
                ("Authorization".into(), format!("Bearer {}", token(&claims))),
            ],
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if !value.is_empty() {
            self.headers.push((name.into(), value.into()));
        }
        self
    }

    pub fn claims(self, claims: &Value) -> Call {
        self.header("Authorization", &format!("Bearer {}", token(claims)))
    }

    pub async fn get(self) -> (u16, Option<String>, Value) {
        self.get_with_headers().await.0
    }

    /// POSTs `body` as FHIR JSON.
    pub async fn post(self, body: &Value) -> (u16, Option<String>, Value) {
        let mut req = reqwest::Client::new().post(&self.url).header("Content-Type", FHIR_JSON).body(body.to_string());
        for (n, v) in &self.headers {
            req = req.header(n.as_str(), v.as_str());
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        let code = body.pointer("/issue/0/details/coding/0/code").and_then(Value::as_str).map(str::to_string);
        (status, code, body)
    }

    pub async fn get_with_headers(self) -> ((u16, Option<String>, Value), reqwest::header::HeaderMap) {
        let client = reqwest::Client::new();
        let mut req = client.get(&self.url);
        for (n, v) in &self.headers {
            req = req.header(n.as_str(), v.as_str());
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body: Value = res.json().await.unwrap();
        let code = body.pointer("/issue/0/details/coding/0/code").and_then(Value::as_str).map(str::to_string);
        ((status, code, body), headers)
    }
}
