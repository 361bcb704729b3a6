//! NHS login as a relying party: hand-made ID tokens (unsigned, another key, another
//! issuer or audience, wrong nonce, expired within and beyond the leeway, P5, another
//! vector of trust, the same subject with another NHS number, proxy access) against the
//! testkit's mock NHS login keys and token endpoint. No path from an unverified or
//! mismatched token reaches a session, a token exchange or the API.

use std::time::Duration;

use gpconnect_core::error::{AuthProblem, IdTokenCheck, TokenRefusal};
use gpconnect_core::platform::{PlatformApi, PlatformClient, PlatformRequest};
use gpconnect_core::{Error, ErrorKind, InteractionId, RetryPolicy};
use gpconnect_testkit::platform::{id_token, MockTokenEndpoint, NHS_LOGIN_CLIENT_ID};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct World {
    tokens: MockTokenEndpoint,
    api: MockServer,
    client: PlatformClient,
}

async fn world() -> World {
    let tokens = MockTokenEndpoint::start().await;
    let api = MockServer::start().await;
    let config = tokens.config().api_base(PlatformApi::Prescriptions, api.uri()).http(|h| h.retry(RetryPolicy::none()));
    let client = PlatformClient::new(config).unwrap();
    World { tokens, api, client }
}

fn tasks() -> PlatformRequest {
    PlatformRequest::get(InteractionId::SearchPrescriptionRequests, PlatformApi::Prescriptions, "Task")
        .query("patient", "9000000009")
}

fn bundle() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(br#"{"resourceType":"Bundle","type":"searchset","entry":[]}"#.to_vec(), "application/fhir+json")
}

fn problem(err: &Error) -> AuthProblem {
    match err {
        Error::Auth(a) => a.problem.clone(),
        other => panic!("not an auth error: {other:?}"),
    }
}

fn rejected(err: &Error) -> IdTokenCheck {
    match problem(err) {
        AuthProblem::IdTokenRejected(check) => check,
        other => panic!("not a rejection: {other:?}"),
    }
}

#[tokio::test]
async fn forged_and_foreign_id_tokens_never_make_a_session() {
    let w = world().await;
    let cases = [
        (id_token().unsigned().build(), IdTokenCheck::Algorithm),
        (id_token().algorithm(jsonwebtoken::Algorithm::RS256).build(), IdTokenCheck::Algorithm),
        (id_token().signed_with_other_key().build(), IdTokenCheck::Signature),
        (id_token().kid("a-key-nobody-published").build(), IdTokenCheck::UnknownKey),
        (id_token().issuer("https://auth.login.nhs.uk").build(), IdTokenCheck::Issuer),
        (id_token().audience(json!("another-nhs-login-client")).build(), IdTokenCheck::Audience),
        (id_token().audience(json!(["x", "y"])).build(), IdTokenCheck::Audience),
        (id_token().issued_ago(-600).build(), IdTokenCheck::IssuedInFuture),
        (id_token().vot("P5.Cp.Cd").build(), IdTokenCheck::VectorOfTrust),
        (id_token().nhs_number(None).build(), IdTokenCheck::ProfileScope),
    ];
    for (token, check) in cases {
        let err = w.client.log_in(token, None).await.unwrap_err();
        assert_eq!(rejected(&err), check, "{err}");
        assert_eq!(err.kind(), ErrorKind::Authentication);
        assert!(!err.must_log_in_again(), "{check:?} is for the developer, not the patient");
        assert!(!err.to_string().contains("9000000009"));
    }
    // The attacker's token of the README: `alg: none`, empty signature, P9 claims, the
    // victim's subject: refused before any session or exchange.
    let victim = w.client.log_in(id_token().subject("victim").build(), None).await.unwrap();
    let forged = id_token().subject("victim").unsigned().build();
    assert_eq!(rejected(&w.client.log_in(forged.clone(), None).await.unwrap_err()), IdTokenCheck::Algorithm);
    assert!(w.client.verify_id_token(forged, None).await.is_err());
    drop(victim);
    assert!(w.tokens.exchanges().is_empty());
    assert!(w.api.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_audience_list_naming_the_app_is_accepted() {
    let w = world().await;
    let token = id_token().audience(json!(["other", NHS_LOGIN_CLIENT_ID])).build();
    assert!(w.client.log_in(token, None).await.is_ok());
}

#[tokio::test]
async fn the_nonce_sent_with_the_login_must_come_back() {
    let w = world().await;
    let token = id_token().nonce("n-0S6_WzA2Mj").build();
    assert!(w.client.verify_id_token(token.clone(), Some("n-0S6_WzA2Mj")).await.is_ok());
    assert_eq!(rejected(&w.client.verify_id_token(token, Some("another")).await.unwrap_err()), IdTokenCheck::Nonce);
    let without = id_token().build();
    assert_eq!(rejected(&w.client.verify_id_token(without, Some("n")).await.unwrap_err()), IdTokenCheck::Nonce);
}

#[tokio::test]
async fn expiry_is_allowed_the_leeway_for_verification_but_never_for_the_exchange() {
    let w = world().await;
    Mock::given(method("GET")).and(path("/Task")).respond_with(bundle()).expect(0).mount(&w.api).await;
    // Expired 30 s ago: within the 60 s leeway, so verified; but the platform would refuse
    // it, so the session asks for a new login before sending.
    let within = w.client.log_in(id_token().expires_in(-30).build(), None).await;
    match within {
        Ok(session) => {
            let err = session.send(tasks()).await.unwrap_err();
            assert_eq!(problem(&err), AuthProblem::IdTokenExpired);
            assert!(err.must_log_in_again());
        }
        Err(err) => assert_eq!(problem(&err), AuthProblem::IdTokenExpired),
    }
    let verified = w.client.verify_id_token(id_token().expires_in(-30).build(), None).await;
    assert!(verified.is_ok(), "within the leeway: {verified:?}");
    // Beyond the leeway: refused at verification.
    let err = w.client.verify_id_token(id_token().expires_in(-120).build(), None).await.unwrap_err();
    assert_eq!(problem(&err), AuthProblem::IdTokenExpired);
    assert!(err.must_log_in_again());
    // Issued a little in the future (clock skew within the leeway): accepted.
    assert!(w.client.verify_id_token(id_token().issued_ago(-30).build(), None).await.is_ok());
    assert!(w.tokens.exchanges().is_empty());
}

#[tokio::test]
async fn a_p5_login_must_log_in_again_with_p9() {
    let w = world().await;
    let err = w.client.log_in(id_token().proofing_level(Some("P5")).build(), None).await.unwrap_err();
    assert_eq!(problem(&err), AuthProblem::IdentityProofingLevel { level: Some("P5".into()) });
    assert!(err.must_log_in_again());
}

#[tokio::test]
async fn a_token_matching_a_live_session_only_in_part_is_refused_never_answered_with_it() {
    let w = world().await;
    Mock::given(method("GET")).and(path("/Task")).respond_with(bundle()).expect(1).mount(&w.api).await;
    let first = w.client.log_in(id_token().subject("s-1").build(), None).await.unwrap();
    first.send(tasks()).await.unwrap();

    // The same NHS login subject with another NHS number (a second, real token).
    let other_number = id_token().subject("s-1").nhs_number(Some("9690937286")).build();
    let err = w.client.log_in(other_number, None).await.unwrap_err();
    assert_eq!(problem(&err), AuthProblem::IdentityMismatch);
    assert!(!err.to_string().contains("9690937286"));
    // The same NHS number under another subject.
    let err = w.client.log_in(id_token().subject("s-2").build(), None).await.unwrap_err();
    assert_eq!(problem(&err), AuthProblem::IdentityMismatch);
    // A token of exactly the same identity gets the same session and its access token.
    let again = w.client.log_in(id_token().subject("s-1").build(), None).await.unwrap();
    assert_eq!(again.exchanges().await, 1);
    // Replacing the ID token needs the same identity.
    let other = w.client.verify_id_token(id_token().subject("s-1").nhs_number(Some("9690937286")).build(), None);
    let err = first.log_in_again(other.await.unwrap()).await.unwrap_err();
    assert_eq!(problem(&err), AuthProblem::IdentityMismatch);
    assert_eq!(w.tokens.exchanges().len(), 1);
}

#[tokio::test]
async fn proxy_access_names_whose_record_and_who_is_acting() {
    let w = world().await;
    Mock::given(method("GET")).and(path("/Task")).respond_with(bundle()).expect(2).mount(&w.api).await;
    let own = w.client.log_in(id_token().subject("child").build(), None).await.unwrap();
    let proxy = w.client.log_in(id_token().subject("child").acting("parent").build(), None).await.unwrap();
    assert_eq!(proxy.identity().actor(), Some("parent"));
    assert_eq!(own.identity().actor(), None);
    assert_eq!(proxy.nhs_number(), own.nhs_number());
    own.send(tasks()).await.unwrap();
    proxy.send(tasks()).await.unwrap();
    // Separate sessions: each its own exchange and token.
    assert_eq!(w.tokens.exchanges().len(), 2);
    let shown = format!("{proxy:?}");
    assert!(!shown.contains("parent") && !shown.contains("9000000009"), "{shown}");
}

#[tokio::test]
async fn logging_out_drops_the_session_and_its_token() {
    let w = world().await;
    Mock::given(method("GET")).and(path("/Task")).respond_with(bundle()).expect(2).mount(&w.api).await;
    let session = w.client.log_in(id_token().build(), None).await.unwrap();
    let clone = session.clone();
    session.send(tasks()).await.unwrap();
    session.log_out().await;
    let err = clone.send(tasks()).await.unwrap_err();
    assert_eq!(problem(&err), AuthProblem::LoggedOut);
    assert!(err.must_log_in_again());
    let again = w.client.verify_id_token(id_token().build(), None).await.unwrap();
    assert_eq!(problem(&session.log_in_again(again).await.unwrap_err()), AuthProblem::LoggedOut);
    // A new login is a new session with a new exchange.
    let fresh = w.client.log_in(id_token().build(), None).await.unwrap();
    fresh.send(tasks()).await.unwrap();
    assert_eq!(w.tokens.exchanges().len(), 2);
}

#[tokio::test]
async fn nhs_login_keys_are_cached_and_refetched_for_an_unknown_kid_at_most_once_a_minute() {
    let w = world().await;
    for _ in 0..5 {
        w.client.verify_id_token(id_token().build(), None).await.unwrap();
    }
    assert_eq!(w.tokens.jwks_fetches().await, 1);
    for _ in 0..20 {
        let err = w.client.verify_id_token(id_token().kid("rotated-or-forged").build(), None).await.unwrap_err();
        assert_eq!(rejected(&err), IdTokenCheck::UnknownKey);
    }
    assert_eq!(w.tokens.jwks_fetches().await, 1, "unknown kids do not hammer NHS login");
}

#[tokio::test]
async fn unreachable_nhs_login_keys_are_a_configuration_problem() {
    let tokens = MockTokenEndpoint::start().await;
    let login =
        gpconnect_core::platform::NhsLogin::new(gpconnect_testkit::platform::NHS_LOGIN_ISSUER, NHS_LOGIN_CLIENT_ID)
            .with_jwks_url("http://127.0.0.1:9/.well-known/jwks.json");
    let client = PlatformClient::new(tokens.config().nhs_login(login)).unwrap();
    let err = client.log_in(id_token().build(), None).await.unwrap_err();
    assert_eq!(problem(&err), AuthProblem::NhsLoginUnavailable);
    assert!(!err.must_log_in_again());
    let none = PlatformClient::new(
        gpconnect_core::platform::PlatformConfig::new(
            gpconnect_core::platform::Environment::Integration,
            "k",
            "kid",
            gpconnect_testkit::platform::client_private_key_pem(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(none.log_in(id_token().build(), None).await.unwrap_err().kind(), ErrorKind::Configuration);
}

#[tokio::test]
async fn a_huge_expires_in_is_clamped_not_a_panic() {
    let w = world().await;
    w.tokens.set_expires_in(u64::MAX);
    Mock::given(method("GET")).and(path("/Task")).respond_with(bundle()).expect(2).mount(&w.api).await;
    let session = w.client.log_in(id_token().build(), None).await.unwrap();
    session.send(tasks()).await.unwrap();
    session.send(tasks()).await.unwrap();
    assert_eq!(w.tokens.exchanges().len(), 1);
}

fn outcome(display: &str) -> ResponseTemplate {
    let body = format!(
        r#"{{"resourceType":"OperationOutcome","issue":[{{"severity":"error","code":"forbidden",
        "details":{{"coding":[{{"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode","version":"1",
        "code":"ACCESS_DENIED","display":"{display}"}}]}}}}]}}"#
    );
    ResponseTemplate::new(401).set_body_raw(body.into_bytes(), "application/fhir+json")
}

#[tokio::test]
async fn a_401_that_is_not_an_expired_token_is_for_the_developer_not_the_patient() {
    // The platform's answer when the app is not subscribed to the API's product (its
    // access token verification fails with an Apigee fault string).
    let w = world().await;
    Mock::given(method("GET"))
        .and(path("/Task"))
        .respond_with(outcome("Invalid access token"))
        .expect(2)
        .mount(&w.api)
        .await;
    let session = w.client.log_in(id_token().build(), None).await.unwrap();
    let err = session.send(tasks()).await.unwrap_err();
    assert_eq!(problem(&err), AuthProblem::AccessDenied);
    assert!(!err.must_log_in_again());
    assert_eq!(err.status(), Some(401));
    assert!(!format!("{err} {err:?}").contains("Invalid access token"));
    assert_eq!(w.tokens.exchanges().len(), 2, "one fresh exchange before giving up");
}

#[tokio::test]
async fn a_write_is_resent_with_the_request_id_its_error_returned() {
    let w = world().await;
    Mock::given(method("POST"))
        .and(path("/Task"))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .expect(1)
        .mount(&w.api)
        .await;
    Mock::given(method("POST"))
        .and(path("/Task"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_raw(br#"{"resourceType":"Task","id":"t-1"}"#.to_vec(), "application/fhir+json"),
        )
        .expect(1)
        .mount(&w.api)
        .await;
    let session = w.client.log_in(id_token().build(), None).await.unwrap();
    let write = || PlatformRequest::post(InteractionId::RequestPrescription, PlatformApi::Prescriptions, "Task", "{}");
    let err = session.send(write()).await.unwrap_err();
    assert!(err.may_have_been_sent());
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    let id = err.trace_id().expect("the X-Request-ID to re-send with");
    session.send(write().request_id(id)).await.unwrap();
    let ids: Vec<String> = w
        .api
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.headers.get("x-request-id").unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [id.to_string(), id.to_string()]);
}

#[tokio::test]
async fn the_apps_own_keys_are_offered_as_a_jwks_for_rotation() {
    let tokens = MockTokenEndpoint::start().await;
    let config = tokens.config().publish_key("next-key", gpconnect_testkit::platform::client_public_key_pem()).unwrap();
    let jwks: serde_json::Value = serde_json::from_str(&config.jwks().unwrap()).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    for (key, kid) in keys.iter().zip([gpconnect_testkit::platform::TEST_KID, "next-key"]) {
        assert_eq!(key["kid"], kid);
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS512");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["e"], "AQAB");
        assert!(key.get("d").is_none(), "never the private part");
    }
    // The signing key's public half and the published public key are the same test pair.
    assert_eq!(keys[0]["n"], keys[1]["n"]);
    assert!(TokenRefusal::UnknownKeyId.to_string().contains("kid"));
}

#[tokio::test]
async fn reserved_headers_are_never_sent_twice_and_query_names_stay_literal() {
    use http::{HeaderName, HeaderValue};
    let w = world().await;
    Mock::given(method("GET")).and(path("/Task")).respond_with(bundle()).expect(1).mount(&w.api).await;
    let session = w.client.log_in(id_token().build(), None).await.unwrap();
    let request = tasks()
        .query("_include:recurse", "Task:focus")
        .header(http::header::AUTHORIZATION, HeaderValue::from_static("Bearer stolen"))
        .header(HeaderName::from_static("x-request-id"), HeaderValue::from_static("not-a-uuid"))
        .header(HeaderName::from_static("x-correlation-id"), HeaderValue::from_static("sneaky"))
        .header(http::header::IF_MATCH, HeaderValue::from_static("W/\"1\""));
    session.send(request).await.unwrap();
    let r = &w.api.received_requests().await.unwrap()[0];
    let all = |name: &str| r.headers.get_all(name).iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
    let auth = all("authorization");
    assert_eq!(auth.len(), 1);
    assert!(w.tokens.is_valid(auth[0].strip_prefix("Bearer ").unwrap()));
    assert_eq!(all("x-request-id").len(), 1);
    assert!(uuid::Uuid::parse_str(&all("x-request-id")[0]).is_ok());
    assert!(all("x-correlation-id").is_empty());
    assert_eq!(all("if-match"), ["W/\"1\""]);
    assert_eq!(r.url.query(), Some("patient=9000000009&_include:recurse=Task%3Afocus"));
}

#[tokio::test]
async fn the_token_exchange_honours_the_calls_timeout() {
    let w = world().await;
    w.tokens.set_delay(Duration::from_secs(5));
    let session = w.client.log_in(id_token().build(), None).await.unwrap();
    let started = std::time::Instant::now();
    let err = session.send(tasks().timeout(Duration::from_millis(300))).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(!err.may_have_been_sent(), "the API request itself was never sent");
}
