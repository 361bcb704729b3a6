//! The per-call options every operation builder carries: a leaf, read by the send path
//! ([`crate::operation`]), the provider handle and the client's dispatch alike.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use crate::jwt::User;
use crate::retry::RetryPolicy;

/// Per-call overrides of the transport's defaults: one set for the SSP and the API platform.
///
/// A field that does not apply to a transport is refused by it as
/// [`InvalidInput`](crate::error::InvalidInput) before anything is sent: the platform
/// binds every call to the logged-in patient and has no requesting user; the SSP has no
/// correlation or request id.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// The requesting user, overriding the provider handle's (SSP only).
    pub user: Option<Arc<User>>,
    /// A timeout overriding the transport's default.
    pub timeout: Option<Duration>,
    /// A retry policy overriding the transport's.
    pub retry: Option<RetryPolicy>,
    /// Sent as `X-Correlation-ID` (API platform only; the platform mirrors it back).
    pub correlation_id: Option<String>,
    /// The `X-Request-ID` to send instead of a fresh one (API platform only): to re-send,
    /// later, a write whose outcome is unknown, so the platform can recognise it.
    pub request_id: Option<Uuid>,
}
