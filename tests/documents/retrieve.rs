//! Wire tests for step 3: document retrieval, streamed and decoded.

use crate::common;

use std::time::Duration;

use common::{
    assert_documents_request, example_document, files_in, paced_server_provider, raw_server_provider, ssp_requests,
    temp_dir, Pace, RAW_ROOT,
};
use gpconnect_core::error::DecodeProblem;
use gpconnect_core::{Capability, Error, ErrorKind, GpcCode};
use gpconnect_documents::{BodyFormat, DocumentsExt};
use gpconnect_testkit::MockSpine;
use wiremock::matchers::{header, method, path_regex};
use wiremock::{Mock, ResponseTemplate};

const RETRIEVE: &str = "urn:nhs:names:services:gpconnect:documents:fhir:rest:read:binary-1";
const BINARY_ID: &str = "07a6483f-732b-461e-86b6-edb665c45510";
const FHIR_JSON: &str = "application/fhir+json;charset=utf-8";

async fn first_document(spine: &MockSpine) -> gpconnect_documents::Document {
    let id = spine.patient_id("9690937286").unwrap();
    let list = spine.provider().documents().search_documents(&id).send().await.unwrap();
    spine.clear_received().await;
    list.value.documents.into_iter().next().unwrap()
}

/// Mounts an answer for `GET .../Binary/{id}` that wins over the testkit's route.
async fn answer_binary(spine: &MockSpine, id: &str, template: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path_regex(format!("/gpconnect/documents/Binary/{id}$")))
        .and(header("ssp-interactionid", RETRIEVE))
        .respond_with(template)
        .with_priority(1)
        .expect(1)
        .mount(spine.server())
        .await;
}

fn decode_problem(err: &Error) -> &DecodeProblem {
    match err {
        Error::Decode(d) => &d.problem,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn retrieve_into_a_vec_is_byte_exact_and_reports_type_size_and_trace() {
    let spine = MockSpine::start().await;
    let doc = first_document(&spine).await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let progress = seen.clone();
    let mut out = Vec::new();
    let got = spine
        .provider()
        .documents()
        .retrieve(&doc)
        .on_progress(move |n| progress.lock().unwrap().push(n))
        .write_to(&mut out)
        .await
        .unwrap();

    let want = example_document();
    assert_eq!(out, want);
    assert_eq!(got.bytes, want.len() as u64);
    assert_eq!(got.content_type.as_deref(), Some("application/msword"));
    assert_eq!(got.binary_id.as_deref(), Some(BINARY_ID));
    assert_eq!(got.format, BodyFormat::FhirBinary);
    assert_eq!(seen.lock().unwrap().last().copied(), Some(want.len() as u64));

    let requests = ssp_requests(&spine).await;
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_documents_request(r, &spine, RETRIEVE);
    assert_eq!(r.fhir_path, format!("Binary/{BINARY_ID}"));
    assert!(r.query.is_empty());
    assert!(r.path.ends_with(&format!("{}/Binary/{BINARY_ID}", spine.service_root(Capability::Documents))));
    assert_eq!(r.header("ssp-traceid"), Some(got.trace_id.to_string().as_str()));
}

#[tokio::test]
async fn download_to_file_writes_the_whole_document_and_leaves_no_temporary_file() {
    let spine = MockSpine::start().await;
    let doc = first_document(&spine).await;
    let dir = temp_dir("ok");
    let target = dir.join("letter.doc");
    std::fs::write(&target, b"old").unwrap();
    let got = spine.provider().documents().retrieve(&doc).download_to_file(&target).await.unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), example_document());
    assert_eq!(got.bytes, example_document().len() as u64);
    assert_eq!(files_in(&dir), vec!["letter.doc".to_string()]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a downloaded document is private to the user");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn the_specs_non_strict_binary_example_with_a_trailing_comma_is_read() {
    let spine = MockSpine::start().await;
    answer_binary(
        &spine,
        "lenient",
        ResponseTemplate::new(200)
            .set_body_raw(gpconnect_testkit::fixture("documents__retrieve-binary__response.json"), FHIR_JSON),
    )
    .await;
    let url = format!("{}/Binary/lenient", spine.service_root(Capability::Documents));
    let mut out = Vec::new();
    spine.provider().documents().retrieve_url(&url).write_to(&mut out).await.unwrap();
    assert_eq!(out, example_document());
}

#[tokio::test]
async fn a_truncated_binary_is_incomplete_and_no_file_is_completed() {
    let spine = MockSpine::start().await;
    let full = gpconnect_testkit::fixture("documents__retrieve-binary__response.fixed.json");
    let cut = &full[..full.len() / 2];
    answer_binary(&spine, "cut", ResponseTemplate::new(200).set_body_raw(cut, FHIR_JSON)).await;
    let url = format!("{}/Binary/cut", spine.service_root(Capability::Documents));
    let dir = temp_dir("cut");
    let target = dir.join("cut.doc");
    let err = spine.provider().documents().retrieve_url(&url).download_to_file(&target).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(matches!(decode_problem(&err), DecodeProblem::Incomplete(_)), "{err:?}");
    assert!(err.trace_id().is_some());
    assert!(files_in(&dir).is_empty(), "neither the target nor a temporary file is left");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn fewer_bytes_than_content_length_is_an_error_and_no_file_is_completed() {
    let body = gpconnect_testkit::fixture("documents__retrieve-binary__response.fixed.json").as_bytes().to_vec();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {FHIR_JSON}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len() + 1000
    );
    let provider = raw_server_provider(head, body).await;
    let dir = temp_dir("short");
    let target = dir.join("short.doc");
    let err = provider
        .documents()
        .retrieve_url(&format!("{RAW_ROOT}/Binary/{BINARY_ID}"))
        .download_to_file(&target)
        .await
        .unwrap_err();
    // hyper reports the early close itself (a transport error); either way it is typed.
    assert!(matches!(err.kind(), ErrorKind::Transport | ErrorKind::Decode), "{err:?}");
    assert!(err.trace_id().is_some());
    assert!(files_in(&dir).is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn corrupt_base64_is_a_typed_error() {
    let spine = MockSpine::start().await;
    let body = r#"{"resourceType":"Binary","id":"bad","contentType":"text/plain","content":"aGVsbG8*d29ybGQ="}"#;
    answer_binary(&spine, "bad", ResponseTemplate::new(200).set_body_raw(body, FHIR_JSON)).await;
    let url = format!("{}/Binary/bad", spine.service_root(Capability::Documents));
    let err = spine.provider().documents().retrieve_url(&url).write_to(&mut Vec::new()).await.unwrap_err();
    assert!(matches!(decode_problem(&err), DecodeProblem::Incomplete(m) if m.contains("base64")), "{err:?}");
}

#[tokio::test]
async fn a_binary_without_content_is_a_typed_error() {
    let spine = MockSpine::start().await;
    let body = r#"{"resourceType":"Binary","id":"empty","contentType":"text/plain"}"#;
    answer_binary(&spine, "empty", ResponseTemplate::new(200).set_body_raw(body, FHIR_JSON)).await;
    let url = format!("{}/Binary/empty", spine.service_root(Capability::Documents));
    let err = spine.provider().documents().retrieve_url(&url).write_to(&mut Vec::new()).await.unwrap_err();
    assert!(matches!(decode_problem(&err), DecodeProblem::Json { path, .. } if path == "content"), "{err:?}");
}

#[tokio::test]
async fn another_resource_type_is_a_typed_error() {
    let spine = MockSpine::start().await;
    let body = r#"{"resourceType":"OperationOutcome","issue":[]}"#;
    answer_binary(&spine, "oo", ResponseTemplate::new(200).set_body_raw(body, FHIR_JSON)).await;
    let url = format!("{}/Binary/oo", spine.service_root(Capability::Documents));
    let err = spine.provider().documents().retrieve_url(&url).write_to(&mut Vec::new()).await.unwrap_err();
    assert!(matches!(decode_problem(&err), DecodeProblem::ResourceType { expected: "Binary", .. }), "{err:?}");
}

#[tokio::test]
async fn raw_bytes_with_their_own_content_type_are_written_through() {
    let spine = MockSpine::start().await;
    let pdf = b"%PDF-1.4\n{\"not\":\"json\"}\x00\xff".to_vec();
    answer_binary(&spine, "raw", ResponseTemplate::new(200).set_body_raw(pdf.clone(), "application/pdf")).await;
    let url = format!("{}/Binary/raw", spine.service_root(Capability::Documents));
    let mut out = Vec::new();
    let got = spine.provider().documents().retrieve_url(&url).write_to(&mut out).await.unwrap();
    assert_eq!(out, pdf);
    assert_eq!(
        (got.format, got.content_type.as_deref(), got.bytes),
        (BodyFormat::Raw, Some("application/pdf"), 16 + 9)
    );
}

#[tokio::test]
async fn an_html_page_or_an_empty_raw_answer_is_never_a_document() {
    let spine = MockSpine::start().await;
    let html = "<html><body>Portal login</body></html>";
    answer_binary(&spine, "html", ResponseTemplate::new(200).set_body_raw(html, "text/html; charset=utf-8")).await;
    answer_binary(&spine, "empty", ResponseTemplate::new(200).set_body_raw(Vec::new(), "application/pdf")).await;
    let documents = spine.provider().documents();
    let url = |id: &str| format!("{}/Binary/{id}", spine.service_root(Capability::Documents));

    let mut out = Vec::new();
    let err = documents.retrieve_url(&url("html")).write_to(&mut out).await.unwrap_err();
    assert!(matches!(decode_problem(&err), DecodeProblem::ContentType(_)), "{err:?}");
    assert!(out.is_empty(), "nothing of the page was written");
    let err = documents.retrieve_url(&url("empty")).write_to(&mut Vec::new()).await.unwrap_err();
    assert!(matches!(decode_problem(&err), DecodeProblem::Empty), "{err:?}");
}

#[tokio::test]
async fn an_unknown_document_is_not_found() {
    let spine = MockSpine::start().await;
    let url = format!("{}/Binary/no-such-document", spine.service_root(Capability::Documents));
    let err = spine.provider().documents().retrieve_url(&url).write_to(&mut Vec::new()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some(GpcCode::NoRecordFound));
    let r = &ssp_requests(&spine).await[0];
    assert_eq!(r.fhir_path, "Binary/no-such-document");
    assert_eq!(r.verdict.code(), Some("NO_RECORD_FOUND"));
}

#[tokio::test]
async fn a_failing_output_is_an_output_error() {
    struct Broken;
    impl tokio::io::AsyncWrite for Broken {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            std::task::Poll::Ready(Err(std::io::Error::other("disk full")))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }
    let spine = MockSpine::start().await;
    let doc = first_document(&spine).await;
    let err = spine.provider().documents().retrieve(&doc).write_to(&mut Broken).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Output);
    assert!(err.trace_id().is_some());
}

#[tokio::test]
async fn a_document_without_a_url_is_refused_before_sending() {
    let spine = MockSpine::start().await;
    let mut doc = first_document(&spine).await;
    doc.url = None;
    let err = spine.provider().documents().retrieve(&doc).write_to(&mut Vec::new()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = spine.provider().documents().retrieve_url("Binary/1").download_to_file("x.doc").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(ssp_requests(&spine).await.is_empty());
}

fn binary_head(length: Option<usize>) -> String {
    let length = length.map(|n| format!("Content-Length: {n}\r\n")).unwrap_or_default();
    format!("HTTP/1.1 200 OK\r\nContent-Type: {FHIR_JSON}\r\n{length}Connection: close\r\n\r\n")
}

fn binary_body() -> Vec<u8> {
    gpconnect_testkit::fixture("documents__retrieve-binary__response.fixed.json").as_bytes().to_vec()
}

/// A retrieval, or a migration, of the Binary at the raw server.
fn read_binary(provider: &gpconnect_core::Provider, migrate: bool) -> gpconnect_documents::RetrieveDocument {
    let url = format!("{RAW_ROOT}/Binary/{BINARY_ID}");
    if migrate {
        provider.documents().migrate_url(&url)
    } else {
        provider.documents().retrieve_url(&url)
    }
}

#[tokio::test]
async fn a_slow_transfer_that_keeps_moving_completes_past_the_request_timeout() {
    for migrate in [false, true] {
        let body = binary_body();
        // Eight pieces 150 ms apart: 1.2 s in all, three times the client's request timeout.
        let pace = Pace::Trickle { pieces: 8, pause: Duration::from_millis(150) };
        let provider =
            paced_server_provider(binary_head(Some(body.len())), body, pace, Duration::from_millis(400)).await;
        let dir = temp_dir("slow");
        let target = dir.join("slow.doc");

        let got = read_binary(&provider, migrate)
            .idle_timeout(Duration::from_secs(2))
            .download_to_file(&target)
            .await
            .unwrap();

        assert_eq!(std::fs::read(&target).unwrap(), example_document(), "migrate: {migrate}");
        assert_eq!(got.value.bytes, example_document().len() as u64);
        assert_eq!(files_in(&dir), ["slow.doc"]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[tokio::test]
async fn a_stalled_transfer_is_a_timeout_and_leaves_no_file() {
    for migrate in [false, true] {
        let body = binary_body();
        let half = body.len() / 2;
        let provider =
            paced_server_provider(binary_head(Some(body.len())), body, Pace::StallAfter(half), Duration::from_secs(60))
                .await;
        let dir = temp_dir("stalled");
        let target = dir.join("stalled.doc");
        let started = std::time::Instant::now();

        let err = read_binary(&provider, migrate)
            .idle_timeout(Duration::from_millis(300))
            .download_to_file(&target)
            .await
            .unwrap_err();

        assert!(matches!(err, Error::Timeout { status: None, .. }), "migrate: {migrate}: {err:?}");
        assert!(err.is_timeout() && err.is_retryable(), "a read: safe to try again");
        assert!(err.trace_id().is_some());
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        assert!(files_in(&dir).is_empty(), "partial temporary file removed, nothing at the final path");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[tokio::test]
async fn a_body_over_the_size_cap_is_too_large_and_leaves_no_file() {
    // Declared too long up front, or found too long as it arrives.
    for (declared, migrate) in [(true, false), (false, false), (false, true)] {
        let body = binary_body();
        let head = binary_head(declared.then_some(body.len()));
        let provider = paced_server_provider(head, body, Pace::AllAtOnce, Duration::from_secs(30)).await;
        let dir = temp_dir("large");
        let target = dir.join("large.doc");

        let err = read_binary(&provider, migrate).max_bytes(100).download_to_file(&target).await.unwrap_err();

        assert!(matches!(decode_problem(&err), DecodeProblem::TooLarge { limit: 100 }), "{err:?}");
        assert!(files_in(&dir).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
