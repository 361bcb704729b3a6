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
//! elsewhere on the machine falls on both sides alike, and the ratio; and the same for the
//! process's CPU time (client, runtime and the in-process server), which load from other
//! processes disturbs much less than the wall time.
//!
//! Both sides use the same reqwest configuration (the SDK's: no redirects, no `Referer`,
//! its `User-Agent`, connect timeout, minimum TLS version, and a per-request timeout), so
//! the same bytes go to the same server and reqwest does the same work for each.

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
        .ssp(SspConfig::new(ssp, CONSUMER_ASID.parse().unwrap()).http(|h| h.allow_http(true)))
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
            // The SDK's reqwest configuration (`http::http_client`), so that the same
            // bytes go out (`User-Agent` included) and the same per-request work is done.
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .referer(false)
                .tls_version_min(reqwest::tls::Version::TLS_1_2)
                .user_agent(concat!("gpconnect-rust/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap(),
            url: format!("{ssp}/{ROOT}/Location/17"),
            bearer: format!("Bearer {}", token.expose()),
        }
    }

    async fn read(&self) {
        let response = self
            .http
            .get(&self.url)
            .timeout(Duration::from_secs(30)) // the SDK's default request timeout
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

/// The CPU time this process has used (all its threads: client, runtime and server).
fn cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Per request, the median over batches of the wall time and of the process's CPU time.
#[derive(Clone, Copy)]
struct PerRequest {
    wall: Duration,
    cpu: Duration,
}

/// Times `batch` per request, wall and CPU.
fn timed(rt: &Runtime, n: usize, batch: impl std::future::Future<Output = ()>) -> (Duration, Duration) {
    let (wall, cpu) = (Instant::now(), cpu_time());
    rt.block_on(batch);
    (wall.elapsed() / n as u32, cpu_time().saturating_sub(cpu) / n as u32)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// `runs` batches each way, alternated: SDK, raw, SDK, raw ...
fn alternated(rt: &Runtime, provider: &Provider, raw: &Raw, n: usize, runs: usize) -> (PerRequest, PerRequest) {
    let mut times = [(); 4].map(|_| Vec::with_capacity(runs));
    for _ in 0..runs {
        let (wall, cpu) = timed(rt, n, sdk_batch(provider, n));
        times[0].push(wall);
        times[1].push(cpu);
        let (wall, cpu) = timed(rt, n, raw_batch(raw, n));
        times[2].push(wall);
        times[3].push(cpu);
    }
    let [sdk_wall, sdk_cpu, raw_wall, raw_cpu] = times.map(median);
    (PerRequest { wall: sdk_wall, cpu: sdk_cpu }, PerRequest { wall: raw_wall, cpu: raw_cpu })
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
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        eprintln!(
            "{n:>2} in flight (median of {runs} alternated batches, per request): \
             SDK {:.1} us, raw reqwest {:.1} us, ratio {:.2}; CPU time SDK {:.1} us, raw {:.1} us, ratio {:.2}",
            us(sdk.wall),
            us(plain.wall),
            us(sdk.wall) / us(plain.wall),
            us(sdk.cpu),
            us(plain.cpu),
            us(sdk.cpu) / us(plain.cpu),
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
