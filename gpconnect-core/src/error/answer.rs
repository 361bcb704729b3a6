//! A success answer that cannot be used: it does not match the spec ([`DecodeError`]),
//! or it is about another patient ([`PatientMismatch`]); and the raw body kept for diagnosis.

use std::fmt;

use uuid::Uuid;

use super::{Error, Words, MAX_ERROR_BODY};
use crate::problem::DecodeProblem;
use crate::{InteractionId, NhsNumber};

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
    /// The answer names another patient by logical id (`Patient/{id}`) than the one asked
    /// for or found, or several patients where one was expected.
    #[error("the answer names another patient id")]
    OtherPatientId,
    /// The answer names no patient where it must (an appointment with no patient
    /// participant, a document with no subject).
    #[error("the answer names no patient")]
    NoPatient,
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
