//! Downloading a message chunk by chunk into any `AsyncWrite`
//! (`GET .../inbox/{message_id}` then `.../{k}`), resumable from the chunk that broke.

use std::time::Instant;

use http::Method;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::client::{transport, MeshRequest};
use super::error::{MeshError, MeshProblem, PartialDownload};
use super::{MeshClient, MeshOperation, MessageId, MessageMetadata};
use crate::error::{InvalidInput, Sent};

/// Downloads one message; from [`MeshClient::download`].
#[must_use = "a download does nothing until `.send().await`"]
pub struct Download<'w, W: ?Sized> {
    pub(crate) client: MeshClient,
    pub(crate) message_id: MessageId,
    pub(crate) writer: &'w mut W,
    pub(crate) resume: Option<PartialDownload>,
}

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
        Download { client: self.clone(), message_id: message_id.clone(), writer, resume: None }
    }
}

impl<W: AsyncWrite + Unpin + Send + ?Sized> Download<'_, W> {
    /// Goes on from where an earlier download of the same message into the same writer
    /// broke (see [`MeshError::resume_download`](super::MeshError::resume_download)).
    pub fn resume(mut self, from: PartialDownload) -> Self {
        self.resume = Some(from);
        self
    }

    /// Downloads every chunk, retrying a chunk that broke from where it broke.
    ///
    /// # Errors
    /// `Error::Messaging`: 404 unknown, 410 expired, a transfer that could not be completed
    /// (with [`MeshError::resume_download`](super::MeshError::resume_download) set), or a
    /// write error of the writer.
    pub async fn send(self) -> crate::Result<Downloaded> {
        let Download { client, message_id, writer, resume } = self;
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
            }
            match copy_chunk(resp, writer, &mut at, op).await {
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
    MeshRequest::new(MeshOperation::Download { index: chunk }, Method::GET, path)
}

/// Streams one chunk's (decoded) body into the writer, skipping the bytes of this chunk
/// that an earlier attempt already wrote, and counting what it writes.
async fn copy_chunk<W: AsyncWrite + Unpin + Send + ?Sized>(
    mut resp: reqwest::Response,
    writer: &mut W,
    at: &mut PartialDownload,
    op: MeshOperation,
) -> Result<(), MeshError> {
    let started = Instant::now();
    let mut skip = at.written_in_chunk;
    let mut seen = 0u64;
    while let Some(mut block) = resp.chunk().await.map_err(|e| transport(e, op, started))? {
        seen += block.len() as u64;
        if skip > 0 {
            let drop = skip.min(block.len() as u64) as usize;
            skip -= drop as u64;
            let _ = block.split_to(drop);
        }
        if block.is_empty() {
            continue;
        }
        writer.write_all(&block).await.map_err(|e| MeshError::new(op, MeshProblem::Output(e), Sent::No))?;
        at.written_in_chunk += block.len() as u64;
        at.written += block.len() as u64;
    }
    if seen < at.written_in_chunk {
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
