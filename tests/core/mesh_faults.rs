//! Nothing lost, nothing doubled: the MESH client against mesh-sandbox behind a small
//! HTTP/1.1 relay that breaks connections at chosen points (after the upload request,
//! mid-chunk, mid-download, before the acknowledgement).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gpconnect_core::mesh::{MailboxId, MeshClient, MessageBody, OutgoingMessage, WorkflowId};
use gpconnect_core::{ErrorKind, RetryPolicy};
use gpconnect_testkit::mesh::MeshSandbox;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Where to break a matching request.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    /// Close the client connection without forwarding anything.
    BeforeForward,
    /// Forward the whole request and let the server answer, then close the client
    /// connection without the answer.
    AfterRequest,
    /// Forward only this many body bytes, then close both connections.
    MidRequestBody(usize),
    /// Relay only this many answer body bytes, then close the client connection.
    MidResponseBody(usize),
}

struct Rule {
    method: &'static str,
    path_suffix: String,
    times: usize,
    fault: Fault,
}

#[derive(Clone, Default)]
struct Proxy {
    rules: Arc<Mutex<Vec<Rule>>>,
    /// Every request line seen: "METHOD path".
    seen: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    async fn start(upstream: u16) -> (Self, String) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let proxy = Proxy::default();
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let p = p.clone();
                tokio::spawn(async move {
                    let _ = p.relay(client, upstream).await;
                });
            }
        });
        (proxy, url)
    }

    fn fail(&self, method: &'static str, path_contains: &str, times: usize, fault: Fault) {
        self.rules.lock().unwrap().push(Rule { method, path_suffix: path_contains.into(), times, fault });
    }

    fn count(&self, method: &str, path_suffix: &str) -> usize {
        let prefix = format!("{method} ");
        self.seen.lock().unwrap().iter().filter(|l| l.starts_with(&prefix) && l.ends_with(path_suffix)).count()
    }

    fn fault_for(&self, method: &str, path: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap();
        let rule = rules.iter_mut().find(|r| r.method == method && path.ends_with(&r.path_suffix) && r.times > 0)?;
        rule.times -= 1;
        Some(rule.fault)
    }

    /// Relays requests of one client connection, one at a time.
    async fn relay(&self, client: TcpStream, upstream: u16) -> std::io::Result<()> {
        let mut client = BufReader::new(client);
        let mut server = BufReader::new(TcpStream::connect(("127.0.0.1", upstream)).await?);
        loop {
            let Some((head, len)) = read_head(&mut client).await? else { return Ok(()) };
            let line = head.lines().next().unwrap_or_default().to_owned();
            let mut parts = line.split(' ');
            let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            let path = path.split('?').next().unwrap_or_default().to_owned();
            self.seen.lock().unwrap().push(format!("{method} {path}"));
            let fault = self.fault_for(method, &path);
            if fault == Some(Fault::BeforeForward) {
                return Ok(());
            }
            let mut body = vec![0; len];
            client.read_exact(&mut body).await?;
            server.get_mut().write_all(head.as_bytes()).await?;
            if let Some(Fault::MidRequestBody(n)) = fault {
                server.get_mut().write_all(&body[..n.min(len)]).await?;
                return Ok(());
            }
            server.get_mut().write_all(&body).await?;
            let (resp_head, resp_len) = read_head(&mut server).await?.expect("an answer");
            let mut resp_body = vec![0; resp_len];
            server.read_exact(&mut resp_body).await?;
            match fault {
                Some(Fault::AfterRequest) => return Ok(()),
                Some(Fault::MidResponseBody(n)) => {
                    client.get_mut().write_all(resp_head.as_bytes()).await?;
                    client.get_mut().write_all(&resp_body[..n.min(resp_len)]).await?;
                    return Ok(());
                }
                _ => {
                    client.get_mut().write_all(resp_head.as_bytes()).await?;
                    client.get_mut().write_all(&resp_body).await?;
                }
            }
        }
    }
}

/// Reads a request or response head and its Content-Length (this relay needs one).
async fn read_head<R: AsyncBufReadExt + Unpin>(r: &mut R) -> std::io::Result<Option<(String, usize)>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    assert!(!head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "relay needs Content-Length");
    Ok(Some((head, len)))
}

fn mailbox(id: &str) -> MailboxId {
    id.parse().unwrap()
}

fn workflow() -> WorkflowId {
    "TEST_WORKFLOW".parse().unwrap()
}

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"0123456789abcdefghijklmnopqrstuvwxyz"[(i * 7 + i / 13) % 36]).collect()
}

/// Content gzip cannot shrink, so that a cut at byte n of the wire is inside the content.
fn random_content(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e3779b97f4a7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

struct Setup {
    _sandbox: MeshSandbox,
    proxy: Proxy,
    alice: MeshClient,
    bob: MeshClient,
}

/// A sandbox, the relay in front of it, and quick retries.
async fn setup(chunk_size: usize) -> Setup {
    let sandbox = MeshSandbox::start().await.expect("mesh-sandbox");
    let (proxy, url) = Proxy::start(sandbox.port()).await;
    let retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(20),
    };
    let config = |m: &str| {
        gpconnect_testkit::mesh::config_for(&url, m)
            .chunk_size(chunk_size)
            .http(|h| h.retry(retry.clone()).request_timeout(Duration::from_secs(20)))
    };
    let alice = MeshClient::new(config("X26ABC1")).unwrap();
    let bob = MeshClient::new(config("X26ABC2")).unwrap();
    Setup { _sandbox: sandbox, proxy, alice, bob }
}

/// What bob's inbox holds, read directly from the sandbox (bypassing the relay's faults).
async fn inbox_count(s: &Setup) -> usize {
    s.bob.inbox().send().await.unwrap().messages.len()
}

#[tokio::test]
async fn upload_request_that_lost_its_answer_is_not_repeated_and_says_it_may_have_been_sent() {
    let s = setup(1024 * 1024).await;
    s.proxy.fail("POST", "/outbox", 1, Fault::AfterRequest);
    let err =
        s.alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes(content(2000))).await.unwrap_err();
    assert!(err.may_have_been_sent());
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    assert!(!err.is_retryable());
    assert_eq!(s.proxy.count("POST", "/outbox"), 1, "the first upload request is never repeated");
    // The server took it: exactly one message waits, nothing doubled.
    assert_eq!(inbox_count(&s).await, 1);
}

#[tokio::test]
async fn upload_request_that_never_left_is_not_sent_twice_either() {
    let s = setup(1024 * 1024).await;
    s.proxy.fail("POST", "/outbox", 1, Fault::MidRequestBody(10));
    let err =
        s.alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes(content(2000))).await.unwrap_err();
    // The client cannot know how much the server read: it says so and does not retry.
    assert!(err.may_have_been_sent());
    assert_eq!(s.proxy.count("POST", "/outbox"), 1);
    assert_eq!(inbox_count(&s).await, 0, "a half request is not a message");
    // Sending again (the caller's decision) delivers exactly one.
    s.alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes(content(2000))).await.unwrap();
    assert_eq!(inbox_count(&s).await, 1);
}

#[tokio::test]
async fn a_chunk_broken_mid_body_is_sent_again_and_the_message_arrives_once_and_whole() {
    let s = setup(16 * 1024).await;
    let body = content(16 * 1024 * 3 + 5);
    s.proxy.fail("POST", "/2", 1, Fault::MidRequestBody(100)); // chunk 2, first try
    let sent =
        s.alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes(body.clone())).await.unwrap();
    assert_eq!(sent.chunks, 4);
    assert_eq!(s.proxy.count("POST", "/outbox"), 1);
    assert_eq!(s.proxy.count("POST", &format!("{}/2", sent.message_id)), 2, "chunk 2 sent again");
    let mut out = Vec::new();
    let _ = s.bob.download(&sent.message_id, &mut out).send().await.unwrap();
    assert!(out == body);
    assert_eq!(inbox_count(&s).await, 1);
}

#[tokio::test]
async fn a_chunked_upload_that_keeps_failing_resumes_from_the_failed_chunk() {
    let s = setup(16 * 1024).await;
    let body = content(16 * 1024 * 4);
    s.proxy.fail("POST", "/3", 3, Fault::AfterRequest); // chunk 3: all three attempts lose their answer
    let err =
        s.alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes(body.clone())).await.unwrap_err();
    assert!(!err.may_have_been_sent(), "chunk 3 of 4 cannot deliver the message");
    let partial = err.mesh().unwrap().resume_send().unwrap().clone();
    assert_eq!((partial.next_chunk, partial.total_chunks), (3, 4));
    assert_eq!(inbox_count(&s).await, 0, "an incomplete message is not delivered");

    let sent = s
        .alice
        .resume_send(
            OutgoingMessage::new(mailbox("X26ABC2"), workflow())
                .body(MessageBody::reader(std::io::Cursor::new(body.clone()), body.len() as u64)),
            &partial,
        )
        .await
        .unwrap();
    assert_eq!(sent.message_id, partial.message_id);
    assert_eq!(s.proxy.count("POST", "/outbox"), 1, "chunk 1 was never sent again");
    assert_eq!(s.proxy.count("POST", &format!("{}/2", sent.message_id)), 1, "chunk 2 not repeated");
    let mut out = Vec::new();
    let _ = s.bob.download(&sent.message_id, &mut out).send().await.unwrap();
    assert!(out == body);
    assert_eq!(inbox_count(&s).await, 1);
}

#[tokio::test]
async fn a_download_broken_mid_chunk_resumes_without_losing_or_repeating_bytes() {
    let s = setup(16 * 1024).await;
    let body = random_content(16 * 1024 * 3);
    let sent = s
        .alice
        .send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).uncompressed().body_bytes(body.clone()))
        .await
        .unwrap();
    // Chunk 2's answer breaks after 5000 bytes, once: retried automatically.
    s.proxy.fail("GET", &format!("{}/2", sent.message_id), 1, Fault::MidResponseBody(5000));
    let mut out = Vec::new();
    let _ = s.bob.download(&sent.message_id, &mut out).send().await.unwrap();
    assert!(out == body, "bytes lost or repeated");
    assert_eq!(s.proxy.count("GET", &format!("{}/2", sent.message_id)), 2, "chunk 2 fetched again");

    // Chunk 3 breaks on every attempt: the error says where, and resuming completes it.
    s.proxy.fail("GET", &format!("{}/3", sent.message_id), 3, Fault::MidResponseBody(7000));
    let mut out = Vec::new();
    let err = s.bob.download(&sent.message_id, &mut out).send().await.unwrap_err();
    let partial = err.mesh().unwrap().resume_download().unwrap().clone();
    assert_eq!(partial.chunk, 3);
    assert!((1..16 * 1024).contains(&partial.written_in_chunk), "{partial:?}");
    assert_eq!(partial.written, 16 * 1024 * 2 + partial.written_in_chunk);
    assert_eq!(out.len() as u64, partial.written);
    s.bob.download(&sent.message_id, &mut out).resume(partial).send().await.unwrap().acknowledge(&s.bob).await.unwrap();
    assert!(out == body);
}

#[tokio::test]
async fn a_lost_acknowledgement_is_retried_and_an_unacknowledged_message_is_offered_again() {
    let s = setup(1024 * 1024).await;
    let sent = s.alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes("one")).await.unwrap();

    // The acknowledgement's connection drops once before reaching the server: retried.
    s.proxy.fail("PUT", "/acknowledged", 1, Fault::BeforeForward);
    let handled = Arc::new(Mutex::new(0));
    let summary = receive_counting(&s.bob, &handled).await.unwrap();
    assert_eq!(summary.acknowledged, vec![sent.message_id.clone()]);
    assert_eq!(*handled.lock().unwrap(), 1);
    assert_eq!(inbox_count(&s).await, 0);

    // Every acknowledgement attempt fails: the handler ran, the error is returned, and the
    // message stays in the inbox to be offered again: nothing lost.
    let second = s.alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes("two")).await.unwrap();
    s.proxy.fail("PUT", "/acknowledged", 3, Fault::BeforeForward);
    let err = receive_counting(&s.bob, &handled).await.unwrap_err();
    assert_eq!(err.mesh().unwrap().operation, gpconnect_core::mesh::MeshOperation::Acknowledge);
    assert_eq!(s.bob.inbox().send().await.unwrap().messages, vec![second.message_id.clone()]);
    let again = receive_counting(&s.bob, &Arc::new(Mutex::new(0))).await.unwrap();
    assert_eq!(again.acknowledged, vec![second.message_id]);
}

/// Receives one inbox page, counting each message handled, and acknowledges each.
async fn receive_counting(
    mesh: &gpconnect_core::mesh::MeshClient,
    handled: &Arc<Mutex<u32>>,
) -> gpconnect_core::Result<gpconnect_core::mesh::ReceiveSummary> {
    let mut inbox = mesh.receive();
    while let Some(m) = inbox.next().await? {
        *handled.lock().unwrap() += 1;
        inbox.acknowledge(&m).await?;
    }
    Ok(inbox.into_summary())
}

#[tokio::test]
async fn a_last_chunk_whose_answer_was_lost_is_confirmed_delivered_not_sent_again() {
    let s = setup(16 * 1024).await;
    let body = content(16 * 1024 * 2 + 7);
    // Chunk 3 (the last) completes the message; its answer is lost; the repeat gets 423.
    s.proxy.fail("POST", "/3", 1, Fault::AfterRequest);
    let sent =
        s.alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes(body.clone())).await.unwrap();
    assert_eq!(sent.chunks, 3);
    assert_eq!(s.proxy.count("POST", &format!("{}/3", sent.message_id)), 2, "the repeat of chunk 3 met 423");
    assert_eq!(s.proxy.count("GET", "/tracking"), 1, "tracking confirmed the delivery");
    assert_eq!(inbox_count(&s).await, 1);
    let mut out = Vec::new();
    let _ = s.bob.download(&sent.message_id, &mut out).send().await.unwrap();
    assert!(out == body);
}

#[tokio::test]
async fn a_423_on_the_last_chunk_without_tracking_says_it_may_have_been_sent() {
    let s = setup(16 * 1024).await;
    s.proxy.fail("POST", "/2", 1, Fault::AfterRequest);
    s.proxy.fail("GET", "/tracking", 3, Fault::BeforeForward);
    let err = s
        .alice
        .send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes(content(16 * 1024 + 9)))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(423));
    assert!(err.may_have_been_sent(), "MESH holds the whole message");
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    let text = err.to_string();
    assert!(text.contains("outcome is unknown") && !text.contains("could not reach"), "{text}");
    assert!(err.mesh().unwrap().message_id.is_some(), "the MESH message id to track it by");
    assert_eq!(inbox_count(&s).await, 1, "delivered once");
}

#[tokio::test]
async fn chunk_one_of_several_failing_is_not_delivered() {
    let s = setup(16 * 1024).await;
    s.proxy.fail("POST", "/outbox", 1, Fault::AfterRequest);
    let err = s
        .alice
        .send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes(content(16 * 1024 * 3)))
        .await
        .unwrap_err();
    assert!(!err.may_have_been_sent(), "MESH never delivers an incomplete message");
    assert_ne!(err.kind(), ErrorKind::OutcomeUnknown);
    assert_eq!(s.proxy.count("POST", "/outbox"), 1, "chunk 1 is not repeated blindly");
    assert_eq!(err.mesh().unwrap().operation, gpconnect_core::mesh::MeshOperation::SendChunk { index: 1, total: 3 });
    assert_eq!(inbox_count(&s).await, 0);
}

#[tokio::test]
async fn an_unknown_outcome_is_worded_as_unknown_not_as_unreachable() {
    let s = setup(1024 * 1024).await;
    s.proxy.fail("POST", "/outbox", 1, Fault::AfterRequest);
    let err =
        s.alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes(content(100))).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("outcome is unknown") && text.contains("before sending it again"), "{text}");
    assert!(!text.contains("could not reach") && !text.contains("check the MESH address"), "{text}");
    assert_eq!(inbox_count(&s).await, 1);
}

/// Receives every waiting message of `mesh` in one pass, acknowledging each; returns the
/// contents handed over and the summary.
async fn receive_all(receiver: gpconnect_core::mesh::Receiver) -> (Vec<Vec<u8>>, gpconnect_core::mesh::ReceiveSummary) {
    let mut receiver = receiver;
    let mut got = Vec::new();
    while let Some(m) = receiver.next().await.unwrap() {
        got.push(m.content.to_vec());
        receiver.acknowledge(&m).await.unwrap();
    }
    (got, receiver.into_summary())
}

#[tokio::test]
async fn a_corrupt_message_at_the_head_of_the_inbox_is_skipped_and_the_rest_received() {
    use gpconnect_core::mesh::SkipReason;
    let sb = MeshSandbox::start().await.expect("mesh-sandbox");
    let (alice, bob) = (sb.client("X26ABC1"), sb.client("X26ABC2"));
    let bad = sb
        .send_raw("X26ABC1", "X26ABC2", "TEST_WORKFLOW", &[("Content-Encoding", "gzip")], b"this is not gzip at all")
        .await
        .unwrap();
    for i in 0..5 {
        alice
            .send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes(format!("ordinary {i}")))
            .await
            .unwrap();
    }
    let (got, summary) = receive_all(bob.receive()).await;
    assert_eq!(got.len(), 5, "every ordinary message behind the corrupt one is received");
    assert_eq!(summary.skipped.len(), 1);
    let skipped = &summary.skipped[0];
    assert_eq!((skipped.message_id.as_str(), skipped.reason), (bad.as_str(), SkipReason::Corrupt));
    let text = skipped.error.to_string();
    assert!(!text.contains("could not reach") && text.contains("corrupt"), "{text}");
    // Still there; the caller quarantines it after it failed once too often.
    let (got, summary) = receive_all(bob.receive().quarantine([skipped.message_id.clone()])).await;
    assert!(got.is_empty() && summary.skipped.is_empty());
    assert_eq!(summary.quarantined.len(), 1);
    assert_eq!(bob.inbox().send().await.unwrap().messages.len(), 1);
}

#[tokio::test]
async fn a_gzip_bomb_stops_at_the_expansion_limit_and_the_messages_behind_it_arrive() {
    use flate2::write::GzEncoder;
    use gpconnect_core::mesh::{DownloadLimit, SkipReason};
    use std::io::Write;
    let sb = MeshSandbox::start().await.expect("mesh-sandbox");
    let (alice, bob) = (sb.client("X26ABC1"), sb.client("X26ABC2"));
    // 256 MiB of zeros in about 256 KB of gzip: a thousandfold expansion.
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..256 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    sb.send_raw("X26ABC1", "X26ABC2", "TEST_WORKFLOW", &[("Content-Encoding", "gzip")], &bomb).await.unwrap();
    alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes("after the bomb")).await.unwrap();
    let (got, summary) = receive_all(bob.receive()).await;
    assert_eq!(got, vec![b"after the bomb".to_vec()]);
    assert_eq!(summary.skipped.len(), 1);
    assert_eq!(summary.skipped[0].reason, SkipReason::TooLarge(DownloadLimit::Expansion(200)));
    assert_eq!(summary.too_large.len(), 1);

    // The same bomb through download(): stopped by a byte limit as well.
    let id = summary.skipped[0].message_id.clone();
    let mut out = Vec::new();
    let limits = gpconnect_core::mesh::DownloadLimits { max_bytes: 1024 * 1024, ..Default::default() };
    let err = bob.download(&id, &mut out).limits(limits).send().await.unwrap_err();
    assert!(err.to_string().contains("larger than the limit"), "{err}");
    assert!(out.len() <= 1024 * 1024);
}

#[tokio::test]
async fn receive_pages_through_the_whole_inbox() {
    let sb = MeshSandbox::start().await.expect("mesh-sandbox");
    let (alice, bob) = (sb.client("X26ABC1"), sb.client("X26ABC2"));
    for i in 0..25 {
        alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes(format!("m{i}"))).await.unwrap();
    }
    let (got, summary) = receive_all(bob.receive().page_size(10)).await;
    assert_eq!(got.len(), 25, "three pages in one pass");
    assert_eq!(summary.acknowledged.len(), 25);
    assert!(!summary.more_waiting);
    assert!(bob.inbox().send().await.unwrap().messages.is_empty());
}

#[tokio::test]
async fn a_message_stored_before_a_restart_is_acknowledged_not_handed_over_again() {
    let sb = MeshSandbox::start().await.expect("mesh-sandbox");
    let (alice, bob) = (sb.client("X26ABC1"), sb.client("X26ABC2"));
    let sent = alice.send(OutgoingMessage::new(mailbox("X26ABC2"), workflow()).body_bytes("once")).await.unwrap();
    // The caller stores the message, then stops before acknowledging it.
    let stored = {
        let mut receiver = bob.receive();
        let m = receiver.next().await.unwrap().unwrap();
        m.message_id().clone()
    };
    assert_eq!(bob.inbox().send().await.unwrap().messages, vec![stored.clone()], "MESH offers it again");
    let (got, summary) = receive_all(bob.receive().already_stored([stored.clone()])).await;
    assert!(got.is_empty(), "not handed over twice");
    assert_eq!(summary.redelivered, vec![sent.message_id]);
    assert!(bob.inbox().send().await.unwrap().messages.is_empty());
}
