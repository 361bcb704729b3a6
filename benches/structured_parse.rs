//! Parse the largest example structured record (and a >= 5 MB one built from it) into the
//! typed view, side by side with `serde_json::Value` on the same bytes: the ratio of the
//! medians of alternated runs (view, `Value`, view, ...) so that load from elsewhere falls
//! on both alike, the peak heap of each (counting allocator), then criterion's figures.
//!
//! ```text
//! cargo bench --features structured --bench structured_parse
//! cargo bench --features structured --bench structured_parse -- --test   # once each (CI)
//! ```
//!
//! `PROFILE=view` (or `PROFILE=value`) parses the 630 KB record that way `PROFILE_RUNS`
//! times (default 5) and nothing else, for `valgrind --tool=callgrind` on the bench binary.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gpconnect::structured::StructuredRecord;
use serde_json::Value;

#[path = "support/counting.rs"]
#[allow(dead_code)]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const MB: f64 = 1024.0 * 1024.0;

fn view(bytes: &[u8]) -> usize {
    let r = StructuredRecord::from_slice(bytes).unwrap();
    std::hint::black_box(r.consultations().len())
}

fn value(bytes: &[u8]) -> usize {
    let v = serde_json::from_slice::<Value>(bytes).unwrap();
    std::hint::black_box(v["entry"].as_array().map_or(0, Vec::len))
}

/// Medians of `runs` parses each way, alternated.
fn alternated(bytes: &[u8], runs: usize) -> (Duration, Duration) {
    let (mut a, mut b) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let started = Instant::now();
        view(bytes);
        a.push(started.elapsed());
        let started = Instant::now();
        value(bytes);
        b.push(started.elapsed());
    }
    a.sort();
    b.sort();
    (a[runs / 2], b[runs / 2])
}

/// How far the heap grew at most while `f` ran.
fn peak(f: impl FnOnce()) -> usize {
    let mark = counting::start();
    f();
    mark.peak_growth()
}

const FULL: &str = "access-record__POST_Patient-gpc-getstructuredrecord__response-200__fullRecordResponse.json";

/// Repeats the bundle's entries with fresh ids (and references rewritten to match) until
/// the bundle is at least `min_bytes`.
fn big_bundle(min_bytes: usize) -> Vec<u8> {
    let text = gpconnect_testkit::fixture(FULL);
    let base: Value = serde_json::from_str(text).unwrap();
    let entries = base["entry"].as_array().unwrap();
    let mut out = base.clone();
    let all = out["entry"].as_array_mut().unwrap();
    let mut copy = 1;
    while serde_json::to_vec(&all).unwrap().len() < min_bytes {
        for e in entries {
            let mut s = serde_json::to_string(e).unwrap();
            // Give every id and every reference to it a copy suffix; Lists without ids
            // (primary lists) are repeated as they are and point at the copies.
            for other in entries {
                if let Some(id) = other["resource"]["id"].as_str() {
                    if other["resource"]["resourceType"] == "Patient" {
                        continue;
                    }
                    s = s.replace(&format!("\"{id}\""), &format!("\"{id}-c{copy}\""));
                    s = s.replace(&format!("/{id}\""), &format!("/{id}-c{copy}\""));
                }
            }
            let v: Value = serde_json::from_str(&s).unwrap();
            if v["resource"]["resourceType"] == "Patient" {
                continue;
            }
            all.push(v);
        }
        copy += 1;
    }
    serde_json::to_vec(&out).unwrap()
}

fn bench(c: &mut Criterion) {
    let small = gpconnect_testkit::fixture(FULL).as_bytes().to_vec();
    if let Ok(way) = std::env::var("PROFILE") {
        let runs = std::env::var("PROFILE_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(5);
        let parse = if way == "value" { value } else { view };
        for _ in 0..runs {
            parse(&small);
        }
        return;
    }
    let big = big_bundle(5 * 1024 * 1024);
    // In criterion's test mode (`-- --test`, as CI runs it) a few runs are enough.
    let test_mode = std::env::args().any(|a| a == "--test");
    for (name, bytes) in [("full_record_630k", &small), ("repeated_5mb", &big)] {
        let runs = if test_mode { 1 } else { (200 * 1024 * 1024 / bytes.len()).clamp(11, 301) };
        let (typed, plain) = alternated(bytes, runs);
        let (typed_peak, plain_peak) = (
            peak(|| {
                view(bytes);
            }),
            peak(|| {
                value(bytes);
            }),
        );
        let size = bytes.len() as f64;
        eprintln!(
            "{name} ({:.2} MB, median of {runs} alternated runs): view {:.2} ms, Value {:.2} ms, ratio {:.2} (target at most 0.33); \
             peak heap: view {:.2} MB ({:.2}x the body), Value {:.2} MB ({:.2}x)",
            size / MB,
            typed.as_secs_f64() * 1e3,
            plain.as_secs_f64() * 1e3,
            typed.as_secs_f64() / plain.as_secs_f64(),
            typed_peak as f64 / MB,
            typed_peak as f64 / size,
            plain_peak as f64 / MB,
            plain_peak as f64 / size,
        );
    }
    let mut group = c.benchmark_group("structured_parse");
    for (name, bytes) in [("full_record_630k", &small), ("repeated_5mb", &big)] {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("typed_view", name), bytes, |b, bytes| b.iter(|| view(bytes)));
        group.bench_with_input(BenchmarkId::new("serde_json_value", name), bytes, |b, bytes| b.iter(|| value(bytes)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
