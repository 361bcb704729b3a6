//! A failed Spine Directory Service look-up.

use crate::{InteractionId, OdsCode};

/// A failed Spine Directory Service look-up.
#[derive(Debug, thiserror::Error)]
#[error("{} at provider {ods}: {problem}", interaction.capability())]
pub struct DirectoryError {
    /// The provider's ODS code.
    pub ods: OdsCode,
    /// The interaction looked up.
    pub interaction: InteractionId,
    /// What went wrong.
    pub problem: DirectoryProblem,
}

/// What went wrong in a directory look-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryProblem {
    /// No SDS is configured and no service root was given by hand for this capability.
    #[error(
        "no service root is known for it: look it up in SDS (sds on the client builder) or set it by hand \
         (with_root on the provider handle)"
    )]
    NotConfigured,
    /// No Endpoint is registered for this ODS code and interaction.
    #[error(
        "SDS has no endpoint for this interaction: check the ODS code, and that the provider offers this \
         capability"
    )]
    NoEndpoint,
    /// No Device (ASID) is registered for the endpoint's party key.
    #[error("SDS has no ASID for the provider's endpoint: the provider's registration is incomplete")]
    NoAsid,
    /// SDS refused the request (for example a wrong API key).
    #[error("SDS refused the look-up with HTTP {status}{}", sds_refusal_fix(*status))]
    Refused {
        /// The HTTP status.
        status: u16,
    },
    /// SDS answered with a redirect (3xx), which is never followed.
    #[error("SDS answered with a redirect (HTTP {status}), which is never followed")]
    Redirected {
        /// The HTTP status.
        status: u16,
    },
    /// SDS could not be reached.
    #[error("SDS could not be reached: check the SDS address and the network")]
    Unreachable,
    /// SDS did not answer in time.
    #[error("SDS did not answer in time: try again later")]
    Timeout,
    /// SDS answered something that is not a FHIR Bundle of the expected shape.
    #[error("SDS answered with something other than the expected FHIR Bundle: check the SDS address")]
    BadAnswer,
}

fn sds_refusal_fix(status: u16) -> &'static str {
    match status {
        401 | 403 => ": check the SDS API key",
        429 => ": too many look-ups, try again later",
        404 => ": check the SDS address",
        _ => "",
    }
}
