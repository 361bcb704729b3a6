//! The mock's shared world: its configuration ([`Config`]), its state ([`State`]), what a
//! request came to ([`Outcome`], [`Reply`]) and the small helpers every route uses.
//!
//! A leaf: the SSP checks (`ssp.rs`), SDS (`sds.rs`), the provider routes (`provider/`)
//! and the server (`spine.rs`) all name it, and it names none of them.

use std::collections::BTreeMap;

use gpconnect_core::{Capability, InteractionId};
use serde_json::Value;

use crate::outcome::Rejection;
use crate::received::ReceivedRequest;

/// Default consumer ASID (`Ssp-From`).
pub const DEFAULT_CONSUMER_ASID: &str = "200000000115";
/// Default provider ASID (`Ssp-To`).
pub const DEFAULT_PROVIDER_ASID: &str = "200000000116";
/// Default provider ODS code.
pub const DEFAULT_PROVIDER_ODS: &str = "A20047";
/// Default SDS `apikey`.
pub const DEFAULT_SDS_API_KEY: &str = "testkit-sds-key";
/// Host of the provider service roots.
pub const PROVIDER_HOST: &str = "provider.testkit.invalid";
/// NHS numbers of the patients the mock provider knows by default.
pub const DEFAULT_PATIENTS: &[&str] = &["9690937286", "9476719931"];
/// Configuration shared by every route.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub consumer_asid: String,
    pub provider_asid: String,
    pub provider_ods: String,
    pub party_key: String,
    pub sds_api_key: String,
    /// `http://127.0.0.1:PORT`, set once the server has started.
    pub base_url: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            consumer_asid: DEFAULT_CONSUMER_ASID.into(),
            provider_asid: DEFAULT_PROVIDER_ASID.into(),
            provider_ods: DEFAULT_PROVIDER_ODS.into(),
            party_key: format!("{DEFAULT_PROVIDER_ODS}-821870"),
            sds_api_key: DEFAULT_SDS_API_KEY.into(),
            base_url: String::new(),
        }
    }
}

impl Config {
    /// The provider service root for `capability` (no trailing `/`).
    pub fn service_root(&self, capability: Capability) -> String {
        let segment = match capability {
            Capability::Foundations => "gpconnect",
            Capability::Structured => "gpconnect/structured",
            Capability::Documents => "gpconnect/documents",
            _ => "gpconnect/unknown",
        };
        format!("https://{PROVIDER_HOST}/{}/STU3/1/{segment}", self.provider_ods)
    }

    /// The CPA id shown in SSP target-URL errors.
    pub fn cpa_id(&self) -> String {
        format!("S{}", self.provider_asid)
    }
}

/// Mutable state of the mock provider. Routes that keep state (appointments) add their
/// fields here.
#[derive(Default)]
pub(crate) struct State {
    /// Known patients: NHS number -> logical id.
    pub patients: BTreeMap<String, String>,
    next_patient_id: u64,
    /// Appointments booked through the mock provider: logical id -> stored resource.
    pub appointments: BTreeMap<String, Value>,
    /// Booked slot id -> the appointment holding it (freed on cancellation).
    pub booked_slots: BTreeMap<String, String>,
    /// The last appointment id and version handed out.
    pub appointment_seq: u64,
    pub log: Vec<ReceivedRequest>,
}

impl State {
    pub(crate) fn add_patient(&mut self, nhs: &str) -> String {
        if let Some(id) = self.patients.get(nhs) {
            return id.clone();
        }
        self.next_patient_id += 1;
        let id = self.next_patient_id.to_string();
        self.patients.insert(nhs.to_string(), id.clone());
        id
    }
}

/// What a request came to: the parts of the log entry the handlers decide.
pub(crate) struct Outcome {
    pub service_root: Option<String>,
    pub fhir_path: String,
    pub interaction: Option<InteractionId>,
    pub claims: Option<Value>,
    pub result: Result<Reply, Rejection>,
}

impl Default for Outcome {
    fn default() -> Outcome {
        Outcome {
            service_root: None,
            fhir_path: String::new(),
            interaction: None,
            claims: None,
            result: Ok(Reply::ok(Value::Null)),
        }
    }
}

/// A successful answer.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    /// `200` with `body`, and `ETag: W/"<versionId>"` when the body has `meta.versionId`.
    pub fn ok(body: Value) -> Reply {
        Reply::with_status(200, body)
    }

    /// `status` with `body`, and an `ETag` when the body has `meta.versionId`.
    pub fn with_status(status: u16, body: Value) -> Reply {
        let mut headers = Vec::new();
        if let Some(v) = body.pointer("/meta/versionId").and_then(Value::as_str) {
            headers.push(("ETag".to_string(), format!("W/\"{v}\"")));
        }
        Reply { status, body, headers }
    }
}

/// A `search` value of the form `system|value`, split.
pub(crate) fn token(value: &str) -> (Option<&str>, &str) {
    match value.split_once('|') {
        Some((system, v)) => (Some(system), v),
        None => (None, value),
    }
}
