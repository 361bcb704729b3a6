//! From "log in" to a patient-facing answer with this SDK alone: the NHS login
//! relying-party helper against the testkit's mock NHS login issuer (discovery,
//! authorise, token, JWKS), the ID token verified and exchanged at the mock platform
//! token endpoint, and the patient's prescriptions read from Prism serving NHS's
//! OpenAPI file.

use crate::common;

use common::fast;
use gpconnect_core::error::AuthProblem;
use gpconnect_core::platform::{NhsLoginClient, PlatformApi, PlatformClient, GP_CONNECT_SCOPES};
use gpconnect_core::{Error, HttpSettings};
use gpconnect_patient::PatientExt;
use gpconnect_testkit::nhs_login::{MockNhsLogin, REDIRECT_URI};
use gpconnect_testkit::platform::{client_private_key_pem, id_token, MockTokenEndpoint, NHS_LOGIN_CLIENT_ID};
use gpconnect_testkit::prism::Prism;

async fn relying_party(issuer: &MockNhsLogin) -> NhsLoginClient {
    let settings = HttpSettings::default().allow_http(true);
    NhsLoginClient::discover(issuer.nhs_login(), REDIRECT_URI, client_private_key_pem(), settings).await.unwrap()
}

fn problem(err: &Error) -> AuthProblem {
    match err {
        Error::Auth(a) => a.problem.clone(),
        other => panic!("{other:?}"),
    }
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn a_patient_logs_in_with_nhs_login_and_reads_their_prescriptions_from_prism() {
    let issuer = MockNhsLogin::start().await;
    let tokens = MockTokenEndpoint::start().await;
    let prism = Prism::shared(PlatformApi::Prescriptions).await;
    let platform = PlatformClient::new(prism.configure(fast(tokens.config().nhs_login(issuer.nhs_login())))).unwrap();
    let rp = relying_party(&issuer).await;

    let started = rp.authorisation();
    let callback = issuer.log_in(started.url()).await;
    let id_token = rp.complete(&started, &callback).await.unwrap();
    let patient = platform.log_in(id_token, Some(started.nonce())).await.unwrap();
    let medications = patient.prescriptions().medications().send().await.unwrap();
    assert!(!medications.repeats.is_empty());

    // The authorisation request NHS login asks for (EIS Table 1).
    let auth = &issuer.authorisations()[0];
    assert_eq!(get(auth, "response_type"), Some("code"));
    assert_eq!(get(auth, "client_id"), Some(NHS_LOGIN_CLIENT_ID));
    assert_eq!(get(auth, "redirect_uri"), Some(REDIRECT_URI));
    assert_eq!(get(auth, "scope"), Some(GP_CONNECT_SCOPES));
    assert_eq!(get(auth, "vtr"), Some(r#"["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]"#));
    assert_eq!(get(auth, "state"), Some(started.state()));
    assert_eq!(get(auth, "nonce"), Some(started.nonce()));
    assert!(started.state().len() >= 32 && started.nonce().len() >= 32 && started.state() != started.nonce());
    assert_eq!(get(auth, "code_challenge"), None, "no PKCE: NHS login's discovery does not offer it");
    // The code exchange: private_key_jwt, exactly these fields.
    let form = &issuer.token_requests()[0];
    let names: Vec<&str> = form.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["grant_type", "code", "redirect_uri", "client_assertion_type", "client_assertion"]);
    // And the platform saw the same verified ID token.
    assert_eq!(tokens.exchanges().len(), 1);
    assert_eq!(tokens.exchanges()[0].subject_claims.as_ref().unwrap()["nonce"], started.nonce());
    assert!(!format!("{started:?} {rp:?}").contains(started.nonce()));
}

#[tokio::test]
async fn a_declined_a_forged_or_a_replayed_login_is_refused() {
    let issuer = MockNhsLogin::start().await;
    let rp = relying_party(&issuer).await;

    issuer.decline_next();
    let started = rp.authorisation();
    let callback = issuer.log_in(started.url()).await;
    assert_eq!(problem(&rp.complete(&started, &callback).await.unwrap_err()), AuthProblem::LoginDeclined);

    // A callback for another login (its state) is refused before anything is sent.
    let mine = rp.authorisation();
    let theirs = rp.authorisation();
    let callback = issuer.log_in(theirs.url()).await;
    assert_eq!(problem(&rp.complete(&mine, &callback).await.unwrap_err()), AuthProblem::LoginStateMismatch);
    assert!(issuer.token_requests().is_empty());

    // A code is used once.
    rp.complete(&theirs, &callback).await.unwrap();
    let err = rp.complete(&theirs, &callback).await.unwrap_err();
    assert_eq!(problem(&err), AuthProblem::NhsLoginRefused);
    assert_eq!(err.status(), Some(400));
}

#[tokio::test]
async fn an_id_token_from_another_login_fails_the_nonce_check() {
    let issuer = MockNhsLogin::start().await;
    let tokens = MockTokenEndpoint::start().await;
    let platform = PlatformClient::new(tokens.config().nhs_login(issuer.nhs_login())).unwrap();
    let rp = relying_party(&issuer).await;
    let first = rp.authorisation();
    let second = rp.authorisation();
    let callback = issuer.log_in(first.url()).await;
    let raw = rp.complete(&first, &callback).await.unwrap();
    let err = platform.log_in(raw, Some(second.nonce())).await.unwrap_err();
    assert_eq!(problem(&err), AuthProblem::IdTokenRejected(gpconnect_core::error::IdTokenCheck::Nonce));
    // A P5 patient logs in but gets no session.
    issuer.patient(id_token().proofing_level(Some("P5")));
    let started = rp.authorisation();
    let callback = issuer.log_in(started.url()).await;
    let p5 = rp.complete(&started, &callback).await.unwrap();
    let err = platform.log_in(p5, Some(started.nonce())).await.unwrap_err();
    assert!(err.must_log_in_again());
    assert!(tokens.exchanges().is_empty());
}
