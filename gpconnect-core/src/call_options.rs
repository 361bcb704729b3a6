//! The per-call options every operation builder carries: a leaf, read by the send path
//! ([`crate::operation`]), the provider handle and the client's dispatch alike.

use std::sync::Arc;
use std::time::Duration;

use crate::jwt::User;
use crate::retry::RetryPolicy;

/// Per-call overrides of the client's and the provider handle's defaults.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// The requesting user, overriding the provider handle's.
    pub user: Option<Arc<User>>,
    /// A timeout overriding the client default.
    pub timeout: Option<Duration>,
    /// A retry policy overriding the client's.
    pub retry: Option<RetryPolicy>,
}
