//! Inbox listing (`GET .../inbox`) with paging and workflow filters.

use http::Method;
use serde::Deserialize;

use super::client::MeshRequest;
use super::{MeshClient, MeshOperation, MessageId, WorkflowId};
use crate::error::InvalidInput;

/// A `workflow_filter` (spec section 1.4): equals, begins with or contains, or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowFilter(String);

impl WorkflowFilter {
    /// Messages of exactly this workflow.
    pub fn equals(workflow: &WorkflowId) -> Self {
        Self(workflow.as_str().to_owned())
    }

    /// Messages of any other workflow.
    pub fn not_equals(workflow: &WorkflowId) -> Self {
        Self(format!("!{}", workflow.as_str()))
    }

    /// Workflows beginning with `prefix`.
    pub fn begins_with(prefix: &str) -> Result<Self, InvalidInput> {
        Ok(Self(format!("{}*", part(prefix)?)))
    }

    /// Workflows not beginning with `prefix`.
    pub fn not_begins_with(prefix: &str) -> Result<Self, InvalidInput> {
        Ok(Self(format!("!{}*", part(prefix)?)))
    }

    /// Workflows containing `text` (for example `_ACK`).
    pub fn contains(text: &str) -> Result<Self, InvalidInput> {
        Ok(Self(format!("*{}*", part(text)?)))
    }

    /// Workflows not containing `text`.
    pub fn not_contains(text: &str) -> Result<Self, InvalidInput> {
        Ok(Self(format!("!*{}*", part(text)?)))
    }

    /// The query value sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn part(text: &str) -> Result<&str, InvalidInput> {
    WorkflowId::parse(text).map_err(|_| InvalidInput::parameter("workflow_filter", "not part of a workflow ID"))?;
    Ok(text.trim())
}

/// One page of the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPage {
    /// Message IDs ready to download, oldest first as MESH lists them.
    pub messages: Vec<MessageId>,
    /// MESH's approximate count of the whole inbox, when given.
    pub approx_inbox_count: Option<u64>,
    /// The `continue_from` token of the next page, when there is one.
    pub continue_from: Option<String>,
}

#[derive(Deserialize)]
struct InboxV2 {
    messages: Vec<MessageId>,
    approx_inbox_count: Option<u64>,
    links: Option<Links>,
}

#[derive(Deserialize)]
struct Links {
    next: Option<String>,
}

/// Lists the inbox; from [`MeshClient::inbox`].
#[derive(Debug, Clone)]
#[must_use = "an inbox listing does nothing until `.send().await`"]
pub struct Inbox {
    client: MeshClient,
    filter: Option<WorkflowFilter>,
    max_results: Option<u32>,
    continue_from: Option<String>,
}

impl MeshClient {
    /// Lists the messages waiting in the inbox, one page at a time.
    ///
    /// Sends `GET /messageexchange/{mailbox}/inbox` with `max_results`, `continue_from`
    /// and `workflow_filter` as set. The spec asks to poll at most every 5 minutes and
    /// at least daily, and to poll again at once when a page is full.
    pub fn inbox(&self) -> Inbox {
        Inbox { client: self.clone(), filter: None, max_results: None, continue_from: None }
    }
}

impl Inbox {
    /// Only messages whose workflow matches.
    pub fn workflow(mut self, filter: WorkflowFilter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// At most this many IDs per page (MESH allows 10..=5000; default 500).
    pub fn max_results(mut self, max: u32) -> Self {
        self.max_results = Some(max);
        self
    }

    /// The page after `page`.
    pub fn after(mut self, page: &InboxPage) -> Self {
        self.continue_from = page.continue_from.clone();
        self
    }

    fn request(&self) -> Result<MeshRequest, InvalidInput> {
        let mut req = MeshRequest::new(MeshOperation::Inbox, Method::GET, self.client.mailbox_path(&["inbox"]));
        if let Some(max) = self.max_results {
            if !(10..=5000).contains(&max) {
                return Err(InvalidInput::parameter("max_results", "must be 10..=5000"));
            }
            req.query.push(("max_results", max.to_string()));
        }
        if let Some(filter) = &self.filter {
            req.query.push(("workflow_filter", filter.0.clone()));
        }
        if let Some(token) = &self.continue_from {
            req.query.push(("continue_from", token.clone()));
        }
        Ok(req)
    }

    fn parse(answer: InboxV2) -> InboxPage {
        let continue_from = answer.links.and_then(|l| l.next).and_then(|next| {
            let query = next.split_once('?')?.1;
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "continue_from")
                .map(|(_, v)| v.into_owned())
        });
        InboxPage { messages: answer.messages, approx_inbox_count: answer.approx_inbox_count, continue_from }
    }

    /// Fetches one page.
    ///
    /// # Errors
    /// `Error::InvalidInput` for `max_results` outside 10..=5000 (nothing sent);
    /// `Error::Messaging` otherwise. Safe to retry.
    pub async fn send(self) -> crate::Result<InboxPage> {
        let req = self.request()?;
        let answer: InboxV2 = self.client.execute_json(&req).await?;
        Ok(Self::parse(answer))
    }

    /// Fetches every page (at most `max_pages`) and returns all message IDs.
    ///
    /// # Errors
    /// As [`Inbox::send`].
    pub async fn all(mut self, max_pages: usize) -> crate::Result<Vec<MessageId>> {
        let mut all = Vec::new();
        for _ in 0..max_pages {
            let page = self.clone().send().await?;
            all.extend(page.messages);
            match page.continue_from {
                Some(next) => self.continue_from = Some(next),
                None => break,
            }
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_written_as_the_spec_lists_them() {
        let wf = WorkflowId::parse("WORKFLOW1").unwrap();
        assert_eq!(WorkflowFilter::equals(&wf).as_str(), "WORKFLOW1");
        assert_eq!(WorkflowFilter::not_equals(&wf).as_str(), "!WORKFLOW1");
        assert_eq!(WorkflowFilter::begins_with("WORKFL").unwrap().as_str(), "WORKFL*");
        assert_eq!(WorkflowFilter::not_begins_with("WORKFL").unwrap().as_str(), "!WORKFL*");
        assert_eq!(WorkflowFilter::contains("_ACK").unwrap().as_str(), "*_ACK*");
        assert_eq!(WorkflowFilter::not_contains("_ACK").unwrap().as_str(), "!*_ACK*");
        assert!(WorkflowFilter::contains("a&b").is_err());
    }

    #[test]
    fn next_link_gives_the_continue_from_token() {
        let body = br#"{"messages": ["20220228174323222_ABCDEF"], "links": {"self": "/messageexchange/X/inbox", "next": "/messageexchange/X/inbox?max_results=10&continue_from=abc%3D%3D"}}"#;
        let page = Inbox::parse(serde_json::from_slice(body).unwrap());
        assert_eq!(page.messages[0].as_str(), "20220228174323222_ABCDEF");
        assert_eq!(page.continue_from.as_deref(), Some("abc=="));
    }
}
