//! Prism, installed and started by the testkit, serving the patient-facing OpenAPI files
//! with request validation on; the SDK's platform transport against it.
#![cfg(feature = "api-platform")]

use gpconnect_core::platform::{PatientSession, PlatformApi, PlatformClient, PlatformRequest};
use gpconnect_core::{InteractionId, RetryPolicy};
use gpconnect_testkit::platform::{id_token, MockTokenEndpoint};
use gpconnect_testkit::prism::Prism;

async fn session(prism: &Prism, tokens: &MockTokenEndpoint) -> PatientSession {
    let config = prism.configure(tokens.config()).http(|h| h.retry(RetryPolicy::none()));
    let client = PlatformClient::new(config).unwrap();
    client.log_in(id_token().build(), None).await.unwrap()
}

fn resource_type(body: &[u8]) -> String {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap();
    json["resourceType"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn prescriptions_spec_answers_valid_requests_and_rejects_invalid_ones() {
    let prism = Prism::start(PlatformApi::Prescriptions).await;
    let tokens = MockTokenEndpoint::start().await;
    let patient = session(&prism, &tokens).await;
    let api = PlatformApi::Prescriptions;

    let tasks = patient
        .send(
            PlatformRequest::get(InteractionId::SearchPrescriptionRequests, api, "Task").query("patient", "9000000009"),
        )
        .await
        .unwrap();
    assert_eq!(tasks.status, 200);
    assert_eq!(resource_type(&tasks.body.0), "Bundle");

    let meds = patient
        .send(
            PlatformRequest::get(InteractionId::ReadMedicationRequests, api, "Patient/9000000009/MedicationRequest")
                .query("intent", "plan"),
        )
        .await
        .unwrap();
    assert_eq!(resource_type(&meds.body.0), "Bundle");

    let created = patient
        .send(PlatformRequest::post(
            InteractionId::RequestPrescription,
            api,
            "Task",
            r#"{"resourceType":"Task","status":"requested","intent":"order"}"#,
        ))
        .await
        .unwrap();
    assert_eq!(created.status, 201);
    assert_eq!(resource_type(&created.body.0), "Task");

    // Request validation is on: GET /Task without its required `patient` is refused.
    let err =
        patient.send(PlatformRequest::get(InteractionId::SearchPrescriptionRequests, api, "Task")).await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert!(err.operation_outcome().is_some());
    assert_eq!(tokens.exchanges().len(), 1);
}

#[tokio::test]
async fn appointments_spec_answers_valid_requests_and_rejects_invalid_ones() {
    let prism = Prism::start(PlatformApi::Appointments).await;
    let tokens = MockTokenEndpoint::start().await;
    let patient = session(&prism, &tokens).await;
    let api = PlatformApi::Appointments;

    let one = patient.send(PlatformRequest::get(InteractionId::ReadAppointment, api, "Appointment/1")).await.unwrap();
    assert_eq!(resource_type(&one.body.0), "Appointment");

    let slots = patient
        .send(
            PlatformRequest::get(InteractionId::SearchFreeSlots, api, "Slot")
                .query("start", "ge2020-05-09")
                .query("end", "le2020-05-10")
                .query("status", "free")
                .query("_include", "Slot:schedule"),
        )
        .await
        .unwrap();
    assert_eq!(resource_type(&slots.body.0), "Bundle");

    let err = patient
        .send(PlatformRequest::get(InteractionId::SearchFreeSlots, api, "Slot").query("start", "ge2020-05-09"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422));
}

#[tokio::test]
async fn access_record_spec_answers_valid_requests() {
    let prism = Prism::start(PlatformApi::AccessRecord).await;
    let tokens = MockTokenEndpoint::start().await;
    let patient = session(&prism, &tokens).await;
    let api = PlatformApi::AccessRecord;

    let found = patient
        .send(PlatformRequest::get(InteractionId::SearchDocumentsPatient, api, "documents/Patient/9000000009"))
        .await
        .unwrap();
    assert_eq!(resource_type(&found.body.0), "Bundle");

    let record = patient
        .send(PlatformRequest::post(
            InteractionId::GetStructuredRecord,
            api,
            "Patient/$gpc.getstructuredrecord",
            gpconnect_testkit::fixture(
                "access-record__POST_Patient-gpc-getstructuredrecord__request__fullRecordRequest.json",
            ),
        ))
        .await
        .unwrap();
    assert_eq!(resource_type(&record.body.0), "Bundle");
}

#[tokio::test]
async fn one_shared_prism_per_api_and_process() {
    let a = Prism::shared(PlatformApi::Prescriptions).await;
    let b = Prism::shared(PlatformApi::Prescriptions).await;
    assert_eq!(a.url(), b.url());
    assert!(a.url().starts_with("http://127.0.0.1:"));
}
