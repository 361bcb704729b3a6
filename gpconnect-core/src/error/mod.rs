//! One error type for every GP Connect operation, with the OperationOutcome mapping.
//!
//! A caller has two questions after a failure, and the error answers both:
//! [`Error::is_retryable`] (can I safely try again?) and [`Error::may_have_been_sent`]
//! (could a write have reached the provider and taken effect?). The `Display` text never
//! contains an NHS number, a name, a token or a body; those stay in fields.

use std::fmt;
use std::time::Duration;

use uuid::Uuid;

mod answer;
mod auth;
mod code;
mod directory;
mod input;
mod kind;
mod messaging;
mod provider;
mod transport;

pub use answer::{DecodeError, PatientMismatch, RawBody};
pub use auth::{AuthError, AuthProblem, IdTokenCheck, TokenRefusal};
pub use code::GpcCode;
pub use directory::{DirectoryError, DirectoryProblem};
pub use input::{ConfigError, InvalidInput};
pub use kind::ErrorKind;
pub use messaging::MessagingError;
#[cfg(feature = "mesh")]
pub(crate) use messaging::MessagingFailure;
pub use provider::ProviderError;
pub use transport::{TransportCategory, TransportError};

use crate::fhir::OperationOutcome;
pub use crate::problem::DecodeProblem;
use crate::{Effect, IdError, InteractionId};

/// Shorthand for `Result<T, gpconnect_core::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The most raw body bytes an error keeps.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// Everything that can go wrong with a GP Connect call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was not sent: an argument broke a rule of the spec.
    #[error("request not sent: {0}")]
    InvalidInput(#[from] InvalidInput),
    /// The client configuration is unusable (URL, certificate, key).
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The Spine Directory Service could not say where the provider is.
    #[error("{0}")]
    Directory(#[from] Box<DirectoryError>),
    /// The connection failed or broke.
    #[error("could not reach the SSP or the provider{}: {source}{}", Doing(*interaction), source.fix())]
    Transport {
        /// What failed, with the underlying cause (never a URL).
        #[source]
        source: TransportError,
        /// Whether the request could have reached the provider.
        sent: Sent,
        /// The interaction that failed.
        interaction: Option<InteractionId>,
        /// The `Ssp-TraceID` of the last attempt.
        trace_id: Option<Uuid>,
    },
    /// No answer in time, or the SSP reported a timeout (504, 599).
    #[error(
        "{} after {:.1} s{}; a read can be tried again, a write may have taken effect: look before repeating it",
        timeout_words(*status), elapsed.as_secs_f64(), Doing(*interaction)
    )]
    Timeout {
        /// Time spent on the call.
        elapsed: Duration,
        /// Whether the request could have reached the provider.
        sent: Sent,
        /// The interaction that failed.
        interaction: Option<InteractionId>,
        /// The `Ssp-TraceID` of the last attempt.
        trace_id: Option<Uuid>,
        /// The HTTP status when the SSP answered with a timeout status.
        status: Option<u16>,
    },
    /// The SSP, the provider or something in between answered with a redirect (3xx).
    /// Redirects are never followed: they could carry the request, its NHS number and
    /// its headers to another host.
    #[error(
        "the answer{} was a redirect (HTTP {status}), which is never followed: check the SSP address and the \
         provider's service root",
        Doing(*interaction)
    )]
    Redirected {
        /// The HTTP status (300 to 399).
        status: u16,
        /// The interaction that failed (none for a directory look-up).
        interaction: Option<InteractionId>,
        /// The `Ssp-TraceID` of the request.
        trace_id: Option<Uuid>,
    },
    /// The SSP or the provider answered with an error status.
    #[error("{0}")]
    Provider(Box<ProviderError>),
    /// A success answer did not match the spec.
    #[error("{0}")]
    Decode(Box<DecodeError>),
    /// The answer is about another patient than the one asked for, or names no NHS number
    /// at all: a patient-safety failure. The answer is never returned as data.
    #[error(
        "the answer{} is not about the patient asked for: {problem}; nothing of it is used, report it to the \
         provider with the trace id",
        Doing(*interaction)
    )]
    WrongPatient {
        /// What the answer said instead.
        problem: PatientMismatch,
        /// The interaction whose answer it was.
        interaction: Option<InteractionId>,
        /// The `Ssp-TraceID` of the request, to report the provider's fault.
        trace_id: Option<Uuid>,
    },
    /// Writing a downloaded body to the caller's output (a file, a buffer) failed.
    #[error("could not write the downloaded content{}: {source}", Doing(*interaction))]
    Output {
        /// The I/O error of the output.
        #[source]
        source: std::io::Error,
        /// The interaction whose answer was being written.
        interaction: Option<InteractionId>,
        /// The `Ssp-TraceID` of the request.
        trace_id: Option<Uuid>,
    },
    /// NHS login or API platform authentication failed (patient-facing APIs).
    /// [`Error::must_log_in_again`] says whether only a new NHS login can help.
    #[error("{0}")]
    Auth(Box<AuthError>),
    /// A MESH transfer failed, or an ITK3 message (Send Document, Update Record, an
    /// acknowledgement) could not be read or matched. The variant exists whichever cargo
    /// features are on, so turning `mesh` on never changes a `match`; its details are read
    /// with the `mesh` feature (`Error::mesh`, [`MessagingError::get`]).
    #[error("{0}")]
    Messaging(Box<MessagingError>),
}

/// Whether a failed request could have reached the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The connection was never made: the request did not leave.
    No,
    /// The request may have been delivered; its effect is unknown.
    Maybe,
}

impl Error {
    /// The category to match on.
    pub fn kind(&self) -> ErrorKind {
        if let Error::WrongPatient { .. } = self {
            return ErrorKind::WrongPatient;
        }
        if self.is_write() && self.may_have_been_sent() {
            return ErrorKind::OutcomeUnknown;
        }
        match self {
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::Config(_) => ErrorKind::Configuration,
            Error::Directory(d) => match d.problem {
                DirectoryProblem::NoEndpoint | DirectoryProblem::NoAsid => ErrorKind::NotFound,
                DirectoryProblem::NotConfigured => ErrorKind::Configuration,
                DirectoryProblem::Refused { status: 401 | 403 } => ErrorKind::Authentication,
                DirectoryProblem::Refused { .. } | DirectoryProblem::Redirected { .. } => ErrorKind::ProviderRejected,
                DirectoryProblem::Unreachable | DirectoryProblem::Timeout => ErrorKind::Transport,
                DirectoryProblem::BadAnswer => ErrorKind::Decode,
            },
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Redirected { .. } => ErrorKind::ProviderRejected,
            Error::Provider(p) => p.kind(),
            Error::Decode(_) => ErrorKind::Decode,
            Error::Output { .. } => ErrorKind::Output,
            Error::Auth(_) => ErrorKind::Authentication,
            Error::WrongPatient { .. } => ErrorKind::WrongPatient,
            Error::Messaging(m) => m.kind(),
        }
    }

    /// Whether the patient must log in with NHS login again (a new ID token) before any
    /// patient-facing call can succeed: their ID token has expired or is below P9, or the
    /// platform said the access token behind it has expired.
    pub fn must_log_in_again(&self) -> bool {
        matches!(self, Error::Auth(a) if a.must_log_in_again())
    }

    /// The GP Connect or Spine error code the provider or SSP answered with.
    ///
    /// ```
    /// # use gpconnect_core::{Error, GpcCode};
    /// fn slot_taken(e: &Error) -> bool {
    ///     e.code() == Some(GpcCode::DuplicateRejected)
    /// }
    /// ```
    pub fn code(&self) -> Option<GpcCode> {
        match self {
            Error::Provider(p) => p.code.clone(),
            _ => None,
        }
    }

    /// The HTTP status of the answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Provider(p) => Some(p.status),
            Error::Redirected { status, .. } => Some(*status),
            Error::Timeout { status, .. } => *status,
            Error::Decode(d) => Some(d.status),
            Error::Auth(a) => a.status,
            Error::Messaging(m) => m.status(),
            _ => None,
        }
    }

    /// The `Ssp-TraceID` of the (last) request, to quote to the SSP or the provider.
    pub fn trace_id(&self) -> Option<Uuid> {
        match self {
            Error::Transport { trace_id, .. }
            | Error::Timeout { trace_id, .. }
            | Error::Output { trace_id, .. }
            | Error::WrongPatient { trace_id, .. }
            | Error::Redirected { trace_id, .. } => *trace_id,
            Error::Provider(p) => Some(p.trace_id),
            Error::Decode(d) => Some(d.trace_id),
            Error::Auth(a) => a.request_id,
            _ => None,
        }
    }

    /// The interaction that failed, where one was under way.
    pub fn interaction(&self) -> Option<InteractionId> {
        match self {
            Error::Transport { interaction, .. }
            | Error::Timeout { interaction, .. }
            | Error::Output { interaction, .. }
            | Error::WrongPatient { interaction, .. }
            | Error::Redirected { interaction, .. } => *interaction,
            Error::Provider(p) => Some(p.interaction),
            Error::Decode(d) => Some(d.interaction),
            Error::Directory(d) => Some(d.interaction),
            Error::Auth(a) => a.interaction,
            _ => None,
        }
    }

    /// The OperationOutcome the provider or SSP answered with.
    pub fn operation_outcome(&self) -> Option<&OperationOutcome> {
        match self {
            Error::Provider(p) => p.outcome.as_ref(),
            Error::Auth(a) => a.outcome.as_ref(),
            _ => None,
        }
    }

    /// Whether this is a timeout (including SSP 504 and 599 answers).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// Whether trying the same call again cannot duplicate an effect and may succeed.
    ///
    /// True for connection failures before sending, and for reads that timed out or got
    /// 429, 502, 503 or 504. Never true for a write that may have been sent.
    pub fn is_retryable(&self) -> bool {
        self.is_retryable_as(if self.is_write() { Effect::Write } else { Effect::Read })
    }

    /// [`is_retryable`](Self::is_retryable) for a request with the given effect: what
    /// the one retry loop asks, whatever the transport (SSP, SDS, MESH, API platform).
    pub fn is_retryable_as(&self, effect: Effect) -> bool {
        let read = effect == Effect::Read;
        match self {
            Error::Transport { sent: Sent::No, .. } => true,
            Error::Transport { .. } | Error::Timeout { .. } => read,
            Error::Provider(p) => read && matches!(p.status, 429 | 502 | 503 | 504),
            Error::Directory(d) => matches!(
                d.problem,
                DirectoryProblem::Unreachable
                    | DirectoryProblem::Timeout
                    | DirectoryProblem::Refused { status: 429 | 502 | 503 | 504 }
            ),
            Error::Auth(a) => {
                matches!(a.problem, AuthProblem::TokenRefused { .. }) && matches!(a.status, Some(429 | 502 | 503 | 504))
            }
            Error::Messaging(m) => m.is_retryable(),
            _ => false,
        }
    }

    /// How long the answer asked the caller to wait (`Retry-After`), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Provider(p) => p.retry_after,
            Error::Messaging(m) => m.retry_after(),
            _ => None,
        }
    }

    /// Whether the request may have reached the provider and taken effect.
    ///
    /// False when nothing was sent, and when the provider answered with a definite refusal
    /// (4xx, 501, 503). True after a broken connection or a timeout, after 500, 502, 504
    /// and 599, where the provider may have acted before failing, and after a success
    /// status whose answer could not be read (the change happened; its result is unknown).
    /// After a write where this is true, read what happened before trying again.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            Error::Transport { sent, .. } | Error::Timeout { sent, .. } => *sent == Sent::Maybe,
            Error::Provider(p) => matches!(p.status, 500 | 502 | 504 | 599),
            Error::Decode(_) | Error::WrongPatient { .. } => true,
            Error::Messaging(m) => m.may_have_been_sent(),
            _ => false,
        }
    }

    /// The MESH or ITK3 failure, when this is one.
    pub fn messaging(&self) -> Option<&MessagingError> {
        match self {
            Error::Messaging(m) => Some(m),
            _ => None,
        }
    }

    fn is_write(&self) -> bool {
        self.interaction().is_some_and(InteractionId::is_write)
    }
}

/// An interaction in words: `SearchPatient` prints as `search patient`.
struct Words(InteractionId);

impl fmt::Display for Words {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.0.name();
        let mut out = String::with_capacity(name.len() + 8);
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push(' ');
            }
            out.push(c.to_ascii_lowercase());
        }
        write!(f, "the {out} request")
    }
}

/// ` (the search patient request)` when an interaction was under way, else nothing.
struct Doing(Option<InteractionId>);

impl fmt::Display for Doing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(interaction) => write!(f, " ({})", Words(interaction)),
            None => Ok(()),
        }
    }
}

fn timeout_words(status: Option<u16>) -> String {
    match status {
        Some(status) => format!("the SSP reported a timeout (HTTP {status})"),
        None => "no answer in time".into(),
    }
}

impl From<IdError> for Error {
    fn from(e: IdError) -> Self {
        Error::InvalidInput(InvalidInput::Identifier(e))
    }
}
