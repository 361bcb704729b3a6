//! Receives every waiting message of a MESH mailbox into a folder, one file per message,
//! acknowledging each only once its file is safely written.
//!
//! ```text
//! cargo run --features mesh --example mesh_inbox -- FOLDER [--max-bytes N]
//! ```
//!
//! The mailbox comes from `MESH_URL`, `MESH_MAILBOX`, `MESH_PASSWORD`, `MESH_SHARED_KEY`
//! (and `MESH_CERT`, `MESH_KEY`, `MESH_CA`). Without `MESH_URL` it starts mesh-sandbox, puts
//! two messages into `X26ABC2`'s inbox and receives them.
//!
//! Files are named by the MESH message ID (never by anything the sender wrote), created
//! new with mode 0600 and flushed to disk before the message is acknowledged. The whole
//! inbox is read, page by page; a message that cannot be downloaded or is larger than
//! `--max-bytes` (default 100 MiB) is reported and left in the inbox. One line per message.

#[path = "mesh_common/mod.rs"]
#[allow(dead_code)]
mod mesh_common;

use std::io::Write;
use std::path::{Path, PathBuf};

use gpconnect::mesh::{IncomingMessage, MailboxId, OutgoingMessage};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut folder, mut max_bytes) = (None, 100 * 1024 * 1024);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--max-bytes" => max_bytes = args.next().ok_or("--max-bytes needs a number")?.parse()?,
            _ if folder.is_none() => folder = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument {arg:?}").into()),
        }
    }
    let folder = folder.ok_or("usage: mesh_inbox FOLDER [--max-bytes N]")?;
    std::fs::create_dir_all(&folder)?;
    let mailbox = mesh_common::mailbox("X26ABC2", |c| c.max_receive_bytes(max_bytes)).await?;
    if let Some(sandbox) = &mailbox.sandbox {
        let sender = sandbox.client("X26ABC1");
        for text in ["first message", "second message"] {
            let to: MailboxId = "X26ABC2".parse()?;
            sender.send(OutgoingMessage::new(to, "TEST_WORKFLOW".parse()?).body_bytes(text)).await?;
        }
    }

    let mut inbox = mailbox.client.receive();
    while let Some(message) = inbox.next().await? {
        match store(&folder, &message) {
            Ok(path) => match inbox.acknowledge(&message).await {
                Ok(()) => println!(
                    "received {} ({} bytes, workflow {}) -> {}",
                    message.message_id(),
                    message.content.len(),
                    message.metadata.workflow_id.as_ref().map_or("-", |w| w.as_str()),
                    path.display()
                ),
                Err(e) => println!("stored {} but not acknowledged (offered again): {e}", message.message_id()),
            },
            Err(e) => {
                println!("left {} in the inbox: could not store it: {e}", message.message_id());
                inbox.leave(&message, e);
            }
        }
    }
    let summary = inbox.into_summary();
    for skipped in &summary.skipped {
        println!("skipped {} ({:?}): {}", skipped.message_id, skipped.reason, skipped.error);
    }
    if summary.more_waiting {
        println!("more messages are waiting: run again");
    }
    Ok(())
}

/// Writes the content to `{folder}/{message id}.dat`: a new file, mode 0600, synced.
fn store(folder: &Path, message: &IncomingMessage) -> std::io::Result<PathBuf> {
    // A MESH message ID is letters, digits, `_` and `-` only (checked when parsed).
    let path = folder.join(format!("{}.dat", message.message_id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = match options.open(&path) {
        Ok(file) => file,
        // Stored before, the acknowledgement was lost: the same message again.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(path),
        Err(e) => return Err(e),
    };
    file.write_all(&message.content)?;
    file.sync_all()?;
    Ok(path)
}
