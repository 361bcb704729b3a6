//! Downloading a message chunk by chunk into any `AsyncWrite`
//! (`GET .../inbox/{message_id}` then `.../{k}`), resumable from the chunk that broke.

use std::io::Write;
use std::time::Instant;

use flate2::write::GzDecoder;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING};
use http::{HeaderValue, Method};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::client::{transport, MeshRequest};
use super::error::{MeshError, MeshProblem, PartialDownload};
use super::limits::{DownloadLimit, DownloadLimits};
use super::{MeshClient, MeshOperation, MessageId, MessageMetadata};
use crate::error::{InvalidInput, Sent};

/// Downloads one message; from [`MeshClient::download`].
#[must_use = "a download does nothing until `.send().await`"]
pub struct Download<'w, W: ?Sized> {
    pub(crate) client: MeshClient,
    pub(crate) message_id: MessageId,
    pub(crate) writer: &'w mut W,
    pub(crate) resume: Option<PartialDownload>,
    pub(crate) limits: DownloadLimits,
}

/// A chunk may decode this much before the expansion ratio is checked.
const EXPANSION_ALLOWANCE: u64 = 16 * 1024 * 1024;
/// Compressed bytes fed to the decoder at a time (at most about 17 MB decoded).
const DECODE_STEP: usize = 16 * 1024;

impl<W: ?Sized> std::fmt::Debug for Download<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download").field("message_id", &self.message_id).finish_non_exhaustive()
    }
}

/// A message downloaded completely, not yet acknowledged.
#[derive(Debug)]
#[must_use = "acknowledge the message once its content is stored, or it stays in the inbox"]
pub struct Downloaded {
    /// The message's `mex-*` metadata.
    pub metadata: MessageMetadata,
    /// Decoded content bytes written.
    pub bytes: u64,
}

impl MeshClient {
    /// Streams a message into `writer`, chunk by chunk: memory stays flat whatever its
    /// size. gzip-compressed chunks are decoded. Nothing is acknowledged: call
    /// [`Downloaded::acknowledge`] once the content is safely stored.
    pub fn download<'w, W: AsyncWrite + Unpin + Send + ?Sized>(
        &self,
        message_id: &MessageId,
        writer: &'w mut W,
    ) -> Download<'w, W> {
        Download {
            client: self.clone(),
            message_id: message_id.clone(),
            writer,
            resume: None,
            limits: DownloadLimits::default(),
        }
    }
}

impl<W: AsyncWrite + Unpin + Send + ?Sized> Download<'_, W> {
    /// Goes on from where an earlier download of the same message into the same writer
    /// broke (see [`MeshError::resume_download`](super::MeshError::resume_download)).
    pub fn resume(mut self, from: PartialDownload) -> Self {
        self.resume = Some(from);
        self
    }

    /// Bounds the download (see [`DownloadLimits`]; defaults apply otherwise).
    pub fn limits(mut self, limits: DownloadLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Downloads every chunk, retrying a chunk that broke from where it broke.
    ///
    /// The client asks for gzip and decodes it itself, counting what arrives: a corrupt
    /// gzip body fails as a decode error (not a connection failure), and a message beyond
    /// the [`DownloadLimits`] stops with [`MeshProblem::TooLarge`] as soon as it is.
    ///
    /// # Errors
    /// `Error::Messaging`: 404 unknown, 410 expired, a transfer that could not be completed
    /// (with [`MeshError::resume_download`](super::MeshError::resume_download) set), or a
    /// write error of the writer.
    pub async fn send(self) -> crate::Result<Downloaded> {
        let Download { client, message_id, writer, resume, limits } = self;
        let mut at = resume.unwrap_or(PartialDownload {
            message_id: message_id.clone(),
            chunk: 1,
            written_in_chunk: 0,
            written: 0,
            metadata: None,
        });
        if at.message_id != message_id || at.chunk == 0 {
            return Err(InvalidInput::parameter("resume", "not a position in this message").into());
        }
        let retry = &client.config().http.retry;
        let fail = |mut err: MeshError, at: &PartialDownload| {
            err.message_id = Some(message_id.clone());
            err.resume_download = Some(at.clone());
            crate::Error::from(err)
        };
        let mut total = at.metadata.as_ref().map_or(1, |m| m.chunks);
        let mut attempt = 0;
        loop {
            let op = MeshOperation::Download { index: at.chunk };
            let resp = match client.execute(&chunk_request(&client, &message_id, at.chunk)).await {
                Ok(resp) => resp,
                Err(err) => return Err(fail(err, &at)),
            };
            if at.metadata.is_none() {
                let metadata = MessageMetadata::from_headers(resp.headers(), &message_id);
                total = metadata.chunks;
                at.metadata = Some(Box::new(metadata));
                if total > limits.max_chunks {
                    let limit = DownloadLimit::Chunks(limits.max_chunks);
                    return Err(fail(MeshError::new(op, MeshProblem::TooLarge(limit), Sent::No), &at));
                }
            }
            match copy_chunk(resp, writer, &mut at, op, &limits).await {
                Ok(()) => {
                    attempt = 0;
                    if at.chunk >= total {
                        break;
                    }
                    at.chunk += 1;
                    at.written_in_chunk = 0;
                }
                Err(err) => {
                    // The body broke: fetch the same chunk again and skip what was written.
                    attempt += 1;
                    if !err.is_retryable() || attempt >= retry.max_attempts {
                        return Err(fail(err, &at));
                    }
                    tokio::time::sleep(retry.delay(attempt, None)).await;
                }
            }
        }
        writer.flush().await.map_err(|e| {
            fail(MeshError::new(MeshOperation::Download { index: at.chunk }, MeshProblem::Output(e), Sent::No), &at)
        })?;
        let metadata = *at.metadata.take().expect("chunk 1 read");
        Ok(Downloaded { metadata, bytes: at.written })
    }
}

impl Downloaded {
    /// Acknowledges the message, consuming this value: call it once the content is stored.
    ///
    /// # Errors
    /// As [`MeshClient::acknowledge`].
    pub async fn acknowledge(self, client: &MeshClient) -> crate::Result<MessageMetadata> {
        client.acknowledge(&self.metadata.message_id).await?;
        Ok(self.metadata)
    }
}

/// `GET .../inbox/{id}` for chunk 1, `GET .../inbox/{id}/{k}` after.
fn chunk_request(client: &MeshClient, id: &MessageId, chunk: u32) -> MeshRequest {
    let index = chunk.to_string();
    let path = if chunk == 1 {
        client.mailbox_path(&["inbox", id.as_str()])
    } else {
        client.mailbox_path(&["inbox", id.as_str(), &index])
    };
    let mut req = MeshRequest::new(MeshOperation::Download { index: chunk }, Method::GET, path);
    req.headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    req
}

/// Streams one chunk's body into the writer, decoding gzip when the answer says so,
/// skipping the decoded bytes of this chunk that an earlier attempt already wrote,
/// counting what it writes and checking the limits as it goes.
async fn copy_chunk<W: AsyncWrite + Unpin + Send + ?Sized>(
    mut resp: reqwest::Response,
    writer: &mut W,
    at: &mut PartialDownload,
    op: MeshOperation,
    limits: &DownloadLimits,
) -> Result<(), MeshError> {
    let started = Instant::now();
    let gzip = resp.headers().get(CONTENT_ENCODING).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let mut decoder = gzip.then(|| GzDecoder::new(Vec::new()));
    let mut out = Output { skip: at.written_in_chunk, seen: 0, wire: 0 };
    while let Some(block) = resp.chunk().await.map_err(|e| transport(e, op, started))? {
        out.wire += block.len() as u64;
        match &mut decoder {
            None => out.write(writer, at, op, limits, &block).await?,
            Some(d) => {
                let before = out.seen;
                for step in block.chunks(DECODE_STEP) {
                    d.write_all(step).map_err(|_| corrupt(op))?;
                    let decoded = d.get_mut();
                    out.write(writer, at, op, limits, decoded).await?;
                    decoded.clear();
                }
                if out.seen == before {
                    // The decoder held this whole block back (its buffer is 32 KiB): hand it
                    // over so a broken answer leaves a resume point past it. A flush per
                    // step instead halves the decoding speed.
                    d.flush().map_err(|_| corrupt(op))?;
                    let decoded = d.get_mut();
                    out.write(writer, at, op, limits, decoded).await?;
                    decoded.clear();
                }
            }
        }
    }
    if let Some(mut d) = decoder {
        d.try_finish().map_err(|_| corrupt(op))?;
        let decoded = std::mem::take(d.get_mut());
        out.write(writer, at, op, limits, &decoded).await?;
    }
    if out.seen < at.written_in_chunk {
        // The chunk is shorter than what an earlier attempt wrote: not the same content.
        return Err(super::client::decode(
            op,
            200,
            crate::error::DecodeProblem::Incomplete("chunk shorter than before".into()),
            bytes::Bytes::new(),
        ));
    }
    Ok(())
}

/// The decoded side of one chunk: what to skip (written by an earlier attempt), what was
/// decoded and what was received.
struct Output {
    skip: u64,
    seen: u64,
    wire: u64,
}

impl Output {
    async fn write<W: AsyncWrite + Unpin + Send + ?Sized>(
        &mut self,
        writer: &mut W,
        at: &mut PartialDownload,
        op: MeshOperation,
        limits: &DownloadLimits,
        decoded: &[u8],
    ) -> Result<(), MeshError> {
        self.seen = self.seen.saturating_add(decoded.len() as u64);
        let too_large = |limit| MeshError::new(op, MeshProblem::TooLarge(limit), Sent::No);
        if self.seen > EXPANSION_ALLOWANCE && self.seen / self.wire.max(1) > u64::from(limits.max_expansion) {
            return Err(too_large(DownloadLimit::Expansion(limits.max_expansion)));
        }
        let drop = self.skip.min(decoded.len() as u64) as usize;
        self.skip -= drop as u64;
        let fresh = &decoded[drop..];
        if fresh.is_empty() {
            return Ok(());
        }
        if at.written.saturating_add(fresh.len() as u64) > limits.max_bytes {
            return Err(too_large(DownloadLimit::Bytes(limits.max_bytes)));
        }
        writer.write_all(fresh).await.map_err(|e| MeshError::new(op, MeshProblem::Output(e), Sent::No))?;
        at.written_in_chunk += fresh.len() as u64;
        at.written += fresh.len() as u64;
        Ok(())
    }
}

/// A gzip body that does not decode.
fn corrupt(op: MeshOperation) -> MeshError {
    super::client::decode(
        op,
        200,
        crate::error::DecodeProblem::Incomplete("the gzip content is corrupt".into()),
        bytes::Bytes::new(),
    )
}
