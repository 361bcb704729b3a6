//! MESH failures, carried by the core [`Error`](crate::Error) as `Error::Messaging`
//! ([`Error::mesh`](crate::Error::mesh) reads them back).
//!
//! Like the SSP errors, a MESH error answers the two questions a caller has:
//! [`Error::is_retryable`](crate::Error::is_retryable) and
//! [`Error::may_have_been_sent`](crate::Error::may_have_been_sent). It also carries the
//! point to resume from when a chunked upload or a download broke half-way
//! ([`MeshError::resume_send`], [`MeshError::resume_download`]).

use std::fmt;
use std::time::Duration;

use super::{MessageId, MessageMetadata};
use crate::error::{DecodeProblem, ErrorKind, MessagingFailure, RawBody, Sent};

/// The MESH operation that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MeshOperation {
    /// `POST /messageexchange/{mailbox}`: mailbox validation.
    Handshake,
    /// `POST .../outbox`: a message, or chunk 1 of a chunked one. Never retried once it may
    /// have left.
    Send,
    /// A chunk of a chunked message: chunk 1 is `POST .../outbox` (never retried once it
    /// may have left), chunk 2 or later `POST .../outbox/{message_id}/{chunk}`.
    SendChunk {
        /// The chunk, from 1.
        index: u32,
        /// How many chunks the message has.
        total: u32,
    },
    /// `GET .../inbox`.
    Inbox,
    /// `GET .../inbox/{message_id}[/{chunk}]`.
    Download {
        /// The chunk, from 1.
        index: u32,
    },
    /// `PUT .../inbox/{message_id}/status/acknowledged`.
    Acknowledge,
    /// `GET .../outbox/tracking?messageID=`.
    Track,
    /// `GET /messageexchange/endpointlookup/{ods}/{workflow}`.
    EndpointLookup,
}

impl MeshOperation {
    /// Whether the operation creates something at MESH that a repeat could double.
    pub fn is_write(self) -> bool {
        matches!(self, MeshOperation::Send | MeshOperation::SendChunk { .. })
    }

    /// Whether a repeat of a request that may have arrived is harmless.
    ///
    /// Everything but the first upload request: reads, the handshake, acknowledging (a
    /// second acknowledgement changes nothing) and chunk k >= 2 (the same chunk stored
    /// again), as NHS England's `mesh-client` does.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, MeshOperation::Send | MeshOperation::SendChunk { index: 1, .. })
    }
}

impl fmt::Display for MeshOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeshOperation::Handshake => f.write_str("mailbox validation (handshake)"),
            MeshOperation::Send => f.write_str("send"),
            MeshOperation::SendChunk { index, total } => write!(f, "send of chunk {index} of {total}"),
            MeshOperation::Inbox => f.write_str("inbox listing"),
            MeshOperation::Download { index } => write!(f, "download of chunk {index}"),
            MeshOperation::Acknowledge => f.write_str("acknowledgement"),
            MeshOperation::Track => f.write_str("tracking"),
            MeshOperation::EndpointLookup => f.write_str("endpoint look-up"),
        }
    }
}

/// A MESH error code (spec section 1.7), from an error answer's body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MeshErrorCode {
    /// `02` Data file is missing or inaccessible.
    DataFileMissing,
    /// `06` Malformed headers.
    MalformedHeaders,
    /// `07` Invalid From Address: the mailbox does not match the authorization header.
    InvalidFromAddress,
    /// `08` Missing Mex-To header.
    MissingTo,
    /// `11` Invalid Message Type for the transfer, should be DATA.
    InvalidMessageType,
    /// `12` Unregistered to address.
    UnregisteredRecipient,
    /// `14` Undelivered message.
    Undelivered,
    /// `15` Bad CP-IS file.
    BadCpisFile,
    /// `16` Sender is not allowed to send messages of this type.
    SenderNotAllowed,
    /// `17` Workflow ID not registered for mailbox.
    WorkflowNotRegistered,
    /// Another code, kept as sent.
    Other(String),
}

impl MeshErrorCode {
    /// The code in words with what to do, as `Display` of a refusal prints it (an unknown
    /// code is not quoted).
    pub fn meaning(&self) -> &'static str {
        match self {
            Self::DataFileMissing => ": the data file is missing or inaccessible",
            Self::MalformedHeaders => ": malformed headers",
            Self::InvalidFromAddress => ": the sending mailbox does not match the authorisation: check the mailbox ID",
            Self::MissingTo => ": no recipient mailbox was given",
            Self::InvalidMessageType => ": the message type must be DATA",
            Self::UnregisteredRecipient => {
                ": the recipient mailbox is not registered: check it (an endpoint look-up finds it)"
            }
            Self::Undelivered => ": the message was not delivered",
            Self::BadCpisFile => ": bad CP-IS file",
            Self::SenderNotAllowed => ": this mailbox may not send messages of this type",
            Self::WorkflowNotRegistered => {
                ": the workflow ID is not registered for the mailbox: ask for it to be added"
            }
            Self::Other(_) => ": with an error code this SDK does not know",
        }
    }

    /// Maps a code as MESH sends it.
    pub fn from_code(code: &str) -> Self {
        match code.trim() {
            "02" => Self::DataFileMissing,
            "06" => Self::MalformedHeaders,
            "07" => Self::InvalidFromAddress,
            "08" => Self::MissingTo,
            "11" => Self::InvalidMessageType,
            "12" => Self::UnregisteredRecipient,
            "14" => Self::Undelivered,
            "15" => Self::BadCpisFile,
            "16" => Self::SenderNotAllowed,
            "17" => Self::WorkflowNotRegistered,
            other => Self::Other(other.chars().filter(char::is_ascii_alphanumeric).take(16).collect()),
        }
    }
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeshProblem {
    /// The connection failed or broke (the URL is removed from the source).
    #[error("could not reach MESH: check the MESH address, the network and the mailbox's client certificate")]
    Transport(#[source] reqwest::Error),
    /// No answer in time.
    #[error("no answer within {:.1} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// MESH answered with an error status.
    #[error("MESH refused it with HTTP {status}{}", code.as_ref().map_or("", MeshErrorCode::meaning))]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The MESH error code in the body, when there was one.
        code: Option<MeshErrorCode>,
        /// The raw body (bounded); may hold server text, keep it out of logs.
        body: RawBody,
    },
    /// A success answer did not match the spec.
    #[error("the answer does not match the MESH specification: {problem}")]
    Decode {
        /// What was wrong.
        problem: DecodeProblem,
        /// The HTTP status.
        status: u16,
        /// The raw body (bounded).
        body: RawBody,
    },
    /// The caller's message body could not be read.
    #[error("could not read the message content")]
    Input(#[source] std::io::Error),
    /// The caller's output could not be written.
    #[error("could not write the downloaded content")]
    Output(#[source] std::io::Error),
    /// A download went beyond its [`DownloadLimits`](super::limits::DownloadLimits).
    #[error("the message is {0}")]
    TooLarge(super::limits::DownloadLimit),
}

/// Where a chunked upload stopped: the message ID MESH gave chunk 1, and the first chunk
/// that was not confirmed. Hand it to
/// [`MeshClient::resume_send`](super::MeshClient::resume_send) with the same content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialSend {
    /// The message ID from chunk 1.
    pub message_id: MessageId,
    /// The first chunk not confirmed (from 2).
    pub next_chunk: u32,
    /// How many chunks the message has.
    pub total_chunks: u32,
    /// The uncompressed chunk size used.
    pub chunk_size: usize,
    /// The content length.
    pub length: u64,
}

/// Where a download stopped: the chunk that broke and how many of its (decoded) bytes
/// already reached the writer. Hand it to
/// [`Download::resume`](super::Download::resume) with the same writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialDownload {
    /// The message.
    pub message_id: MessageId,
    /// The chunk that broke (from 1).
    pub chunk: u32,
    /// Decoded bytes of that chunk already written.
    pub written_in_chunk: u64,
    /// Decoded bytes written in all.
    pub written: u64,
    /// The metadata from chunk 1, once known.
    pub metadata: Option<Box<MessageMetadata>>,
}

/// A failed MESH operation.
#[derive(Debug)]
pub struct MeshError {
    /// The operation.
    pub operation: MeshOperation,
    /// What went wrong.
    pub problem: MeshProblem,
    /// Whether the failed request could have reached MESH.
    pub sent: Sent,
    /// The message concerned, when known.
    pub message_id: Option<MessageId>,
    pub(crate) resume_send: Option<PartialSend>,
    pub(crate) resume_download: Option<PartialDownload>,
    /// The answer's `Retry-After`, when it gave one.
    pub retry_after: Option<Duration>,
    pub(crate) itk3: Option<Box<super::ids::MessageIds>>,
}

impl fmt::Display for MeshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let problem = Problem(self);
        if self.operation.is_write() && self.may_have_been_sent() {
            return write!(
                f,
                "MESH {}: the outcome is unknown, the message may have been delivered ({problem}); \
                 track it by its MESH message ID, or ask the recipient, before sending it again",
                self.operation
            );
        }
        write!(f, "MESH {} failed: {problem}", self.operation)
    }
}

/// The problem in words, knowing whether the request may have left: a connection that
/// broke after the request may have arrived is not "could not reach".
struct Problem<'a>(&'a MeshError);

impl fmt::Display for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.0.problem, self.0.sent) {
            (MeshProblem::Transport(_), Sent::Maybe) => f.write_str("the connection broke before MESH answered"),
            (MeshProblem::Refused { status: 423, .. }, _) => {
                f.write_str("MESH answered HTTP 423: it no longer takes chunks for this message")
            }
            (problem, _) => problem.fmt(f),
        }
    }
}

impl std::error::Error for MeshError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.problem)
    }
}

impl MeshError {
    pub(crate) fn new(operation: MeshOperation, problem: MeshProblem, sent: Sent) -> Self {
        Self {
            operation,
            problem,
            sent,
            message_id: None,
            resume_send: None,
            resume_download: None,
            retry_after: None,
            itk3: None,
        }
    }

    /// The HTTP status, when MESH answered.
    pub fn status(&self) -> Option<u16> {
        match &self.problem {
            MeshProblem::Refused { status, .. } | MeshProblem::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The MESH error code, when the answer had one.
    pub fn code(&self) -> Option<&MeshErrorCode> {
        match &self.problem {
            MeshProblem::Refused { code, .. } => code.as_ref(),
            _ => None,
        }
    }

    /// Where to resume a chunked upload that broke after chunk 1 was accepted.
    pub fn resume_send(&self) -> Option<&PartialSend> {
        self.resume_send.as_ref()
    }

    /// The ITK3 identifiers of the message whose send failed (Send Document, Update
    /// Record), with the MESH message ID when MESH gave one. After an unknown outcome
    /// ([`may_have_been_sent`](Self::may_have_been_sent)), track the message by them, and
    /// resend only with the same builder (the same ids), so that the recipient's duplicate
    /// detection (code 20007) recognises a repeat.
    pub fn itk3_ids(&self) -> Option<&super::ids::MessageIds> {
        self.itk3.as_deref()
    }

    /// Where to resume a download that broke half-way.
    pub fn resume_download(&self) -> Option<&PartialDownload> {
        self.resume_download.as_ref()
    }

    /// Whether the message may now be delivered (or, for other operations, the request
    /// may have taken effect).
    ///
    /// A send is delivered once its last request is accepted, so this is true only when
    /// that request (the single request, or the last chunk) broke without a definite
    /// answer, MESH failed with 500, 502 or 504 while handling it, or MESH answered a
    /// repeat of the last chunk with 423 (the message is no longer uploading: the first
    /// try completed it, and only its answer was lost). A chunk before the last, chunk 1 of
    /// several included, never delivers anything: the message waits, incomplete, for the
    /// rest, and expires.
    pub fn may_have_been_sent(&self) -> bool {
        let last = match self.operation {
            MeshOperation::SendChunk { index, total } => index == total,
            _ => true,
        };
        last && (self.ambiguous() || self.last_chunk_locked())
    }

    /// A 423 (`Locked`) to the last chunk of a chunked upload: MESH no longer takes chunks
    /// for the message, which the lost answer of an earlier try of that chunk explains.
    fn last_chunk_locked(&self) -> bool {
        matches!(self.operation, MeshOperation::SendChunk { index, total } if index == total && index > 1)
            && self.status() == Some(423)
    }

    /// The request may have arrived and its effect is unknown.
    fn ambiguous(&self) -> bool {
        match &self.problem {
            MeshProblem::Transport(_) | MeshProblem::Timeout(_) => self.sent == Sent::Maybe,
            MeshProblem::Refused { status, .. } => matches!(status, 500 | 502 | 504),
            MeshProblem::Decode { .. } => true,
            _ => false,
        }
    }

    /// Whether trying the same operation again cannot duplicate a message.
    pub fn is_retryable(&self) -> bool {
        let transient = match &self.problem {
            MeshProblem::Transport(_) | MeshProblem::Timeout(_) => true,
            MeshProblem::Refused { status, .. } => matches!(status, 425 | 429 | 502 | 503 | 504),
            _ => false,
        };
        transient && (self.operation.is_idempotent() || (self.sent == Sent::No && self.status().is_none()))
    }

    /// The category to match on.
    pub fn kind(&self) -> ErrorKind {
        if self.operation.is_write() && self.may_have_been_sent() {
            return ErrorKind::OutcomeUnknown;
        }
        match &self.problem {
            MeshProblem::Transport(_) => ErrorKind::Transport,
            MeshProblem::Timeout(_) => ErrorKind::Timeout,
            MeshProblem::Refused { status, .. } => match status {
                401 | 403 => ErrorKind::Authentication,
                404 | 410 => ErrorKind::NotFound,
                409 | 423 => ErrorKind::Conflict,
                400 | 417 | 422 => ErrorKind::InvalidInput,
                _ => ErrorKind::ProviderRejected,
            },
            MeshProblem::Decode { .. } => ErrorKind::Decode,
            MeshProblem::Input(_) => ErrorKind::InvalidInput,
            MeshProblem::Output(_) => ErrorKind::Output,
            MeshProblem::TooLarge(_) => ErrorKind::Decode,
        }
    }
}

impl MessagingFailure for MeshError {
    fn kind(&self) -> ErrorKind {
        MeshError::kind(self)
    }
    fn status(&self) -> Option<u16> {
        MeshError::status(self)
    }
    fn is_retryable(&self) -> bool {
        MeshError::is_retryable(self)
    }
    fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
    fn may_have_been_sent(&self) -> bool {
        MeshError::may_have_been_sent(self)
    }
    fn as_any(&self) -> &(dyn std::any::Any + Send + Sync) {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send + Sync> {
        self
    }
}

impl crate::Error {
    /// The MESH failure, when this is one (cargo feature `mesh`).
    pub fn mesh(&self) -> Option<&MeshError> {
        self.messaging()?.get::<MeshError>()
    }
}

#[cfg(test)]
mod texts {
    use super::*;

    #[test]
    fn every_mesh_error_reads_as_words() {
        let operations = [
            MeshOperation::Handshake,
            MeshOperation::Send,
            MeshOperation::SendChunk { index: 2, total: 5 },
            MeshOperation::Inbox,
            MeshOperation::Download { index: 3 },
            MeshOperation::Acknowledge,
            MeshOperation::Track,
            MeshOperation::EndpointLookup,
        ];
        let codes = ["02", "06", "07", "08", "11", "12", "14", "15", "16", "17", "9690937286"];
        for operation in operations {
            let mut problems = vec![
                MeshProblem::Timeout(Duration::from_millis(30_500)),
                MeshProblem::Refused { status: 403, code: None, body: RawBody::default() },
                MeshProblem::Decode { problem: DecodeProblem::Empty, status: 200, body: RawBody::default() },
                MeshProblem::Input(std::io::Error::other("gone")),
                MeshProblem::Output(std::io::Error::other("full")),
            ];
            problems.extend(codes.iter().map(|c| MeshProblem::Refused {
                status: 417,
                code: Some(MeshErrorCode::from_code(c)),
                body: RawBody::default(),
            }));
            for problem in problems {
                let text = MeshError::new(operation, problem, Sent::No).to_string();
                assert!(!text.contains(['{', '}']), "{text}");
                for name in ["MeshOperation", "SendChunk", "MeshErrorCode", "Other(", "Some(", "Refused", "Duration"] {
                    assert!(!text.contains(name), "{text}");
                }
                let mut run = 0;
                for c in text.chars() {
                    run = if c.is_ascii_digit() { run + 1 } else { 0 };
                    assert!(run < 10, "{text}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(op: MeshOperation, status: u16) -> MeshError {
        MeshError::new(op, MeshProblem::Refused { status, code: None, body: RawBody::default() }, Sent::Maybe)
    }

    fn timeout(op: MeshOperation) -> MeshError {
        MeshError::new(op, MeshProblem::Timeout(Duration::from_secs(1)), Sent::Maybe)
    }

    #[test]
    fn first_upload_that_timed_out_may_have_been_sent_and_is_not_retryable() {
        let e = timeout(MeshOperation::Send);
        assert!(e.may_have_been_sent());
        assert!(!e.is_retryable());
        assert_eq!(e.kind(), ErrorKind::OutcomeUnknown);
    }

    #[test]
    fn middle_chunk_failure_is_not_a_delivery_and_is_retryable() {
        let e = timeout(MeshOperation::SendChunk { index: 2, total: 3 });
        assert!(!e.may_have_been_sent());
        assert!(e.is_retryable());
        let last = timeout(MeshOperation::SendChunk { index: 3, total: 3 });
        assert!(last.may_have_been_sent());
    }

    #[test]
    fn definite_refusals_were_not_sent() {
        for status in [400, 403, 417, 503] {
            assert!(!refused(MeshOperation::Send, status).may_have_been_sent(), "{status}");
        }
        assert!(refused(MeshOperation::Send, 500).may_have_been_sent());
        assert_eq!(refused(MeshOperation::Send, 403).kind(), ErrorKind::Authentication);
        assert_eq!(refused(MeshOperation::Download { index: 1 }, 410).kind(), ErrorKind::NotFound);
        assert!(refused(MeshOperation::Inbox, 503).is_retryable());
        assert!(!refused(MeshOperation::Send, 503).is_retryable());
    }

    #[test]
    fn codes_are_typed() {
        assert_eq!(MeshErrorCode::from_code("12"), MeshErrorCode::UnregisteredRecipient);
        assert_eq!(MeshErrorCode::from_code("EPL-151"), MeshErrorCode::Other("EPL151".into()));
    }
}
