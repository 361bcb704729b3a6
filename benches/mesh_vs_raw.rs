//! The SDK's MESH send and receive against a raw reqwest transfer of the same chunks from
//! the same mesh-sandbox, alternated in one run (issue 20, deliverable 9).
//!
//! Both sides do the same work, so that the ratio is the SDK's own cost:
//! * send: the SDK sends a file (reading, gzip-compressing at its default level 1 and
//!   uploading each 10 MiB chunk); the raw side reads the same file chunk by chunk,
//!   gzip-compresses each at level 1 and POSTs it, with the `Authorization` headers
//!   made beforehand;
//! * receive: the SDK downloads into a sink (gunzipping as it goes, with its limits);
//!   the raw side GETs the same chunks and gunzips them into a sink as they arrive.
//!
//! Prints MB/s (of content) for each, the ratio SDK / raw, and the SDK's peak heap growth.
//!
//! ```text
//! cargo bench --features mesh --bench mesh_vs_raw            # 10 MB, 5 rounds
//! MESH_BENCH_MB=200 MESH_BENCH_ROUNDS=2 cargo bench --features mesh --bench mesh_vs_raw
//! ```

use std::io::Write as _;
use std::time::{Duration, Instant};

use bytes::Bytes;
use gpconnect_core::mesh::{auth, MailboxId, MessageBody, OutgoingMessage, WorkflowId, DEFAULT_CHUNK_SIZE};
use gpconnect_testkit::mesh::{MeshSandbox, PASSWORD, SHARED_KEY};
use secrecy::ExposeSecret;

#[path = "support/counting.rs"]
#[allow(dead_code)]
mod counting;

#[global_allocator]
static ALLOC: counting::Counting = counting::Counting;

const V2: &str = "application/vnd.mesh.v2+json";

/// Text-like content, about 3x compressible.
fn content(size: usize) -> Vec<u8> {
    let words = ["patient", "consultation", "medication", "<Observation>", "value", "mmHg", "dose", "tablet"];
    let (mut x, mut out) = (0x2545F4914F6CDD1Du64, Vec::with_capacity(size));
    while out.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let _ = write!(out, "{} {} ", words[(x % 8) as usize], x % 100_000);
    }
    out.truncate(size);
    out
}

fn token(mailbox: &str) -> String {
    let mailbox: MailboxId = mailbox.parse().unwrap();
    let t = auth::authorization(
        &mailbox,
        &PASSWORD.to_owned().into(),
        &SHARED_KEY.to_owned().into(),
        uuid::Uuid::new_v4(),
        0,
        chrono::Utc::now(),
    );
    t.expose_secret().to_owned()
}

/// Reads chunk `k` of the file and gzips it at level 1, as the SDK does by default.
fn compressed_chunk(file: &mut std::fs::File, len: usize) -> Bytes {
    use std::io::Read as _;
    let mut raw = vec![0; len];
    file.read_exact(&mut raw).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::with_capacity(len / 2 + 64), flate2::Compression::new(1));
    gz.write_all(&raw).unwrap();
    Bytes::from(gz.finish().unwrap())
}

/// The raw upload of `file` in chunks of `lens` bytes: chunk 1 with the headers, then the
/// rest, each read and compressed just before it goes. Returns the message ID.
async fn raw_send(
    http: &reqwest::Client,
    base: &str,
    path: &std::path::Path,
    lens: &[usize],
    tokens: &[String],
) -> String {
    let total = lens.len();
    let mut file = std::fs::File::open(path).unwrap();
    let first = http
        .post(format!("{base}/messageexchange/X26ABC1/outbox"))
        .header("authorization", &tokens[0])
        .header("accept", V2)
        .header("mex-from", "X26ABC1")
        .header("mex-to", "X26ABC2")
        .header("mex-workflowid", "TEST_WORKFLOW")
        .header("mex-chunk-range", format!("1:{total}"))
        .header("content-type", "application/octet-stream")
        .header("content-encoding", "gzip")
        .body(compressed_chunk(&mut file, lens[0]))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&first.bytes().await.unwrap()).unwrap();
    let id = v["message_id"].as_str().unwrap().to_owned();
    for (k, len) in lens.iter().enumerate().skip(1) {
        http.post(format!("{base}/messageexchange/X26ABC1/outbox/{id}/{}", k + 1))
            .header("authorization", &tokens[k])
            .header("accept", V2)
            .header("mex-chunk-range", format!("{}:{total}", k + 1))
            .header("content-type", "application/octet-stream")
            .header("content-encoding", "gzip")
            .body(compressed_chunk(&mut file, *len))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }
    id
}

/// The raw download of every chunk, gunzipped into a sink as it arrives. Returns the
/// decoded bytes.
async fn raw_receive(http: &reqwest::Client, base: &str, id: &str, total: usize, tokens: &[String]) -> u64 {
    let mut decoded = 0;
    for k in 1..=total {
        let url = if k == 1 {
            format!("{base}/messageexchange/X26ABC2/inbox/{id}")
        } else {
            format!("{base}/messageexchange/X26ABC2/inbox/{id}/{k}")
        };
        let mut resp = http
            .get(url)
            .header("authorization", &tokens[k - 1])
            .header("accept", V2)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let mut gz = flate2::write::GzDecoder::new(Counter(0));
        while let Some(block) = resp.chunk().await.unwrap() {
            gz.write_all(&block).unwrap();
        }
        decoded += gz.finish().unwrap().0;
    }
    decoded
}

/// A sink that counts what it is given.
struct Counter(u64);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn mbps(bytes: usize, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64()
}

fn main() {
    let mb: usize = std::env::var("MESH_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let rounds: usize = std::env::var("MESH_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let size = mb * 1_000_000;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = MeshSandbox::start_blocking().expect("mesh-sandbox");
    let base = sandbox.url();
    let (alice, bob) = (sandbox.client("X26ABC1"), sandbox.client("X26ABC2"));
    let http = reqwest::Client::builder().no_gzip().build().unwrap();

    let data = content(size);
    let dir = std::env::temp_dir().join("gpconnect-mesh-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("content-{size}.txt"));
    std::fs::write(&file, &data).unwrap();
    let lens: Vec<usize> = data.chunks(DEFAULT_CHUNK_SIZE).map(<[u8]>::len).collect();
    drop(data);

    let (mut sdk_send, mut raw_send_t, mut sdk_recv, mut raw_recv_t) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut heap_send, mut heap_recv) = (0usize, 0usize);
    for round in 0..=rounds {
        // Round 0 warms up and is not counted.
        let count = round > 0;
        // SDK send, then raw send (alternated).
        let mark = counting::start();
        let started = Instant::now();
        let body = rt.block_on(MessageBody::file(&file)).unwrap();
        let to: MailboxId = "X26ABC2".parse().unwrap();
        let workflow: WorkflowId = "TEST_WORKFLOW".parse().unwrap();
        let sent = rt.block_on(alice.send(OutgoingMessage::new(to, workflow).body(body))).unwrap();
        let took = started.elapsed();
        heap_send = heap_send.max(mark.peak_growth());
        if count {
            sdk_send += took;
        }
        let tokens: Vec<String> = (0..lens.len()).map(|_| token("X26ABC1")).collect();
        let started = Instant::now();
        let raw_id = rt.block_on(raw_send(&http, &base, &file, &lens, &tokens));
        if count {
            raw_send_t += started.elapsed();
        }

        // SDK receive, then raw receive, of the message each side sent.
        let mark = counting::start();
        let started = Instant::now();
        let mut sink = tokio::io::sink();
        let downloaded = rt.block_on(bob.download(&sent.message_id, &mut sink).send()).unwrap();
        let took = started.elapsed();
        heap_recv = heap_recv.max(mark.peak_growth());
        assert_eq!(downloaded.bytes as usize, size);
        if count {
            sdk_recv += took;
        }
        let tokens: Vec<String> = (0..lens.len()).map(|_| token("X26ABC2")).collect();
        let started = Instant::now();
        let decoded = rt.block_on(raw_receive(&http, &base, &raw_id, lens.len(), &tokens));
        if count {
            raw_recv_t += started.elapsed();
        }
        assert_eq!(decoded as usize, size);
        rt.block_on(async {
            bob.acknowledge(&sent.message_id).await.unwrap();
            bob.acknowledge(&raw_id.parse().unwrap()).await.unwrap();
        });
    }
    let total = size * rounds;
    let (s, rs, r, rr) =
        (mbps(total, sdk_send), mbps(total, raw_send_t), mbps(total, sdk_recv), mbps(total, raw_recv_t));
    println!("MESH {mb} MB x {rounds} rounds, {} chunk(s) of 10 MiB, content MB/s:", lens.len());
    println!("  send:    SDK {s:8.1}  raw {rs:8.1}  SDK/raw {:.2}", s / rs);
    println!("  receive: SDK {r:8.1}  raw {rr:8.1}  SDK/raw {:.2}", r / rr);
    println!("  SDK peak heap growth: send {:.1} MB, receive {:.1} MB", heap_send as f64 / 1e6, heap_recv as f64 / 1e6);
}
