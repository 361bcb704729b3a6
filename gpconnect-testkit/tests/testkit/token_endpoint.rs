//! The mock token endpoint refuses what the platform refuses: each rule broken on its own.
#![cfg(feature = "api-platform")]

use std::time::{SystemTime, UNIX_EPOCH};

use gpconnect_testkit::platform::{client_private_key_pem, id_token, MockTokenEndpoint, TEST_API_KEY, TEST_KID};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const NHS_LOGIN_KEY: &[u8] = include_bytes!("../../fixtures/keys/TEST-ONLY-nhs-login-key.pem");

/// `jsonwebtoken::encode` with the backend named (its process default panics when the
/// SDK's backend is compiled in beside the testkit's `rust_crypto`).
fn encode(header: &Header, claims: &Value, key: &EncodingKey) -> jsonwebtoken::errors::Result<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    if key.family() != header.alg.family() {
        return Err(jsonwebtoken::errors::ErrorKind::InvalidAlgorithm.into());
    }
    let signer = (jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.signer_factory)(&header.alg, key)?;
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap());
    let message = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = signer.try_sign(message.as_bytes()).unwrap();
    Ok(format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

struct Assertion {
    header: Header,
    claims: Value,
    key: &'static [u8],
}

fn assertion(tokens: &MockTokenEndpoint) -> Assertion {
    let mut header = Header::new(Algorithm::RS512);
    header.typ = Some("JWT".into());
    header.kid = Some(TEST_KID.into());
    let claims = json!({
        "iss": TEST_API_KEY, "sub": TEST_API_KEY, "aud": tokens.token_url(),
        "jti": uuid::Uuid::new_v4().to_string(), "exp": now() + 300,
    });
    Assertion { header, claims, key: client_private_key_pem() }
}

impl Assertion {
    fn sign(&self) -> String {
        encode(&self.header, &self.claims, &EncodingKey::from_rsa_pem(self.key).unwrap()).unwrap()
    }
}

fn form(assertion: &str, subject: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange".into()),
        ("subject_token_type", "urn:ietf:params:oauth:token-type:id_token".into()),
        ("subject_token", subject.into()),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into()),
        ("client_assertion", assertion.into()),
    ]
}

async fn post(tokens: &MockTokenEndpoint, fields: &[(&str, String)]) -> (u16, Value) {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let resp = reqwest::Client::new()
        .post(tokens.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn refused(tokens: &MockTokenEndpoint, fields: &[(&str, String)]) -> (u16, String) {
    let (status, body) = post(tokens, fields).await;
    assert_ne!(status, 200, "accepted: {body}");
    (status, body["error_description"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_correct_exchange_gets_the_platforms_token_answer() {
    let tokens = MockTokenEndpoint::start().await;
    let (status, body) = post(&tokens, &form(&assertion(&tokens).sign(), &id_token().build())).await;
    assert_eq!(status, 200);
    assert_eq!(body["expires_in"], "599");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["issued_token_type"], "urn:ietf:params:oauth:token-type:access_token");
    assert_eq!(body.as_object().unwrap().len(), 7);
    assert!(tokens.is_valid(body["access_token"].as_str().unwrap()));
}

#[tokio::test]
async fn each_broken_assertion_rule_is_refused_with_the_platforms_answer() {
    let tokens = MockTokenEndpoint::start().await;
    let id = id_token().build();
    let mut cases: Vec<(Assertion, u16, &str)> = Vec::new();
    let mut a = assertion(&tokens);
    a.key = NHS_LOGIN_KEY; // signed with another key
    cases.push((a, 401, "JWT signature verification failed"));
    let mut a = assertion(&tokens);
    a.claims["aud"] = json!("https://int.api.service.nhs.uk/oauth2/token");
    cases.push((a, 401, "Missing or invalid 'aud' claim in client_assertion JWT"));
    let mut a = assertion(&tokens);
    a.claims["exp"] = json!(now() + 400);
    cases.push((a, 400, "Invalid 'exp' claim in client_assertion JWT - more than 5 minutes in future"));
    let mut a = assertion(&tokens);
    a.claims["exp"] = json!(now() - 60);
    cases.push((a, 400, "Invalid 'exp' claim in client_assertion JWT - JWT has expired"));
    let mut a = assertion(&tokens);
    a.claims["exp"] = json!("300");
    cases.push((a, 400, "Invalid 'exp' claim in client_assertion JWT - must be an integer"));
    let mut a = assertion(&tokens);
    a.header = Header::new(Algorithm::RS256);
    cases.push((a, 400, "Invalid 'alg' header in client_assertion JWT - unsupported JWT algorithm - must be 'RS512'"));
    let mut a = assertion(&tokens);
    a.header.kid = None;
    cases.push((a, 400, "Missing 'kid' header in client_assertion JWT"));
    let mut a = assertion(&tokens);
    a.header.typ = Some("JWS".into());
    cases.push((a, 400, "Invalid 'typ' header in client_assertion JWT - must be 'JWT'"));
    let mut a = assertion(&tokens);
    a.claims["sub"] = json!("someone-else");
    cases.push((a, 400, "Missing or non-matching 'iss'/'sub' claims in client_assertion JWT"));
    let mut a = assertion(&tokens);
    a.claims["iss"] = json!("unknown-app");
    a.claims["sub"] = json!("unknown-app");
    cases.push((a, 401, "Invalid 'iss'/'sub' claims in client_assertion JWT"));
    let mut a = assertion(&tokens);
    a.claims.as_object_mut().unwrap().remove("jti");
    cases.push((a, 400, "Missing 'jti' claim in client_assertion JWT"));
    let mut a = assertion(&tokens);
    a.header.kid = Some("another-kid".into());
    cases.push((a, 401, "Invalid 'kid' header in client_assertion JWT - no matching public key"));
    for (a, status, description) in cases {
        assert_eq!(refused(&tokens, &form(&a.sign(), &id)).await, (status, description.to_owned()));
    }

    // The same jti twice.
    let a = assertion(&tokens);
    assert_eq!(post(&tokens, &form(&a.sign(), &id)).await.0, 200);
    assert_eq!(
        refused(&tokens, &form(&a.sign(), &id)).await,
        (400, "Non-unique 'jti' claim in client_assertion JWT".to_owned())
    );
}

#[tokio::test]
async fn the_form_and_the_id_token_are_checked_too() {
    let tokens = MockTokenEndpoint::start().await;
    let good = || assertion(&tokens).sign();
    let id = id_token().build();

    let mut f = form(&good(), &id);
    f[0].1 = "client_credentials".into();
    assert_eq!(refused(&tokens, &f).await, (400, "grant_type is invalid".to_owned()));
    let mut f = form(&good(), &id);
    f[1].1 = "urn:ietf:params:oauth:token-type:access_token".into();
    assert_eq!(refused(&tokens, &f).await.0, 400);
    let mut f = form(&good(), &id);
    f[3].1 = "jwt".into();
    assert_eq!(refused(&tokens, &f).await.0, 400);
    let mut f = form(&good(), &id);
    f.push(("scope", "openid".into()));
    assert_eq!(refused(&tokens, &f).await.0, 400);

    let expired = id_token().expires_in(-1).build();
    assert_eq!(
        refused(&tokens, &form(&good(), &expired)).await,
        (400, "Invalid 'exp' claim in subject_token JWT - JWT has expired".to_owned())
    );
    let p5 = id_token().proofing_level(Some("P5")).build();
    assert_eq!(refused(&tokens, &form(&good(), &p5)).await.0, 401);
    let foreign = id_token().issuer("https://evil.example").build();
    assert_eq!(refused(&tokens, &form(&good(), &foreign)).await.0, 400);
    // An ID token signed with the app's key instead of NHS login's.
    let mut header = Header::new(Algorithm::RS512);
    header.kid = Some(gpconnect_testkit::platform::NHS_LOGIN_KID.into());
    let forged = encode(
        &header,
        &json!({"iss": gpconnect_testkit::platform::NHS_LOGIN_ISSUER, "aud": "x", "exp": now() + 600,
                "identity_proofing_level": "P9"}),
        &EncodingKey::from_rsa_pem(client_private_key_pem()).unwrap(),
    )
    .unwrap();
    assert_eq!(refused(&tokens, &form(&good(), &forged)).await, (400, "subject_token is invalid".to_owned()));

    let resp = reqwest::Client::new()
        .post(tokens.token_url())
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 415);
    assert!(tokens.exchanges().iter().all(|e| e.status != 200));
}
