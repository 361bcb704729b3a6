//! The `mex-*` headers, typed: names in one table, received metadata as a struct.

use std::fmt;

use http::{HeaderMap, HeaderName};

use super::{LocalId, MailboxId, MessageId, WorkflowId};

macro_rules! mex_headers {
    ($( $(#[$doc:meta])* $name:ident = $wire:literal; )*) => {
        /// A MESH header. Names are matched case-insensitively; [`MexHeader::as_str`]
        /// gives the spelling the spec writes, [`MexHeader::name`] the HTTP name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum MexHeader {
            $( $(#[$doc])* $name, )*
        }

        impl MexHeader {
            /// Every header in the table.
            pub const ALL: &'static [MexHeader] = &[$(MexHeader::$name),*];

            /// The header name as the spec writes it.
            pub fn as_str(self) -> &'static str {
                match self { $( MexHeader::$name => $wire, )* }
            }
        }
    };
}

impl MexHeader {
    /// The HTTP header name (lowercase).
    pub fn name(self) -> HeaderName {
        HeaderName::from_bytes(self.as_str().as_bytes()).expect("valid header name")
    }
}

mex_headers! {
    /// Sender mailbox (GP Connect makes it mandatory on send).
    From = "mex-From";
    /// Recipient mailbox or `GPPROVIDER_...` address.
    To = "mex-To";
    /// Workflow ID.
    WorkflowId = "mex-WorkflowID";
    /// `k:n` on chunk k of n.
    ChunkRange = "mex-Chunk-Range";
    /// Subject.
    Subject = "mex-Subject";
    /// Sender's reference.
    LocalId = "mex-LocalID";
    /// File name.
    FileName = "mex-FileName";
    /// Sender-supplied checksum.
    ContentChecksum = "mex-Content-Checksum";
    /// `Y`/`N` metadata flag: the content was compressed by the sender.
    ContentCompressed = "mex-Content-Compressed";
    /// `Y`/`N` metadata flag: the content is encrypted.
    ContentEncrypted = "mex-Content-Encrypted";
    /// The original content type.
    ContentType = "mex-Content-Type";
    /// Legacy partner ID.
    PartnerId = "mex-PartnerID";
    /// The message ID (download).
    MessageId = "mex-MessageID";
    /// `DATA` or `REPORT` (download).
    MessageType = "mex-MessageType";
    /// `ALL` (download).
    AddressType = "mex-AddressType";
    /// `1.0` (download).
    Version = "mex-Version";
    /// Report: the event that failed (`TRANSFER`, `SEND`).
    StatusEvent = "mex-StatusEvent";
    /// Report: the status code (non-`00` is an error).
    StatusCode = "mex-StatusCode";
    /// Report: `SUCCESS` or `ERROR`.
    StatusSuccess = "mex-StatusSuccess";
    /// Report: the description.
    StatusDescription = "mex-StatusDescription";
    /// Report: when (`yyyyMMddHHmmss`).
    StatusTimestamp = "mex-StatusTimestamp";
    /// Report: the message the report is about.
    LinkedMsgId = "mex-LinkedMsgID";
    /// Handshake: client version.
    ClientVersion = "mex-ClientVersion";
    /// Handshake: operating system name.
    OsName = "mex-OSName";
    /// Handshake: operating system version.
    OsVersion = "mex-OSVersion";
    /// Handshake: architecture.
    OsArchitecture = "mex-OSArchitecture";
    /// Handshake: `N/A` for non-Java clients.
    JavaVersion = "mex-JavaVersion";
}

impl fmt::Display for MexHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `mex-Chunk-Range`: chunk `index` of `total`, both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRange {
    /// This chunk, from 1.
    pub index: u32,
    /// How many chunks the message has.
    pub total: u32,
}

impl ChunkRange {
    /// Parses `k:n` (1 <= k <= n).
    pub fn parse(value: &str) -> Option<Self> {
        let (k, n) = value.trim().split_once(':')?;
        let (index, total) = (k.trim().parse().ok()?, n.trim().parse().ok()?);
        (1..=total).contains(&index).then_some(Self { index, total })
    }
}

impl fmt::Display for ChunkRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.index, self.total)
    }
}

/// `mex-MessageType`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageType {
    /// A data message.
    Data,
    /// A MESH report (for example a non-delivery report); its body is empty.
    Report,
    /// Another value, kept as sent.
    Other(String),
}

impl MessageType {
    fn parse(value: &str) -> Self {
        match value.trim().to_ascii_uppercase().as_str() {
            "DATA" => MessageType::Data,
            "REPORT" => MessageType::Report,
            _ => MessageType::Other(value.trim().to_owned()),
        }
    }
}

/// The status part of a received message: on a REPORT, what happened to the linked
/// message (`Mex-StatusCode` non-`00` is an error, for example `14` undelivered or an
/// `EPL-15x` routing failure).
#[derive(Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// `Mex-StatusSuccess`: `true` for `SUCCESS`.
    pub success: bool,
    /// `Mex-StatusCode`.
    pub code: Option<String>,
    /// `Mex-StatusEvent`.
    pub event: Option<String>,
    /// `Mex-StatusDescription` (server-supplied text: hidden from `Debug`).
    pub description: Option<String>,
    /// `Mex-StatusTimestamp`.
    pub timestamp: Option<String>,
    /// `Mex-LinkedMsgID`: the message this report is about.
    pub linked_message_id: Option<MessageId>,
}

impl fmt::Debug for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusReport")
            .field("success", &self.success)
            .field("code", &crate::redact::Screened(&self.code))
            .field("event", &crate::redact::Screened(&self.event))
            .field("linked_message_id", &self.linked_message_id)
            .finish_non_exhaustive()
    }
}

/// The metadata of a received message, from its `mex-*` headers.
///
/// `Debug` hides the subject, the local ID and the file name, which a sender may fill
/// with anything.
#[derive(Clone, PartialEq, Eq)]
pub struct MessageMetadata {
    /// `mex-MessageID`.
    pub message_id: MessageId,
    /// `mex-MessageType`.
    pub message_type: MessageType,
    /// `mex-From`.
    pub from: Option<MailboxId>,
    /// `mex-To`.
    pub to: Option<MailboxId>,
    /// `mex-WorkflowID`.
    pub workflow_id: Option<WorkflowId>,
    /// `mex-LocalID`.
    pub local_id: Option<LocalId>,
    /// `mex-Subject`.
    pub subject: Option<String>,
    /// `mex-FileName`.
    pub file_name: Option<String>,
    /// `mex-Content-Type`, or the `Content-Type` of a single-chunk message.
    pub content_type: Option<String>,
    /// `mex-Content-Checksum`.
    pub checksum: Option<String>,
    /// `mex-Content-Compressed: Y`: the transfer was gzip-compressed. The client has
    /// already decoded it: the content handed over is the original, so do not gunzip it
    /// again.
    pub compressed: bool,
    /// `mex-Content-Encrypted: Y`.
    pub encrypted: bool,
    /// `mex-Chunk-Range` of chunk 1: how many chunks the message has.
    pub chunks: u32,
    /// The status headers (always present on a REPORT).
    pub status: Option<StatusReport>,
}

impl fmt::Debug for MessageMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageMetadata")
            .field("message_id", &self.message_id)
            .field("message_type", &self.message_type)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("workflow_id", &self.workflow_id)
            .field("chunks", &self.chunks)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

fn get(headers: &HeaderMap, h: MexHeader) -> Option<&str> {
    headers.get(h.name()).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

impl MessageMetadata {
    /// Reads the metadata from a download answer's headers. `requested` is the message ID
    /// asked for (used when the answer leaves out `mex-MessageID`).
    pub fn from_headers(headers: &HeaderMap, requested: &MessageId) -> Self {
        let flag = |h| get(headers, h).is_some_and(|v| v.eq_ignore_ascii_case("Y"));
        let message_type = get(headers, MexHeader::MessageType).map(MessageType::parse).unwrap_or(MessageType::Data);
        let status = match (get(headers, MexHeader::StatusSuccess), get(headers, MexHeader::StatusCode)) {
            (None, None) => None,
            (success, code) => Some(StatusReport {
                success: success.is_some_and(|s| s.eq_ignore_ascii_case("SUCCESS")),
                code: code.map(str::to_owned),
                event: get(headers, MexHeader::StatusEvent).map(str::to_owned),
                description: get(headers, MexHeader::StatusDescription).map(str::to_owned),
                timestamp: get(headers, MexHeader::StatusTimestamp).map(str::to_owned),
                linked_message_id: get(headers, MexHeader::LinkedMsgId).and_then(|v| MessageId::parse(v).ok()),
            }),
        };
        Self {
            message_id: get(headers, MexHeader::MessageId)
                .and_then(|v| MessageId::parse(v).ok())
                .unwrap_or_else(|| requested.clone()),
            message_type,
            from: get(headers, MexHeader::From).and_then(|v| MailboxId::parse(v).ok()),
            to: get(headers, MexHeader::To).and_then(|v| MailboxId::parse(v).ok()),
            workflow_id: get(headers, MexHeader::WorkflowId).and_then(|v| WorkflowId::parse(v).ok()),
            local_id: get(headers, MexHeader::LocalId).and_then(|v| LocalId::parse(v).ok()),
            subject: get(headers, MexHeader::Subject).map(str::to_owned),
            file_name: get(headers, MexHeader::FileName).map(str::to_owned),
            content_type: get(headers, MexHeader::ContentType).map(str::to_owned),
            checksum: get(headers, MexHeader::ContentChecksum).map(str::to_owned),
            compressed: flag(MexHeader::ContentCompressed),
            encrypted: flag(MexHeader::ContentEncrypted),
            chunks: get(headers, MexHeader::ChunkRange).and_then(ChunkRange::parse).map_or(1, |r| r.total),
            status,
        }
    }

    /// Whether this is a MESH report (for example a non-delivery report) rather than data.
    pub fn is_report(&self) -> bool {
        self.message_type == MessageType::Report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_http_names() {
        assert_eq!(MexHeader::WorkflowId.name().as_str(), "mex-workflowid");
        assert_eq!(MexHeader::WorkflowId.as_str(), "mex-WorkflowID");
        assert_eq!(MexHeader::LinkedMsgId.name().as_str(), "mex-linkedmsgid");
    }

    #[test]
    fn chunk_range_parses_and_checks() {
        assert_eq!(ChunkRange::parse("2:3"), Some(ChunkRange { index: 2, total: 3 }));
        assert_eq!(ChunkRange::parse("4:3"), None);
        assert_eq!(ChunkRange::parse("0:3"), None);
        assert_eq!(ChunkRange { index: 1, total: 5 }.to_string(), "1:5");
    }

    #[test]
    fn report_headers_are_read_and_hidden() {
        let mut h = HeaderMap::new();
        h.insert("Mex-MessageType", "REPORT".parse().unwrap());
        h.insert("Mex-StatusSuccess", "ERROR".parse().unwrap());
        h.insert("Mex-StatusCode", "14".parse().unwrap());
        h.insert("Mex-StatusDescription", "Message not collected by recipient".parse().unwrap());
        h.insert("Mex-LinkedMsgID", "20200529155357895317_3573F8".parse().unwrap());
        h.insert("mex-subject", "secret subject".parse().unwrap());
        let m = MessageMetadata::from_headers(&h, &MessageId::parse("R1").unwrap());
        assert!(m.is_report());
        let s = m.status.as_ref().unwrap();
        assert!(!s.success);
        assert_eq!(s.code.as_deref(), Some("14"));
        assert_eq!(s.linked_message_id.as_ref().unwrap().as_str(), "20200529155357895317_3573F8");
        assert_eq!(m.message_id.as_str(), "R1");
        assert!(!format!("{m:?}").contains("secret"));
        assert!(!format!("{m:?}").contains("not collected"));
    }
}
