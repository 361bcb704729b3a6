//! Fuzzing on stable Rust: a seeded mutator of the specification's example bodies, run
//! against every public parser of provider bytes (issue 9).
//!
//! Each case mutates a spec example (byte flips, splices from other examples, truncation,
//! deep nesting, duplicated stretches such as List entries, references pointed back at
//! their own resource) and asserts: no panic; allocation within a linear bound (a counting
//! allocator: at most [`ALLOC_PER_BYTE`] times the body plus a floor); time within a linear
//! bound (generous: it catches quadratic blow-ups, not slow machines); and no NHS number
//! present in the input in the `Debug`/`Display` of the result or error.
//!
//! CI (`cargo test --workspace --all-features`) runs each target for a few seconds
//! (`FUZZ_SECONDS`, default 6). A million cases per target:
//!
//! ```text
//! FUZZ_CASES=1000000 cargo test --release --all-features --test fuzz -- --nocapture --test-threads 1
//! ```
//!
//! `FUZZ_SEED` changes the sequence; a failing case prints its seed and target.
#![cfg(all(feature = "structured", feature = "documents", feature = "appointments"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use gpconnect::fhir::{Bundle, OperationOutcome};
use gpconnect::structured::StructuredRecord;
use gpconnect::{GpcCode, NhsNumber};
use gpconnect_testkit::fixtures::{fixture, NAMES};

/// Memory (most live at once) per byte of body, at most (plus [`ALLOC_FLOOR`]).
const ALLOC_PER_BYTE: usize = 32;
/// Bytes allocated in total (freed or not) per byte of body, at most (plus the floor):
/// a proxy for work, looser because repairs of wrong-shaped fields allocate and free.
const TOTAL_PER_BYTE: usize = 128;
const ALLOC_FLOOR: usize = 4 << 20;

struct Counting;

thread_local! {
    /// Bytes allocated in total, bytes live now, and the most live at once since reset.
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(by: usize) {
    let _ = ALLOCATED.try_with(|a| a.set(a.get() + by));
    let _ = LIVE.try_with(|l| {
        l.set(l.get() + by);
        let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
    });
}

fn shrank(by: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(by)));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size);
        shrank(layout.size());
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Starts measuring the peak of live memory; returns the live bytes now.
fn reset_peak() -> usize {
    let live = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(live));
    live
}

/// How far live memory rose above `base` since [`reset_peak`].
fn peak_above(base: usize) -> usize {
    PEAK.with(Cell::get).saturating_sub(base)
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocated() -> usize {
    ALLOCATED.with(Cell::get)
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of `body` (other seeds are the source of splices).
fn mutate(rng: &mut Rng, body: &[u8], seeds: &[&[u8]]) -> Vec<u8> {
    let mut out = body.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len().max(1);
        match rng.below(7) {
            0 => {
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(len).min(out.len().saturating_sub(1));
                    if let Some(b) = out.get_mut(at) {
                        *b = b"{}[]\",:0a\\ 9-"[rng.below(13)];
                    }
                }
            }
            1 => {
                let other = seeds[rng.below(seeds.len())];
                let start = rng.below(other.len());
                let end = (start + rng.below(4096)).min(other.len());
                let at = rng.below(out.len() + 1);
                out.splice(at..at, other[start..end].iter().copied());
            }
            2 => out.truncate(rng.below(len)),
            3 => {
                // Deep nesting where a value starts.
                if let Some(at) = find_from(&out, b":", rng.below(len)) {
                    let depth = 1 + rng.below(3000);
                    let wrapped = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
                    out.splice(at + 1..at + 1, wrapped.bytes().chain([b',']));
                }
            }
            4 => {
                // Duplicate a stretch between two commas (an entry, a reference, a member).
                if let Some(a) = find_from(&out, b",", rng.below(len)) {
                    if let Some(b) = find_from(&out, b",", a + 1) {
                        let copy: Vec<u8> = out[a..b].to_vec();
                        let times = 1 + rng.below(200);
                        let at = b;
                        out.splice(at..at, copy.iter().copied().cycle().take(copy.len() * times));
                    }
                }
            }
            5 => {
                // Point a reference at the resource that holds it.
                if let (Some(r), Some(id)) =
                    (find_from(&out, b"\"reference\":", rng.below(len)), find_from(&out, b"\"id\":", 0))
                {
                    let id_value: Vec<u8> = out[id + 5..].iter().copied().take_while(|&c| c != b',').collect();
                    let end = find_from(&out, b"}", r).unwrap_or(out.len());
                    let replacement = [b"\"reference\": ".as_slice(), &id_value].concat();
                    out.splice(r..end.max(r), replacement);
                }
            }
            _ => {
                // Arrays where objects belong and the reverse.
                if let Some(at) = find_from(&out, b": {", rng.below(len)) {
                    out.splice(at + 2..at + 2, *b"[");
                    if let Some(close) = find_from(&out, b"}", at) {
                        out.insert(close + 1, b']');
                    }
                }
            }
        }
    }
    out
}

fn find_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let from = from.min(hay.len());
    hay[from..].windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// Every valid NHS number written in the body.
fn nhs_numbers(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let digits: Vec<&str> = text.split(|c: char| !c.is_ascii_digit()).filter(|d| d.len() == 10).collect();
    digits.into_iter().filter(|d| NhsNumber::parse(d).is_ok()).map(str::to_owned).collect()
}

type Target = fn(&[u8]) -> String;

/// Every parser of provider bytes reachable from the public API, and the text of its
/// result (`Debug`) or error (`Display` and `Debug`).
const TARGETS: &[(&str, &str, Target)] = &[
    ("structured_view", "getstructuredrecord__response-200", |b| match StructuredRecord::from_slice(b) {
        Ok(r) => {
            let mut text = format!("{r:?}");
            for kind in gpconnect::structured::SectionKind::ALL {
                text += &format!("{:?}", r.section_summary(kind));
            }
            text += &format!("{:?}{:?}", r.view_problems(), r.medications().items);
            text
        }
        Err(e) => format!("{e} {e:?}"),
    }),
    ("bundle", "response", |b| match Bundle::from_slice(b) {
        Ok(bundle) => {
            let index = bundle.index();
            let found =
                bundle.resources().filter(|r| index.get(r.resource_type(), r.id().unwrap_or("")).is_some()).count();
            format!("{found} {:?}", bundle.resources().collect::<Vec<_>>())
        }
        Err(e) => format!("{e} {e:?}"),
    }),
    ("document_list", "DocumentReference", |b| match Bundle::from_slice(b) {
        Ok(bundle) => match gpconnect::documents::DocumentList::from_bundle(&bundle) {
            Ok(list) => format!("{list:?}"),
            Err((path, e)) => format!("{path} {e} {e:?}"),
        },
        Err(e) => format!("{e} {e:?}"),
    }),
    ("appointment", "appt-response", |b| {
        // The Appointment answers (read, book, amend, cancel), one resource each.
        match std::str::from_utf8(b).map(gpconnect::appointments::Appointment::from_json) {
            Ok(Ok(a)) => format!("{a:?}"),
            Ok(Err(e)) => format!("{e} {e:?}"),
            Err(e) => format!("{e}"),
        }
    }),
    ("operation_outcome", "4XX", |b| match serde_json::from_slice::<OperationOutcome>(b) {
        Ok(oo) => format!("{oo:?} {:?}", GpcCode::from_outcome(&oo)),
        Err(e) => format!("{e} {e:?}"),
    }),
];

fn run(name: &str, seed_filter: &str, target: Target) {
    let seeds: Vec<&[u8]> = NAMES.iter().filter(|n| n.contains(seed_filter)).map(|n| fixture(n).as_bytes()).collect();
    assert!(!seeds.is_empty(), "{name}: no seed bodies");
    let cases: Option<u64> = std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok());
    let budget = Duration::from_secs(std::env::var("FUZZ_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(6));
    let base_seed: u64 = std::env::var("FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5EED);
    let started = Instant::now();
    let (mut n, mut worst_alloc, mut worst_us_per_kb, mut bytes) = (0u64, 0f64, 0f64, 0usize);
    while cases.map_or(started.elapsed() < budget, |c| n < c) {
        let case_seed = base_seed.wrapping_add(n).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut rng = Rng(case_seed);
        let seed = seeds[rng.below(seeds.len())];
        let body = if n < seeds.len() as u64 { seed.to_vec() } else { mutate(&mut rng, seed, &seeds) };
        let numbers = nhs_numbers(&body);
        let before = allocated();
        let base = reset_peak();
        let t = Instant::now();
        let text = std::panic::catch_unwind(|| target(&body))
            .unwrap_or_else(|_| panic!("{name}: panic on case seed {case_seed} (FUZZ_SEED={base_seed}, case {n})"));
        let elapsed = t.elapsed();
        let (total, alloc) = (allocated() - before, peak_above(base).saturating_sub(text.capacity()));
        assert!(
            alloc <= ALLOC_PER_BYTE * body.len() + ALLOC_FLOOR && total <= TOTAL_PER_BYTE * body.len() + ALLOC_FLOOR,
            "{name}: {alloc} bytes at most live, {total} allocated, for a body of {} (case seed {case_seed})",
            body.len()
        );
        // Debug builds are ~20x slower than release; 1 ms per KB here is 50 us per KB there.
        let limit = Duration::from_millis(500) + Duration::from_micros(1000 * body.len() as u64 / 1024);
        assert!(elapsed <= limit, "{name}: {elapsed:?} for a body of {} (case seed {case_seed})", body.len());
        for number in &numbers {
            assert!(
                !text.contains(number.as_str()),
                "{name}: an NHS number of the input in Debug/Display (case seed {case_seed})"
            );
        }
        worst_alloc = worst_alloc.max(alloc as f64 / body.len().max(1) as f64);
        if body.len() >= 16 * 1024 {
            worst_us_per_kb = worst_us_per_kb.max(elapsed.as_secs_f64() * 1e6 / (body.len() as f64 / 1024.0));
        }
        bytes += body.len();
        n += 1;
    }
    println!(
        "fuzz {name}: {n} cases, {:.1} MB in {:.1?}; worst allocation {worst_alloc:.1}x the body, worst {worst_us_per_kb:.0} us/KB (bodies of 16 KB or more)",
        bytes as f64 / 1e6,
        started.elapsed()
    );
}

#[test]
fn fuzz_every_parser_of_provider_bytes() {
    for (name, seeds, target) in TARGETS {
        run(name, seeds, *target);
    }
}

/// Hostile bodies of about 1 MB: each is read with at most 32x its size in memory; the time
/// is printed (the issue's bound is 100 ms of CPU in a release build: run this test with
/// `--release -- --nocapture` to see it).
#[test]
fn one_megabyte_hostile_bodies_stay_linear() {
    const MB: usize = 1 << 20;
    let entry = |resource: String| format!(r#"{{"resource": {resource}}}"#);
    let wrap = |entries: Vec<String>| {
        format!(r#"{{"resourceType": "Bundle", "type": "collection", "entry": [{}]}}"#, entries.join(","))
    };
    let list = |code: &str, refs: &[String]| {
        let entry: Vec<String> = refs.iter().map(|r| format!(r#"{{"item": {{"reference": "{r}"}}}}"#)).collect();
        format!(
            r#"{{"resourceType": "List", "code": {{"coding": [{{"system": "http://snomed.info/sct", "code": "{code}"}}]}}, "entry": [{}]}}"#,
            entry.join(",")
        )
    };
    let mut bodies: Vec<(&str, String)> = Vec::new();
    // Deep nesting: one resource nested to the end of the megabyte.
    let depth = MB / 40;
    let deep = format!(
        r#"{{"resourceType": "Condition", "id": "d", "extension": [{}{{"url": "x"}}{}]}}"#,
        r#"{"url": "n", "extension": ["#.repeat(depth),
        "]}".repeat(depth)
    );
    bodies.push(("deep_nesting", wrap(vec![entry(list("717711000000103", &["Condition/d".into()])), entry(deep)])));
    // An Observation that is its own member, thousands of times.
    let members = r#"{"type": "has-member", "target": {"reference": "Observation/g"}}"#;
    let n = MB / members.len();
    let group = format!(r#"{{"resourceType": "Observation", "id": "g", "related": [{}]}}"#, vec![members; n].join(","));
    let report =
        r#"{"resourceType": "DiagnosticReport", "id": "r", "result": [{"reference": "Observation/g"}]}"#.to_owned();
    bodies.push((
        "self_reference",
        wrap(vec![entry(list("887191000000108", &["DiagnosticReport/r".into()])), entry(report), entry(group)]),
    ));
    // Fan-out: a 500 KB practitioner named by every problem.
    let prac =
        format!(r#"{{"resourceType": "Practitioner", "id": "p", "name": [{{"text": "{}"}}]}}"#, "N".repeat(MB / 2));
    let k = MB / 2 / 120;
    let refs: Vec<String> = (0..k).map(|i| format!("Condition/c{i}")).collect();
    let mut entries = vec![entry(prac), entry(list("717711000000103", &refs))];
    entries.extend((0..k).map(|i| {
        entry(format!(
            r#"{{"resourceType": "Condition", "id": "c{i}", "asserter": {{"reference": "Practitioner/p"}}}}"#
        ))
    }));
    bodies.push(("fan_out", wrap(entries)));
    // Wrong-shaped fields in every item.
    let k = MB / 260;
    let refs: Vec<String> = (0..k).map(|i| format!("MedicationStatement/m{i}")).collect();
    let mut entries = vec![entry(list("933361000000108", &refs))];
    entries.extend((0..k).map(|i| entry(format!(
        r#"{{"resourceType": "MedicationStatement", "id": "m{i}", "status": 7, "effectivePeriod": [{{"start": "2020"}}], "dosage": {{"text": ["a"]}}, "taken": true, "note": 5}}"#))));
    bodies.push(("wrong_shapes", wrap(entries)));
    // The spec's full record, as sent.
    let full = fixture("access-record__POST_Patient-gpc-getstructuredrecord__response-200__fullRecordResponse.json");
    bodies.push(("full_record", full.to_owned()));

    for (name, body) in bodies {
        let before = allocated();
        let base = reset_peak();
        let t = Instant::now();
        let record = StructuredRecord::from_slice(body.as_bytes()).unwrap();
        let elapsed = t.elapsed();
        let peak = peak_above(base) as f64 / body.len() as f64;
        let total = (allocated() - before) as f64 / body.len() as f64;
        println!(
            "1 MB check {name}: {} KB read in {elapsed:?}, memory {peak:.1}x the body at most, {total:.1}x allocated in all, {} problem(s)",
            body.len() / 1024,
            record.view_problems().len()
        );
        assert!(peak < ALLOC_PER_BYTE as f64, "{name}: memory {peak:.1}x the body");
        assert!(total < TOTAL_PER_BYTE as f64, "{name}: {total:.1}x allocated");
        drop(record);
    }
}
