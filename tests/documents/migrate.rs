//! Wire tests for migrate document (`migrate:binary-1`), the content types a Binary comes
//! labelled with, and `http://` attachment URLs.

use crate::common;

use common::{example_document, ssp_requests};
use gpconnect_core::{Capability, Error, ErrorKind};
use gpconnect_documents::{BodyFormat, DocumentsExt};
use gpconnect_testkit::MockSpine;
use wiremock::matchers::{header, method, path_regex};
use wiremock::{Mock, ResponseTemplate};

const MIGRATE: &str = "urn:nhs:names:services:gpconnect:documents:fhir:rest:migrate:binary-1";
const RETRIEVE: &str = "urn:nhs:names:services:gpconnect:documents:fhir:rest:read:binary-1";
const BINARY_ID: &str = "07a6483f-732b-461e-86b6-edb665c45510";

async fn first_document(spine: &MockSpine) -> gpconnect_documents::Document {
    let id = spine.patient_id("9690937286").unwrap();
    let list = spine.provider().documents().search_documents(&id).send().await.unwrap();
    spine.clear_received().await;
    list.value.documents.into_iter().next().unwrap()
}

#[tokio::test]
async fn migrate_streams_the_binary_with_a_migration_token() {
    let spine = MockSpine::start().await;
    let doc = first_document(&spine).await;
    let dir = std::env::temp_dir().join(format!("gpc-migrate-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("letter.doc");
    let got = spine.provider().documents().migrate(&doc).download_to_file(&path).await.unwrap();

    assert_eq!(std::fs::read(&path).unwrap(), example_document());
    assert_eq!(got.format, BodyFormat::FhirBinary);
    let requests = ssp_requests(&spine).await;
    let [r] = requests.as_slice() else { panic!("one request: {requests:?}") };
    assert!(r.verdict.is_accepted(), "{:?}", r.verdict);
    assert_eq!(r.method, "GET");
    assert_eq!(r.fhir_path, format!("Binary/{BINARY_ID}"));
    assert_eq!(r.service_root.as_deref(), Some(spine.service_root(Capability::Documents).as_str()));
    assert_eq!(r.header("ssp-interactionid"), Some(MIGRATE));
    assert_eq!(r.header("ssp-from"), Some(spine.consumer_asid()));
    assert_eq!(r.header("ssp-to"), Some(spine.provider_asid()));
    assert_eq!(r.header("accept"), Some("application/fhir+json;charset=utf-8"));
    assert_eq!(r.header("ssp-traceid"), Some(got.trace_id.to_string().as_str()));
    let claims = r.claims.as_ref().expect("a JWT");
    assert_eq!(claims["reason_for_request"], "migration");
    assert_eq!(claims["requested_scope"], "patient/*.read");
    assert_eq!(claims["aud"], spine.service_root(Capability::Documents));
    assert!(r.body.is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_document_over_the_retrieval_limit_can_be_migrated_and_larger_bodies_stream() {
    let spine = MockSpine::start().await;
    // A 12 MB document: over the 5 MB retrieval limit, which migration does not have.
    let document: Vec<u8> = (0..12 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let body = format!(
        r#"{{"resourceType":"Binary","id":"{BINARY_ID}","contentType":"application/pdf","content":"{}"}}"#,
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &document)
    );
    Mock::given(method("GET"))
        .and(path_regex(format!("/gpconnect/documents/Binary/{BINARY_ID}$")))
        .and(header("ssp-interactionid", MIGRATE))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/fhir+json;charset=utf-8"))
        .with_priority(1)
        .expect(1)
        .mount(spine.server())
        .await;
    let url = format!("{}/Binary/{BINARY_ID}", spine.service_root(Capability::Documents));
    let mut out = Vec::new();
    let got = spine.provider().documents().migrate_url(&url).write_to(&mut out).await.unwrap();
    assert_eq!(got.bytes, document.len() as u64);
    assert!(out == document, "byte-exact");
}

#[tokio::test]
async fn a_binary_labelled_json_plus_fhir_or_with_parameters_is_decoded_never_saved_raw() {
    for content_type in
        ["application/json+fhir", "application/json+fhir;charset=utf-8", "application/fhir+json; fhirVersion=3.0"]
    {
        let spine = MockSpine::start().await;
        let doc = first_document(&spine).await;
        Mock::given(method("GET"))
            .and(path_regex(format!("/gpconnect/documents/Binary/{BINARY_ID}$")))
            .and(header("ssp-interactionid", RETRIEVE))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                gpconnect_testkit::fixture("documents__retrieve-binary__response.fixed.json"),
                content_type,
            ))
            .with_priority(1)
            .expect(1)
            .mount(spine.server())
            .await;
        let mut out = Vec::new();
        let got = spine.provider().documents().retrieve(&doc).write_to(&mut out).await.unwrap();
        assert_eq!(got.format, BodyFormat::FhirBinary, "{content_type}");
        assert_eq!(out, example_document(), "{content_type}");
    }
}

#[tokio::test]
async fn an_http_attachment_url_goes_through_the_ssp_as_the_spec_says() {
    let spine = MockSpine::start().await;
    let root = spine.service_root(Capability::Documents);
    let http = format!("http://{}/Binary/{BINARY_ID}", root.strip_prefix("https://").unwrap());
    let mut out = Vec::new();
    spine.provider().documents().retrieve_url(&http).write_to(&mut out).await.unwrap();
    assert_eq!(out, example_document());
    let requests = ssp_requests(&spine).await;
    let [r] = requests.as_slice() else { panic!("one request: {requests:?}") };
    assert!(r.path.ends_with(&format!("/{http}")) || r.path.contains("/http:/"), "{}", r.path);
    assert_eq!(r.header("ssp-interactionid"), Some(RETRIEVE));

    // A URL that is not one is a data problem, never a configuration error.
    let err = spine.provider().documents().retrieve_url("ftp://x/Binary/1").write_to(&mut Vec::new()).await;
    let err = err.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err:?}");
    assert!(!matches!(err, Error::Config(_)));
}
