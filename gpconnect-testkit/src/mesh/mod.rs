//! MESH helpers for tests (cargo feature `mesh`):
//!
//! * [`MockMesh`]: an in-process MESH server on `127.0.0.1` with mailboxes, workflows and
//!   messages in memory. It checks every `NHSMESH` token as MESH does (HMAC, the two-hour
//!   window, single use), the `mex-*` headers and chunk ranges, decodes gzip bodies, and
//!   lets a test put messages (including non-delivery reports) into an inbox and look at
//!   what was sent;
//! * [`MeshSandbox`]: NHS England's own `mesh-sandbox` (PyPI, pinned), installed into
//!   `target/mesh-sandbox/venv` and started on a free port, for tests against the real
//!   server code.
//!
//! ```
//! use gpconnect_core::mesh::{OutgoingMessage, MailboxId};
//! use gpconnect_testkit::mesh::MockMesh;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let mesh = MockMesh::start().await;
//! let sender = mesh.client("X26ABC1");
//! let sent = sender
//!     .send(OutgoingMessage::new("X26ABC2".parse::<MailboxId>().unwrap(), "TEST_WORKFLOW".parse().unwrap())
//!         .body_bytes("hello"))
//!     .await
//!     .unwrap();
//! let stored = mesh.message(&sent.message_id).unwrap();
//! assert_eq!(stored.content, "hello");
//! assert_eq!(stored.headers["mex-workflowid"], "TEST_WORKFLOW");
//! # }
//! ```

mod mock;
mod sandbox;

pub use mock::{MockMesh, StoredMessage};
pub use sandbox::{config_for, offline_client, MeshSandbox, MAILBOXES, PASSWORD, SHARED_KEY, WORKFLOWS};
