//! The MESH client against NHS England's own `mesh-sandbox` (full authentication), which
//! the testkit installs and starts on a free local port.

use gpconnect_core::error::Sent;
use gpconnect_core::mesh::{
    IncomingMessage, LocalId, MailboxId, MeshErrorCode, MeshOperation, MessageBody, MessageId, OutgoingMessage,
    ReceiveSummary, TrackingStatus, WorkflowFilter, WorkflowId,
};
use gpconnect_core::{ErrorKind, OdsCode};
use gpconnect_testkit::mesh::MeshSandbox;

fn mailbox(id: &str) -> MailboxId {
    id.parse().unwrap()
}

fn workflow(id: &str) -> WorkflowId {
    id.parse().unwrap()
}

/// Deterministic content that compresses like text (for chunk tests).
fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i % 7 == 0 {
                b' '
            } else {
                b'a' + (x % 26) as u8
            }
        })
        .collect()
}

async fn sandbox() -> MeshSandbox {
    MeshSandbox::start().await.expect("mesh-sandbox starts (python3 with venv and PyPI needed)")
}

#[tokio::test]
async fn handshake_passes_with_the_right_credentials_and_fails_with_a_wrong_secret() {
    let sb = sandbox().await;
    sb.client("X26ABC1").handshake().await.unwrap();

    let wrong = gpconnect_core::mesh::MeshClient::new(gpconnect_core::mesh::MeshConfig::new(
        gpconnect_core::mesh::MeshEnvironment::LocalSandbox(sb.url()),
        mailbox("X26ABC1"),
        "password".to_owned().into(),
        "Banana".to_owned().into(),
    ))
    .unwrap();
    let err = wrong.handshake().await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(!err.may_have_been_sent());
    assert!(wrong.handshake_due(chrono::Utc::now()), "a failed handshake is not recorded");
    assert!(wrong.last_handshake().is_none());
}

#[tokio::test]
async fn send_receive_acknowledge_and_track_a_single_message() {
    let sb = sandbox().await;
    let (alice, bob) = (sb.client("X26ABC1"), sb.client("X26ABC2"));
    let body = content(5000, 1);
    let sent = alice
        .send(
            OutgoingMessage::new(mailbox("X26ABC2"), workflow("TEST_WORKFLOW"))
                .subject("consultation report")
                .local_id(LocalId::parse("local-1").unwrap())
                .file_name("report.txt")
                .content_type("text/plain")
                .body_bytes(body.clone()),
        )
        .await
        .unwrap();
    assert_eq!(sent.chunks, 1);
    assert!(sent.wire_bytes < sent.bytes, "gzip on the wire");

    let tracked = alice.track(&sent.message_id).await.unwrap();
    assert_eq!(tracked.status, Some(TrackingStatus::Accepted));
    assert_eq!(tracked.workflow_id.as_deref(), Some("TEST_WORKFLOW"));
    assert_eq!(tracked.local_id.as_deref(), Some("local-1"));

    let page = bob.inbox().send().await.unwrap();
    assert_eq!(page.messages, vec![sent.message_id.clone()]);

    let mut inbox = bob.receive();
    while let Some(m) = inbox.next().await.unwrap() {
        let m: IncomingMessage = m;
        assert_eq!(m.content, body);
        assert_eq!(m.metadata.from, Some(mailbox("X26ABC1")));
        assert_eq!(m.metadata.workflow_id, Some(workflow("TEST_WORKFLOW")));
        assert_eq!(m.metadata.subject.as_deref(), Some("consultation report"));
        assert_eq!(m.metadata.local_id.as_ref().map(LocalId::as_str), Some("local-1"));
        assert_eq!(m.metadata.file_name.as_deref(), Some("report.txt"));
        assert!(!m.metadata.is_report());
        inbox.acknowledge(&m).await.unwrap();
    }
    let summary = inbox.into_summary();
    assert_eq!(summary.acknowledged, vec![sent.message_id.clone()]);
    assert!(bob.inbox().send().await.unwrap().messages.is_empty());
    assert_eq!(alice.track(&sent.message_id).await.unwrap().status, Some(TrackingStatus::Acknowledged));
}

#[tokio::test]
async fn chunked_send_larger_than_one_chunk_arrives_whole() {
    let sb = sandbox().await;
    let alice = gpconnect_core::mesh::MeshClient::new(sb.config("X26ABC1").chunk_size(64 * 1024)).unwrap();
    let bob = sb.client("X26ABC2");
    let body = content(64 * 1024 * 3 + 100, 2);
    let progress = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = progress.clone();
    let sent = alice
        .send(
            OutgoingMessage::new(mailbox("X26ABC2"), workflow("TEST_WORKFLOW"))
                .body(MessageBody::reader(std::io::Cursor::new(body.clone()), body.len() as u64))
                .on_progress(move |p| seen.lock().unwrap().push(p.chunks_sent)),
        )
        .await
        .unwrap();
    assert_eq!(sent.chunks, 4);
    assert_eq!(*progress.lock().unwrap(), vec![1, 2, 3, 4]);

    let mut out = Vec::new();
    let downloaded = bob.download(&sent.message_id, &mut out).send().await.unwrap();
    assert_eq!(downloaded.metadata.chunks, 4);
    assert_eq!(downloaded.bytes, body.len() as u64);
    assert!(out == body, "content differs after chunked round trip");
    // Not acknowledged yet: still in the inbox.
    assert_eq!(bob.inbox().send().await.unwrap().messages, vec![sent.message_id.clone()]);
    downloaded.acknowledge(&bob).await.unwrap();
    assert!(bob.inbox().send().await.unwrap().messages.is_empty());
}

#[tokio::test]
async fn a_failing_handler_leaves_the_message_in_the_inbox() {
    let sb = sandbox().await;
    let (alice, bob) = (sb.client("X26ABC1"), sb.client("X26ABC2"));
    let sent =
        alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow("TEST_WORKFLOW")).body_bytes("x")).await.unwrap();
    let mut inbox = bob.receive();
    while let Some(m) = inbox.next().await.unwrap() {
        inbox.leave(&m, "disk full");
    }
    let summary = inbox.into_summary();
    assert!(summary.acknowledged.is_empty());
    assert_eq!(summary.handler_failed.len(), 1);
    assert_eq!(bob.inbox().send().await.unwrap().messages, vec![sent.message_id.clone()]);
    let again = receive_all(&bob).await.unwrap();
    assert_eq!(again.acknowledged, vec![sent.message_id]);
}

#[tokio::test]
async fn inbox_pages_and_filters_by_workflow() {
    let sb = sandbox().await;
    let alice = sb.client("X26ABC1");
    let bob = sb.client("X26ABC2");
    for i in 0..12 {
        let wf = if i % 3 == 0 { "TEST_WORKFLOW2" } else { "TEST_WORKFLOW" };
        alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow(wf)).body_bytes(format!("m{i}"))).await.unwrap();
    }
    let first = bob.inbox().max_results(10).send().await.unwrap();
    assert_eq!(first.messages.len(), 10);
    assert!(first.continue_from.is_some());
    let second = bob.inbox().max_results(10).after(&first).send().await.unwrap();
    assert_eq!(second.messages.len(), 2);
    assert!(second.continue_from.is_none());
    assert_eq!(bob.inbox().max_results(10).all(10).await.unwrap().len(), 12);

    let only2 = bob.inbox().workflow(WorkflowFilter::equals(&workflow("TEST_WORKFLOW2"))).send().await.unwrap();
    assert_eq!(only2.messages.len(), 4);
    let not2 = bob.inbox().workflow(WorkflowFilter::not_equals(&workflow("TEST_WORKFLOW2"))).send().await.unwrap();
    assert_eq!(not2.messages.len(), 8);
    let contains = bob.inbox().workflow(WorkflowFilter::contains("WORKFLOW2").unwrap()).send().await.unwrap();
    assert_eq!(contains.messages.len(), 4);

    let err = bob.inbox().max_results(5).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn endpoint_lookup_finds_mailboxes_by_ods_code_and_workflow() {
    let sb = sandbox().await;
    let client = sb.client("X26ABC1");
    let found = client.lookup_endpoint(&OdsCode::parse("X26").unwrap(), &workflow("TEST_WORKFLOW")).await.unwrap();
    let ids: Vec<_> = found.iter().map(|e| e.mailbox_id.as_str()).collect();
    assert_eq!(ids, vec!["X26ABC2"]);
    assert_eq!(found[0].mailbox_name.as_deref(), Some("TESTMB2"));
    let none = client.lookup_endpoint(&OdsCode::parse("X99").unwrap(), &workflow("TEST_WORKFLOW")).await.unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn the_sandboxs_error_answers_are_typed() {
    let sb = sandbox().await;
    let alice = sb.client("X26ABC1");

    // Unregistered recipient: 417, definitely not sent.
    let err = alice
        .send(OutgoingMessage::new(mailbox("X26NOPE9"), workflow("TEST_WORKFLOW")).body_bytes("x"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(417));
    assert!(!err.may_have_been_sent());
    assert!(!err.is_retryable());
    let mesh = err.mesh().unwrap();
    assert_eq!(mesh.operation, MeshOperation::Send);
    assert!(mesh.resume_send().is_none());

    // Unknown message: 404; tracking someone else's: 404.
    let unknown = MessageId::parse("NOSUCHMESSAGE").unwrap();
    let mut out = Vec::new();
    let err = alice.download(&unknown, &mut out).send().await.unwrap_err();
    assert_eq!((err.status(), err.kind()), (Some(404), ErrorKind::NotFound));
    assert_eq!(alice.track(&unknown).await.unwrap_err().status(), Some(404));
    assert_eq!(alice.acknowledge(&unknown).await.unwrap_err().status(), Some(404));

    // Nothing is sent on bad input.
    let err = alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow("TEST_WORKFLOW"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = alice
        .send(OutgoingMessage::new(mailbox("X26ABC2"), workflow("TEST_WORKFLOW")).subject("a\r\nb").body_bytes("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    // A wrong password on a download: 403, nothing to retry.
    let wrong = gpconnect_core::mesh::MeshClient::new(gpconnect_core::mesh::MeshConfig::new(
        gpconnect_core::mesh::MeshEnvironment::LocalSandbox(sb.url()),
        mailbox("X26ABC2"),
        "not-the-password".to_owned().into(),
        "TestKey".to_owned().into(),
    ))
    .unwrap();
    let err = wrong.inbox().send().await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(!err.is_retryable());
    assert_eq!(err.mesh().unwrap().sent, Sent::Maybe);
    // The error text never carries the URL or the secret.
    let text = format!("{err} {err:?}");
    assert!(!text.contains("127.0.0.1") && !text.contains("not-the-password"), "{text}");
    let _ = MeshErrorCode::UnregisteredRecipient;
}

#[tokio::test]
async fn a_file_body_is_sent_in_chunks_and_downloaded_into_a_file() {
    let sb = sandbox().await;
    let alice = gpconnect_core::mesh::MeshClient::new(sb.config("X26ABC1").chunk_size(100 * 1024)).unwrap();
    let bob = sb.client("X26ABC2");
    let dir = std::env::temp_dir().join(format!("gpc-mesh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.bin");
    let body = content(250 * 1024, 3);
    std::fs::write(&input, &body).unwrap();
    let sent = alice
        .send(
            OutgoingMessage::new(mailbox("X26ABC2"), workflow("TEST_WORKFLOW"))
                .body(MessageBody::file(&input).await.unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(sent.chunks, 3);
    let output = dir.join("out.bin");
    let mut file = tokio::fs::File::create(&output).await.unwrap();
    let downloaded = bob.download(&sent.message_id, &mut file).send().await.unwrap();
    drop(file);
    assert!(std::fs::read(&output).unwrap() == body);
    downloaded.acknowledge(&bob).await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Receives one inbox page, acknowledging every message.
async fn receive_all(mesh: &gpconnect_core::mesh::MeshClient) -> gpconnect_core::Result<ReceiveSummary> {
    let mut inbox = mesh.receive();
    while let Some(m) = inbox.next().await? {
        inbox.acknowledge(&m).await?;
    }
    Ok(inbox.into_summary())
}
