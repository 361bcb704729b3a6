use crate::common;

use common::{claims, Call};
use gpconnect_core::{Capability, InteractionId};
use gpconnect_testkit::MockSpine;
use serde_json::{json, Value};

fn search(spine: &MockSpine) -> Call {
    let mut call = Call::new(spine, InteractionId::SearchPatient, "Patient");
    call.url = format!("{}?identifier=https://fhir.nhs.uk/Id/nhs-number%7C9690937286", call.url);
    call
}

#[tokio::test]
async fn each_missing_header_is_a_bad_request() {
    let spine = MockSpine::start().await;
    for name in ["Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID", "Accept", "Authorization"] {
        let (status, code, body) = search(&spine).header(name, "").get().await;
        assert_eq!((status, code.as_deref()), (400, Some("BAD_REQUEST")), "{name}: {body}");
        assert!(body["issue"][0]["diagnostics"].as_str().unwrap().contains(name), "{name}: {body}");
    }
    let received = spine.received().await;
    assert_eq!(received.len(), 6);
    assert!(received.iter().all(|r| r.verdict.code() == Some("BAD_REQUEST")));
}

#[tokio::test]
async fn bad_header_values() {
    let spine = MockSpine::start().await;
    let cases = [
        ("Ssp-TraceID", "not-a-uuid", 400, "BAD_REQUEST"),
        ("Ssp-From", "100000000001", 403, "403"),
        ("Ssp-To", "200000000002", 403, "403"),
        ("Ssp-InteractionID", InteractionId::ReadPatient.urn(), 400, "BAD_REQUEST"),
        ("Ssp-InteractionID", "urn:nhs:names:services:gpconnect:fhir:rest:read:nothing-1", 400, "BAD_REQUEST"),
        ("Accept", "application/json", 400, "BAD_REQUEST"),
        ("Authorization", "Basic abc", 400, "BAD_REQUEST"),
    ];
    for (name, value, want_status, want_code) in cases {
        let (status, code, body) = search(&spine).header(name, value).get().await;
        assert_eq!((status, code.as_deref()), (want_status, Some(want_code)), "{name}={value}: {body}");
    }
    let received = spine.received().await;
    assert_eq!(received[1].verdict.code(), Some("ASID_CHECK_FAILED_MESSAGESENDER"));
    assert_eq!(received[2].verdict.code(), Some("PARTYKEY_INTERACTION_CHECK_FAILED_MESSAGERECEIVER"));
}

#[tokio::test]
async fn interaction_of_another_capability_is_the_ssp_target_url_error() {
    let spine = MockSpine::start().await;
    let (status, code, body) =
        search(&spine).header("Ssp-InteractionID", InteractionId::GetStructuredRecord.urn()).get().await;
    assert_eq!((status, code.as_deref()), (400, Some("400")), "{body}");
}

#[tokio::test]
async fn each_bad_claim_is_answered_like_a_provider() {
    let spine = MockSpine::start().await;
    let root = spine.service_root(Capability::Foundations);
    let good = claims(&root, InteractionId::SearchPatient);
    let exp = good["exp"].as_i64().unwrap();
    let cases: Vec<(&str, &str, Value, u16, &str)> = vec![
        ("exp - iat != 300", "/exp", json!(exp + 60), 400, "BAD_REQUEST"),
        ("wrong scope", "/requested_scope", json!("organization/*.read"), 400, "BAD_REQUEST"),
        ("sub != practitioner id", "/sub", json!("someone-else"), 400, "BAD_REQUEST"),
        ("aud not the root", "/aud", json!("https://provider.testkit.invalid/A20047/STU3/1"), 400, "BAD_REQUEST"),
        ("empty iss", "/iss", json!(""), 400, "BAD_REQUEST"),
        ("wrong reason", "/reason_for_request", json!("migration"), 400, "BAD_REQUEST"),
        (
            "missing sds-user-id",
            "/requesting_practitioner/identifier",
            json!([{ "system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "UNK" }]),
            422,
            "INVALID_RESOURCE",
        ),
        ("device resourceType", "/requesting_device/resourceType", json!("Practitioner"), 422, "INVALID_RESOURCE"),
        (
            "practitioner resourceType",
            "/requesting_practitioner/resourceType",
            json!("Device"),
            422,
            "INVALID_RESOURCE",
        ),
        (
            "organization resourceType",
            "/requesting_organization/resourceType",
            json!("Patient"),
            422,
            "INVALID_RESOURCE",
        ),
    ];
    for (what, pointer, value, want_status, want_code) in cases {
        let mut c = good.clone();
        *c.pointer_mut(pointer).unwrap() = value;
        let (status, code, body) = search(&spine).claims(&c).get().await;
        assert_eq!((status, code.as_deref()), (want_status, Some(want_code)), "{what}: {body}");
    }
    // A practitioner with only the SDS user ID is accepted, as providers do.
    let mut c = good.clone();
    c["requesting_practitioner"]["identifier"] =
        json!([{ "system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "UNK" }]);
    assert_eq!(search(&spine).claims(&c).get().await.0, 200, "no role profile");
    // UNK SDS ids and a confidentiality scope are fine.
    let mut c = good.clone();
    c["requesting_practitioner"]["identifier"][0]["value"] = json!("UNK");
    c["requested_scope"] = json!("patient/*.read conf/N");
    let (status, _, body) = search(&spine).claims(&c).get().await;
    assert_eq!(status, 200, "{body}");

    // The log keeps decoded claims, also of rejected requests.
    let received = spine.received().await;
    assert_eq!(received[0].claims.as_ref().unwrap()["exp"], json!(exp + 60));
    assert_eq!(received.last().unwrap().claims.as_ref().unwrap()["requested_scope"], "patient/*.read conf/N");
}

#[tokio::test]
async fn token_without_trailing_dot_is_rejected() {
    let spine = MockSpine::start().await;
    let good = claims(&spine.service_root(Capability::Foundations), InteractionId::SearchPatient);
    let token = common::token(&good);
    let (status, code, _) =
        search(&spine).header("Authorization", &format!("Bearer {}", token.trim_end_matches('.'))).get().await;
    assert_eq!((status, code.as_deref()), (400, Some("BAD_REQUEST")));
}

#[tokio::test]
async fn own_mocks_win_over_the_catch_all() {
    use wiremock::matchers::path_regex;
    use wiremock::{Mock, ResponseTemplate};
    let spine = MockSpine::start().await;
    Mock::given(path_regex("/metadata$"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({})))
        .with_priority(1)
        .expect(1)
        .mount(spine.server())
        .await;
    let (status, _, _) = Call::new(&spine, InteractionId::ReadMetadata, "metadata").get().await;
    assert_eq!(status, 503);
    assert!(spine.received().await.is_empty());
}
