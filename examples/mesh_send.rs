//! Sends any file over MESH and prints the MESH message ID.
//!
//! ```text
//! cargo run --features mesh --example mesh_send -- FILE --workflow ID [--chunk-bytes N]
//! ```
//!
//! The mailbox comes from `MESH_URL`, `MESH_MAILBOX`, `MESH_PASSWORD`, `MESH_SHARED_KEY`
//! (and `MESH_CERT`, `MESH_KEY`, `MESH_CA`); the recipient from `MESH_TO`. Without
//! `MESH_URL` it starts mesh-sandbox and sends from `X26ABC1` to `X26ABC2`.
//!
//! Exit status: 0 sent; 2 the outcome is unknown (MESH may hold the message: track it by
//! the ids printed before sending again); 1 not sent.

#[path = "mesh_common/mod.rs"]
#[allow(dead_code)]
mod mesh_common;

use std::process::ExitCode;

use gpconnect::mesh::{LocalId, MessageBody, OutgoingMessage};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mesh_send: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut file, mut workflow, mut chunk) = (None, None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--workflow" => workflow = args.next(),
            "--chunk-bytes" => chunk = Some(args.next().ok_or("--chunk-bytes needs a number")?.parse::<usize>()?),
            _ if file.is_none() => file = Some(arg),
            _ => return Err(format!("unexpected argument {arg:?}").into()),
        }
    }
    let usage = "usage: mesh_send FILE --workflow ID [--chunk-bytes N]";
    let file = file.ok_or(usage)?;
    let workflow = workflow.ok_or(usage)?.parse()?;
    let mailbox = mesh_common::mailbox("X26ABC1", |c| match chunk {
        Some(bytes) => c.chunk_size(bytes),
        None => c,
    })
    .await?;
    let to = match (&mailbox.to, &mailbox.sandbox) {
        (Some(to), _) => to.clone(),
        (None, Some(_)) => "X26ABC2".parse()?,
        (None, None) => return Err("MESH_TO is not set".into()),
    };
    // A local ID of our own to track the message by, whatever happens to the answer.
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis();
    let local_id = LocalId::parse(&format!("mesh_send-{stamp}"))?;
    let message = OutgoingMessage::new(to, workflow).local_id(local_id.clone()).body(MessageBody::file(&file).await?);
    match mailbox.client.send(message).await {
        Ok(sent) => {
            println!("sent {} ({} bytes, {} chunk(s))", sent.message_id, sent.bytes, sent.chunks);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if e.may_have_been_sent() => {
            let id = e.mesh().and_then(|m| m.message_id.as_ref()).map_or("not known".to_owned(), |m| m.to_string());
            println!(
                "outcome unknown: MESH may hold the message; track it (MESH message id {id}, local id {}) before sending again",
                local_id.as_str()
            );
            eprintln!("mesh_send: {e}");
            Ok(ExitCode::from(2))
        }
        Err(e) => {
            eprintln!("mesh_send: not sent: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
