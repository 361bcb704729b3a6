//! Sending: one request, or gzip-compressed chunks (`POST .../outbox`, then
//! `POST .../outbox/{message_id}/{k}`), resumable from the chunk that failed.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::AsyncRead;

use super::error::PartialSend;
use super::{LocalId, MeshClient, MessageId, Recipient, WorkflowId};

/// The content of an outgoing message: bytes in memory, a file, or any reader of a known
/// length. A file or bytes can be re-read to resume a broken upload; a reader is read
/// once, so resuming needs a fresh reader of the same content.
pub struct MessageBody {
    pub(crate) source: Source,
    pub(crate) len: u64,
}

pub(crate) enum Source {
    Bytes(Bytes),
    File(PathBuf),
    Reader(Box<dyn AsyncRead + Send + Unpin>),
}

impl fmt::Debug for MessageBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.source {
            Source::Bytes(_) => "bytes",
            Source::File(_) => "file",
            Source::Reader(_) => "reader",
        };
        write!(f, "MessageBody({kind}, {} bytes)", self.len)
    }
}

impl MessageBody {
    /// Content held in memory.
    pub fn bytes(content: impl Into<Bytes>) -> Self {
        let content = content.into();
        Self { len: content.len() as u64, source: Source::Bytes(content) }
    }

    /// The content of a file, read chunk by chunk (memory stays flat at any size).
    ///
    /// # Errors
    /// The file's metadata cannot be read.
    pub async fn file(path: impl Into<PathBuf>) -> std::io::Result<Self> {
        let path = path.into();
        let len = tokio::fs::metadata(&path).await?.len();
        Ok(Self { source: Source::File(path), len })
    }

    /// `len` bytes from a reader (the length decides the chunk count sent in chunk 1).
    pub fn reader(reader: impl AsyncRead + Send + Unpin + 'static, len: u64) -> Self {
        Self { source: Source::Reader(Box::new(reader)), len }
    }

    /// The content length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the content is empty (MESH refuses an empty message).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Progress of an upload, reported after each chunk MESH confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendProgress {
    /// Chunks confirmed.
    pub chunks_sent: u32,
    /// Chunks in all.
    pub total_chunks: u32,
    /// Uncompressed bytes confirmed.
    pub bytes_sent: u64,
    /// Uncompressed bytes in all.
    pub total_bytes: u64,
}

type ProgressFn = Arc<dyn Fn(SendProgress) + Send + Sync>;

/// A message to send; the builder of [`MeshClient::send`].
///
/// `mex-From` is always this client's mailbox (GP Connect makes it mandatory). `Debug`
/// hides the recipient address, subject, local ID and file name.
#[must_use = "a message does nothing until passed to `MeshClient::send`"]
pub struct OutgoingMessage {
    pub(crate) to: Recipient,
    pub(crate) workflow: WorkflowId,
    pub(crate) subject: Option<String>,
    pub(crate) local_id: Option<LocalId>,
    pub(crate) file_name: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) checksum: Option<String>,
    pub(crate) compress: bool,
    pub(crate) body: Option<MessageBody>,
    pub(crate) progress: Option<ProgressFn>,
}

impl fmt::Debug for OutgoingMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMessage")
            .field("to", &self.to)
            .field("workflow", &self.workflow)
            .field("compress", &self.compress)
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

impl OutgoingMessage {
    /// A message to `to` (`mex-To`) in `workflow` (`mex-WorkflowID`).
    pub fn new(to: impl Into<Recipient>, workflow: WorkflowId) -> Self {
        Self {
            to: to.into(),
            workflow,
            subject: None,
            local_id: None,
            file_name: None,
            content_type: None,
            checksum: None,
            compress: true,
            body: None,
            progress: None,
        }
    }

    /// `mex-Subject` (at most 500 printable ASCII characters; checked before sending).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// `mex-LocalID`: your reference, echoed in tracking and reports.
    pub fn local_id(mut self, local_id: LocalId) -> Self {
        self.local_id = Some(local_id);
        self
    }

    /// `mex-FileName` (at most 300 printable ASCII characters).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// The content's media type: `Content-Type` of a single-request message, and
    /// `mex-Content-Type`.
    pub fn content_type(mut self, media_type: impl Into<String>) -> Self {
        self.content_type = Some(media_type.into());
        self
    }

    /// `mex-Content-Checksum`: a checksum of your choosing, passed through to the recipient.
    pub fn checksum(mut self, checksum: impl Into<String>) -> Self {
        self.checksum = Some(checksum.into());
        self
    }

    /// Sends the content without gzip (`Content-Encoding` left out). By default every
    /// request body is gzip-compressed with `Content-Encoding: gzip`.
    pub fn uncompressed(mut self) -> Self {
        self.compress = false;
        self
    }

    /// The content.
    pub fn body(mut self, body: MessageBody) -> Self {
        self.body = Some(body);
        self
    }

    /// The content, from bytes in memory.
    pub fn body_bytes(self, content: impl Into<Bytes>) -> Self {
        self.body(MessageBody::bytes(content))
    }

    /// Called after each chunk MESH confirmed (for a progress bar).
    pub fn on_progress(mut self, progress: impl Fn(SendProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }
}

/// A message MESH accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The ID MESH gave the message: keep it to match tracking, reports and acks.
    pub message_id: MessageId,
    /// Chunks sent.
    pub chunks: u32,
    /// Uncompressed content bytes.
    pub bytes: u64,
    /// Bytes on the wire (after compression).
    pub wire_bytes: u64,
}

impl MeshClient {
    /// Sends a message: in one request when it fits one chunk, otherwise in chunks, each
    /// gzip-compressed on its own with `Content-Encoding: gzip` and `mex-Chunk-Range`.
    ///
    /// The first request (`POST .../outbox`) is never retried once it may have left:
    /// a repeat could deliver the message twice. Later chunks are retried as the retry
    /// policy allows (storing a chunk twice changes nothing). When a later chunk still
    /// fails, the error's [`MeshError::resume_send`](super::MeshError::resume_send) says
    /// where to go on with [`MeshClient::resume_send`].
    ///
    /// # Errors
    /// `Error::InvalidInput` before anything is sent (empty content, a header value MESH
    /// would refuse); `Error::Mesh` otherwise, where
    /// [`may_have_been_sent`](crate::Error::may_have_been_sent) tells whether the message
    /// may have been delivered.
    pub async fn send(&self, message: OutgoingMessage) -> crate::Result<SentMessage> {
        let _ = message;
        todo!()
    }

    /// Goes on with a chunked upload that broke after chunk 1 was accepted, from the
    /// first chunk MESH did not confirm. `message` must carry the same content (and
    /// chunking) as the first attempt.
    ///
    /// # Errors
    /// As [`MeshClient::send`]; `Error::InvalidInput` when the content length differs.
    pub async fn resume_send(&self, message: OutgoingMessage, from: &PartialSend) -> crate::Result<SentMessage> {
        let _ = (message, from);
        todo!()
    }
}
