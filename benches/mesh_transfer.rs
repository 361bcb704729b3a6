//! MESH transfer: send and receive 10 MB (criterion, 10 samples each) and 200 MB (one
//! transfer each, same run) messages through NHS England's
//! mesh-sandbox on this machine, this SDK side by side with NHS England's Python
//! `mesh-client` (run by `benches/mesh_client_bench.py` in the same sandbox's virtual
//! environment), both gzip-compressing the content. Reports MB/s (criterion) and the
//! peak resident memory of each client during a transfer (a table at the end).
//!
//! ```text
//! cargo bench --features mesh --bench mesh_transfer
//! ```
//! The sandbox is installed and started by `gpconnect_testkit::mesh::MeshSandbox`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use gpconnect_core::mesh::{MailboxId, MessageBody, OutgoingMessage, WorkflowId};
use gpconnect_testkit::mesh::MeshSandbox;
use tokio::runtime::Runtime;

/// Sampled by criterion (10 samples of each client and direction).
const SAMPLED: (u64, &str) = (10_000_000, "10MB");
/// Measured once per client and direction in the same run: criterion needs at least 10
/// samples, and the Python client takes a minute and more per 200 MB send.
const SINGLE: (u64, &str) = (200_000_000, "200MB");

// Counts live heap bytes and their peak, so that the Rust client's own memory can be told
// apart from what the allocator keeps from earlier transfers.
#[path = "support/counting.rs"]
#[allow(dead_code)]
mod counting;

#[global_allocator]
static ALLOC: counting::Counting = counting::Counting;

/// One row of the summary.
struct Row {
    name: String,
    client: &'static str,
    peak_rss_kb: u64,
    peak_heap: usize,
    bytes: u64,
    took: Duration,
}

static REPORT: Mutex<Vec<Row>> = Mutex::new(Vec::new());

/// Resets the peak RSS (Linux `clear_refs`) and the peak heap growth.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    *MARK.lock().unwrap() = Some(counting::start());
}

static MARK: Mutex<Option<counting::Mark>> = Mutex::new(None);

fn heap_growth() -> usize {
    MARK.lock().unwrap().map_or(0, counting::Mark::peak_growth)
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Text-like content (words and numbers, as in documents and XML), compressible about 3x.
fn content_file(size: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("mesh-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("content-{size}.txt"));
    if std::fs::metadata(&path).is_ok_and(|m| m.len() == size) {
        return path;
    }
    let words = ["patient", "consultation", "medication", "<Observation>", "value", "mmHg", "dose", "tablet"];
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let (mut x, mut written) = (0x2545F4914F6CDD1Du64, 0u64);
    while written < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let piece = format!("{} {} ", words[(x % 8) as usize], x % 100_000);
        let piece = &piece.as_bytes()[..piece.len().min((size - written) as usize)];
        out.write_all(piece).unwrap();
        written += piece.len() as u64;
    }
    out.flush().unwrap();
    path
}

fn message(path: &Path, rt: &Runtime) -> OutgoingMessage {
    let body = rt.block_on(MessageBody::file(path)).unwrap();
    OutgoingMessage::new("X26ABC2".parse::<MailboxId>().unwrap(), "TEST_WORKFLOW".parse::<WorkflowId>().unwrap())
        .body(body)
}

fn reset(sandbox: &MeshSandbox, rt: &Runtime) {
    let url = format!("{}/admin/reset", sandbox.url());
    rt.block_on(async { reqwest::Client::new().delete(url).send().await.unwrap().error_for_status().unwrap() });
}

/// Runs the Python client; returns the total seconds of its transfers and its peak RSS.
fn python(sandbox: &MeshSandbox, op: &str, file: &Path, iters: u64) -> (Duration, u64) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches").join("mesh_client_bench.py");
    let out = Command::new(MeshSandbox::python().unwrap())
        .arg(script)
        .args([&sandbox.url(), op, file.to_str().unwrap(), &iters.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "mesh_client_bench.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let seconds: f64 = v["seconds"].as_array().unwrap().iter().map(|s| s.as_f64().unwrap()).sum();
    (Duration::from_secs_f64(seconds), v["peak_rss_kb"].as_u64().unwrap())
}

/// Adds a measurement: peaks are the largest seen, MB/s is over all measured transfers.
fn record(name: &str, client: &'static str, peak_rss_kb: u64, bytes: u64, took: Duration) {
    let peak_heap = if client == "rust" { heap_growth() } else { 0 };
    let mut report = REPORT.lock().unwrap();
    match report.iter_mut().find(|r| r.name == name && r.client == client) {
        Some(r) => {
            r.peak_rss_kb = r.peak_rss_kb.max(peak_rss_kb);
            r.peak_heap = r.peak_heap.max(peak_heap);
            r.bytes += bytes;
            r.took += took;
        }
        None => report.push(Row { name: name.to_owned(), client, peak_rss_kb, peak_heap, bytes, took }),
    }
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let sandbox = MeshSandbox::start_blocking().expect("mesh-sandbox");
    let sender = sandbox.client("X26ABC1");
    let receiver = sandbox.client("X26ABC2");
    {
        let (size, label) = SAMPLED;
        let file = content_file(size);
        let mut group = c.benchmark_group(format!("mesh_transfer/{label}"));
        group.sampling_mode(SamplingMode::Flat).sample_size(10).throughput(Throughput::BytesDecimal(size));
        group.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));

        group.bench_function(BenchmarkId::new("send", "rust"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let m = message(&file, &rt);
                    reset_peak();
                    let started = Instant::now();
                    rt.block_on(sender.send(m)).unwrap();
                    let took = started.elapsed();
                    record(&format!("send {label}"), "rust", peak_rss_kb(), size, took);
                    total += took;
                }
                reset(&sandbox, &rt);
                total
            })
        });
        group.bench_function(BenchmarkId::new("send", "python-mesh-client"), |b| {
            b.iter_custom(|iters| {
                let (took, peak) = python(&sandbox, "send", &file, iters);
                record(&format!("send {label}"), "python mesh-client", peak, size * iters, took);
                reset(&sandbox, &rt);
                took
            })
        });

        group.bench_function(BenchmarkId::new("receive", "rust"), |b| {
            b.iter_custom(|iters| {
                let ids: Vec<_> =
                    (0..iters).map(|_| rt.block_on(sender.send(message(&file, &rt))).unwrap().message_id).collect();
                let mut total = Duration::ZERO;
                for id in ids {
                    reset_peak();
                    let started = Instant::now();
                    rt.block_on(async {
                        let mut sink = tokio::io::sink();
                        let got = receiver.download(&id, &mut sink).send().await.unwrap();
                        assert_eq!(got.bytes, size);
                        got.acknowledge(&receiver).await.unwrap();
                    });
                    let took = started.elapsed();
                    record(&format!("receive {label}"), "rust", peak_rss_kb(), size, took);
                    total += took;
                }
                reset(&sandbox, &rt);
                total
            })
        });
        group.bench_function(BenchmarkId::new("receive", "python-mesh-client"), |b| {
            b.iter_custom(|iters| {
                for _ in 0..iters {
                    rt.block_on(sender.send(message(&file, &rt))).unwrap();
                }
                let (took, peak) = python(&sandbox, "receive", &file, iters);
                record(&format!("receive {label}"), "python mesh-client", peak, size * iters, took);
                reset(&sandbox, &rt);
                took
            })
        });
        group.finish();
    }

    // 200 MB: one transfer per client and direction, side by side. Not in criterion's test
    // mode (`-- --test`, as CI runs every bench): there each 10 MB case runs once instead.
    if !std::env::args().any(|arg| arg == "--test") {
        let (size, label) = SINGLE;
        let file = content_file(size);
        reset_peak();
        let started = Instant::now();
        rt.block_on(sender.send(message(&file, &rt))).unwrap();
        record(&format!("send {label}"), "rust", peak_rss_kb(), size, started.elapsed());
        reset(&sandbox, &rt);
        let (took, peak) = python(&sandbox, "send", &file, 1);
        record(&format!("send {label}"), "python mesh-client", peak, size, took);
        reset(&sandbox, &rt);
        let id = rt.block_on(sender.send(message(&file, &rt))).unwrap().message_id;
        reset_peak();
        let started = Instant::now();
        rt.block_on(async {
            let mut sink = tokio::io::sink();
            let got = receiver.download(&id, &mut sink).send().await.unwrap();
            assert_eq!(got.bytes, size);
            got.acknowledge(&receiver).await.unwrap();
        });
        record(&format!("receive {label}"), "rust", peak_rss_kb(), size, started.elapsed());
        rt.block_on(sender.send(message(&file, &rt))).unwrap();
        let (took, peak) = python(&sandbox, "receive", &file, 1);
        record(&format!("receive {label}"), "python mesh-client", peak, size, took);
        reset(&sandbox, &rt);
    }

    println!("\nmesh_transfer summary (MB/s over every measured transfer; peak resident memory of the");
    println!("client process during a transfer; for Rust also the peak heap growth of the transfer):");
    println!("{:<16} {:<20} {:>8} {:>12} {:>14}", "transfer", "client", "MB/s", "peak RSS MB", "peak heap MB");
    for r in REPORT.lock().unwrap().iter() {
        let mbps = r.bytes as f64 / 1e6 / r.took.as_secs_f64();
        let heap = if r.client == "rust" { format!("{:.1}", r.peak_heap as f64 / 1e6) } else { "-".into() };
        println!("{:<16} {:<20} {mbps:>8.1} {:>12.1} {heap:>14}", r.name, r.client, r.peak_rss_kb as f64 / 1024.0);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
