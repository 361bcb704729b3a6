//! Acknowledge a downloaded message (`PUT .../inbox/{message_id}/status/acknowledged`),
//! which removes it from the inbox.

use http::Method;

use super::client::MeshRequest;
use super::{MeshClient, MeshOperation, MessageId};

impl MeshClient {
    /// Acknowledges a message: MESH removes it from the inbox and tells the sender it was
    /// collected. Acknowledge only once the content is safely stored; prefer
    /// [`Receiver::acknowledge`](super::Receiver::acknowledge) (from
    /// [`MeshClient::receive`]) or [`Downloaded::acknowledge`](super::Downloaded::acknowledge),
    /// which hand over the content first.
    ///
    /// # Errors
    /// `Error::Messaging` (404 unknown message, 403 not this mailbox's). Safe to retry: a second
    /// acknowledgement changes nothing.
    pub async fn acknowledge(&self, message_id: &MessageId) -> crate::Result<()> {
        let req = MeshRequest::new(
            MeshOperation::Acknowledge,
            Method::PUT,
            self.mailbox_path(&["inbox", message_id.as_str(), "status", "acknowledged"]),
        );
        self.execute_empty(&req).await?;
        Ok(())
    }
}
