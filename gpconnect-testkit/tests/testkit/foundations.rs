use crate::common;

use common::{Call, FHIR_JSON};
use gpconnect_core::{Capability, InteractionId};
use gpconnect_testkit::fixtures::fixture_json;
use gpconnect_testkit::{MockSpine, Verdict};
use serde_json::Value;

const NHS: &str = "https://fhir.nhs.uk/Id/nhs-number";

fn patient_search(spine: &MockSpine, nhs: &str) -> Call {
    let mut call = Call::new(spine, InteractionId::SearchPatient, "Patient");
    call.url = format!("{}?identifier={NHS}%7C{nhs}", call.url);
    call
}

#[tokio::test]
async fn patient_search_answers_the_spec_bundle_with_the_nhs_number() {
    let spine = MockSpine::start().await;
    let ((status, _, body), headers) = patient_search(&spine, "9690937286").get_with_headers().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], FHIR_JSON);
    assert_eq!(headers["cache-control"], "no-store");
    let mut want = fixture_json("foundations__find-patient-response.json");
    let patient = want.pointer_mut("/entry/0/resource").unwrap();
    patient["identifier"][0]["value"] = "9690937286".into();
    patient["id"] = spine.patient_id("9690937286").unwrap().as_str().into();
    assert_eq!(body, want);

    let received = spine.received().await;
    assert_eq!(received.len(), 1);
    let r = &received[0];
    assert_eq!(r.verdict, Verdict::Accepted);
    assert_eq!(r.method, "GET");
    assert!(r.path.starts_with("/https://provider.testkit.invalid/"), "{}", r.path);
    assert_eq!(r.service_root.as_deref(), Some(spine.service_root(Capability::Foundations).as_str()));
    assert_eq!(r.fhir_path, "Patient");
    assert_eq!(r.query, vec![("identifier".to_string(), format!("{NHS}|9690937286"))]);
    assert_eq!(r.interaction, Some(InteractionId::SearchPatient));
    let claims = r.claims.as_ref().unwrap();
    assert_eq!(claims["requested_scope"], "patient/*.read");
    assert_eq!(claims["aud"], spine.service_root(Capability::Foundations).as_str());
    assert_eq!(r.header("Ssp-From"), Some("200000000115"));
    let debug = format!("{r:?}");
    assert!(!debug.contains("9690937286"), "{debug}");
    assert!(!format!("{spine:?}").contains("9690937286"));
}

#[tokio::test]
async fn patient_search_unknown_invalid_and_wrong_system() {
    let spine = MockSpine::start().await;
    let (status, _, body) = patient_search(&spine, "9000000009").get().await;
    assert_eq!((status, body["type"].as_str(), body.get("entry")), (200, Some("searchset"), None));

    let (status, code, _) = patient_search(&spine, "9690937287").get().await;
    assert_eq!((status, code.as_deref()), (400, Some("INVALID_NHS_NUMBER")));

    let mut call = Call::new(&spine, InteractionId::SearchPatient, "Patient");
    call.url = format!("{}?identifier=https://example.invalid/nhs%7C9690937286", call.url);
    let (status, code, _) = call.get().await;
    assert_eq!((status, code.as_deref()), (400, Some("INVALID_IDENTIFIER_SYSTEM")));

    spine.remove_patient("9690937286");
    let (_, _, body) = patient_search(&spine, "9690937286").get().await;
    assert_eq!(body.get("entry"), None);
    let id = spine.add_patient("9000000009");
    let (_, _, body) = patient_search(&spine, "9000000009").get().await;
    assert_eq!(body.pointer("/entry/0/resource/id").and_then(Value::as_str), Some(id.as_str()));
}

#[tokio::test]
async fn reads_answer_fixtures_with_etag_or_not_found() {
    let spine = MockSpine::start().await;
    let id = spine.patient_id("9476719931").unwrap();
    let ((status, _, body), headers) =
        Call::new(&spine, InteractionId::ReadPatient, &format!("Patient/{id}")).get_with_headers().await;
    assert_eq!((status, body["resourceType"].as_str()), (200, Some("Patient")));
    assert_eq!(headers["etag"], "W/\"1469448000000\"");

    let cases = [
        (InteractionId::ReadPatient, "Patient/999", 404, Some("PATIENT_NOT_FOUND")),
        (InteractionId::ReadOrganization, "Organization/23", 200, None),
        (InteractionId::ReadOrganization, "Organization/1", 404, Some("ORGANISATION_NOT_FOUND")),
        (InteractionId::ReadPractitioner, "Practitioner/15", 200, None),
        (InteractionId::ReadPractitioner, "Practitioner/1", 404, Some("PRACTITIONER_NOT_FOUND")),
        (InteractionId::ReadLocation, "Location/17", 200, None),
        (InteractionId::ReadLocation, "Location/1", 404, Some("NO_RECORD_FOUND")),
        (InteractionId::ReadMetadata, "metadata", 200, None),
        (
            InteractionId::SearchOrganization,
            "Organization?identifier=https://fhir.nhs.uk/Id/ods-organization-code%7CA20047",
            200,
            None,
        ),
        (
            InteractionId::SearchPractitioner,
            "Practitioner?identifier=https://fhir.nhs.uk/Id/sds-user-id%7C111122223333",
            200,
            None,
        ),
    ];
    for (interaction, path, want_status, want_code) in cases {
        let (status, code, body) = Call::new(&spine, interaction, path).get().await;
        assert_eq!((status, code.as_deref()), (want_status, want_code), "{path}: {body}");
    }
}

#[tokio::test]
async fn collapsed_double_slash_is_accepted() {
    let spine = MockSpine::start().await;
    let mut call = Call::new(&spine, InteractionId::ReadMetadata, "metadata");
    call.url = call.url.replace("/https://", "/https:/");
    let (status, _, body) = call.get().await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn unknown_root_and_unknown_route() {
    let spine = MockSpine::start().await;
    let mut call = Call::new(&spine, InteractionId::ReadMetadata, "metadata");
    call.url = format!("{}/https://elsewhere.invalid/X1/STU3/1/gpconnect/metadata", spine.ssp_url());
    let (status, _, body) = call.get().await;
    assert_eq!(status, 400);
    assert!(body["issue"][0]["diagnostics"]
        .as_str()
        .unwrap()
        .contains("_VARIES_FROM_TARGETURL_https://elsewhere.invalid"));

    let (status, code, _) = Call::new(&spine, InteractionId::ReadMetadata, "Nothing/1").get().await;
    assert_eq!((status, code.as_deref()), (501, Some("NOT_IMPLEMENTED")));
}
