//! The mock GP Connect provider: a route table keyed by capability, method and FHIR path
//! pattern. Each API adds its routes in its own module (`foundations.rs`; later
//! `structured.rs`, `documents.rs`, `appointments.rs`) and lists them in [`routes`].
//!
//! Every request reaches a handler only after the shared checks in [`crate::ssp`] (service
//! root, `Ssp-*` headers, interaction, media types, JWT) have passed.

pub(crate) mod appointments;
pub(crate) mod documents;
pub(crate) mod foundations;
pub(crate) mod structured;

use gpconnect_core::{Capability, InteractionId};
use serde_json::{json, Value};

use crate::outcome::Rejection;
pub(crate) use crate::world::{token, Reply};
use crate::world::{Config, State};

/// A handler: answers a request that passed every shared check.
pub(crate) type Handler = fn(&mut Ctx<'_>) -> Result<Reply, Rejection>;

/// One provider route.
pub(crate) struct Route {
    /// The capability whose service root serves the route.
    pub capability: Capability,
    /// HTTP method.
    pub method: &'static str,
    /// FHIR path pattern after the service root: `/`-separated literal segments and
    /// `{name}` placeholders, e.g. `Patient/{id}`, `Patient/$gpc.getstructuredrecord`.
    pub path: &'static str,
    /// The `Ssp-InteractionID`s the route accepts (one, or several where the spec shares a
    /// route between interactions, e.g. amend and cancel appointment).
    pub interactions: &'static [InteractionId],
    /// The handler.
    pub handler: Handler,
}

/// Every provider route of every API.
pub(crate) fn routes() -> impl Iterator<Item = &'static Route> {
    foundations::ROUTES
        .iter()
        .chain(appointments::ROUTES.iter())
        .chain(documents::ROUTES.iter())
        .chain(structured::ROUTES.iter())
}

/// What a handler sees.
pub(crate) struct Ctx<'a> {
    pub config: &'a Config,
    pub state: &'a mut State,
    /// Path placeholders, percent-decoded, in pattern order.
    pub params: Vec<(&'static str, String)>,
    /// Decoded query pairs.
    pub query: &'a [(String, String)],
    /// The request body, if it was JSON.
    pub body: Option<&'a Value>,
    /// The interaction the request was sent as.
    #[allow(dead_code)] // for routes shared by several interactions
    pub interaction: InteractionId,
    /// The request as received (headers such as `If-Match`).
    pub request: &'a wiremock::Request,
}

impl Ctx<'_> {
    /// The value of path placeholder `name`.
    pub fn param(&self, name: &str) -> &str {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    /// Every value of query parameter `name`.
    pub fn query_values(&self, name: &str) -> Vec<&str> {
        self.query.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }
}

/// The provider's NHS number check: ten digits with a valid Modulus 11 check digit, else
/// `400 INVALID_NHS_NUMBER`.
pub(crate) fn check_nhs_number(nhs: &str) -> Result<(), Rejection> {
    if crate::nhs::is_valid_nhs_number(nhs) {
        Ok(())
    } else {
        Err(Rejection::provider(
            crate::outcome::SpineCode::InvalidNhsNumber,
            "NHS number fails the format or check digit test",
        ))
    }
}

/// An empty searchset Bundle (no match is not an error).
pub(crate) fn empty_searchset() -> Value {
    json!({
        "resourceType": "Bundle",
        "id": uuid::Uuid::new_v4().to_string(),
        "type": "searchset",
    })
}

fn percent_decode(segment: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The route for a request, with its path placeholders.
pub(crate) fn find(
    capability: Capability,
    method: &str,
    fhir_path: &str,
) -> Option<(&'static Route, Vec<(&'static str, String)>)> {
    let segments: Vec<String> = fhir_path.trim_end_matches('/').split('/').map(percent_decode).collect();
    routes().filter(|r| r.capability == capability && r.method.eq_ignore_ascii_case(method)).find_map(|r| {
        let pattern: Vec<&'static str> = r.path.split('/').collect();
        if pattern.len() != segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (p, s) in pattern.iter().zip(&segments) {
            if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                if s.is_empty() {
                    return None;
                }
                params.push((name, s.clone()));
            } else if p != s {
                return None;
            }
        }
        Some((r, params))
    })
}
