//! Fuzz targets (seeded mutations, stable Rust) for the two readers of what a MESH sender
//! controls: the ITK3 reader (messages and acknowledgements) and the MESH metadata reader
//! (the `mex-*` headers of a download, and the non-delivery report read from them).
//!
//! Each case must not panic, must finish in bounded time, and must not show the NHS
//! number, name or date of birth of its input in the `Debug` or `Display` of the result or
//! error. `FUZZ_CASES` sets the number of cases per target (default 1500).

use std::time::{Duration, Instant};

use gpconnect_core::itk3::{Acknowledgement, Itk3Message, Limits, NonDeliveryReport, Responder, ResponseCode};
use gpconnect_core::mesh::{MessageId, MessageMetadata};
use gpconnect_testkit::fuzz;

const NHS: &str = "9690937286";
const SECRETS: [&str; 4] = [NHS, "969 093 7286", "Smith", "1957-01-09"];

fn cases() -> usize {
    std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1500)
}

fn assert_hidden(shown: &str, case: usize, target: &str) {
    for secret in SECRETS {
        assert!(!shown.contains(secret), "{target} case {case} shows a patient detail");
    }
}

/// The spec's v1 consultation report, with the canary patient in it.
fn message_seed() -> Vec<u8> {
    let xml = include_str!("../send/fixtures/v1-consultation_report.xml");
    let xml = xml.replace("9989453456", NHS);
    assert!(xml.contains(NHS) && xml.contains("Smith"), "the seed holds the canaries");
    xml.into_bytes()
}

#[test]
fn the_itk3_reader_never_panics_nor_leaks() {
    let message = message_seed();
    let parsed = Itk3Message::parse(&message, &Limits::MESSAGE).expect("the seed reads");
    let responder = Responder { ods: "B82617", mailbox: "X26ABC2", diagnostics: Some("for Smith 9690937286") };
    let ack = Acknowledgement::build(&parsed, ResponseCode::Success, &responder).to_xml().into_bytes();
    let seeds = [message, ack];
    let mut rng = fuzz::rng(0x1743);
    let mut read = 0;
    for case in 0..cases() {
        let seed = &seeds[case % 2];
        let input = fuzz::mutate(&mut rng, seed);
        let started = Instant::now();
        let shown = match Itk3Message::parse(&input, &Limits::MESSAGE) {
            Ok(m) => {
                read += 1;
                format!("{m:?}")
            }
            Err(e) => format!("{e} {e:?}"),
        };
        let answer = match Acknowledgement::parse(&input) {
            Ok(a) => format!("{a} {a:?}"),
            Err(e) => format!("{e} {e:?}"),
        };
        assert!(started.elapsed() < Duration::from_secs(2), "case {case} took {:?}", started.elapsed());
        assert_hidden(&shown, case, "ITK3 message");
        assert_hidden(&answer, case, "ITK3 acknowledgement");
    }
    assert!(read > cases() / 20, "too few mutated messages read: {read}");
}

#[test]
fn the_mesh_metadata_reader_never_panics_nor_leaks() {
    let headers = [
        ("mex-messagetype", "REPORT".to_owned()),
        ("mex-messageid", "20200529155357895317_3573F9".to_owned()),
        ("mex-from", "X26ABC1".to_owned()),
        ("mex-to", "X26ABC2".to_owned()),
        ("mex-workflowid", "GPCONNECT_SEND_DOCUMENT".to_owned()),
        ("mex-localid", format!("local {NHS}")),
        ("mex-subject", format!("Report for Richard Smith, NHS Number: {NHS}, 1957-01-09")),
        ("mex-filename", format!("{NHS}.xml")),
        ("mex-content-type", "application/fhir+xml".to_owned()),
        ("mex-content-checksum", format!("md5:{NHS}")),
        ("mex-content-compressed", "Y".to_owned()),
        ("mex-chunk-range", "1:3".to_owned()),
        ("mex-statussuccess", "ERROR".to_owned()),
        ("mex-statuscode", format!("EPL-153 {NHS}")),
        ("mex-statusevent", format!("SEND {NHS}")),
        ("mex-statusdescription", format!("ERROR_NHSNUMBER_NOT_FOUND for {NHS} Smith 1957-01-09")),
        ("mex-statustimestamp", "20260101120000".to_owned()),
        ("mex-linkedmsgid", "20200529155357895317_3573F8".to_owned()),
    ];
    let requested = MessageId::parse("20200529155357895317_3573F9").unwrap();
    let mut rng = fuzz::rng(0x3e5);
    let mut reports = 0;
    for case in 0..cases() {
        let mut map = http::HeaderMap::new();
        for (name, value) in &headers {
            let value = if rng.bool() { fuzz::mutate(&mut rng, value.as_bytes()) } else { value.clone().into_bytes() };
            if let Ok(v) = http::HeaderValue::from_bytes(&value) {
                map.insert(*name, v);
            }
        }
        let metadata = MessageMetadata::from_headers(&map, &requested);
        let report = NonDeliveryReport::from_metadata(&metadata);
        reports += usize::from(report.is_some());
        let shown = format!("{metadata:?} {report:?} {:?}", report.as_ref().map(|r| r.reason.clone()));
        assert_hidden(&shown, case, "MESH metadata");
    }
    assert!(reports > cases() / 4, "{reports}");
}
