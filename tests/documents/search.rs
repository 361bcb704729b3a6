//! Wire tests for steps 1 and 2: documents patient search and document search.

use crate::common;

use chrono::NaiveDate;
use common::{assert_documents_request, ssp_requests};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::{Capability, Error, ErrorKind, GpcCode, NhsNumber, OdsCode, PatientId};
use gpconnect_documents::{DocumentsExt, DocumentsVersion, MANDATORY_INCLUDES};
use gpconnect_testkit::MockSpine;
use wiremock::matchers::{method, path_regex, query_param};
use wiremock::{Mock, ResponseTemplate};

const SEARCH_PATIENT: &str = "urn:nhs:names:services:gpconnect:documents:fhir:rest:search:patient-1";
const SEARCH_DOCUMENTS: &str = "urn:nhs:names:services:gpconnect:documents:fhir:rest:search:documentreference-1";

fn pid(id: &str) -> PatientId {
    id.parse().unwrap()
}

/// The logical id of the Patient in the spec's document search example.
const EXAMPLE_PATIENT: &str = "04603d77-1a4e-4d63-b246-d7504f8bd833";

fn nhs() -> NhsNumber {
    NhsNumber::parse("9690937286").unwrap()
}

#[tokio::test]
async fn find_patient_returns_the_documents_servers_logical_id() {
    let spine = MockSpine::start().await;
    let found =
        spine.provider().documents().find_patient(&nhs()).send().await.unwrap().transpose().expect("known patient");
    assert_eq!(Some(found.id.as_str()), spine.patient_id("9690937286").as_ref().map(PatientId::as_str));
    assert_eq!(found.patient.nhs_number(), Some("9690937286"));

    let requests = ssp_requests(&spine).await;
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_documents_request(r, &spine, SEARCH_PATIENT);
    assert_eq!(r.fhir_path, "Patient");
    assert_eq!(r.query, vec![("identifier".to_string(), "https://fhir.nhs.uk/Id/nhs-number|9690937286".to_string())]);
    assert_eq!(r.header("ssp-traceid"), Some(found.trace_id.to_string().as_str()));
}

#[tokio::test]
async fn find_patient_answers_none_for_an_unknown_patient() {
    let spine = MockSpine::start().await;
    let unknown = NhsNumber::parse("9000000009").unwrap();
    assert!(spine.provider().documents().find_patient(&unknown).send().await.unwrap().is_none());
    assert_eq!(ssp_requests(&spine).await[0].query[0].1, "https://fhir.nhs.uk/Id/nhs-number|9000000009");
}

#[tokio::test]
async fn search_sends_the_mandatory_includes_and_every_filter_and_resolves_the_author() {
    let spine = MockSpine::start().await;
    let id = spine.patient_id("9690937286").unwrap();
    let list = spine
        .provider()
        .documents()
        .search_documents(&id)
        .created_from(NaiveDate::from_ymd_opt(2019, 6, 24).unwrap())
        .created_to(NaiveDate::from_ymd_opt(2019, 6, 30).unwrap())
        .author(&OdsCode::parse("O001").unwrap())
        .description("Discharge")
        .send()
        .await
        .unwrap();

    let requests = ssp_requests(&spine).await;
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_documents_request(r, &spine, SEARCH_DOCUMENTS);
    assert_eq!(r.fhir_path, format!("Patient/{id}/DocumentReference"));
    let mut want: Vec<(String, String)> =
        MANDATORY_INCLUDES.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    want.extend([
        ("created".into(), "ge2019-06-24".into()),
        ("created".into(), "le2019-06-30".into()),
        ("author".into(), "https://fhir.nhs.uk/Id/ods-organization-code|O001".into()),
        ("description".into(), "Discharge".into()),
    ]);
    assert_eq!(r.query, want);
    assert!(r.raw_query.contains("&_revinclude:recurse=PractitionerRole%3Apractitioner&"), "{}", r.raw_query);
    assert!(r.raw_query.starts_with("_include=DocumentReference%3Asubject%3APatient&"), "{}", r.raw_query);
    assert_eq!(r.header("ssp-traceid"), Some(list.trace_id.to_string().as_str()));

    assert_eq!(list.documents.len(), 1);
    assert_eq!(list.patient.as_ref().and_then(|p| p.id.as_deref()), Some(id.as_str()));
    let doc = &list.documents[0];
    assert_eq!(doc.id.as_deref(), Some("27863182736"));
    assert_eq!(doc.title(), Some("Discharge Summary"));
    assert_eq!(doc.document_type.as_ref().and_then(|t| t.code_in("http://snomed.info/sct")), Some("824331000000106"));
    assert_eq!(doc.created.as_ref().map(|d| d.as_str()), Some("2019-06-24T09:35:00+11:00"));
    let author = doc.author_organization.as_ref().expect("author organisation resolved");
    assert_eq!((author.name.as_deref(), author.ods_code()), (Some("The Trevelyan Practice"), Some("O001")));
    assert!(doc.author_practitioner.is_none());
    assert!(doc.custodian.is_none(), "the example has no custodian");
    assert_eq!(doc.size, Some(3654));
    assert_eq!(doc.content_type.as_deref(), Some("application/msword"));
    assert_eq!(
        doc.url.as_deref(),
        Some(
            format!("{}/Binary/07a6483f-732b-461e-86b6-edb665c45510", spine.service_root(Capability::Documents))
                .as_str()
        )
    );
    assert!(doc.is_retrievable());
    assert_eq!(doc.placeholder_reason(), None);
    assert_eq!(doc.encounter.as_ref().and_then(|e| e.reference.as_deref()), Some("Encounter/4"));
}

#[tokio::test]
async fn search_sends_the_documents_1_0_type_and_facility_filters() {
    let spine = MockSpine::start().await;
    let id = spine.patient_id("9690937286").unwrap();
    spine
        .provider()
        .documents()
        .search_documents(&id)
        .version(DocumentsVersion::V1_0)
        .document_type("http://snomed.info/sct", "824331000000106")
        .facility("http://snomed.info/sct", "1060971000000108")
        .send()
        .await
        .unwrap();
    let r = &ssp_requests(&spine).await[0];
    assert_documents_request(r, &spine, SEARCH_DOCUMENTS);
    // The documents 1.0.x form: DocumentReference?subject=Patient/{id} and its includes.
    assert_eq!(r.fhir_path, "DocumentReference");
    assert_eq!(r.query_values("subject"), vec![format!("Patient/{id}")]);
    assert_eq!(
        r.query_values("_include"),
        vec![
            "DocumentReference:patient",
            "DocumentReference:custodian:Organization",
            "DocumentReference:author:Organization"
        ]
    );
    assert!(r.query_values("_revinclude:recurse").is_empty());
    assert_eq!(r.query.len(), 6);
    assert_eq!(r.query_values("type"), vec!["http://snomed.info/sct|824331000000106"]);
    assert_eq!(r.query_values("facility"), vec!["http://snomed.info/sct|1060971000000108"]);
}

#[tokio::test]
async fn the_search_form_is_chosen_from_the_documents_capability_statement() {
    let cs = |v: Option<&str>| gpconnect_core::fhir::CapabilityStatement {
        version: v.map(str::to_owned),
        ..Default::default()
    };
    assert_eq!(DocumentsVersion::of(&cs(Some("1.0.1"))), DocumentsVersion::V1_0);
    assert_eq!(DocumentsVersion::of(&cs(Some("1.0.0"))), DocumentsVersion::V1_0);
    assert_eq!(DocumentsVersion::of(&cs(Some("1.6.0"))), DocumentsVersion::Current);
    assert_eq!(DocumentsVersion::of(&cs(None)), DocumentsVersion::Current);

    // The current form refuses the 1.0.x-only filters instead of sending what providers ignore.
    let spine = MockSpine::start().await;
    let err = spine
        .provider()
        .documents()
        .search_documents(&pid("2"))
        .document_type("http://snomed.info/sct", "824331000000106")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(InvalidInput::Parameter { parameter: "type", .. })), "{err:?}");
    assert!(ssp_requests(&spine).await.is_empty());
}

#[tokio::test]
async fn search_resolves_a_practitioner_author_and_their_organisation() {
    let spine = MockSpine::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"/gpconnect/documents/Patient/04603d77-1a4e-4d63-b246-d7504f8bd833/DocumentReference$"))
        .and(query_param("_revinclude:recurse", "PractitionerRole:practitioner"))
        .and(query_param("_include", "DocumentReference:author:Practitioner"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            gpconnect_testkit::fixture("access-record__GET_Patient-id-DocumentReference__response-200__example.json"),
            "application/fhir+json;charset=utf-8",
        ))
        .with_priority(1)
        .expect(1)
        .mount(spine.server())
        .await;
    // The example's own patient: an answer about another patient is refused.
    let list = spine.provider().documents().search_documents(&pid(EXAMPLE_PATIENT)).send().await.unwrap();
    let doc = &list.documents[0];
    let practitioner = doc.author_practitioner.as_ref().expect("practitioner resolved");
    assert_eq!(practitioner.id.as_deref(), Some("6c41ebfd-57c3-4162-9d7b-208c171a2fd7"));
    let org = doc.author_organization.as_ref().expect("organisation from the PractitionerRole");
    assert_eq!(org.id.as_deref(), Some("db67f447-b30d-442a-8e31-6918d1367eeb"));
}

#[tokio::test]
async fn search_filters_by_created_date_in_the_mock() {
    let spine = MockSpine::start().await;
    let id = spine.patient_id("9690937286").unwrap();
    let list = spine
        .provider()
        .documents()
        .search_documents(&id)
        .created_from(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap())
        .send()
        .await
        .unwrap();
    assert!(list.documents.is_empty());
    assert_eq!(ssp_requests(&spine).await[0].query_values("created"), vec!["ge2020-01-01"]);
}

#[tokio::test]
async fn search_for_an_unknown_patient_is_not_found() {
    let spine = MockSpine::start().await;
    let err = spine.provider().documents().search_documents(&pid("999")).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some(GpcCode::PatientNotFound));
    assert_eq!(err.status(), Some(404));
}

fn parameter_of(err: &Error) -> &'static str {
    match err {
        Error::InvalidInput(InvalidInput::Parameter { parameter, .. }) => parameter,
        other => panic!("expected an invalid parameter, got {other:?}"),
    }
}

#[tokio::test]
async fn invalid_search_input_is_rejected_before_sending() {
    let spine = MockSpine::start().await;
    let docs = spine.provider().documents();
    let d = |m, d| NaiveDate::from_ymd_opt(2024, m, d).unwrap();
    const V1_0: DocumentsVersion = DocumentsVersion::V1_0;
    let cases = [
        (docs.search_documents(&pid("2")).created_from(d(5, 2)).created_to(d(5, 1)), "created"),
        (docs.search_documents(&pid("2")).description("   "), "description"),
        (docs.search_documents(&pid("2")).description("a\nb"), "description"),
        (docs.search_documents(&pid("2")).version(V1_0).document_type("snomed", "123"), "type"),
        (docs.search_documents(&pid("2")).version(V1_0).document_type("http://snomed.info/sct", "1|2"), "type"),
        (docs.search_documents(&pid("2")).version(V1_0).facility("http://snomed.info/sct", ""), "facility"),
    ];
    // A bad patient id cannot reach a search: it is a typed PatientId.
    assert!("bad/id".parse::<PatientId>().is_err() && "".parse::<PatientId>().is_err());
    for (search, parameter) in cases {
        let err = search.send().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(parameter_of(&err), parameter);
    }
    // The same day for both bounds is a valid range.
    docs.search_documents(&pid("1")).created_from(d(5, 1)).created_to(d(5, 1)).send().await.unwrap();
    assert_eq!(ssp_requests(&spine).await.len(), 1, "only the valid search was sent");
}

#[tokio::test]
async fn the_mock_rejects_a_search_without_the_mandatory_includes_or_with_a_non_ods_author() {
    use gpconnect_core::{InteractionId, Request};
    let spine = MockSpine::start().await;
    let provider = spine.provider();
    let id = spine.patient_id("9690937286").unwrap();
    let path = format!("Patient/{id}/DocumentReference");
    let mut partial = Request::get(InteractionId::SearchDocuments, path.clone());
    for (name, value) in &MANDATORY_INCLUDES[..4] {
        partial = partial.query(*name, *value);
    }
    let err = provider.send(partial).await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(422), Some(GpcCode::InvalidParameter)));

    let mut bad_author = Request::get(InteractionId::SearchDocuments, path);
    for (name, value) in MANDATORY_INCLUDES {
        bad_author = bad_author.query(name, value);
    }
    let err = provider.send(bad_author.query("author", "https://fhir.nhs.uk/Id/sds-user-id|G1")).await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(422), Some(GpcCode::InvalidParameter)));
}
