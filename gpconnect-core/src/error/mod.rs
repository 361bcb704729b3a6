//! One error type for every GP Connect operation, with the OperationOutcome mapping.
//!
//! A caller has two questions after a failure, and the error answers both:
//! [`Error::is_retryable`] (can I safely try again?) and [`Error::may_have_been_sent`]
//! (could a write have reached the provider and taken effect?). The `Display` text never
//! contains an NHS number, a name, a token or a body; those stay in fields.

use std::fmt;
use std::time::Duration;

use uuid::Uuid;

mod auth;
mod code;
mod transport;

pub use auth::{AuthError, AuthProblem};
pub use code::GpcCode;
pub use transport::{TransportCategory, TransportError};

use crate::fhir::OperationOutcome;
use crate::{Effect, IdError, InteractionId, NhsNumber};

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
    /// An ITK3 message (Send Document, Update Record, an acknowledgement) could not be
    /// read or matched (feature `mesh`).
    #[cfg(feature = "mesh")]
    #[error("ITK3 message: {0}")]
    Itk3(#[from] crate::itk3::Itk3Error),
    /// A MESH operation failed (cargo feature `mesh`).
    #[cfg(feature = "mesh")]
    #[error("{0}")]
    Mesh(Box<crate::mesh::MeshError>),
}

/// How an answer's patient differs from the one asked for ([`Error::WrongPatient`]). Never
/// holds the NHS number found: it is someone else's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatientMismatch {
    /// The answer's Patient carries another NHS number.
    #[error("the answer names another NHS number")]
    OtherPatient,
    /// The answer has no Patient, or its Patient has no NHS number.
    #[error("the answer names no NHS number")]
    NoNhsNumber,
}

impl PatientMismatch {
    /// Checks the NHS number an answer names (`None`: it names none) against the one asked
    /// for, ignoring spaces.
    pub fn check(asked: &NhsNumber, answered: Option<&str>) -> std::result::Result<(), PatientMismatch> {
        let digits = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        match answered {
            None => Err(PatientMismatch::NoNhsNumber),
            Some(n) if digits(n) == asked.expose() => Ok(()),
            Some(_) => Err(PatientMismatch::OtherPatient),
        }
    }

    /// The error for an answer of `response`'s interaction.
    pub fn error(self, interaction: InteractionId, trace_id: Uuid) -> Error {
        Error::WrongPatient { problem: self, interaction: Some(interaction), trace_id: Some(trace_id) }
    }
}

/// Whether a failed request could have reached the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The connection was never made: the request did not leave.
    No,
    /// The request may have been delivered; its effect is unknown.
    Maybe,
}

/// The category of an [`Error`], for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input broke a rule of the spec: refused before sending (`Error::InvalidInput`),
    /// or by the provider (`INVALID_NHS_NUMBER`, `INVALID_IDENTIFIER_*`).
    InvalidInput,
    /// The client configuration is unusable.
    Configuration,
    /// The token or credentials were refused (401).
    Authentication,
    /// The patient, record or resource does not exist (or is not shared).
    NotFound,
    /// No consent, no relationship, access denied, or ASID not authorised.
    AccessDenied,
    /// A conflict: a slot already taken, a duplicate, or a stale version.
    Conflict,
    /// Any other refusal by the SSP or the provider.
    ProviderRejected,
    /// The network failed before any answer.
    Transport,
    /// No answer in time.
    Timeout,
    /// A write may or may not have taken effect: look before trying again.
    OutcomeUnknown,
    /// A success answer did not match the spec.
    Decode,
    /// The caller's output (a file, a buffer) could not be written.
    Output,
    /// Patient safety: the answer is about another patient than the one asked for.
    WrongPatient,
}

impl ErrorKind {
    /// The category in plain words, as [`Display`](fmt::Display) prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Configuration => "configuration",
            ErrorKind::Authentication => "authentication",
            ErrorKind::NotFound => "not found",
            ErrorKind::AccessDenied => "access denied",
            ErrorKind::Conflict => "conflict",
            ErrorKind::ProviderRejected => "rejected by the provider or SSP",
            ErrorKind::Transport => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::OutcomeUnknown => "outcome unknown",
            ErrorKind::Decode => "unreadable answer",
            ErrorKind::Output => "output",
            ErrorKind::WrongPatient => "answer about another patient",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
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
            #[cfg(feature = "mesh")]
            Error::Itk3(_) => ErrorKind::Decode,
            #[cfg(feature = "mesh")]
            Error::Mesh(m) => m.kind(),
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
            #[cfg(feature = "mesh")]
            Error::Mesh(m) => m.status(),
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
            #[cfg(feature = "mesh")]
            Error::Mesh(m) => m.is_retryable(),
            _ => false,
        }
    }

    /// How long the answer asked the caller to wait (`Retry-After`), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Provider(p) => p.retry_after,
            #[cfg(feature = "mesh")]
            Error::Mesh(m) => m.retry_after,
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
            #[cfg(feature = "mesh")]
            Error::Mesh(m) => m.may_have_been_sent(),
            _ => false,
        }
    }

    /// The MESH failure, when this is one (cargo feature `mesh`).
    #[cfg(feature = "mesh")]
    pub fn mesh(&self) -> Option<&crate::mesh::MeshError> {
        match self {
            Error::Mesh(m) => Some(m),
            _ => None,
        }
    }

    fn is_write(&self) -> bool {
        self.interaction().is_some_and(InteractionId::is_write)
    }
}

/// An argument that breaks a rule of the spec. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidInput {
    /// An identifier failed validation.
    #[error("{0}")]
    Identifier(#[from] IdError),
    /// No requesting user was given for the call or the provider handle.
    #[error("no requesting user: every GP Connect request names the logged-on user")]
    MissingUser,
    /// A requester detail (JWT claim) is missing or invalid.
    #[error("requester detail `{field}`: {problem}")]
    Requester {
        /// The claim or field, for example `requesting_practitioner.sds-user-id`.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// An operation parameter breaks a rule of the spec.
    #[error("parameter `{parameter}`: {problem}")]
    Parameter {
        /// The spec's name of the parameter, for example `consultationSearchPeriod`.
        parameter: &'static str,
        /// The rule it breaks.
        problem: String,
    },
}

impl InvalidInput {
    /// An operation parameter, named as the spec names it, that breaks a rule of the spec.
    pub fn parameter(parameter: &'static str, problem: impl Into<String>) -> Self {
        InvalidInput::Parameter { parameter, problem: problem.into() }
    }
}

/// An unusable client configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A URL could not be parsed.
    #[error("the {} address is not a valid URL: give a full address starting with https://", url_name(what))]
    Url {
        /// Which URL.
        what: &'static str,
    },
    /// A plain http URL was given where https is required.
    #[error(
        "the {} address must start with https://; plain http is only for a local test against a mock \
         (allow_http on the SSP configuration)",
        url_name(what)
    )]
    NotHttps {
        /// Which URL.
        what: &'static str,
    },
    /// The client certificate or key could not be read or parsed.
    #[error("client certificate or key unusable: {reason}")]
    Identity {
        /// Why.
        reason: String,
    },
    /// A CA certificate could not be parsed.
    #[error(
        "the CA certificates are unusable: give a PEM file of the Spine root and sub CA certificates \
         (-----BEGIN CERTIFICATE-----)"
    )]
    CaCertificate(#[source] TransportError),
    /// A required part of the configuration is missing.
    #[error("missing configuration: the client builder needs {}", missing_name(.0))]
    Missing(&'static str),
    /// A part of the consumer system ([`Consumer`](crate::Consumer) or
    /// [`Device`](crate::Device)) is missing or invalid.
    #[error("consumer system `{field}`: {problem}")]
    Consumer {
        /// The setter, for example `issuer` or `device.model`.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be set up: check the client certificate, key and CA certificates")]
    Http(#[source] TransportError),
}

/// A failed Spine Directory Service look-up.
#[derive(Debug, thiserror::Error)]
#[error("{} at provider {ods}: {problem}", interaction.capability())]
pub struct DirectoryError {
    /// The provider's ODS code.
    pub ods: crate::OdsCode,
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
    /// The raw body, at most [`MAX_ERROR_BODY`] bytes.
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

impl DecodeProblem {
    /// A JSON problem at `path`, described by the parser's category, line and column
    /// only: serde's own message can quote the offending value (an NHS number, a name).
    pub fn json(path: impl Into<String>, error: &serde_json::Error) -> Self {
        let category = match error.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Data => "unexpected value",
            serde_json::error::Category::Eof => "unexpected end",
        };
        DecodeProblem::Json {
            path: path.into(),
            message: format!("{category} at line {} column {}", error.line(), error.column()),
        }
    }
}

/// A success answer that does not match the spec.
#[derive(Debug)]
pub struct DecodeError {
    /// What was wrong.
    pub problem: DecodeProblem,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The interaction.
    pub interaction: InteractionId,
    /// The `Ssp-TraceID` of the request.
    pub trace_id: Uuid,
    /// The raw body, at most [`MAX_ERROR_BODY`] bytes.
    pub body: RawBody,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the answer to {} does not match the specification: {}", Words(self.interaction), self.problem)
    }
}

/// What was wrong with a success answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeProblem {
    /// The body was empty.
    #[error("empty body")]
    Empty,
    /// The content type is not FHIR JSON.
    #[error("its content type is not the one expected")]
    ContentType(String),
    /// The body is larger than the configured limit.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not valid JSON or not the expected resource.
    #[error("at `{path}`: {message}")]
    Json {
        /// The JSON path of the offending element.
        path: String,
        /// The parser's message (line and column, never the value).
        message: String,
    },
    /// The body is JSON but not the expected resource type.
    #[error("expected a {expected}, got another resource type")]
    ResourceType {
        /// The expected resourceType.
        expected: &'static str,
        /// What came instead.
        found: String,
    },
    /// The response broke off or its content was corrupt.
    #[error("transfer incomplete: {0}")]
    Incomplete(String),
}

/// A response body kept for diagnosis. `Debug` shows only its length.
#[derive(Clone, Default)]
pub struct RawBody {
    bytes: bytes::Bytes,
    truncated: bool,
}

impl RawBody {
    /// Keeps at most [`MAX_ERROR_BODY`] bytes of `bytes`.
    pub fn new(bytes: bytes::Bytes) -> Self {
        let truncated = bytes.len() > MAX_ERROR_BODY;
        Self { bytes: if truncated { bytes.slice(..MAX_ERROR_BODY) } else { bytes }, truncated }
    }

    /// The kept bytes. May contain personal data: keep them out of logs.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The kept bytes as text, lossily decoded.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }

    /// Whether the body was longer than what is kept.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawBody({} bytes{})", self.bytes.len(), if self.truncated { ", truncated" } else { "" })
    }
}

impl From<IdError> for Error {
    fn from(e: IdError) -> Self {
        Error::InvalidInput(InvalidInput::Identifier(e))
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

/// What a [`ConfigError`]'s `what` names, in words.
fn url_name(what: &str) -> &str {
    match what {
        "ssp" => "SSP",
        "sds" => "SDS",
        other => other,
    }
}

fn missing_name(what: &str) -> &str {
    match what {
        "API key" => "the API key of your application on the API platform",
        "kid" => "the key id (kid) under which the client assertion key is registered",
        "ssp" => "the SSP (ssp on the client builder)",
        "consumer" => "the consumer system (consumer on the client builder)",
        other => other,
    }
}

fn sds_refusal_fix(status: u16) -> &'static str {
    match status {
        401 | 403 => ": check the SDS API key",
        429 => ": too many look-ups, try again later",
        404 => ": check the SDS address",
        _ => "",
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
