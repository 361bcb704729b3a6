//! Receiving: list, download, hand to the caller's handler, and acknowledge only after
//! the handler succeeded.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;

use super::{MeshClient, MeshProblem, MessageId, MessageMetadata, WorkflowFilter};

/// The error a receive handler returns to leave a message unacknowledged.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// A downloaded message handed to a receive handler.
#[derive(Debug)]
pub struct IncomingMessage {
    /// The message's `mex-*` metadata (a REPORT has an empty content).
    pub metadata: MessageMetadata,
    /// The decoded content. May hold personal data.
    pub content: Bytes,
}

/// What a [`MeshClient::receive`] pass did.
#[derive(Debug, Default)]
pub struct ReceiveSummary {
    /// Messages handled and acknowledged.
    pub acknowledged: Vec<MessageId>,
    /// Messages whose handler failed: left in the inbox, to be offered again.
    pub handler_failed: Vec<(MessageId, HandlerError)>,
    /// Messages larger than [`MeshConfig::max_receive_bytes`](super::MeshConfig::max_receive_bytes):
    /// not handed over and left in the inbox; fetch them with [`MeshClient::download`]
    /// into a file.
    pub too_large: Vec<MessageId>,
    /// Whether the inbox listed more messages than this pass took (poll again at once).
    pub more_waiting: bool,
}

impl MeshClient {
    /// Receives waiting messages (one inbox page): for each (matching `filter`, if
    /// given), downloads it into memory (at most
    /// [`MeshConfig::max_receive_bytes`](super::MeshConfig::max_receive_bytes)), calls
    /// `handler`, and acknowledges it only when the handler returned `Ok`. A
    /// handler error leaves the message in the inbox (it is offered again next time);
    /// an acknowledgement that fails after a successful handler is returned as an error,
    /// and the message will be offered again, so handlers must tolerate a repeat.
    ///
    /// ```no_run
    /// # use gpconnect_core::mesh::*;
    /// # async fn store(_: &[u8]) -> std::io::Result<()> { Ok(()) }
    /// # async fn demo(mesh: MeshClient) -> gpconnect_core::Result<()> {
    /// let summary = mesh
    ///     .receive(None, |message: IncomingMessage| async move {
    ///         store(&message.content).await?; // an error here leaves the message in the inbox
    ///         Ok(())
    ///     })
    ///     .await?;
    /// println!("{} acknowledged", summary.acknowledged.len());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `Error::Messaging` when listing, downloading or acknowledging fails.
    pub async fn receive<H, Fut>(&self, filter: Option<WorkflowFilter>, handler: H) -> crate::Result<ReceiveSummary>
    where
        H: FnMut(IncomingMessage) -> Fut,
        Fut: Future<Output = Result<(), HandlerError>>,
    {
        let mut handler = handler;
        let mut inbox = self.inbox();
        if let Some(filter) = filter {
            inbox = inbox.workflow(filter);
        }
        let page = inbox.send().await?;
        let mut summary = ReceiveSummary::default();
        for id in page.messages {
            let mut content = Limited { buf: Vec::new(), limit: self.config().max_receive_bytes };
            let downloaded = match self.download(&id, &mut content).send().await {
                Ok(d) => d,
                Err(e) if e.mesh().is_some_and(|m| matches!(m.problem, MeshProblem::Output(_))) => {
                    summary.too_large.push(id);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let incoming = IncomingMessage { metadata: downloaded.metadata.clone(), content: content.buf.into() };
            // The handler owns the content now; acknowledge only after it said Ok.
            match handler(incoming).await {
                Ok(()) => {
                    downloaded.acknowledge(self).await?;
                    summary.acknowledged.push(id);
                }
                Err(e) => summary.handler_failed.push((id, e)),
            }
        }
        summary.more_waiting = page.continue_from.is_some();
        Ok(summary)
    }
}

/// An in-memory writer that refuses to grow past `limit`.
struct Limited {
    buf: Vec<u8>,
    limit: usize,
}

impl AsyncWrite for Limited {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.buf.len() + data.len() > this.limit {
            return Poll::Ready(Err(std::io::Error::other("message larger than max_receive_bytes")));
        }
        this.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
