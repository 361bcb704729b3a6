//! Endpoint look-up: the mailboxes registered for an ODS code and a workflow
//! (`GET /messageexchange/endpointlookup/{ods_code}/{workflow_id}`).

use http::Method;
use serde::Deserialize;

use super::client::MeshRequest;
use super::{MailboxId, MeshClient, MeshOperation, WorkflowId};
use crate::OdsCode;

/// A mailbox found by [`MeshClient::lookup_endpoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxEntry {
    /// The mailbox ID to send to.
    pub mailbox_id: MailboxId,
    /// The mailbox's name, when given.
    pub mailbox_name: Option<String>,
}

#[derive(Deserialize)]
struct LookupV2 {
    results: Vec<ResultV2>,
}

#[derive(Deserialize)]
struct ResultV2 {
    mailbox_id: String,
    mailbox_name: Option<String>,
}

impl MeshClient {
    /// The mailboxes registered to receive `workflow` for the organisation `ods`.
    ///
    /// Sends `GET /messageexchange/endpointlookup/{ods}/{workflow}` (no authorisation, as
    /// the spec declares). An empty list means nobody receives that workflow there.
    ///
    /// # Errors
    /// `Error::Messaging` for a refusal or an answer that is not the spec's shape; a mailbox
    /// ID in the answer that MESH would not accept is a decode error. Safe to retry.
    pub async fn lookup_endpoint(&self, ods: &OdsCode, workflow: &WorkflowId) -> crate::Result<Vec<MailboxEntry>> {
        let mut req = MeshRequest::new(
            MeshOperation::EndpointLookup,
            Method::GET,
            vec!["endpointlookup".into(), ods.as_str().into(), workflow.as_str().into()],
        );
        req.authorised = false;
        let answer: LookupV2 = self.execute_json(&req).await?;
        answer
            .results
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let mailbox_id = MailboxId::parse(&r.mailbox_id).map_err(|_| {
                    super::client::decode(
                        MeshOperation::EndpointLookup,
                        200,
                        crate::error::DecodeProblem::Json {
                            path: format!("results[{i}].mailbox_id"),
                            message: "not a mailbox ID".into(),
                        },
                        bytes::Bytes::new(),
                    )
                })?;
                Ok(MailboxEntry { mailbox_id, mailbox_name: r.mailbox_name })
            })
            .collect()
    }
}
