//! Hostile answers of about 1 MB (deep nesting, self and mutual references, fan-out,
//! wrong-shaped fields, arrays where objects belong, huge strings) read by every parser of
//! provider bytes. Issue 9's bound: at most 100 ms of CPU and 32 times the body in memory.
//! Before timing, prints each body's allocation (the most live at once and the total, as
//! multiples of its size, from a counting allocator) and its CPU time (the least of fifteen
//! parses, from the thread's CPU clock).
//!
//! ```text
//! cargo bench --features structured,documents,appointments --bench hostile_bodies
//! ```

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gpconnect_testkit::hostile;

#[path = "../tests/support/parsers.rs"]
#[allow(dead_code)]
mod parsers;

#[path = "support/counting.rs"]
#[allow(dead_code)]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const MB: usize = 1024 * 1024;

type Family = (&'static str, fn(usize) -> Vec<hostile::Body>, parsers::Parser);

const FAMILIES: &[Family] = &[
    ("structured_view", hostile::structured_records, parsers::structured_view),
    ("bundle", hostile::bundles, parsers::bundle),
    ("document_list", hostile::document_searches, parsers::document_list),
    ("binary_scanner", hostile::binaries, parsers::binary),
    ("appointment", hostile::appointments, parsers::appointment),
    ("slot_search", hostile::slot_searches, parsers::slot_search),
    ("operation_outcome", hostile::operation_outcomes, parsers::operation_outcome),
    ("sds_answer", hostile::sds_answers, parsers::sds_answer),
];

/// The most live memory and the total allocated by one parse, as multiples of the body.
fn allocation(parser: parsers::Parser, body: &[u8]) -> (f64, f64) {
    let mark = counting::start();
    let outcome = parser(body);
    let (peak, total) = (mark.peak_growth(), mark.allocated());
    drop(outcome);
    (peak as f64 / body.len() as f64, total as f64 / body.len() as f64)
}

/// CPU time this thread has used (`CLOCK_THREAD_CPUTIME_ID`).
fn thread_cpu() -> Option<Duration> {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec for the call to fill.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    ok.then(|| Duration::new(t.tv_sec as u64, t.tv_nsec as u32))
}

/// The least CPU time of fifteen parses (one in criterion's test mode, `-- --test`, as CI
/// runs it): the issue's figure, whatever else the machine runs.
fn cpu(parser: parsers::Parser, body: &[u8]) -> Option<Duration> {
    let runs = if std::env::args().any(|a| a == "--test") { 1 } else { 15 };
    (0..runs)
        .map(|_| {
            let before = thread_cpu()?;
            drop(std::hint::black_box(parser(body)));
            Some(thread_cpu()? - before)
        })
        .min()
        .flatten()
}

fn hostile_bodies(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile_bodies");
    group.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for (family, bodies, parser) in FAMILIES {
        for (name, body) in bodies(MB) {
            let (peak, total) = allocation(*parser, body.as_bytes());
            let cpu = cpu(*parser, body.as_bytes()).map_or("-".to_owned(), |d| format!("{d:.1?}"));
            println!(
                "{family}/{name}: {} KB, memory {peak:.1}x the body at most, {total:.1}x allocated in all, CPU {cpu}",
                body.len() / 1024
            );
            group.throughput(Throughput::Bytes(body.len() as u64));
            group.bench_with_input(BenchmarkId::new(*family, name), body.as_bytes(), |b, body| {
                b.iter(|| std::hint::black_box(parser(body)).is_ok())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, hostile_bodies);
criterion_main!(benches);
