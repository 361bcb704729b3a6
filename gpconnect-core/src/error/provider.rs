//! An error status from the SSP or the provider, with its OperationOutcome mapped to a
//! [`GpcCode`] and an [`ErrorKind`].

use std::fmt;
use std::time::Duration;

use uuid::Uuid;

use super::answer::RawBody;
use super::code::GpcCode;
use super::kind::ErrorKind;
use super::Words;
use crate::fhir::OperationOutcome;
use crate::InteractionId;

/// An error status from the SSP or the provider, with everything it said.
///
/// `Debug` and `Display` show the status, the code (a code this SDK does not know is not
/// quoted), the interaction and the trace ID; never the `diagnostics`, the
/// OperationOutcome's texts or the body, which can echo request values. Read those
/// through [`ProviderError::diagnostics`], the `outcome` and `body` fields.
pub struct ProviderError {
    /// The HTTP status.
    pub status: u16,
    /// The first GP Connect / Spine error code of the OperationOutcome, if any.
    pub code: Option<GpcCode>,
    /// The parsed OperationOutcome, when the body was one.
    pub outcome: Option<OperationOutcome>,
    /// The interaction that failed.
    pub interaction: InteractionId,
    /// The `Ssp-TraceID` of the request.
    pub trace_id: Uuid,
    /// The `Content-Type` of the answer.
    pub content_type: Option<String>,
    /// The answer's `Retry-After`, when given.
    pub retry_after: Option<Duration>,
    /// The raw body, at most [`MAX_ERROR_BODY`](super::MAX_ERROR_BODY) bytes.
    pub body: RawBody,
}

impl ProviderError {
    /// The category of this refusal.
    pub fn kind(&self) -> ErrorKind {
        if let Some(code) = &self.code {
            if let Some(kind) = code.kind() {
                return kind;
            }
        }
        match self.status {
            401 => ErrorKind::Authentication,
            403 => ErrorKind::AccessDenied,
            404 => ErrorKind::NotFound,
            409 | 412 => ErrorKind::Conflict,
            _ => ErrorKind::ProviderRejected,
        }
    }

    /// The `diagnostics` texts of the OperationOutcome. May contain what the
    /// provider chose to echo: treat as sensitive.
    pub fn diagnostics(&self) -> Vec<&str> {
        self.outcome.iter().flat_map(|o| o.issue.iter()).filter_map(|i| i.diagnostics.as_deref()).collect()
    }
}

impl fmt::Debug for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderError")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("outcome", &self.outcome.as_ref().map(|o| o.issue.len()))
            .field("interaction", &self.interaction)
            .field("trace_id", &self.trace_id)
            .field("retry_after", &self.retry_after)
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the provider or SSP refused {} with HTTP {}", Words(self.interaction), self.status)?;
        match &self.code {
            Some(code) => write!(f, ": {code}")?,
            None if self.outcome.is_none() => f.write_str(" without an OperationOutcome")?,
            None => {}
        }
        match self.code.as_ref().and_then(GpcCode::fix).or_else(|| status_fix(self.status)) {
            Some(fix) => write!(f, "; {fix}"),
            None => Ok(()),
        }
    }
}

/// What to do after an error status without a code this SDK knows.
fn status_fix(status: u16) -> Option<&'static str> {
    Some(match status {
        401 => "the SSP did not accept the credentials: check the client certificate and the consumer ASID",
        403 => "access denied: check that the consumer ASID may make this request to this provider",
        404 => "not found: check the address of the SSP and the provider's service root",
        429 => "too many requests: wait and try again",
        503 => "the service is unavailable: try again later",
        _ => return None,
    })
}
