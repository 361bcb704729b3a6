//! The API platform transport and NHS login token exchange, on the wire: against the
//! testkit's mock token endpoint (which checks the client assertion's RS512 signature and
//! every claim) and a wiremock API server.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gpconnect_core::error::{AuthProblem, ConfigError, DecodeProblem, IdTokenCheck, TokenRefusal};
use gpconnect_core::platform::{
    Environment, NhsLogin, PatientSession, PlatformApi, PlatformClient, PlatformConfig, PlatformRequest,
};
use gpconnect_core::{Error, ErrorKind, GpcCode, InteractionId, RetryPolicy};
use gpconnect_testkit::fixture;
use gpconnect_testkit::platform::{id_token, MockTokenEndpoint, NHS_LOGIN_CLIENT_ID, TEST_API_KEY, TEST_KID};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TASKS: &str = "/Task";

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(5),
    }
}

fn config(tokens: &MockTokenEndpoint, api: &MockServer) -> PlatformConfig {
    tokens
        .config()
        .api_base(PlatformApi::Prescriptions, api.uri())
        .api_base(PlatformApi::AccessRecord, format!("{}/access-record", api.uri()))
        .http(|h| h.retry(fast_retries()))
}

async fn patient(client: &PlatformClient) -> PatientSession {
    client.log_in(id_token().build(), None).await.unwrap()
}

fn fhir(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/fhir+json")
}

fn bundle() -> ResponseTemplate {
    fhir(200, r#"{"resourceType":"Bundle","type":"searchset","entry":[]}"#)
}

fn tasks() -> PlatformRequest {
    PlatformRequest::get(InteractionId::SearchPrescriptionRequests, PlatformApi::Prescriptions, "Task")
        .query("patient", "9000000009")
}

fn header<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

fn bearer(r: &Request) -> String {
    header(r, "authorization").and_then(|a| a.strip_prefix("Bearer ")).expect("bearer token").to_owned()
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn is_v4(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 4)
}

#[tokio::test]
async fn first_call_exchanges_the_id_token_with_a_signed_assertion_and_sends_the_platform_headers() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    Mock::given(method("GET")).and(path(TASKS)).respond_with(bundle()).expect(1).mount(&api).await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();
    let id = id_token().build();
    let session = client.log_in(id.clone(), None).await.unwrap();

    let answer = session.send(tasks().query("_include", "Task:focus:MedicationRequest")).await.unwrap();
    assert_eq!(answer.status, 200);

    let exchanges = tokens.exchanges();
    assert_eq!(exchanges.len(), 1);
    let ex = &exchanges[0];
    assert_eq!(ex.status, 200, "refused: {:?}", ex.refusal);
    let names: Vec<&str> = ex.form.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["grant_type", "subject_token_type", "subject_token", "client_assertion_type", "client_assertion"]
    );
    assert_eq!(ex.form[0].1, "urn:ietf:params:oauth:grant-type:token-exchange");
    assert_eq!(ex.form[1].1, "urn:ietf:params:oauth:token-type:id_token");
    assert_eq!(ex.form[2].1, id);
    assert_eq!(ex.form[3].1, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    let head = ex.assertion_header.as_ref().unwrap();
    assert_eq!(head["alg"], "RS512");
    assert_eq!(head["typ"], "JWT");
    assert_eq!(head["kid"], TEST_KID);
    let claims = ex.assertion_claims.as_ref().unwrap().as_object().unwrap();
    let keys: HashSet<&str> = claims.keys().map(String::as_str).collect();
    assert_eq!(keys, HashSet::from(["iss", "sub", "aud", "jti", "exp"]));
    assert_eq!(claims["iss"], TEST_API_KEY);
    assert_eq!(claims["sub"], TEST_API_KEY);
    assert_eq!(claims["aud"], tokens.token_url().as_str());
    assert!(is_v4(claims["jti"].as_str().unwrap()));
    let lifetime = claims["exp"].as_i64().unwrap() - now();
    // Four minutes: room for 70 s of clock skew under the platform's 310 s limit.
    assert!((230..=240).contains(&lifetime), "exp {lifetime} s ahead");

    let received = api.received_requests().await.unwrap();
    let r = &received[0];
    assert_eq!(r.url.path(), "/Task");
    assert_eq!(r.url.query(), Some("patient=9000000009&_include=Task%3Afocus%3AMedicationRequest"));
    assert_eq!(bearer(r), ex.access_token.clone().unwrap());
    assert!(tokens.is_valid(&bearer(r)));
    assert!(is_v4(header(r, "x-request-id").unwrap()));
    assert_eq!(header(r, "accept"), Some("application/fhir+json"));
    assert_eq!(header(r, "content-type"), None);
    assert_eq!(header(r, "x-correlation-id"), None);
    assert!(r.headers.keys().all(|h| !h.as_str().starts_with("ssp-")));
    assert_eq!(answer.trace_id.to_string(), header(r, "x-request-id").unwrap());
}

#[tokio::test]
async fn writes_carry_the_fhir_body_type_and_the_correlation_id_when_set() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TASKS))
        .respond_with(fhir(201, r#"{"resourceType":"Task","id":"1"}"#))
        .expect(1)
        .mount(&api)
        .await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();
    let request_id = uuid::Uuid::new_v4();
    let body = r#"{"resourceType":"Task","status":"requested"}"#;
    let answer = patient(&client)
        .await
        .send(
            PlatformRequest::post(InteractionId::RequestPrescription, PlatformApi::Prescriptions, "/Task", body)
                .correlation_id("app-7f3a")
                .request_id(request_id),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 201);
    let r = &api.received_requests().await.unwrap()[0];
    assert_eq!(header(r, "content-type"), Some("application/fhir+json"));
    assert_eq!(header(r, "accept"), Some("application/fhir+json"));
    assert_eq!(header(r, "x-correlation-id"), Some("app-7f3a"));
    assert_eq!(header(r, "x-request-id"), Some(request_id.to_string().as_str()));
    assert_eq!(r.body, body.as_bytes());
}

#[tokio::test]
async fn every_exchange_signs_a_new_assertion_with_a_fresh_jti() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    Mock::given(method("GET")).and(path(TASKS)).respond_with(bundle()).expect(3).mount(&api).await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();
    for subject in ["patient-a", "patient-b", "patient-c"] {
        let session = client.log_in(id_token().subject(subject).build(), None).await.unwrap();
        session.send(tasks()).await.unwrap();
    }
    let jtis: HashSet<String> = tokens
        .exchanges()
        .iter()
        .map(|e| e.assertion_claims.as_ref().unwrap()["jti"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(jtis.len(), 3);
    assert!(tokens.exchanges().iter().all(|e| e.status == 200));
}

#[tokio::test]
async fn the_access_token_is_cached_per_patient_and_replaced_before_it_expires() {
    let tokens = MockTokenEndpoint::start().await;
    tokens.set_expires_in(3);
    let api = MockServer::start().await;
    Mock::given(method("GET")).and(path(TASKS)).respond_with(bundle()).expect(4).mount(&api).await;
    let client = PlatformClient::new(config(&tokens, &api).refresh_margin(Duration::from_secs(2))).unwrap();
    let session = patient(&client).await;
    session.send(tasks()).await.unwrap();
    session.send(tasks()).await.unwrap();
    // Asking again for the same patient gives the same session and token.
    patient(&client).await.send(tasks()).await.unwrap();
    assert_eq!(session.exchanges().await, 1);
    assert_eq!(tokens.exchanges().len(), 1);

    // Within the margin of its expiry (2 s, at most half its 3 s life), the token is
    // replaced before sending.
    tokio::time::sleep(Duration::from_millis(1700)).await;
    session.send(tasks()).await.unwrap();
    assert_eq!(tokens.exchanges().len(), 2);
    let sent: Vec<String> = api.received_requests().await.unwrap().iter().map(bearer).collect();
    assert_eq!(sent[0], sent[1]);
    assert_eq!(sent[1], sent[2]);
    assert_ne!(sent[2], sent[3]);
    assert_eq!(sent[3], tokens.exchanges()[1].access_token.clone().unwrap());
}

#[tokio::test]
async fn concurrent_callers_share_one_exchange() {
    let tokens = MockTokenEndpoint::start().await;
    tokens.set_delay(Duration::from_millis(300));
    let api = MockServer::start().await;
    Mock::given(method("GET")).and(path(TASKS)).respond_with(bundle()).expect(8).mount(&api).await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();
    let session = patient(&client).await;
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let s = session.clone();
            tokio::spawn(async move { s.send(tasks()).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(tokens.exchanges().len(), 1);
    let sent: HashSet<String> = api.received_requests().await.unwrap().iter().map(bearer).collect();
    assert_eq!(sent.len(), 1);
    let ids: HashSet<String> =
        api.received_requests().await.unwrap().iter().map(|r| header(r, "x-request-id").unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 8, "every call has its own X-Request-ID");
}

#[tokio::test]
async fn an_expired_or_weak_id_token_is_refused_before_anything_is_sent() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();

    let expired = client.log_in(id_token().expires_in(-5).build(), None).await.unwrap_err();
    assert!(expired.must_log_in_again());
    assert_eq!(expired.kind(), ErrorKind::Authentication);
    assert!(matches!(&expired, Error::Auth(a) if a.problem == AuthProblem::IdTokenExpired));

    let p5 = client.log_in(id_token().proofing_level(Some("P5")).build(), None).await.unwrap_err();
    assert!(p5.must_log_in_again());
    assert!(
        matches!(&p5, Error::Auth(a) if a.problem == AuthProblem::IdentityProofingLevel { level: Some("P5".into()) })
    );
    assert!(p5.to_string().contains("P9"));

    let none = client.log_in(id_token().proofing_level(None).build(), None).await.unwrap_err();
    assert!(none.must_log_in_again());

    let garbage = client.verify_id_token("not-a-jwt", None).await.unwrap_err();
    assert!(garbage.must_log_in_again());
    assert!(matches!(&garbage, Error::Auth(a) if a.problem == AuthProblem::IdTokenUnreadable));

    assert!(tokens.exchanges().is_empty());
    assert!(api.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn once_the_id_token_expires_the_session_asks_for_a_new_login_without_sending() {
    // The access token (599 s) outlives the ID token (2 s): the platform would refuse it
    // ("Access Token for GPC Expired"), so nothing is sent.
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    Mock::given(method("GET")).and(path(TASKS)).respond_with(bundle()).expect(2).mount(&api).await;
    let client = PlatformClient::new(config(&tokens, &api).refresh_margin(Duration::ZERO)).unwrap();
    let session = client.log_in(id_token().expires_in(2).build(), None).await.unwrap();
    session.send(tasks()).await.unwrap();

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let err = session.send(tasks()).await.unwrap_err();
    assert!(err.must_log_in_again());
    assert!(matches!(&err, Error::Auth(a) if a.problem == AuthProblem::IdTokenExpired));
    assert_eq!(tokens.exchanges().len(), 1);
    assert_eq!(api.received_requests().await.unwrap().len(), 1);

    // After a new NHS login the same session works again.
    session.log_in_again(client.verify_id_token(id_token().build(), None).await.unwrap()).await.unwrap();
    session.send(tasks()).await.unwrap();
    assert_eq!(tokens.exchanges().len(), 2);
    // A token of another patient is refused.
    let other = client.verify_id_token(id_token().subject("someone-else").build(), None).await.unwrap();
    let err = session.log_in_again(other).await.unwrap_err();
    assert!(matches!(&err, Error::Auth(a) if a.problem == AuthProblem::IdentityMismatch), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(!err.must_log_in_again());
}

#[tokio::test]
async fn token_endpoint_refusals_are_typed_and_keep_the_description_out_of_display() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();

    // An ID token from another issuer than the configured NHS login: refused locally.
    let foreign = id_token().issuer("https://evil.example").build();
    let err = client.log_in(foreign.clone(), None).await.unwrap_err();
    assert!(matches!(&err, Error::Auth(a) if a.problem == AuthProblem::IdTokenRejected(IdTokenCheck::Issuer)));
    assert!(tokens.exchanges().is_empty());

    // An app configured for another NHS login environment than the platform pairs with:
    // the platform refuses the subject token's issuer. A configuration problem for the
    // developer, not "log in again".
    let elsewhere = PlatformClient::new(
        config(&tokens, &api)
            .nhs_login(NhsLogin::new("https://evil.example", NHS_LOGIN_CLIENT_ID).with_jwks_url(tokens.jwks_url())),
    )
    .unwrap();
    let err = elsewhere.log_in(foreign, None).await.unwrap().send(tasks()).await.unwrap_err();
    let Error::Auth(auth) = &err else { panic!("{err:?}") };
    assert_eq!(auth.problem, AuthProblem::TokenRefused { refusal: TokenRefusal::WrongIssuer });
    assert_eq!(auth.status, Some(400));
    assert_eq!(auth.description.as_deref(), Some("Missing or non-matching 'iss' claim in subject_token JWT"));
    assert!(!err.must_log_in_again());
    assert!(!err.to_string().contains("iss"));
    assert!(!format!("{err:?}").contains("non-matching"));

    // An app key the platform does not know: a configuration problem, not a login one.
    let other_key = PlatformConfig::new(
        Environment::Integration,
        TEST_API_KEY,
        "unknown-kid",
        gpconnect_testkit::platform::client_private_key_pem(),
    )
    .unwrap()
    .token_url(tokens.token_url())
    .nhs_login(tokens.nhs_login())
    .http(|h| h.allow_http(true))
    .api_base(PlatformApi::Prescriptions, api.uri());
    let err = patient(&PlatformClient::new(other_key).unwrap()).await.send(tasks()).await.unwrap_err();
    let Error::Auth(auth) = &err else { panic!("{err:?}") };
    assert_eq!(auth.problem, AuthProblem::TokenRefused { refusal: TokenRefusal::UnknownKeyId });
    assert_eq!(auth.status, Some(401));
    assert_eq!(
        auth.description.as_deref(),
        Some("Invalid 'kid' header in client_assertion JWT - no matching public key")
    );
    assert!(!err.must_log_in_again());
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(api.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn token_answers_with_numbers_as_numbers_are_read_too() {
    let tokens = MockTokenEndpoint::start().await;
    tokens.set_numbers_as_strings(false);
    let api = MockServer::start().await;
    Mock::given(method("GET")).and(path(TASKS)).respond_with(bundle()).expect(1).mount(&api).await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();
    patient(&client).await.send(tasks()).await.unwrap();
}

#[tokio::test]
async fn a_token_endpoint_answer_that_is_not_a_token_is_a_typed_error() {
    let tokens = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"expires_in":"599"}"#))
        .expect(1)
        .mount(&tokens)
        .await;
    let api = MockServer::start().await;
    let keys = MockTokenEndpoint::start().await;
    let config = PlatformConfig::new(
        Environment::Sandbox,
        TEST_API_KEY,
        TEST_KID,
        gpconnect_testkit::platform::client_private_key_pem(),
    )
    .unwrap()
    .token_url(format!("{}/oauth2/token", tokens.uri()))
    .nhs_login(keys.nhs_login())
    .api_base(PlatformApi::Prescriptions, api.uri())
    .http(|h| h.allow_http(true));
    let err = patient(&PlatformClient::new(config).unwrap()).await.send(tasks()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Auth(a) if matches!(a.problem, AuthProblem::BadTokenAnswer(DecodeProblem::Json { .. })))
    );
    assert!(!err.must_log_in_again());
}

fn access_token_expired() -> ResponseTemplate {
    fhir(
        401,
        r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden",
        "details":{"coding":[{"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode","version":"1",
        "code":"ACCESS_DENIED","display":"Access Token for GPC Expired"}]}}]}"#,
    )
}

#[tokio::test]
async fn a_refused_token_is_exchanged_again_once_then_the_patient_must_log_in_again() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    Mock::given(method("GET")).and(path(TASKS)).respond_with(access_token_expired()).expect(2).mount(&api).await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();
    let err = patient(&client).await.send(tasks()).await.unwrap_err();
    assert!(err.must_log_in_again());
    let Error::Auth(auth) = &err else { panic!("{err:?}") };
    assert_eq!(auth.problem, AuthProblem::AccessTokenExpired);
    assert_eq!(auth.status, Some(401));
    assert_eq!(GpcCode::from_outcome(auth.outcome.as_ref().unwrap()), Some(GpcCode::AccessDenied));
    assert!(!auth.body.bytes().is_empty());
    assert_eq!(tokens.exchanges().len(), 2);
    let received = api.received_requests().await.unwrap();
    assert_ne!(bearer(&received[0]), bearer(&received[1]));
    assert_eq!(header(&received[0], "x-request-id"), header(&received[1], "x-request-id"));
    assert_eq!(err.trace_id().unwrap().to_string(), header(&received[0], "x-request-id").unwrap());
}

#[tokio::test]
async fn a_revoked_token_is_replaced_and_the_call_succeeds() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    let valid = tokens.validator();
    Mock::given(method("GET"))
        .and(path(TASKS))
        .respond_with(move |r: &Request| {
            let token = r.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
            if valid(token.trim_start_matches("Bearer ")) {
                bundle()
            } else {
                access_token_expired()
            }
        })
        .expect(3)
        .mount(&api)
        .await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();
    let session = patient(&client).await;
    session.send(tasks()).await.unwrap();
    tokens.revoke_all();
    session.send(tasks()).await.unwrap();
    assert_eq!(tokens.exchanges().len(), 2);
}

#[tokio::test]
async fn reads_are_retried_with_the_same_request_id() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TASKS))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&api)
        .await;
    Mock::given(method("GET")).and(path(TASKS)).respond_with(bundle()).expect(1).mount(&api).await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();
    let answer = patient(&client).await.send(tasks()).await.unwrap();
    let ids: HashSet<String> =
        api.received_requests().await.unwrap().iter().map(|r| header(r, "x-request-id").unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(answer.trace_id.to_string(), *ids.iter().next().unwrap());
    assert_eq!(tokens.exchanges().len(), 1);
}

#[tokio::test]
async fn writes_are_never_retried_once_they_may_have_been_sent() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    Mock::given(method("POST")).and(path(TASKS)).respond_with(ResponseTemplate::new(502)).expect(1).mount(&api).await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();
    let err = patient(&client)
        .await
        .send(PlatformRequest::post(InteractionId::RequestPrescription, PlatformApi::Prescriptions, "Task", "{}"))
        .await
        .unwrap_err();
    assert!(err.may_have_been_sent());
    assert!(!err.is_retryable());
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
}

#[tokio::test]
async fn error_answers_keep_status_outcome_and_the_platform_codes() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/access-record/documents/Binary/x"))
        .respond_with(fhir(404, fixture("access-record__GET_documents-Binary-id__response-4XX__example.json")))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path(TASKS))
        .respond_with(fhir(
            404,
            r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found",
            "details":{"coding":[{"system":"https://fhir.nhs.uk/R4/ValueSet/Spine-ErrorOrWarningCode-1","code":"RESOURCE_NOT_FOUND"}]}}]}"#,
        ))
        .expect(1)
        .mount(&api)
        .await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();
    let session = patient(&client).await;
    let err = session
        .send(PlatformRequest::get(InteractionId::RetrieveDocument, PlatformApi::AccessRecord, "documents/Binary/x"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some(GpcCode::NoRecordFound));
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.interaction(), Some(InteractionId::RetrieveDocument));
    assert!(err.operation_outcome().is_some());
    let err = session.send(tasks()).await.unwrap_err();
    assert_eq!(err.code(), Some(GpcCode::ResourceNotFound));
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn redirects_are_not_followed_and_bodies_are_bounded() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TASKS))
        .respond_with(ResponseTemplate::new(302).insert_header("location", format!("{}/elsewhere", api.uri())))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("GET")).and(path("/elsewhere")).respond_with(bundle()).expect(0).mount(&api).await;
    Mock::given(method("GET"))
        .and(path("/big"))
        .respond_with(fhir(200, &format!(r#"{{"resourceType":"Bundle","x":"{}"}}"#, "a".repeat(5000))))
        .expect(1)
        .mount(&api)
        .await;
    let client = PlatformClient::new(config(&tokens, &api).max_response_bytes(1000)).unwrap();
    let session = patient(&client).await;
    let err = session.send(tasks()).await.unwrap_err();
    assert!(matches!(err, Error::Redirected { status: 302, .. }), "{err:?}");
    let err = session
        .send(PlatformRequest::get(InteractionId::SearchPrescriptionRequests, PlatformApi::Prescriptions, "big"))
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Decode(d) if d.problem == DecodeProblem::TooLarge { limit: 1000 }));
}

#[tokio::test]
async fn only_https_unless_plain_http_is_allowed() {
    let key = gpconnect_testkit::platform::client_private_key_pem();
    let config = PlatformConfig::new(Environment::Integration, TEST_API_KEY, TEST_KID, key).unwrap();
    assert!(PlatformClient::new(config.clone()).is_ok());
    let err = PlatformClient::new(config.clone().token_url("http://127.0.0.1:1/oauth2/token")).unwrap_err();
    assert!(matches!(err, Error::Config(ConfigError::NotHttps { .. })));
    let err = PlatformClient::new(config.api_base(PlatformApi::Appointments, "http://127.0.0.1:1")).unwrap_err();
    assert!(matches!(err, Error::Config(ConfigError::NotHttps { .. })));
    let bad_key = PlatformConfig::new(Environment::Integration, TEST_API_KEY, TEST_KID, b"not a key").unwrap_err();
    assert!(matches!(bad_key, ConfigError::Identity { .. }));
}

#[tokio::test]
async fn tokens_keys_and_patients_never_reach_debug_output() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    Mock::given(method("GET")).and(path(TASKS)).respond_with(bundle()).expect(1).mount(&api).await;
    let config = config(&tokens, &api);
    let client = PlatformClient::new(config.clone()).unwrap();
    let raw = id_token().build();
    let id = client.verify_id_token(raw.clone(), None).await.unwrap();
    let session = client.session(id.clone()).unwrap();
    session.send(tasks()).await.unwrap();
    let access = tokens.exchanges()[0].access_token.clone().unwrap();
    let shown = format!("{config:?} {client:?} {id:?} {session:?} {:?}", tasks().correlation_id("corr-secret"));
    for secret in [raw.as_str(), &access, TEST_API_KEY, "PRIVATE KEY", "9000000009", "corr-secret"] {
        assert!(!shown.contains(secret), "Debug shows {secret}: {shown}");
    }
}

#[tokio::test]
async fn the_sandbox_gets_no_token_exchange() {
    let api = MockServer::start().await;
    Mock::given(method("GET")).and(path(TASKS)).respond_with(bundle()).expect(1).mount(&api).await;
    let keys = MockTokenEndpoint::start().await;
    let key = gpconnect_testkit::platform::client_private_key_pem();
    let config = PlatformConfig::new(Environment::Sandbox, TEST_API_KEY, TEST_KID, key)
        .unwrap()
        .nhs_login(keys.nhs_login())
        .api_base(PlatformApi::Prescriptions, api.uri())
        .http(|h| h.allow_http(true));
    patient(&PlatformClient::new(config).unwrap()).await.send(tasks()).await.unwrap();
    let r = &api.received_requests().await.unwrap()[0];
    assert_eq!(header(r, "authorization"), Some("Bearer sandbox"));
    assert!(is_v4(header(r, "x-request-id").unwrap()));
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_not_an_unknown_outcome_even_for_a_write() {
    let api = MockServer::start().await;
    let keys = MockTokenEndpoint::start().await;
    let key = gpconnect_testkit::platform::client_private_key_pem();
    let config = PlatformConfig::new(Environment::Integration, TEST_API_KEY, TEST_KID, key)
        .unwrap()
        .nhs_login(keys.nhs_login())
        .token_url("http://127.0.0.1:9/oauth2/token")
        .api_base(PlatformApi::Prescriptions, api.uri())
        .http(|h| h.allow_http(true).retry(RetryPolicy::none()));
    let err = patient(&PlatformClient::new(config).unwrap())
        .await
        .send(PlatformRequest::post(InteractionId::RequestPrescription, PlatformApi::Prescriptions, "Task", "{}"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(!err.may_have_been_sent());
    assert!(err.is_retryable());
    assert!(api.received_requests().await.unwrap().is_empty());
}

/// A patient-facing operation in the one operation shape of the SDK.
struct RequestRepeat {
    body: &'static str,
    url: Option<String>,
}

impl gpconnect_core::Operation for RequestRepeat {
    type Answer = gpconnect_core::Response;
    type Output = String;

    fn interaction(&self) -> InteractionId {
        InteractionId::RequestPrescription
    }

    fn request(&self) -> gpconnect_core::Result<gpconnect_core::Request> {
        let target = self.url.clone().unwrap_or_else(|| "Task".into());
        Ok(gpconnect_core::Request::post(InteractionId::RequestPrescription, target, self.body))
    }

    fn parse(&self, answer: gpconnect_core::Response) -> gpconnect_core::Result<String> {
        let task: serde_json::Value = answer.json()?;
        Ok(task["id"].as_str().unwrap_or_default().to_owned())
    }
}

#[tokio::test]
async fn operations_of_the_one_shape_are_sent_through_the_platform() {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TASKS))
        .respond_with(fhir(201, r#"{"resourceType":"Task","id":"task-1"}"#).insert_header("etag", "W/\"2\""))
        .expect(2)
        .mount(&api)
        .await;
    let client = PlatformClient::new(config(&tokens, &api)).unwrap();
    let session = patient(&client).await;
    let body = r#"{"resourceType":"Task"}"#;

    let created = gpconnect_core::Call::new(&session).send(&RequestRepeat { body, url: None }).await.unwrap();
    assert_eq!(created.value, "task-1");
    assert_eq!(created.version_id.as_deref(), Some("2"));
    let received = api.received_requests().await.unwrap();
    assert_eq!(created.trace_id.to_string(), header(&received[0], "x-request-id").unwrap());
    assert_eq!(header(&received[0], "content-type"), Some("application/fhir+json"));
    assert_eq!(received[0].body, body.as_bytes());
    assert!(tokens.is_valid(&bearer(&received[0])));

    // An absolute URL under the API's base is sent; one elsewhere is refused unsent.
    let inside = RequestRepeat { body, url: Some(format!("{}/Task", api.uri())) };
    gpconnect_core::Call::new(&session).send(&inside).await.unwrap();
    let outside = RequestRepeat { body, url: Some("https://elsewhere.example/Task".into()) };
    let err = gpconnect_core::Call::new(&session).send(&outside).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(api.received_requests().await.unwrap().len(), 2);

    // The one CallOptions: a requesting user is SSP-only, refused unsent on the platform.
    let mut call = gpconnect_core::Call::new(&session);
    call.options.user = Some(std::sync::Arc::new(gpconnect_core::User::new("10019", "Jones")));
    let err = call.send(&RequestRepeat { body, url: None }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(api.received_requests().await.unwrap().len(), 2);
}
