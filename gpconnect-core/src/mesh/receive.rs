//! Receiving: list, download, hand each message to the caller in a plain loop, and
//! acknowledge it only when the caller says it is stored.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;

use super::{MeshClient, MeshProblem, MessageId, MessageMetadata, WorkflowFilter};

/// Why the caller left a message in the inbox ([`Receiver::leave`]).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// A downloaded message, from [`Receiver::next`].
#[derive(Debug)]
pub struct IncomingMessage {
    /// The message's `mex-*` metadata (a REPORT has an empty content).
    pub metadata: MessageMetadata,
    /// The decoded content. May hold personal data.
    pub content: Bytes,
}

impl IncomingMessage {
    /// The MESH message ID.
    pub fn message_id(&self) -> &MessageId {
        &self.metadata.message_id
    }
}

/// What a [`Receiver`] pass did.
#[derive(Debug, Default)]
pub struct ReceiveSummary {
    /// Messages handled and acknowledged.
    pub acknowledged: Vec<MessageId>,
    /// Messages the caller left ([`Receiver::leave`]): still in the inbox, to be offered
    /// again.
    pub handler_failed: Vec<(MessageId, HandlerError)>,
    /// Messages larger than [`MeshConfig::max_receive_bytes`](super::MeshConfig::max_receive_bytes):
    /// not handed over and left in the inbox; fetch them with [`MeshClient::download`]
    /// into a file.
    pub too_large: Vec<MessageId>,
    /// Whether the inbox listed more messages than this pass took (poll again at once).
    pub more_waiting: bool,
}

/// One pass over the inbox (one page), message by message; from [`MeshClient::receive`].
///
/// [`next`](Self::next) downloads the next waiting message into memory (at most
/// [`MeshConfig::max_receive_bytes`](super::MeshConfig::max_receive_bytes)); the caller
/// stores it, then [`acknowledge`](Self::acknowledge)s it, which removes it from the
/// inbox. A message not acknowledged stays in the inbox and is offered again next time
/// ([`leave`](Self::leave) records why). An acknowledgement lost after the content was
/// stored means the message is offered again: handle a repeat.
#[derive(Debug)]
#[must_use = "a receiver does nothing until `next().await`"]
pub struct Receiver {
    client: MeshClient,
    filter: Option<WorkflowFilter>,
    waiting: Option<VecDeque<MessageId>>,
    summary: ReceiveSummary,
}

impl MeshClient {
    /// Receives the waiting messages in a plain loop: lists one inbox page, then hands
    /// the messages over one at a time.
    ///
    /// ```no_run
    /// # use gpconnect_core::mesh::*;
    /// # async fn store(_: &[u8]) -> std::io::Result<()> { Ok(()) }
    /// # async fn demo(mesh: MeshClient) -> gpconnect_core::Result<()> {
    /// let mut inbox = mesh.receive();
    /// while let Some(message) = inbox.next().await? {
    ///     match store(&message.content).await {
    ///         Ok(()) => inbox.acknowledge(&message).await?,
    ///         Err(e) => inbox.leave(&message, e), // offered again next time
    ///     }
    /// }
    /// println!("{} acknowledged", inbox.summary().acknowledged.len());
    /// # Ok(()) }
    /// ```
    pub fn receive(&self) -> Receiver {
        Receiver { client: self.clone(), filter: None, waiting: None, summary: ReceiveSummary::default() }
    }
}

impl Receiver {
    /// Only messages whose workflow matches.
    pub fn workflow(mut self, filter: WorkflowFilter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// The next waiting message, downloaded; `None` once this pass's page is done. The
    /// first call lists the inbox.
    ///
    /// # Errors
    /// `Error::Messaging` when listing or downloading fails.
    pub async fn next(&mut self) -> crate::Result<Option<IncomingMessage>> {
        let waiting = match &mut self.waiting {
            Some(waiting) => waiting,
            None => {
                let mut inbox = self.client.inbox();
                if let Some(filter) = &self.filter {
                    inbox = inbox.workflow(filter.clone());
                }
                let page = inbox.send().await?;
                self.summary.more_waiting = page.continue_from.is_some();
                self.waiting.insert(page.messages.into())
            }
        };
        while let Some(id) = waiting.pop_front() {
            let mut content = Limited { buf: Vec::new(), limit: self.client.config().max_receive_bytes };
            match self.client.download(&id, &mut content).send().await {
                Ok(downloaded) => {
                    return Ok(Some(IncomingMessage { metadata: downloaded.metadata, content: content.buf.into() }))
                }
                Err(e) if e.mesh().is_some_and(|m| matches!(m.problem, MeshProblem::Output(_))) => {
                    self.summary.too_large.push(id);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// Acknowledges `message` (call once its content is safely stored): MESH removes it
    /// from the inbox.
    ///
    /// # Errors
    /// `Error::Messaging` when the acknowledgement fails; the message stays in the inbox and is
    /// offered again.
    pub async fn acknowledge(&mut self, message: &IncomingMessage) -> crate::Result<()> {
        self.client.acknowledge(message.message_id()).await?;
        self.summary.acknowledged.push(message.message_id().clone());
        Ok(())
    }

    /// Leaves `message` in the inbox (it is offered again next time), recording why.
    pub fn leave(&mut self, message: &IncomingMessage, reason: impl Into<HandlerError>) {
        self.summary.handler_failed.push((message.message_id().clone(), reason.into()));
    }

    /// What this pass did so far.
    pub fn summary(&self) -> &ReceiveSummary {
        &self.summary
    }

    /// What this pass did.
    pub fn into_summary(self) -> ReceiveSummary {
        self.summary
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
