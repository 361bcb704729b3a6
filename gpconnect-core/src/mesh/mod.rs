//! The MESH client (cargo feature `mesh`): NHS England's Message Exchange for Social Care
//! and Health, over which GP Connect Send Document and Update Record travel.
//!
//! * [`MeshConfig`] names the [`MeshEnvironment`], the mailbox, its password and the
//!   environment's shared secret, the client certificate and the sending organisation's
//!   ODS code; [`MeshClient::new`] checks it;
//! * every request carries a fresh `NHSMESH` token ([`auth`]);
//! * [`MeshClient::send`] sends an [`OutgoingMessage`] in one request, or in gzip-compressed
//!   chunks when it is larger than the chunk size; the first upload request is never
//!   retried once it may have left, later chunks are, and a broken upload resumes from the
//!   chunk that failed ([`MeshClient::resume_send`]);
//! * [`MeshClient::inbox`] lists waiting messages (paging, workflow filters);
//!   [`MeshClient::download`] streams one, chunk by chunk, into any `AsyncWrite` with flat
//!   memory, and resumes from the chunk that broke;
//! * [`MeshClient::receive`] hands the waiting messages over in a plain loop
//!   (`while let Some(m) = inbox.next().await? { .. }`), and a message is acknowledged
//!   only when you say it is stored ([`Receiver::acknowledge`]);
//! * [`MeshClient::track`] and [`MeshClient::lookup_endpoint`];
//! * [`Tracked`]: a result with the MESH message ID of the message sent for it (what Send
//!   Document and Update Record return), as [`Traced`](crate::Traced) carries the SSP
//!   trace ID.
//!
//! ```no_run
//! use gpconnect_core::mesh::{MeshClient, MeshConfig, MeshEnvironment, OutgoingMessage};
//! # async fn demo() -> gpconnect_core::Result<()> {
//! let mesh = MeshClient::new(MeshConfig::new(
//!     MeshEnvironment::LocalSandbox("http://127.0.0.1:8700".into()),
//!     "X26ABC1".parse()?,
//!     "password".into(),
//!     "TestKey".into(),
//! ))?;
//! mesh.handshake().await?;
//! let sent = mesh
//!     .send(
//!         OutgoingMessage::new("X26ABC2".parse::<gpconnect_core::mesh::MailboxId>()?, "TEST_WORKFLOW".parse()?)
//!             .subject("hello")
//!             .body_bytes(b"Hello, MESH".to_vec()),
//!     )
//!     .await?;
//! println!("sent {}", sent.message_id);
//! # Ok(()) }
//! ```
//!
//! Everything fails with the core [`Error`](crate::Error) (`Error::Messaging`), whose
//! [`may_have_been_sent`](crate::Error::may_have_been_sent) says whether a failed send could
//! have been delivered.

// Internal results carry `MeshError` unboxed for a few calls; it is boxed once it becomes
// the public `Error::Messaging`.
#![allow(clippy::result_large_err)]

mod acknowledge;
pub mod auth;
mod client;
mod config;
mod download;
mod error;
mod handshake;
pub use handshake::HANDSHAKE_INTERVAL;
mod headers;
pub(crate) mod ids;
mod inbox;
mod limits;
pub use limits::{DownloadLimit, DownloadLimits};
mod lookup;
mod receive;
mod send;
mod track;
mod tracked;

pub use client::MeshClient;
pub use config::{ClientInfo, MeshConfig, MeshEnvironment, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE};
pub use download::{Download, Downloaded};
pub use error::{MeshError, MeshErrorCode, MeshOperation, MeshProblem, PartialDownload, PartialSend};
pub use headers::{ChunkRange, MessageMetadata, MessageType, MexHeader, StatusReport};
pub use ids::{transliterate, GpProviderAddress, LocalId, MailboxId, MessageId, Recipient, WorkflowId};
pub use inbox::{Inbox, InboxPage, WorkflowFilter};
pub use lookup::MailboxEntry;
pub use receive::{HandlerError, IncomingMessage, ReceiveSummary, Receiver, SkipReason, Skipped};
pub use send::{MessageBody, OutgoingMessage, SendProgress, SentMessage};
pub use track::{Tracking, TrackingStatus};
pub use tracked::Tracked;
