//! Request overhead: the SDK's full round trip for a small read (token, headers, URL,
//! send, typed parse) against raw reqwest sending the same request bytes (same headers,
//! a precomputed token) and parsing into `serde_json::Value`, to the same local
//! HTTP/1.1 server, with 1 and 64 requests in flight.
//!
//! ```text
//! cargo bench --bench request_overhead
//! ```
//!
//! Besides criterion's figures (each side measured on its own), it prints the median time
//! per request of alternated batches, SDK then raw then SDK ..., so that load from
//! elsewhere on the machine falls on both sides alike, and the ratio.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures_util::future::join_all;
use gpconnect::jwt::Claims;
use gpconnect::{Asid, Capability, Client, Consumer, InteractionId, Provider, ServiceRoot, SspConfig, User};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

const ROOT: &str = "https://provider.bench.invalid/A20047/STU3/1/gpconnect";
const CONSUMER_ASID: &str = "200000000115";
const PROVIDER_ASID: &str = "918999198738";
const LEVELS: [usize; 2] = [1, 64];

fn consumer() -> Consumer {
    gpconnect_testkit::test_consumer()
}

fn user() -> User {
    User::new("10019", "Jones")
        .given("Claire")
        .prefix("Dr")
        .sds_user_id("111222333444")
        .sds_role_profile_id("444555666777")
}

fn provider(ssp: &str) -> Provider {
    let client = Client::builder()
        .ssp(SspConfig::new(ssp, CONSUMER_ASID.parse().unwrap()).allow_http(true))
        .consumer(consumer())
        .build()
        .unwrap();
    let asid: Asid = PROVIDER_ASID.parse().unwrap();
    client
        .provider(&"A20047".parse().unwrap())
        .with_root(Capability::Foundations, ServiceRoot::new(ROOT, asid).unwrap())
        .with_user(user())
}

/// The location read, its id parsed once as a caller would.
static LOCATION: std::sync::LazyLock<gpconnect::LocationId> = std::sync::LazyLock::new(|| "17".parse().unwrap());

/// The SDK: `read_location` to a typed `Location`.
async fn sdk_read(provider: &Provider) {
    let location = provider.foundations().read_location(&LOCATION).send().await.unwrap();
    assert!(location.name.is_some());
}

/// What the SDK sends, written by hand once: URL, headers and a token made in advance.
struct Raw {
    http: reqwest::Client,
    url: String,
    bearer: String,
}

impl Raw {
    fn new(ssp: &str) -> Self {
        let now = chrono::Utc::now().timestamp();
        let token = Claims::new(&consumer(), &user(), ROOT, InteractionId::ReadLocation, None, now).unwrap().encode();
        Raw {
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            url: format!("{ssp}/{ROOT}/Location/17"),
            bearer: format!("Bearer {}", token.expose()),
        }
    }

    async fn read(&self) {
        let response = self
            .http
            .get(&self.url)
            .header("Ssp-TraceID", uuid::Uuid::new_v4().to_string())
            .header("Ssp-From", CONSUMER_ASID)
            .header("Ssp-To", PROVIDER_ASID)
            .header("Ssp-InteractionID", InteractionId::ReadLocation.urn())
            .header("Authorization", &self.bearer)
            .header("Accept", "application/fhir+json;charset=utf-8")
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        let body = response.bytes().await.unwrap();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(value.get("name").is_some());
    }
}

/// A minimal keep-alive HTTP/1.1 server answering every request with the spec's
/// read-location example.
async fn serve() -> String {
    let body = gpconnect_testkit::fixture("foundations__read-location-response.json").as_bytes().to_vec();
    let answer = [
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json;charset=utf-8\r\nETag: W/\"1\"\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes(),
        body,
    ]
    .concat();
    let answer: &'static [u8] = Box::leak(answer.into_boxed_slice());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let _ = socket.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
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
                    seen.drain(..end);
                    if socket.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

async fn sdk_batch(provider: &Provider, n: usize) {
    join_all((0..n).map(|_| sdk_read(provider))).await;
}

async fn raw_batch(raw: &Raw, n: usize) {
    join_all((0..n).map(|_| raw.read())).await;
}

/// Median time per request of `runs` batches each way, alternated.
fn alternated(rt: &Runtime, provider: &Provider, raw: &Raw, n: usize, runs: usize) -> (Duration, Duration) {
    let (mut sdk, mut plain) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let started = Instant::now();
        rt.block_on(sdk_batch(provider, n));
        sdk.push(started.elapsed() / n as u32);
        let started = Instant::now();
        rt.block_on(raw_batch(raw, n));
        plain.push(started.elapsed() / n as u32);
    }
    sdk.sort();
    plain.sort();
    (sdk[runs / 2], plain[runs / 2])
}

fn request_overhead(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let ssp = rt.block_on(serve());
    let provider = provider(&ssp);
    let raw = Raw::new(&ssp);
    for n in LEVELS {
        rt.block_on(sdk_batch(&provider, n));
        rt.block_on(raw_batch(&raw, n));
    }

    for n in LEVELS {
        let runs = if n == 1 { 4001 } else { 201 };
        let (sdk, plain) = alternated(&rt, &provider, &raw, n, runs);
        eprintln!(
            "{n:>2} in flight (median of {runs} alternated batches, per request): SDK {:.1} us, raw reqwest {:.1} us, ratio {:.2}",
            sdk.as_secs_f64() * 1e6,
            plain.as_secs_f64() * 1e6,
            sdk.as_secs_f64() / plain.as_secs_f64()
        );
    }

    let mut group = c.benchmark_group("request_overhead");
    group.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for n in LEVELS {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("sdk_read_location", n), &n, |b, &n| {
            b.to_async(&rt).iter(|| sdk_batch(&provider, n));
        });
        group.bench_with_input(BenchmarkId::new("raw_reqwest_same_bytes", n), &n, |b, &n| {
            b.to_async(&rt).iter(|| raw_batch(&raw, n));
        });
    }
    group.finish();
}

criterion_group!(benches, request_overhead);
criterion_main!(benches);
