//! ITK3 messages: parsing the spec's Update Record example and the v1 Send Document
//! example (63 KB with its base64 PDF) into the typed message, building a Send Document
//! message with a 1 MB PDF, and parsing an acknowledgement.
//!
//! ```text
//! cargo bench --features send,update --bench itk3_messages
//! ```

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gpconnect::itk3::{Acknowledgement, Itk3Message, Limits, Responder, ResponseCode};
use gpconnect::send::{Author, Document, Organisation, PatientDemographics, ReceivedDocument, SendDocumentExt};
use gpconnect::update::UpdateRecordMessage;
use gpconnect::NhsNumber;
use gpconnect_testkit::mesh::offline_client;

const UPDATE: &str = include_str!("../tests/update/fixtures/pharmacy-first-service--example-1.xml");
const SEND_V1: &str = include_str!("../tests/send/fixtures/v1-consultation_report.xml");

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("itk3_parse");
    g.throughput(Throughput::Bytes(UPDATE.len() as u64));
    g.bench_function("update_record_example", |b| b.iter(|| UpdateRecordMessage::parse(UPDATE.as_bytes()).unwrap()));
    g.throughput(Throughput::Bytes(SEND_V1.len() as u64));
    g.bench_function("send_document_v1_example", |b| b.iter(|| ReceivedDocument::parse(SEND_V1.as_bytes()).unwrap()));
    let message = Itk3Message::parse(UPDATE.as_bytes(), &Limits::MESSAGE).unwrap();
    let ack = Acknowledgement::build(
        &message,
        ResponseCode::Success,
        &Responder { ods: "B82617", mailbox: "X26ABC2", diagnostics: None },
    )
    .to_xml();
    g.throughput(Throughput::Bytes(ack.len() as u64));
    g.bench_function("acknowledgement", |b| b.iter(|| Acknowledgement::parse(ack.as_bytes()).unwrap()));
    g.finish();
}

fn build(c: &mut Criterion) {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(1024 * 1024, b'x');
    let patient = PatientDemographics::new(
        NhsNumber::parse("9690937286").unwrap(),
        "Smith",
        &["Richard"],
        NaiveDate::from_ymd_opt(1957, 1, 9).unwrap(),
    );
    // Building sends nothing: a client that reaches no server will do.
    let builder = offline_client("X26ABC1", "A20047")
        .send_document(patient, Document::pdf(pdf))
        .author(Author::new("Pritchard", &["Gary"]))
        .organisation(Organisation::new("A20047".parse().unwrap(), "Practice"))
        .document_type("371531000", "Report of clinical encounter")
        .title("Consultation report");
    let mut g = c.benchmark_group("itk3_build");
    g.throughput(Throughput::Bytes(1024 * 1024));
    g.bench_function("send_document_1mb_pdf", |b| b.iter(|| builder.prepare().unwrap()));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = parse, build
}
criterion_main!(benches);
