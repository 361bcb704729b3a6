//! Parse the largest example structured record (and a >= 5 MB one built from it) into the
//! typed view, side by side with `serde_json::Value` on the same bytes.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gpconnect::structured::StructuredRecord;
use serde_json::Value;

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
    let big = big_bundle(5 * 1024 * 1024);
    let mut group = c.benchmark_group("structured_parse");
    for (name, bytes) in [("full_record_630k", &small), ("repeated_5mb", &big)] {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("typed_view", name), bytes, |b, bytes| {
            b.iter(|| {
                let r = StructuredRecord::from_slice(bytes).unwrap();
                std::hint::black_box(r.consultations().len())
            })
        });
        group.bench_with_input(BenchmarkId::new("serde_json_value", name), bytes, |b, bytes| {
            b.iter(|| std::hint::black_box(serde_json::from_slice::<Value>(bytes).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
