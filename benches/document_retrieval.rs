//! Document retrieval: the SDK's streamed Binary decode against a plain reqwest download
//! of the same bytes, from a local HTTP/1.1 server. What the API allows: retrieval
//! (`read:binary-1`) of 1 MB and of a document at the spec's 5 MB limit, migration
//! (`migrate:binary-1`, no size limit in the spec) of 10 MB and 100 MB. Also reports the
//! peak heap growth of one download of each size (counting allocator).
//!
//! ```text
//! cargo bench --features documents --bench document_retrieval
//! cargo bench --features documents --bench document_retrieval -- --test   # once each (CI)
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gpconnect::documents::{DocumentsExt, RETRIEVAL_LIMIT};
use gpconnect::{Asid, Capability, Client, Provider, ServiceRoot, SspConfig, User};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

#[path = "support/counting.rs"]
#[allow(dead_code)]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const MB: usize = 1024 * 1024;

/// How a document of a size is fetched: retrieval up to the spec's limit, migration beyond.
#[derive(Clone, Copy)]
enum Fetch {
    Retrieve,
    Migrate,
}

const SIZES: [(&str, usize, Fetch); 4] = [
    ("1MB", MB, Fetch::Retrieve),
    ("5MB", RETRIEVAL_LIMIT as usize, Fetch::Retrieve),
    ("10MB", 10 * MB, Fetch::Migrate),
    ("100MB", 100 * MB, Fetch::Migrate),
];
const ROOT: &str = "http://provider.bench.invalid/A20047/STU3/1/gpconnect/documents";

/// Binary JSON bodies by name, built once.
fn bodies() -> HashMap<String, Arc<Vec<u8>>> {
    SIZES
        .iter()
        .map(|(name, size, _)| {
            let doc: Vec<u8> = (0..*size).map(|i| (i.wrapping_mul(31) ^ (i >> 7)) as u8).collect();
            let b64 = base64::engine::general_purpose::STANDARD.encode(&doc);
            let json = format!(
                r#"{{"resourceType":"Binary","id":"{name}","contentType":"application/pdf","content":"{b64}"}}"#
            );
            (name.to_string(), Arc::new(json.into_bytes()))
        })
        .collect()
}

/// A minimal keep-alive HTTP/1.1 server: answers `GET .../{name}` with the body `name`.
async fn serve(bodies: Arc<HashMap<String, Arc<Vec<u8>>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let _ = socket.set_nodelay(true);
            let bodies = bodies.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 32 * 1024];
                let mut seen: Vec<u8> = Vec::new();
                loop {
                    let end = loop {
                        if let Some(pos) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                            break pos + 4;
                        }
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&seen[..end]).into_owned();
                    seen.drain(..end);
                    let path = head.split_whitespace().nth(1).unwrap_or("");
                    let name = path.rsplit('/').next().unwrap_or("");
                    let Some(body) = bodies.get(name) else {
                        let _ = socket.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").await;
                        continue;
                    };
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json;charset=utf-8\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    if socket.write_all(head.as_bytes()).await.is_err() || socket.write_all(body).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn provider(ssp: &str) -> Provider {
    let asid: Asid = "918999198738".parse().unwrap();
    let client = Client::builder()
        .ssp(SspConfig::new(ssp, asid.clone()).http(|h| h.allow_http(true)))
        .consumer(gpconnect_testkit::test_consumer())
        .build()
        .unwrap();
    client
        .provider(&"A20047".parse().unwrap())
        .with_root(Capability::Documents, ServiceRoot::new(ROOT, asid).unwrap())
        .with_user(User::new("10019", "Jones").sds_user_id("111222333444").sds_role_profile_id("444555666777"))
}

async fn sdk_download(provider: &Provider, name: &str, fetch: Fetch) -> u64 {
    let mut sink = tokio::io::sink();
    let url = format!("{ROOT}/Binary/{name}");
    let documents = provider.documents();
    let download = match fetch {
        Fetch::Retrieve => documents.retrieve_url(&url),
        Fetch::Migrate => documents.migrate_url(&url),
    };
    download.write_to(&mut sink).await.unwrap().bytes
}

/// The baseline: the same body from the same server, every chunk read and written to the
/// same kind of output as the SDK's, without decoding.
async fn plain_download(http: &reqwest::Client, ssp: &str, name: &str) -> u64 {
    let mut sink = tokio::io::sink();
    let mut response = http.get(format!("{ssp}/{ROOT}/Binary/{name}")).send().await.unwrap();
    let mut n = 0u64;
    while let Some(chunk) = response.chunk().await.unwrap() {
        sink.write_all(&chunk).await.unwrap();
        n += chunk.len() as u64;
    }
    n
}

/// Median wall time of `runs` retrievals each way, alternated so that load from
/// elsewhere on the machine falls on both sides alike.
fn interleaved_medians(
    rt: &Runtime,
    provider: &Provider,
    http: &reqwest::Client,
    ssp: &str,
    (name, fetch): (&str, Fetch),
    runs: usize,
) -> (Duration, Duration) {
    let mut sdk = Vec::with_capacity(runs);
    let mut plain = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        rt.block_on(sdk_download(provider, name, fetch));
        sdk.push(started.elapsed());
        let started = Instant::now();
        rt.block_on(plain_download(http, ssp, name));
        plain.push(started.elapsed());
    }
    sdk.sort();
    plain.sort();
    (sdk[runs / 2], plain[runs / 2])
}

fn peak_growth<F: std::future::Future<Output = u64>>(rt: &Runtime, f: F) -> (usize, u64) {
    let mark = counting::start();
    let n = rt.block_on(f);
    (mark.peak_growth(), n)
}

fn document_retrieval(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let bodies = Arc::new(bodies());
    let ssp = rt.block_on(serve(bodies.clone()));
    let provider = provider(&ssp);
    let http = reqwest::Client::builder().build().unwrap();

    // Warm the connection pools, then measure the peak heap growth of single retrievals.
    rt.block_on(sdk_download(&provider, "1MB", Fetch::Retrieve));
    rt.block_on(plain_download(&http, &ssp, "1MB"));
    for (name, size, fetch) in SIZES {
        let (sdk_peak, n) = peak_growth(&rt, sdk_download(&provider, name, fetch));
        assert_eq!(n, size as u64);
        let (plain_peak, _) = peak_growth(&rt, plain_download(&http, &ssp, name));
        eprintln!(
            "peak heap growth, {name} document: SDK retrieval {:.2} MB, plain download {:.2} MB",
            sdk_peak as f64 / MB as f64,
            plain_peak as f64 / MB as f64
        );
    }

    // Throughput ratio from alternated runs; criterion's figures below come from separate
    // runs and so move apart when the machine is busy.
    // In criterion's test mode (`-- --test`, as CI runs it) one run each way is enough.
    let test_mode = std::env::args().any(|a| a == "--test");
    for (name, size, fetch) in SIZES {
        let runs = if test_mode { 1 } else { (200 * MB / size).clamp(9, 51) };
        let (sdk, plain) = interleaved_medians(&rt, &provider, &http, &ssp, (name, fetch), runs);
        let mib_s = |t: Duration| size as f64 / MB as f64 / t.as_secs_f64();
        eprintln!(
            "throughput, {name} document (median of {runs} alternated runs, document bytes): SDK {:.0} MiB/s, plain {:.0} MiB/s, ratio {:.2}",
            mib_s(sdk),
            mib_s(plain),
            plain.as_secs_f64() / sdk.as_secs_f64()
        );
    }

    let mut group = c.benchmark_group("document_retrieval");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for (name, size, fetch) in SIZES {
        // Throughput in document bytes for both; the transfer is the 4/3 larger Binary JSON.
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("sdk_streamed_binary", name), name, |b, name| {
            b.to_async(&rt).iter(|| sdk_download(&provider, name, fetch));
        });
        group.bench_with_input(BenchmarkId::new("plain_reqwest_same_bytes", name), name, |b, name| {
            b.to_async(&rt).iter(|| plain_download(&http, &ssp, name));
        });
    }
    group.finish();
}

criterion_group!(benches, document_retrieval);
criterion_main!(benches);
