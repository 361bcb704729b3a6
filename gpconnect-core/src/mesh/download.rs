//! Downloading a message chunk by chunk into any `AsyncWrite`
//! (`GET .../inbox/{message_id}` then `.../{k}`), resumable from the chunk that broke.

use tokio::io::AsyncWrite;

use super::error::PartialDownload;
use super::{MeshClient, MessageId, MessageMetadata};

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
    /// `Error::Mesh`: 404 unknown, 410 expired, a transfer that could not be completed
    /// (with [`MeshError::resume_download`](super::MeshError::resume_download) set), or a
    /// write error of the writer.
    pub async fn send(self) -> crate::Result<Downloaded> {
        todo!()
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
