//! Receiving: list, download, hand to the caller's handler, and acknowledge only after
//! the handler succeeded.

use std::future::Future;

use bytes::Bytes;

use super::{MeshClient, MessageId, MessageMetadata, WorkflowFilter};

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
}

impl MeshClient {
    /// Receives waiting messages: for each (matching `filter`, if given), downloads it,
    /// calls `handler`, and acknowledges it only when the handler returned `Ok`. A
    /// handler error leaves the message in the inbox (it is offered again next time);
    /// an acknowledgement that fails after a successful handler is returned as an error,
    /// and the message will be offered again, so handlers must tolerate a repeat.
    ///
    /// # Errors
    /// `Error::Mesh` when listing, downloading or acknowledging fails.
    pub async fn receive<H, Fut>(&self, filter: Option<WorkflowFilter>, handler: H) -> crate::Result<ReceiveSummary>
    where
        H: FnMut(IncomingMessage) -> Fut,
        Fut: Future<Output = Result<(), HandlerError>>,
    {
        let _ = (filter, handler);
        todo!()
    }
}
