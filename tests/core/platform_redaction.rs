//! Tokens, keys and patient details never reach logs or error text on the API platform
//! path: a run with every tracing event captured at TRACE level (its own test binary, so
//! no other test's callsites share the subscriber).

use gpconnect_core::platform::{NhsLogin, PlatformApi, PlatformClient, PlatformRequest};
use gpconnect_core::InteractionId;
use gpconnect_testkit::platform::{id_token, MockTokenEndpoint, NHS_LOGIN_CLIENT_ID, TEST_API_KEY};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn access_token_expired() -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_raw(
        br#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden",
        "details":{"coding":[{"code":"ACCESS_DENIED","display":"Access Token for GPC Expired"}]}}]}"#
            .to_vec(),
        "application/fhir+json",
    )
}

fn tasks() -> PlatformRequest {
    PlatformRequest::get(InteractionId::SearchPrescriptionRequests, PlatformApi::Prescriptions, "Task")
        .query("patient", "9000000009")
}

#[path = "../support/logs.rs"]
mod logs;
use logs::Logs;

#[tokio::test]
async fn tokens_keys_and_patients_never_reach_logs_or_error_text() {
    let (capture, _guard) = Logs::capture_trace();

    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    Mock::given(method("GET")).and(path("/Task")).respond_with(access_token_expired()).mount(&api).await;
    let client = PlatformClient::new(tokens.config().api_base(PlatformApi::Prescriptions, api.uri())).unwrap();
    let raw = id_token().build();
    let err = client.log_in(raw.clone(), None).await.unwrap().send(tasks()).await.unwrap_err();
    // An app configured for another NHS login than the platform's: the token endpoint
    // refuses the subject token (and its remote text must not be logged).
    let elsewhere = PlatformClient::new(
        tokens
            .config()
            .nhs_login(NhsLogin::new("https://evil.example", NHS_LOGIN_CLIENT_ID).with_jwks_url(tokens.jwks_url()))
            .api_base(PlatformApi::Prescriptions, api.uri()),
    )
    .unwrap();
    let refused = elsewhere
        .log_in(id_token().subject("b").issuer("https://evil.example").build(), None)
        .await
        .unwrap()
        .send(tasks())
        .await
        .unwrap_err();

    let logs = capture.text();
    assert!(logs.contains("gpconnect.platform.request"), "spans are logged: {logs}");
    let texts = format!("{logs} {err} {err:?} {refused} {refused:?}");
    let access: Vec<String> = tokens.exchanges().iter().filter_map(|e| e.access_token.clone()).collect();
    assert_eq!(access.len(), 2);
    let assertion = tokens.exchanges()[0].form[4].1.clone();
    for secret in [raw.as_str(), &access[0], &access[1], &assertion, TEST_API_KEY, "9000000009", "evil.example"] {
        assert!(!texts.contains(secret), "{secret} leaked");
    }
}
