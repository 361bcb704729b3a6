//! Right patient on the foundations reads: `read_patient` answered with another Patient
//! (another logical id, or none) is `WrongPatient`, never data; on the wire via wiremock.

use gpconnect_core::{
    Capability, Client, Error, ErrorKind, InteractionId, PatientMismatch, Provider, RetryPolicy, ServiceRoot, SspConfig,
};
use gpconnect_testkit::{test_consumer, test_user};
use serde_json::json;
use wiremock::matchers::{header, method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ROOT: &str = "https://provider.example/A20047/STU3/1/gpconnect";

fn provider(ssp: &MockServer) -> Provider {
    Client::builder()
        .ssp(
            SspConfig::new(ssp.uri(), "200000000115".parse().unwrap())
                .http(|h| h.allow_http(true).retry(RetryPolicy { max_attempts: 1, ..RetryPolicy::default() })),
        )
        .consumer(test_consumer())
        .build()
        .unwrap()
        .provider(&"A20047".parse().unwrap())
        .with_root(Capability::Foundations, ServiceRoot::new(ROOT, "200000000116".parse().unwrap()).unwrap())
        .with_user(test_user())
}

async fn serve(patient: serde_json::Value) -> MockServer {
    let ssp = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"/provider\.example/A20047/STU3/1/gpconnect/Patient/2$"))
        .and(header("ssp-interactionid", InteractionId::ReadPatient.urn()))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(patient.to_string(), "application/fhir+json;charset=utf-8"),
        )
        .expect(1)
        .mount(&ssp)
        .await;
    ssp
}

#[tokio::test]
async fn read_patient_answered_with_the_id_read_is_the_patient() {
    let ssp = serve(json!({ "resourceType": "Patient", "id": "2", "active": true })).await;
    let patient = provider(&ssp).foundations().read_patient(&"2".parse().unwrap()).send().await.unwrap();
    assert_eq!(patient.id.as_deref(), Some("2"));
}

#[tokio::test]
async fn read_patient_answered_with_another_patient_is_wrong_patient() {
    for (answer, expected) in [
        (json!({ "resourceType": "Patient", "id": "someone-else" }), PatientMismatch::OtherPatientId),
        (json!({ "resourceType": "Patient" }), PatientMismatch::NoPatient),
    ] {
        let ssp = serve(answer).await;
        let err = provider(&ssp).foundations().read_patient(&"2".parse().unwrap()).send().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongPatient, "{err:?}");
        assert!(matches!(err, Error::WrongPatient { problem, .. } if problem == expected), "{err:?}");
        assert!(err.trace_id().is_some());
        let text = format!("{err} {err:?}");
        assert!(text.contains(&expected.to_string()) && !text.contains("someone-else"), "{text}");
    }
}
