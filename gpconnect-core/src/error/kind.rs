//! The category of an [`Error`](super::Error), for matching.

use std::fmt;

/// The category of an [`Error`](super::Error), for matching.
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
