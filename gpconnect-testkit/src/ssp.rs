//! The SSP leg: service root resolution, the SSP's ASID checks, and the checks every
//! provider makes before a route's handler runs. All shared validation is here.

use gpconnect_core::{Capability, InteractionId};

use crate::outcome::{Rejection, SpineCode};
use crate::provider::{self, Ctx};
use crate::validate::{self, header};
use crate::world::{Config, Outcome, Reply, State};

const CAPABILITIES: [Capability; 3] = [Capability::Foundations, Capability::Structured, Capability::Documents];

/// Turns the request path into the target URL the SSP forwards to: `/https://host/...`
/// (or `/https:/host/...` where a client collapsed the `//`) becomes `https://host/...`.
pub(crate) fn target_url(path: &str) -> String {
    let rest = path.strip_prefix('/').unwrap_or(path);
    for scheme in ["https:", "http:"] {
        if let Some(after) = rest.strip_prefix(scheme) {
            let after = after.trim_start_matches('/');
            return format!("{scheme}//{after}");
        }
    }
    rest.to_string()
}

/// The capability whose configured root is the longest prefix of `target`, with the
/// FHIR path that follows it.
///
/// An `http://` target whose `https://` form is under a root is served by that root too:
/// the spec's own DocumentReference examples give `http://` attachment URLs, which
/// consumers send through the SSP as they are.
fn resolve_root(config: &Config, target: &str) -> Option<(Capability, String, String)> {
    let secure = target.strip_prefix("http://").map(|rest| format!("https://{rest}"));
    let target = secure.as_deref().unwrap_or(target);
    CAPABILITIES
        .iter()
        .filter_map(|&c| {
            let root = config.service_root(c);
            let rest = target.strip_prefix(root.as_str())?;
            if rest.is_empty() || rest.starts_with('/') {
                Some((c, root, rest.trim_start_matches('/').to_string()))
            } else {
                None
            }
        })
        .max_by_key(|(_, root, _)| root.len())
}

/// Handles a request addressed to the SSP.
pub(crate) fn handle(
    config: &Config,
    state: &mut State,
    req: &wiremock::Request,
    query: &[(String, String)],
    body: Option<&serde_json::Value>,
    now: i64,
) -> Outcome {
    let target = target_url(req.url.path());
    let interaction = header(req, "ssp-interactionid").and_then(|v| v.parse::<InteractionId>().ok());
    let mut outcome = Outcome { interaction, claims: validate::decode_claims(req), ..Outcome::default() };
    let Some((capability, root, fhir_path)) = resolve_root(config, &target) else {
        let registered = config.service_root(interaction.map_or(Capability::Foundations, |i| i.capability()));
        outcome.fhir_path = target.clone();
        outcome.result = Err(Rejection::ssp_target_url_varies(&registered, &config.cpa_id(), &target));
        return outcome;
    };
    outcome.service_root = Some(root.clone());
    outcome.fhir_path = fhir_path.clone();
    outcome.result = check_and_route(config, state, req, query, body, now, capability, &root, &fhir_path, &target);
    outcome
}

#[allow(clippy::too_many_arguments)]
fn check_and_route(
    config: &Config,
    state: &mut State,
    req: &wiremock::Request,
    query: &[(String, String)],
    body: Option<&serde_json::Value>,
    now: i64,
    capability: Capability,
    root: &str,
    fhir_path: &str,
    target: &str,
) -> Result<Reply, Rejection> {
    // The SSP's own checks.
    validate::check_trace_id(req)?;
    match header(req, "ssp-from") {
        None => return Err(Rejection::bad_request("Ssp-From header missing")),
        Some(v) if v != config.consumer_asid => return Err(Rejection::ssp_sender_not_authorised(v)),
        Some(_) => {}
    }
    match header(req, "ssp-to") {
        None => return Err(Rejection::bad_request("Ssp-To header missing")),
        Some(v) if v != config.provider_asid => return Err(Rejection::ssp_receiver_not_authorised(v)),
        Some(_) => {}
    }
    let interaction = match header(req, "ssp-interactionid") {
        None => return Err(Rejection::bad_request("Ssp-InteractionID header missing")),
        Some(v) => v
            .parse::<InteractionId>()
            .map_err(|_| Rejection::bad_request("Ssp-InteractionID is not a GP Connect interaction ID"))?,
    };
    if interaction.capability() != capability {
        // The SSP compares the target URL with the endpoint SDS holds for the interaction.
        let registered = config.service_root(interaction.capability());
        return Err(Rejection::ssp_target_url_varies(&registered, &config.cpa_id(), target));
    }

    // The provider's checks.
    let method = req.method.as_str();
    let Some((route, params)) = provider::find(capability, method, fhir_path) else {
        return Err(Rejection::provider(
            SpineCode::NotImplemented,
            format!("{method} {fhir_path} is not implemented by the testkit provider"),
        ));
    };
    if !route.interactions.contains(&interaction) {
        return Err(Rejection::bad_request(format!(
            "Ssp-InteractionID {} does not match the request {method} {}",
            interaction.urn(),
            route.path
        )));
    }
    let has_body = !req.body.is_empty();
    validate::check_media_types(req, has_body)?;
    if has_body && body.is_none() {
        return Err(Rejection::bad_request("request body is not valid JSON"));
    }
    validate::check_authorization(req, root, interaction, now)?;

    let mut ctx = Ctx { config, state, params, query, body, interaction, request: req };
    (route.handler)(&mut ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_url_keeps_or_restores_the_double_slash() {
        let want = "https://provider.testkit.invalid/A20047/STU3/1/gpconnect/Patient";
        assert_eq!(target_url("/https://provider.testkit.invalid/A20047/STU3/1/gpconnect/Patient"), want);
        assert_eq!(target_url("/https:/provider.testkit.invalid/A20047/STU3/1/gpconnect/Patient"), want);
    }

    #[test]
    fn longest_root_wins() {
        let config = Config::default();
        let (c, _, rest) = resolve_root(
            &config,
            &format!("{}/Patient/$gpc.getstructuredrecord", config.service_root(Capability::Structured)),
        )
        .unwrap();
        assert_eq!((c, rest.as_str()), (Capability::Structured, "Patient/$gpc.getstructuredrecord"));
        let (c, _, rest) =
            resolve_root(&config, &format!("{}/metadata", config.service_root(Capability::Foundations))).unwrap();
        assert_eq!((c, rest.as_str()), (Capability::Foundations, "metadata"));
        assert!(resolve_root(&config, "https://provider.testkit.invalid/A20047/STU3/1/gpconnectx/metadata").is_none());
    }
}
