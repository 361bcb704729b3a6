//! Document search answers as providers really send them: one bad field costs one field,
//! an item without identity or repeated is left out and reported, and an answer about
//! another patient is a typed patient-safety error. Hand-made bodies served by the mock.

use crate::common;

use common::ssp_requests;
use gpconnect_core::fhir::lenient::{Problem, ProblemKind};
use gpconnect_core::{Error, ErrorKind, PatientMismatch};
use gpconnect_documents::DocumentsExt;
use gpconnect_testkit::MockSpine;
use serde_json::{json, Value};
use wiremock::matchers::{header, header_exists, method, path_regex, query_param};
use wiremock::{Mock, ResponseTemplate};

const SEARCH_DOCUMENTS: &str = "urn:nhs:names:services:gpconnect:documents:fhir:rest:search:documentreference-1";
const PATIENT: &str = "p1";

fn patient(id: &str, nhs: &str) -> Value {
    json!({ "resourceType": "Patient", "id": id,
            "identifier": [{ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs }] })
}

fn document(id: &str, subject: Value) -> Value {
    json!({
        "resourceType": "DocumentReference", "id": id, "status": "current",
        "subject": subject,
        "type": { "text": "Letter" },
        "created": "2019-06-24T09:35:00+00:00",
        "content": [{ "attachment": { "url": format!("https://p/Binary/{id}"), "contentType": "application/pdf", "size": 10 } }]
    })
}

fn bundle(resources: Vec<Value>) -> Value {
    let entry: Vec<Value> = resources.into_iter().map(|r| json!({ "resource": r })).collect();
    json!({ "resourceType": "Bundle", "type": "searchset", "entry": entry })
}

/// Serves `body` to the search for [`PATIENT`] and runs that search.
async fn search(body: Value) -> (MockSpine, gpconnect_core::Result<gpconnect_documents::DocumentList>) {
    search_with(body, None).await
}

/// [`search`], telling the search the NHS number of the patient found earlier, when given.
async fn search_with(
    body: Value,
    nhs: Option<&str>,
) -> (MockSpine, gpconnect_core::Result<gpconnect_documents::DocumentList>) {
    let spine = MockSpine::start().await;
    // The request as the wire tests check it: method, path, interaction, headers.
    Mock::given(method("GET"))
        .and(path_regex(format!("/gpconnect/documents/Patient/{PATIENT}/DocumentReference$")))
        .and(query_param("_include", "DocumentReference:subject:Patient"))
        .and(header("ssp-interactionid", SEARCH_DOCUMENTS))
        .and(header("ssp-from", spine.consumer_asid()))
        .and(header("ssp-to", spine.provider_asid()))
        .and(header("accept", "application/fhir+json;charset=utf-8"))
        .and(header_exists("ssp-traceid"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/fhir+json;charset=utf-8"))
        .with_priority(1)
        .expect(1)
        .mount(spine.server())
        .await;
    let mut search = spine.provider().documents().search_documents(&PATIENT.parse().unwrap());
    if let Some(nhs) = nhs {
        search = search.nhs_number(&nhs.parse().unwrap());
    }
    let result = search.send().await.map(|t| t.into_inner());
    assert!(ssp_requests(&spine).await.is_empty(), "answered by the hand-made body only");
    (spine, result)
}

fn paths(problems: &[Problem]) -> Vec<String> {
    let mut paths: Vec<String> =
        problems.iter().map(|p| format!("{}.{}", p.resource_type, p.path().unwrap_or("-"))).collect();
    paths.sort();
    paths
}

#[tokio::test]
async fn a_wrong_shaped_field_costs_only_that_field_and_is_named() {
    let subject = json!({ "reference": format!("Patient/{PATIENT}") });
    let mut broken = document("d1", subject.clone());
    broken["created"] = json!(["2019-06-24T09:35:00+00:00"]); // an array where one value belongs
    broken["content"][0]["attachment"]["size"] = json!("3654"); // a number sent as a string
    broken["status"] = json!("curent"); // an unknown code
    broken["indexed"] = json!("2019-06-24 09:35"); // a date in a neighbouring format
    broken["description"] = json!({ "text": "not a string" }); // an object where text belongs
    broken["custodian"] = json!({ "reference": "Organization/o1" });
    let custodian = json!({ "resourceType": "Organization", "id": "o1", "name": ["The Practice"] });
    let fine = document("d2", subject.clone());
    let (_spine, result) = search(bundle(vec![patient(PATIENT, "9690937286"), broken, custodian, fine])).await;
    let list = result.unwrap();

    assert_eq!(list.documents.len(), 2, "the document with bad fields is kept");
    let doc = &list.documents[0];
    assert_eq!(doc.id.as_deref(), Some("d1"));
    assert_eq!(doc.created.as_ref().map(|d| d.as_str()), Some("2019-06-24T09:35:00+00:00"));
    assert_eq!(doc.size, Some(3654));
    assert_eq!(doc.status.as_deref(), Some("curent"), "an unknown code is kept as sent");
    assert_eq!(doc.indexed.as_ref().map(|d| d.as_str()), Some("2019-06-24 09:35"), "kept as written");
    assert_eq!(doc.description, None);
    assert_eq!(doc.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(doc.url.as_deref(), Some("https://p/Binary/d1"));
    assert!(doc.is_retrievable());
    assert_eq!(doc.custodian.as_ref().and_then(|o| o.name.as_deref()), Some("The Practice"));
    assert_eq!(
        paths(doc.problems()),
        [
            "DocumentReference.content[0].attachment.size",
            "DocumentReference.created",
            "DocumentReference.description",
            "DocumentReference.indexed",
            "DocumentReference.status",
        ]
    );
    let kind_of = |path: &str| doc.problems().iter().find(|p| p.path() == Some(path)).map(|p| p.kind.clone());
    assert_eq!(kind_of("status"), Some(ProblemKind::UnknownCode { path: "status".into() }));
    assert_eq!(kind_of("indexed"), Some(ProblemKind::MalformedDate { path: "indexed".into() }));
    assert!(doc.problems().iter().all(|p| p.entry == Some(1) && !p.lost_item()));
    assert!(list.documents[1].problems().is_empty());

    // The list carries the document's problems and the custodian's, once each.
    let mut want = paths(doc.problems());
    want.push("Organization.name".into());
    want.sort();
    assert_eq!(paths(list.problems()), want);
    // No value the provider wrote is in any problem's text.
    let text = format!("{:?} {}", list.problems(), list.problems().iter().map(|p| p.to_string()).collect::<String>());
    for value in ["3654", "curent", "09:35", "not a string", "The Practice", "d1", "o1"] {
        assert!(!text.contains(value), "{value} in {text}");
    }
}

#[tokio::test]
async fn items_without_identity_and_second_copies_are_left_out_and_reported() {
    let subject = json!({ "reference": format!("Patient/{PATIENT}") });
    let mut anonymous = document("x", subject.clone());
    anonymous.as_object_mut().unwrap().remove("id");
    anonymous["content"] = json!([{ "attachment": { "contentType": "application/pdf" } }]);
    let mut copy = document("d1", subject.clone());
    copy["description"] = json!("the second copy");
    let mut placeholder = document("d2", subject.clone());
    placeholder.as_object_mut().unwrap().remove("id"); // no id, but a URL: kept
    let (_spine, result) = search(bundle(vec![
        document("d1", subject.clone()),
        anonymous,
        copy,
        placeholder,
        patient(PATIENT, "9690937286"),
    ]))
    .await;
    let list = result.unwrap();
    let ids: Vec<_> = list.documents.iter().map(|d| d.id.as_deref()).collect();
    assert_eq!(ids, [Some("d1"), None]);
    assert_eq!(list.documents[0].description, None, "the first copy is kept");
    assert_eq!(list.documents[1].url.as_deref(), Some("https://p/Binary/d2"));
    let lost: Vec<_> = list.problems().iter().map(|p| (p.entry, p.kind.clone())).collect();
    assert_eq!(lost, [(Some(1), ProblemKind::NoIdentity), (Some(2), ProblemKind::Duplicate)]);
    assert!(list.problems().iter().all(Problem::lost_item));
    assert_eq!(list.patient.as_ref().and_then(|p| p.id.as_deref()), Some(PATIENT));
}

#[tokio::test]
async fn an_answer_about_another_patient_is_a_wrong_patient_error() {
    let ours = || json!({ "reference": format!("Patient/{PATIENT}") });
    let by_nhs = |nhs: &str| json!({ "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs } });
    let anonymous = |nhs: &str| {
        let mut p = patient("-", nhs);
        p.as_object_mut().unwrap().remove("id");
        p
    };
    let cases = [
        // A document whose subject is someone else.
        (
            vec![document("d1", ours()), document("d2", json!({ "reference": "Patient/p2" }))],
            PatientMismatch::OtherPatientId,
        ),
        // The same, as an absolute reference inside an array.
        (
            vec![document("d1", json!([ours(), { "reference": "https://p/fhir/Patient/p2" }]))],
            PatientMismatch::OtherPatientId,
        ),
        // The included Patient is someone else.
        (vec![document("d1", ours()), patient("p2", "9690937278")], PatientMismatch::OtherPatientId),
        // Two included Patients of the asked id with different NHS numbers.
        (
            vec![document("d1", ours()), patient(PATIENT, "9690937286"), patient(PATIENT, "9690937278")],
            PatientMismatch::OtherPatient,
        ),
        // A subject by NHS number that is not the included patient's.
        (
            vec![
                document(
                    "d1",
                    json!({ "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9690937278" } }),
                ),
                patient(PATIENT, "9690937286"),
            ],
            PatientMismatch::OtherPatient,
        ),
        // A document that names no patient, or not a Patient.
        (vec![document("d1", Value::Null)], PatientMismatch::NoPatient),
        (vec![document("d1", json!({ "reference": "Group/p1" }))], PatientMismatch::NoPatient),
        (
            vec![document("d1", json!({ "reference": "urn:uuid:0b6c1f5c-0000-4000-8000-000000000000" }))],
            PatientMismatch::NoPatient,
        ),
        // A subject by NHS number vouched for only by an included Patient without an id.
        (vec![document("d1", by_nhs("9690937278")), anonymous("9690937278")], PatientMismatch::NoNhsNumber),
    ];
    for (resources, expected) in cases {
        let (_spine, result) = search(bundle(resources)).await;
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongPatient, "{err:?}");
        assert!(matches!(err, Error::WrongPatient { problem, .. } if problem == expected), "{err:?}");
        let text = format!("{err} {err:?}");
        assert!(!text.contains("9690937278") && !text.contains("p2"), "{text}");
        assert!(text.contains(&expected.to_string()), "the text names what differed: {text}");
        assert!(err.trace_id().is_some());
    }

    // With the NHS number of the patient found earlier: an id-less Patient or an
    // NHS-number subject of someone else is refused; the patient's own is accepted.
    for (resources, expected) in [
        (vec![document("d1", ours()), anonymous("9690937278")], Some(PatientMismatch::OtherPatient)),
        (vec![document("d1", by_nhs("9690937278"))], Some(PatientMismatch::OtherPatient)),
        (vec![document("d1", by_nhs("969 093 7286")), anonymous("9690937286")], None),
    ] {
        let (_spine, result) = search_with(bundle(resources), Some("9690937286")).await;
        match expected {
            Some(expected) => {
                let err = result.unwrap_err();
                assert!(matches!(err, Error::WrongPatient { problem, .. } if problem == expected), "{err:?}");
            }
            None => assert_eq!(result.unwrap().documents.len(), 1),
        }
    }
}

#[tokio::test]
async fn subjects_by_full_url_or_nhs_number_of_the_asked_patient_are_accepted() {
    let full_url = "urn:uuid:0b6c1f5c-0000-4000-8000-000000000000";
    let by_nhs = json!({ "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": "969 093 7286" } });
    let mut body = bundle(vec![
        document("d1", json!({ "reference": full_url })),
        document("d2", by_nhs),
        document("d3", json!({ "reference": format!("https://p/fhir/Patient/{PATIENT}/_history/2") })),
    ]);
    body["entry"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "fullUrl": full_url, "resource": patient(PATIENT, "9690937286") }));
    let (_spine, result) = search(body).await;
    assert_eq!(result.unwrap().documents.len(), 3);
}
