//! Sending: one request, or gzip-compressed chunks (`POST .../outbox`, then
//! `POST .../outbox/{message_id}/{k}`), resumable from the chunk that failed.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use std::io::Write;

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};

use super::client::MeshRequest;
use super::error::{MeshError, MeshProblem, PartialSend};
use super::ids::header_text;
use super::{ChunkRange, LocalId, MeshClient, MeshOperation, MessageId, MexHeader, Recipient, WorkflowId};
use crate::error::{InvalidInput, Sent};

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
    pub(crate) chunk_size: Option<usize>,
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
            chunk_size: None,
        }
    }

    /// Sends the message in one request when it fits MESH's single-request limit
    /// ([`MAX_CHUNK_SIZE`](super::MAX_CHUNK_SIZE), 100 MB), whatever the client's chunk
    /// size: for receivers that cannot take chunked messages (older ITK3 systems). The
    /// content is held in memory for that one request.
    pub fn unchunked(mut self) -> Self {
        self.chunk_size = Some(super::MAX_CHUNK_SIZE);
        self
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
    /// Memory stays flat: one compressed chunk is held at a time (so that it can be sent
    /// again), whatever the message size.
    ///
    /// # Example
    /// ```no_run
    /// # use gpconnect_core::mesh::*;
    /// # async fn demo(mesh: MeshClient) -> gpconnect_core::Result<()> {
    /// let message = OutgoingMessage::new("X26ABC2".parse::<MailboxId>()?, "TEST_WORKFLOW".parse()?)
    ///     .local_id("order-17".parse()?)
    ///     .body(MessageBody::file("report.pdf").await.expect("readable file"));
    /// match mesh.send(message).await {
    ///     Ok(sent) => println!("sent as {}", sent.message_id),
    ///     Err(e) if e.may_have_been_sent() => { /* track or ask the recipient before sending again */ }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `Error::InvalidInput` before anything is sent (no or empty content, a header value
    /// MESH would refuse); `Error::Messaging` otherwise, where
    /// [`may_have_been_sent`](crate::Error::may_have_been_sent) tells whether the message
    /// may have been delivered.
    pub async fn send(&self, message: OutgoingMessage) -> crate::Result<SentMessage> {
        let chunk_size = message.chunk_size.unwrap_or(self.config().chunk_size);
        let plan = Plan::new(self, message, chunk_size)?;
        plan.run(self, None).await
    }

    /// Goes on with a chunked upload that broke after chunk 1 was accepted, from the
    /// first chunk MESH did not confirm. `message` must carry the same content as the
    /// first attempt (a file or bytes again, or a fresh reader from the start).
    ///
    /// # Errors
    /// As [`MeshClient::send`]; `Error::InvalidInput` when the content length differs.
    pub async fn resume_send(&self, message: OutgoingMessage, from: &PartialSend) -> crate::Result<SentMessage> {
        let plan = Plan::new(self, message, from.chunk_size)?;
        if plan.len != from.length || plan.total != from.total_chunks || from.next_chunk < 2 {
            return Err(InvalidInput::parameter("resume", "the content differs from the interrupted upload").into());
        }
        plan.run(self, Some(from)).await
    }
}

/// A validated message, ready to upload.
struct Plan {
    first_headers: HeaderMap,
    body: Option<MessageBody>,
    compress: bool,
    level: u32,
    chunk_size: usize,
    len: u64,
    total: u32,
    progress: Option<ProgressFn>,
}

/// The largest whole message (spec 1.6: 20 GB, the smaller of the two limits it gives).
const MAX_MESSAGE: u64 = 20 * 1000 * 1000 * 1000;

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).expect("checked header text")
}

impl Plan {
    /// Validates the message and builds the headers of the first request. Nothing is sent.
    fn new(client: &MeshClient, m: OutgoingMessage, chunk_size: usize) -> Result<Self, InvalidInput> {
        let body = m.body.ok_or_else(|| InvalidInput::parameter("body", "a message needs content"))?;
        if body.is_empty() {
            return Err(InvalidInput::parameter("body", "MESH refuses an empty message"));
        }
        if body.len > MAX_MESSAGE {
            return Err(InvalidInput::parameter("body", "larger than the 20 GB MESH allows"));
        }
        let total = u32::try_from(body.len.div_ceil(chunk_size as u64))
            .map_err(|_| InvalidInput::parameter("body", "too many chunks"))?;
        let mut h = HeaderMap::new();
        h.insert(MexHeader::From.name(), header(client.mailbox().as_str()));
        let to = HeaderValue::from_str(m.to.header_value())
            .map_err(|_| InvalidInput::parameter("mex-To", "not a valid header value"))?;
        h.insert(MexHeader::To.name(), to);
        h.insert(MexHeader::WorkflowId.name(), header(m.workflow.as_str()));
        h.insert(MexHeader::ChunkRange.name(), header(&ChunkRange { index: 1, total }.to_string()));
        let optional = [
            (MexHeader::Subject, m.subject.as_deref(), 500),
            (MexHeader::FileName, m.file_name.as_deref(), 300),
            (MexHeader::ContentChecksum, m.checksum.as_deref(), 100),
            (MexHeader::ContentType, m.content_type.as_deref(), 100),
        ];
        for (name, value, max) in optional {
            if let Some(value) = value {
                h.insert(name.name(), header(&header_text(name.as_str(), value, max)?));
            }
        }
        if let Some(local_id) = &m.local_id {
            h.insert(MexHeader::LocalId.name(), header(local_id.as_str()));
        }
        let content_type = match (&m.content_type, total) {
            (Some(t), 1) => header(t),
            _ => HeaderValue::from_static(OCTET_STREAM),
        };
        h.insert(CONTENT_TYPE, content_type);
        if m.compress {
            h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        Ok(Self {
            first_headers: h,
            len: body.len,
            body: Some(body),
            compress: m.compress,
            level: client.config().compression_level,
            chunk_size,
            total,
            progress: m.progress,
        })
    }

    /// Uploads every chunk from `from.next_chunk` (or from chunk 1).
    async fn run(mut self, client: &MeshClient, from: Option<&PartialSend>) -> crate::Result<SentMessage> {
        let start = from.map_or(1, |p| p.next_chunk);
        let body = self.body.take().expect("run once");
        let mut reader = ChunkSource::open(body, u64::from(start - 1) * self.chunk_size as u64)
            .await
            .map_err(|e| MeshError::new(MeshOperation::Send, MeshProblem::Input(e), Sent::No))?;
        let mut message_id = from.map(|p| p.message_id.clone());
        let mut wire_bytes = 0;
        let mut bytes_sent = u64::from(start - 1) * self.chunk_size as u64;
        for index in start..=self.total {
            let operation = self.operation(index);
            let raw_len = (self.len - bytes_sent).min(self.chunk_size as u64);
            let encoded = reader.next(raw_len, self.compress.then_some(self.level)).await;
            let encoded = encoded.map_err(|e| {
                let mut err = MeshError::new(operation, MeshProblem::Input(e), Sent::No);
                err.message_id = message_id.clone();
                err.resume_send = message_id.as_ref().map(|id| self.partial(id, index));
                err
            })?;
            wire_bytes += encoded.len() as u64;
            let result = match &message_id {
                None => self.first(client, encoded).await.map(|id| message_id = Some(id)),
                Some(id) => match self.chunk(client, id, index, encoded).await {
                    Err(err) if err.may_have_been_sent() && err.status() == Some(423) => {
                        confirm_delivered(client, id, err).await
                    }
                    other => other,
                },
            };
            if let Err(mut err) = result {
                if let Some(id) = &message_id {
                    err.message_id = Some(id.clone());
                    err.resume_send = Some(self.partial(id, index));
                }
                return Err(err.into());
            }
            bytes_sent += raw_len;
            if let Some(progress) = &self.progress {
                progress(SendProgress {
                    chunks_sent: index,
                    total_chunks: self.total,
                    bytes_sent,
                    total_bytes: self.len,
                });
            }
        }
        let message_id = message_id.expect("chunk 1 gives the message ID");
        Ok(SentMessage { message_id, chunks: self.total, bytes: self.len, wire_bytes })
    }

    /// The operation of chunk `index`: the single request of a one-chunk message is a
    /// `Send`, chunk 1 of several a `SendChunk` (it cannot deliver anything on its own).
    fn operation(&self, index: u32) -> MeshOperation {
        if self.total == 1 {
            MeshOperation::Send
        } else {
            MeshOperation::SendChunk { index, total: self.total }
        }
    }

    fn partial(&self, message_id: &MessageId, next_chunk: u32) -> PartialSend {
        PartialSend {
            message_id: message_id.clone(),
            next_chunk,
            total_chunks: self.total,
            chunk_size: self.chunk_size,
            length: self.len,
        }
    }

    /// `POST .../outbox`: the message, or chunk 1, with every header. Never retried once
    /// it may have left (the transport retries only a connection that was never made).
    async fn first(&self, client: &MeshClient, body: Bytes) -> Result<MessageId, MeshError> {
        let mut req = MeshRequest::new(self.operation(1), Method::POST, client.mailbox_path(&["outbox"]));
        req.headers = self.first_headers.clone();
        req.body = Some(body);
        #[derive(Deserialize)]
        struct Accepted {
            message_id: MessageId,
        }
        let accepted: Accepted = client.execute_json(&req).await?;
        Ok(accepted.message_id)
    }

    /// `POST .../outbox/{message_id}/{index}`: chunk 2 or later.
    async fn chunk(&self, client: &MeshClient, id: &MessageId, index: u32, body: Bytes) -> Result<(), MeshError> {
        let index_text = index.to_string();
        let mut req = MeshRequest::new(
            MeshOperation::SendChunk { index, total: self.total },
            Method::POST,
            client.mailbox_path(&["outbox", id.as_str(), &index_text]),
        );
        req.headers.insert(CONTENT_TYPE, HeaderValue::from_static(OCTET_STREAM));
        req.headers.insert(MexHeader::ChunkRange.name(), header(&ChunkRange { index, total: self.total }.to_string()));
        if self.compress {
            req.headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        req.body = Some(body);
        client.execute_empty(&req).await?;
        Ok(())
    }
}

const OCTET_STREAM: &str = "application/octet-stream";

/// After a 423 to the last chunk (MESH no longer takes chunks for the message: an earlier
/// try completed it and only its answer was lost), asks tracking whether the message is
/// complete. Accepted or acknowledged: the send succeeded. Anything else, or tracking
/// failing: the 423 error, which says the message may have been delivered.
async fn confirm_delivered(client: &MeshClient, id: &MessageId, locked: MeshError) -> Result<(), MeshError> {
    use super::TrackingStatus;
    match client.track(id).await {
        Ok(t) if matches!(t.status, Some(TrackingStatus::Accepted | TrackingStatus::Acknowledged)) => Ok(()),
        _ => Err(locked),
    }
}

/// Reads the content chunk by chunk, compressing as it reads.
struct ChunkSource {
    source: Source,
    offset: usize,
}

/// Raw bytes read per step while filling a chunk.
const READ_BLOCK: usize = 256 * 1024;

impl ChunkSource {
    /// Opens the content positioned at `skip` bytes.
    async fn open(body: MessageBody, skip: u64) -> std::io::Result<Self> {
        let source = match body.source {
            Source::Bytes(b) => return Ok(Self { source: Source::Bytes(b), offset: skip as usize }),
            Source::File(path) => {
                let mut file = tokio::fs::File::open(&path).await?;
                file.seek(std::io::SeekFrom::Start(skip)).await?;
                Source::Reader(Box::new(file))
            }
            Source::Reader(mut r) => {
                let skipped = tokio::io::copy(&mut (&mut r).take(skip), &mut tokio::io::sink()).await?;
                if skipped != skip {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                Source::Reader(r)
            }
        };
        Ok(Self { source, offset: 0 })
    }

    /// The next `len` raw bytes, gzip-compressed at `level` when given.
    async fn next(&mut self, len: u64, level: Option<u32>) -> std::io::Result<Bytes> {
        let len = len as usize;
        match (&mut self.source, level) {
            (Source::Bytes(b), None) => {
                let chunk = b.slice(self.offset..self.offset + len);
                self.offset += len;
                Ok(chunk)
            }
            (Source::Bytes(b), Some(level)) => {
                let raw = b.slice(self.offset..self.offset + len);
                self.offset += len;
                let mut gz = GzEncoder::new(Vec::with_capacity(len / 2 + 64), Compression::new(level));
                gz.write_all(&raw)?;
                Ok(gz.finish()?.into())
            }
            (Source::Reader(r), level) => {
                let mut gz = level.map(|l| GzEncoder::new(Vec::with_capacity(len / 2 + 64), Compression::new(l)));
                let mut plain = Vec::new();
                if gz.is_none() {
                    plain.reserve_exact(len);
                }
                let mut block = vec![0u8; READ_BLOCK.min(len)];
                let mut left = len;
                while left > 0 {
                    let want = left.min(block.len());
                    r.read_exact(&mut block[..want]).await?;
                    match &mut gz {
                        Some(gz) => gz.write_all(&block[..want])?,
                        None => plain.extend_from_slice(&block[..want]),
                    }
                    left -= want;
                }
                Ok(match gz {
                    Some(gz) => gz.finish()?.into(),
                    None => plain.into(),
                })
            }
            (Source::File(_), _) => unreachable!("files are opened as readers"),
        }
    }
}
