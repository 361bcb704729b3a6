//! Wire checks against the testkit's in-process MESH mailbox: every header of each
//! request, the token checks MESH makes and mesh-sandbox leaves out, reports.

use chrono::NaiveDate;
use gpconnect_core::mesh::{
    LocalId, MailboxId, MessageType, OutgoingMessage, Recipient, TrackingStatus, WorkflowFilter, WorkflowId,
};
use gpconnect_core::{ErrorKind, NhsNumber, OdsCode};
use gpconnect_testkit::mesh::MockMesh;

fn to(id: &str) -> MailboxId {
    id.parse().unwrap()
}

fn wf(id: &str) -> WorkflowId {
    id.parse().unwrap()
}

#[tokio::test]
async fn single_send_carries_every_mex_header_and_gzip() {
    let mesh = MockMesh::start().await;
    let sent = mesh
        .client("x26abc1")
        .send(
            OutgoingMessage::new(to("X26ABC2"), wf("TEST_WORKFLOW"))
                .subject("Consultation report")
                .local_id(LocalId::parse("ref-1").unwrap())
                .file_name("report.xml")
                .content_type("application/xml")
                .checksum("abc123")
                .body_bytes("<Bundle/>"),
        )
        .await
        .unwrap();
    let m = mesh.message(&sent.message_id).unwrap();
    let h = &m.headers;
    assert_eq!(h["mex-from"], "X26ABC1");
    assert_eq!(h["mex-to"], "X26ABC2");
    assert_eq!(h["mex-workflowid"], "TEST_WORKFLOW");
    assert_eq!(h["mex-chunk-range"], "1:1");
    assert_eq!(h["mex-subject"], "Consultation report");
    assert_eq!(h["mex-localid"], "ref-1");
    assert_eq!(h["mex-filename"], "report.xml");
    assert_eq!(h["mex-content-type"], "application/xml");
    assert_eq!(h["mex-content-checksum"], "abc123");
    assert_eq!(h["content-type"], "application/xml");
    assert_eq!(h["content-encoding"], "gzip");
    assert_eq!(h["accept"], "application/vnd.mesh.v2+json");
    assert!(!h.contains_key("mex-content-compressed"), "a metadata flag, not the transport encoding");
    assert_eq!(m.content, "<Bundle/>");
    assert_eq!(m.status, "accepted");
}

#[tokio::test]
async fn chunked_send_sends_chunk_ranges_and_gzip_per_chunk() {
    let mesh = MockMesh::start().await;
    let client = gpconnect_core::mesh::MeshClient::new(
        gpconnect_testkit::mesh::config_for(&mesh.url(), "X26ABC1").chunk_size(1024),
    )
    .unwrap();
    let body: Vec<u8> = (0..2500u32).map(|i| (i % 251) as u8).collect();
    let sent = client
        .send(
            OutgoingMessage::new(to("X26ABC2"), wf("TEST_WORKFLOW"))
                .content_type("application/pdf")
                .body_bytes(body.clone()),
        )
        .await
        .unwrap();
    assert_eq!(sent.chunks, 3);
    let m = mesh.message(&sent.message_id).unwrap();
    assert_eq!(m.headers["mex-chunk-range"], "1:3");
    assert_eq!(
        m.headers["content-type"], "application/octet-stream",
        "chunked: octet-stream, type in mex-Content-Type"
    );
    assert_eq!(m.headers["mex-content-type"], "application/pdf");
    assert_eq!(m.content, body);
}

#[tokio::test]
async fn gp_provider_address_goes_in_mex_to() {
    let mesh = MockMesh::start().await;
    mesh.add_mailbox("GPPROVIDER_9690937286_19670126_SMITH", "password", "A20047", &[]);
    let nhs = NhsNumber::parse("9690937286").unwrap();
    let r = Recipient::gp_provider(&nhs, NaiveDate::from_ymd_opt(1967, 1, 26).unwrap(), "Smith").unwrap();
    let sent =
        mesh.client("X26ABC1").send(OutgoingMessage::new(r, wf("GPFED_CONSULT_REPORT")).body_bytes("x")).await.unwrap();
    assert_eq!(mesh.message(&sent.message_id).unwrap().headers["mex-to"], "GPPROVIDER_9690937286_19670126_Smith");
}

#[tokio::test]
async fn every_request_has_a_fresh_token_the_server_accepts() {
    let mesh = MockMesh::start().await;
    let client = mesh.client("X26ABC1");
    // The mock refuses a reused nonce and a timestamp more than two hours off: twenty
    // requests in a row pass only with a fresh token each.
    for _ in 0..20 {
        client.handshake().await.unwrap();
    }
    assert_eq!(mesh.authorised_requests(), 20);
}

#[tokio::test]
async fn reports_are_typed_and_linked_to_the_failed_message() {
    let mesh = MockMesh::start().await;
    let alice = mesh.client("X26ABC1");
    let sent = alice.send(OutgoingMessage::new(to("X26ABC2"), wf("TEST_WORKFLOW")).body_bytes("x")).await.unwrap();
    let report = mesh.deliver_report("X26ABC1", &sent.message_id, "TEST_WORKFLOW", "14");
    let mut seen = Vec::new();
    let mut inbox = alice.receive().workflow(WorkflowFilter::equals(&wf("TEST_WORKFLOW")));
    while let Some(m) = inbox.next().await.unwrap() {
        seen.push(m.metadata.clone());
        inbox.acknowledge(&m).await.unwrap();
    }
    let summary = inbox.into_summary();
    assert_eq!(summary.acknowledged, vec![report]);
    let meta = &seen[0];
    assert_eq!(meta.message_type, MessageType::Report);
    let status = meta.status.as_ref().unwrap();
    assert!(!status.success);
    assert_eq!(status.code.as_deref(), Some("14"));
    assert_eq!(status.linked_message_id.as_ref(), Some(&sent.message_id));
}

#[tokio::test]
async fn tracking_lookup_and_unknown_recipient() {
    let mesh = MockMesh::start().await;
    let alice = mesh.client("X26ABC1");
    let sent = alice.send(OutgoingMessage::new(to("X26ABC2"), wf("TEST_WORKFLOW")).body_bytes("x")).await.unwrap();
    assert_eq!(alice.track(&sent.message_id).await.unwrap().status, Some(TrackingStatus::Accepted));
    let found = alice.lookup_endpoint(&OdsCode::parse("X27").unwrap(), &wf("TEST_WORKFLOW")).await.unwrap();
    assert_eq!(found.iter().map(|e| e.mailbox_id.as_str()).collect::<Vec<_>>(), vec!["X26ABC3"]);
    let err = alice.send(OutgoingMessage::new(to("X99NONE1"), wf("TEST_WORKFLOW")).body_bytes("x")).await.unwrap_err();
    assert_eq!(err.status(), Some(417));
    assert_eq!(err.mesh().unwrap().code(), Some(&gpconnect_core::mesh::MeshErrorCode::UnregisteredRecipient));
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(!err.may_have_been_sent());
}

#[tokio::test]
async fn a_handshake_is_due_until_one_succeeds_and_again_a_day_later() {
    let mesh = MockMesh::start().await;
    let client = mesh.client("X26ABC1");
    let now = chrono::Utc::now();
    assert!(client.last_handshake().is_none());
    assert!(client.handshake_due(now), "due before the first");
    client.clone().handshake().await.unwrap();
    let last = client.last_handshake().expect("recorded, shared by clones");
    assert!(last >= now);
    assert!(!client.handshake_due(last));
    assert!(!client.handshake_due(last + chrono::TimeDelta::hours(22)));
    assert!(client.handshake_due(last + gpconnect_core::mesh::HANDSHAKE_INTERVAL));
    assert!(client.handshake_due(last + chrono::TimeDelta::hours(25)));
}
