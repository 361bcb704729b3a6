//! Every Access Document example payload of the spec parses.

use gpconnect_core::fhir::{Bundle, FhirResource, OperationOutcome, Patient};
use gpconnect_documents::DocumentList;

fn bundle(name: &str) -> Bundle {
    Bundle::from_slice(gpconnect_testkit::fixture(name).as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_document_search_examples_parse_into_documents() {
    for name in [
        "documents__search-documentreference__response-bundle.json",
        "access-record__GET_Patient-id-DocumentReference__response-200__example.json",
    ] {
        let list = DocumentList::from_bundle(&bundle(name)).unwrap();
        assert_eq!(list.documents.len(), 1, "{name}");
        let doc = &list.documents[0];
        assert_eq!(doc.title(), Some("Discharge Summary"));
        assert_eq!(doc.size, Some(3654));
        assert!(doc.url.as_deref().is_some_and(|u| u.ends_with("/Binary/07a6483f-732b-461e-86b6-edb665c45510")));
        assert!(doc.is_retrievable());
        assert!(doc.author_organization.is_some(), "{name}");
        assert_eq!(list.patient.as_ref().and_then(|p| p.id.as_deref()), Some("04603d77-1a4e-4d63-b246-d7504f8bd833"));
    }
}

#[test]
fn the_documents_patient_search_example_parses() {
    let b = bundle("access-record__GET_documents-Patient-id__response-200__example.json");
    let patients: Vec<Patient> = b.resources_of(Patient::TYPE).map(|r| r.parse().unwrap()).collect();
    assert_eq!(patients.len(), 1);
    assert_eq!(patients[0].id.as_deref(), Some("2"));
}

#[test]
fn the_documents_error_examples_parse() {
    for (name, code) in [
        ("access-record__GET_Patient-id-DocumentReference__response-4XX__example.json", "PATIENT_NOT_FOUND"),
        ("access-record__GET_documents-Patient-id__response-4XX__example.json", "INVALID_NHS_NUMBER"),
        ("access-record__GET_documents-Binary-id__response-4XX__example.json", "NO_RECORD_FOUND"),
    ] {
        let outcome: OperationOutcome = serde_json::from_str(gpconnect_testkit::fixture(name)).unwrap();
        let coding = outcome.issue[0].details.as_ref().unwrap().coding[0].code.as_deref();
        assert_eq!(coding, Some(code), "{name}");
    }
}

#[test]
fn placeholders_report_their_reason() {
    let mut json: serde_json::Value =
        serde_json::from_str(gpconnect_testkit::fixture("documents__search-documentreference__response-bundle.json"))
            .unwrap();
    let attachment = json
        .pointer_mut("/entry/1/resource/content/0/attachment")
        .expect("the example's DocumentReference is the second entry");
    attachment["title"] = "File too large (over 5 MB)".into();
    attachment["size"] = (6 * 1024 * 1024).into();
    let b = Bundle::from_slice(json.to_string().as_bytes()).unwrap();
    let list = DocumentList::from_bundle(&b).unwrap();
    assert_eq!(list.documents[0].placeholder_reason(), Some("File too large (over 5 MB)"));
    assert_eq!(list.retrievable().count(), 0);

    let attachment = json.pointer_mut("/entry/1/resource/content/0/attachment").unwrap();
    attachment.as_object_mut().unwrap().remove("title");
    let b = Bundle::from_slice(json.to_string().as_bytes()).unwrap();
    let doc = &DocumentList::from_bundle(&b).unwrap().documents[0];
    assert!(doc.placeholder_reason().is_some_and(|r| r.contains("limit")));
}

#[test]
fn a_provider_id_never_becomes_a_path_as_it_is() {
    let mut json: serde_json::Value =
        serde_json::from_str(gpconnect_testkit::fixture("documents__search-documentreference__response-bundle.json"))
            .unwrap();
    for (id, expected) in
        [("../../etc/passwd", "______etc_passwd"), ("C:\\x", "C__x"), (".hidden", "_hidden"), ("", "document")]
    {
        json["entry"][1]["resource"]["id"] = id.into();
        let b = Bundle::from_slice(json.to_string().as_bytes()).unwrap();
        let name = DocumentList::from_bundle(&b).unwrap().documents[0].file_name();
        assert!(name.starts_with(expected) && !name.contains('/') && !name.contains('\\'), "{id} -> {name}");
    }
}
