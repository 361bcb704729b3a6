//! Receiving: list, download, hand each message to the caller in a plain loop, and
//! acknowledge it only when the caller says it is stored.

use std::collections::{HashSet, VecDeque};

use bytes::Bytes;

use super::{
    DownloadLimit, DownloadLimits, InboxPage, MeshClient, MeshProblem, MessageId, MessageMetadata, WorkflowFilter,
};

/// Why the caller left a message in the inbox ([`Receiver::leave`]).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// A downloaded message, from [`Receiver::next`]. `Debug` shows the metadata (screened),
/// never the content.
pub struct IncomingMessage {
    /// The message's `mex-*` metadata (a REPORT has an empty content).
    pub metadata: MessageMetadata,
    /// The decoded content. May hold personal data.
    pub content: Bytes,
}

crate::redacted_debug!(IncomingMessage, metadata);

impl IncomingMessage {
    /// The MESH message ID.
    pub fn message_id(&self) -> &MessageId {
        &self.metadata.message_id
    }
}

/// Why a receive pass skipped a message (it stays in the inbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// MESH no longer has it (404 or 410: another poller acknowledged it, or it expired).
    Gone,
    /// Its content does not decode (corrupt gzip, a chunk shorter than before).
    Corrupt,
    /// Beyond the pass's limits (size, chunk count, expansion ratio); fetch it with
    /// [`MeshClient::download`] into a file, with limits of your choosing.
    TooLarge(DownloadLimit),
    /// MESH refused to hand it over with this HTTP status.
    Refused(u16),
    /// The transfer failed (connection, timeout) after the retries.
    Unavailable,
}

/// A message a receive pass could not hand over, with why. Keep count across passes and
/// [`quarantine`](Receiver::quarantine) those that keep failing.
#[derive(Debug)]
pub struct Skipped {
    /// The message.
    pub message_id: MessageId,
    /// Why, typed.
    pub reason: SkipReason,
    /// The failure.
    pub error: crate::Error,
}

/// What a [`Receiver`] pass did.
#[derive(Debug, Default)]
pub struct ReceiveSummary {
    /// Messages handled and acknowledged.
    pub acknowledged: Vec<MessageId>,
    /// Messages the caller left ([`Receiver::leave`]): still in the inbox, to be offered
    /// again.
    pub handler_failed: Vec<(MessageId, HandlerError)>,
    /// Messages larger than [`MeshConfig::max_receive_bytes`](super::MeshConfig::max_receive_bytes)
    /// or beyond another download limit: not handed over and left in the inbox; fetch them
    /// with [`MeshClient::download`] into a file. (Also listed in `skipped`.)
    pub too_large: Vec<MessageId>,
    /// Messages that could not be downloaded, with why: left in the inbox, the pass went
    /// on past them.
    pub skipped: Vec<Skipped>,
    /// Messages passed over because the caller quarantined them ([`Receiver::quarantine`]).
    pub quarantined: Vec<MessageId>,
    /// Messages offered again that the caller had already stored
    /// ([`Receiver::already_stored`]): acknowledged without being handed over again.
    pub redelivered: Vec<MessageId>,
    /// Whether the inbox listed more messages than this pass took (poll again at once).
    pub more_waiting: bool,
}

impl ReceiveSummary {
    /// Adds a later pass: what it acknowledged, and what it failed on that this summary
    /// does not hold yet (a message left or skipped on every pass is listed once).
    pub fn absorb(&mut self, pass: ReceiveSummary) {
        self.acknowledged.extend(pass.acknowledged);
        self.redelivered.extend(pass.redelivered);
        for (id, e) in pass.handler_failed {
            if !self.handler_failed.iter().any(|(seen, _)| *seen == id) {
                self.handler_failed.push((id, e));
            }
        }
        for id in pass.too_large {
            if !self.too_large.contains(&id) {
                self.too_large.push(id);
            }
        }
        for s in pass.skipped {
            if !self.skipped.iter().any(|seen| seen.message_id == s.message_id) {
                self.skipped.push(s);
            }
        }
        for id in pass.quarantined {
            if !self.quarantined.contains(&id) {
                self.quarantined.push(id);
            }
        }
        self.more_waiting = pass.more_waiting;
    }
}

/// One pass over the whole inbox, message by message; from [`MeshClient::receive`].
///
/// The first [`next`](Self::next) lists every page of the inbox (`continue_from`, at
/// most [`max_pages`](Self::max_pages)); each call then downloads the next waiting
/// message into memory (at most
/// [`MeshConfig::max_receive_bytes`](super::MeshConfig::max_receive_bytes), within the
/// default [`DownloadLimits`]); the caller stores it, then
/// [`acknowledge`](Self::acknowledge)s it, which removes it from the inbox. A message not
/// acknowledged stays in the inbox and is offered again next time ([`leave`](Self::leave)
/// records why). A message that cannot be downloaded (gone, corrupt, too large, broken
/// transfer) is recorded in [`ReceiveSummary::skipped`] and the pass goes on: one bad
/// message never stops the ones behind it. An acknowledgement lost after the content was
/// stored means the message is offered again: give the ids you stored to
/// [`already_stored`](Self::already_stored) and it is acknowledged, not handed over twice.
#[derive(Debug)]
#[must_use = "a receiver does nothing until `next().await`"]
pub struct Receiver {
    client: MeshClient,
    filter: Option<WorkflowFilter>,
    page_size: Option<u32>,
    max_pages: usize,
    waiting: Option<VecDeque<MessageId>>,
    seen: HashSet<MessageId>,
    quarantined: HashSet<MessageId>,
    stored: HashSet<MessageId>,
    summary: ReceiveSummary,
}

/// Pages a pass lists at most unless [`Receiver::max_pages`] says otherwise.
const DEFAULT_MAX_PAGES: usize = 100;

impl MeshClient {
    /// Receives the waiting messages in a plain loop: lists the inbox, then hands the
    /// messages over one at a time.
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
        Receiver {
            client: self.clone(),
            filter: None,
            page_size: self.config().inbox_page_size,
            max_pages: DEFAULT_MAX_PAGES,
            waiting: None,
            seen: HashSet::new(),
            quarantined: HashSet::new(),
            stored: HashSet::new(),
            summary: ReceiveSummary::default(),
        }
    }
}

impl Receiver {
    /// Only messages whose workflow matches.
    pub fn workflow(mut self, filter: WorkflowFilter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Message IDs per inbox page (MESH allows 10..=5000; default MESH's 500).
    pub fn page_size(mut self, ids: u32) -> Self {
        self.page_size = Some(ids);
        self
    }

    /// Pages listed at most in one pass (default 100); more waiting sets
    /// [`ReceiveSummary::more_waiting`].
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// Messages not to download this pass (for example those skipped in several passes
    /// before): listed in [`ReceiveSummary::quarantined`], left in the inbox.
    pub fn quarantine(mut self, ids: impl IntoIterator<Item = MessageId>) -> Self {
        self.quarantined.extend(ids);
        self
    }

    /// Messages the caller already stored (an acknowledgement lost, a restart between
    /// storing and acknowledging): acknowledged when offered again, not handed over, and
    /// listed in [`ReceiveSummary::redelivered`].
    pub fn already_stored(mut self, ids: impl IntoIterator<Item = MessageId>) -> Self {
        self.stored.extend(ids);
        self
    }

    /// Lists every page of the inbox (at most `max_pages`).
    async fn list(&mut self) -> crate::Result<VecDeque<MessageId>> {
        let mut all = VecDeque::new();
        let mut after: Option<InboxPage> = None;
        for _ in 0..self.max_pages {
            let mut inbox = self.client.inbox();
            if let Some(filter) = &self.filter {
                inbox = inbox.workflow(filter.clone());
            }
            if let Some(size) = self.page_size {
                inbox = inbox.max_results(size);
            }
            if let Some(page) = &after {
                inbox = inbox.after(page);
            }
            let page = inbox.send().await?;
            all.extend(page.messages.iter().cloned());
            self.summary.more_waiting = page.continue_from.is_some();
            if page.continue_from.is_none() || page.messages.is_empty() {
                break;
            }
            after = Some(page);
        }
        Ok(all)
    }

    /// The next waiting message, downloaded; `None` once the pass is done. The first call
    /// lists the inbox.
    ///
    /// # Errors
    /// `Error::Messaging` when listing the inbox fails, or acknowledging a message already
    /// stored ([`already_stored`](Self::already_stored)) fails. A message that cannot be
    /// downloaded is recorded in [`ReceiveSummary::skipped`], not returned as an error.
    pub async fn next(&mut self) -> crate::Result<Option<IncomingMessage>> {
        if self.waiting.is_none() {
            let listed = self.list().await?;
            self.waiting = Some(listed);
        }
        let limits = DownloadLimits { max_bytes: self.client.config().max_receive_bytes as u64, ..Default::default() };
        while let Some(id) = self.waiting.as_mut().and_then(VecDeque::pop_front) {
            if !self.seen.insert(id.clone()) {
                continue;
            }
            if self.quarantined.contains(&id) {
                self.summary.quarantined.push(id);
                continue;
            }
            if self.stored.contains(&id) {
                self.client.acknowledge(&id).await?;
                self.summary.redelivered.push(id);
                continue;
            }
            let mut content = Vec::new();
            match self.client.download(&id, &mut content).limits(limits).send().await {
                Ok(downloaded) => {
                    return Ok(Some(IncomingMessage { metadata: downloaded.metadata, content: content.into() }))
                }
                Err(error) => {
                    let reason = skip_reason(&error);
                    if let SkipReason::TooLarge(_) = reason {
                        self.summary.too_large.push(id.clone());
                    }
                    tracing::warn!(?reason, "a MESH message could not be downloaded: skipped, left in the inbox");
                    self.summary.skipped.push(Skipped { message_id: id, reason, error });
                }
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

/// Why a download failed, typed.
fn skip_reason(error: &crate::Error) -> SkipReason {
    let Some(mesh) = error.mesh() else { return SkipReason::Unavailable };
    match &mesh.problem {
        MeshProblem::TooLarge(limit) => SkipReason::TooLarge(*limit),
        MeshProblem::Decode { .. } => SkipReason::Corrupt,
        MeshProblem::Refused { status: 404 | 410, .. } => SkipReason::Gone,
        MeshProblem::Refused { status, .. } => SkipReason::Refused(*status),
        _ => SkipReason::Unavailable,
    }
}
