//! A mock NHS login issuer on `127.0.0.1`: discovery, authorise, token and JWKS endpoints
//! that check a relying party's requests as NHS login's interface specification asks
//! (auth README §8), for the SDK's tests and for users' own tests of their login flow.
//!
//! It issues ID tokens as the platform's mock NHS login does (issuer
//! [`NHS_LOGIN_ISSUER`], signed with the test NHS login key), so the testkit's
//! [`MockTokenEndpoint`](crate::platform::MockTokenEndpoint) accepts them in a token
//! exchange. The app's NHS login key is the testkit's test client key
//! ([`client_private_key_pem`](crate::platform::client_private_key_pem)).
//!
//! ```
//! use gpconnect_core::platform::NhsLoginClient;
//! use gpconnect_testkit::nhs_login::MockNhsLogin;
//! use gpconnect_testkit::platform::client_private_key_pem;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let issuer = MockNhsLogin::start().await;
//! let settings = gpconnect_core::HttpSettings::default().allow_http(true);
//! let rp = NhsLoginClient::discover(issuer.nhs_login(), issuer.redirect_uri(), client_private_key_pem(), settings)
//!     .await
//!     .unwrap();
//! let started = rp.authorisation();
//! let callback = issuer.log_in(started.url()).await; // what the browser brings back
//! let id_token = rp.complete(&started, &callback).await.unwrap();
//! assert_eq!(id_token.split('.').count(), 3);
//! # }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gpconnect_core::platform::NhsLogin;
use jsonwebtoken::Algorithm;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::platform::{
    client_public_key_pem, decode_unverified, id_token, nhs_login_jwks, now, verify_signature, IdTokenBuilder,
    JWKS_PATH, NHS_LOGIN_CLIENT_ID, NHS_LOGIN_ISSUER,
};

/// The redirect URI the test app registered.
pub const REDIRECT_URI: &str = "https://app.example/nhs-login/callback";

const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
const AUTHORIZE_PATH: &str = "/authorize";
const TOKEN_PATH: &str = "/token";
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[derive(Default)]
struct State {
    /// Codes issued and not yet used: their nonce and redirect URI.
    codes: HashMap<String, (Option<String>, String)>,
    /// The ID token each login issues (default: the test patient, P9).
    patient: Option<IdTokenBuilder>,
    decline_next: bool,
    authorisations: Vec<Vec<(String, String)>>,
    token_requests: Vec<Vec<(String, String)>>,
}

/// A mock NHS login. Any request it does not expect fails with NHS login's error shape.
pub struct MockNhsLogin {
    server: MockServer,
    state: Arc<Mutex<State>>,
}

impl MockNhsLogin {
    /// Starts the issuer with the test app registered (client id [`NHS_LOGIN_CLIENT_ID`],
    /// redirect URI [`REDIRECT_URI`], the test client public key).
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        let base = server.uri();
        let discovery = json!({
            "issuer": NHS_LOGIN_ISSUER,
            "authorization_endpoint": format!("{base}{AUTHORIZE_PATH}"),
            "token_endpoint": format!("{base}{TOKEN_PATH}"),
            "userinfo_endpoint": format!("{base}/userinfo"),
            "jwks_uri": format!("{base}{JWKS_PATH}"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS512"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS512"],
            "scopes_supported": ["openid", "profile", "email", "phone"],
        });
        Mock::given(method("GET"))
            .and(path(DISCOVERY_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(discovery))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(JWKS_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(nhs_login_jwks()))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(AUTHORIZE_PATH))
            .respond_with(Authorise { state: state.clone() })
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .respond_with(Token { state: state.clone(), token_url: format!("{base}{TOKEN_PATH}") })
            .mount(&server)
            .await;
        Self { server, state }
    }

    /// The NHS login configuration of the test app for this issuer: issuer
    /// [`NHS_LOGIN_ISSUER`], its discovery and keys on this server.
    pub fn nhs_login(&self) -> NhsLogin {
        NhsLogin::new(NHS_LOGIN_ISSUER, NHS_LOGIN_CLIENT_ID)
            .with_discovery_url(format!("{}{DISCOVERY_PATH}", self.server.uri()))
            .with_jwks_url(format!("{}{JWKS_PATH}", self.server.uri()))
    }

    /// The registered redirect URI.
    pub fn redirect_uri(&self) -> &'static str {
        REDIRECT_URI
    }

    /// Logs the next logins in as this patient (an [`id_token`] builder: NHS number,
    /// proofing level, ...); the nonce and audience are set by the issuer.
    pub fn patient(&self, token: IdTokenBuilder) {
        self.lock().patient = Some(token);
    }

    /// The next login is declined by the patient (`error=access_denied`).
    pub fn decline_next(&self) {
        self.lock().decline_next = true;
    }

    /// What a browser does with an authorisation URL: `GET` it and return the query of the
    /// callback NHS login redirects to (`code=..&state=..` or `error=..&state=..`).
    /// Panics when the issuer does not redirect to the registered URI.
    pub async fn log_in(&self, authorisation_url: &str) -> String {
        // One plain HTTP/1.1 GET to the local mock, so that the testkit needs no TLS
        // stack (nor a crypto provider) of its own.
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let url = url::Url::parse(authorisation_url).expect("an authorisation URL");
        assert_eq!(url.scheme(), "http", "the mock NHS login listens on plain http");
        let (host, port) = (url.host_str().expect("a host"), url.port_or_known_default().expect("a port"));
        let mut tcp = tokio::net::TcpStream::connect((host, port)).await.expect("the mock NHS login answers");
        let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
        let request = format!("GET {target} HTTP/1.1\r\nhost: {host}:{port}\r\nconnection: close\r\n\r\n");
        tcp.write_all(request.as_bytes()).await.expect("the mock NHS login answers");
        let mut answer = Vec::new();
        tcp.read_to_end(&mut answer).await.expect("the mock NHS login answers");
        let answer = String::from_utf8_lossy(&answer);
        let head = answer.split("\r\n\r\n").next().unwrap_or_default();
        let status = head.lines().next().and_then(|line| line.split(' ').nth(1));
        assert_eq!(status, Some("302"), "NHS login redirects back to the app");
        let location = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("location"))
            .map(|(_, value)| value.trim())
            .unwrap_or_default();
        let (to, query) = location.split_once('?').expect("a callback with a query");
        assert_eq!(to, REDIRECT_URI);
        query.to_owned()
    }

    /// The query parameters of every authorisation request received.
    pub fn authorisations(&self) -> Vec<Vec<(String, String)>> {
        self.lock().authorisations.clone()
    }

    /// The form fields of every token request received.
    pub fn token_requests(&self) -> Vec<Vec<(String, String)>> {
        self.lock().token_requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut values = pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
    match (values.next(), values.next()) {
        (Some(v), None) => Some(v),
        _ => None,
    }
}

fn oauth_error(status: u16, error: &str, description: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "error": error, "error_description": description }))
}

struct Authorise {
    state: Arc<Mutex<State>>,
}

impl Respond for Authorise {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.authorisations.push(query.clone());
        // An unknown client or redirect URI is answered here, never redirected (EIS §3.4.5.2).
        if field(&query, "client_id") != Some(NHS_LOGIN_CLIENT_ID) {
            return oauth_error(400, "invalid_request", "client_id is invalid");
        }
        if field(&query, "redirect_uri") != Some(REDIRECT_URI) {
            return oauth_error(400, "invalid_request", "redirect_uri is invalid");
        }
        let back = |pairs: &[(&str, &str)]| {
            let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
            ResponseTemplate::new(302).insert_header("location", format!("{REDIRECT_URI}?{query}"))
        };
        let Some(client_state) = field(&query, "state").filter(|s| !s.is_empty()) else {
            return back(&[("error", "invalid_request"), ("error_description", "state is missing")]);
        };
        let scopes: Vec<&str> = field(&query, "scope").unwrap_or_default().split(' ').collect();
        let vtr_ok = field(&query, "vtr")
            .is_none_or(|v| serde_json::from_str::<Vec<String>>(v).is_ok_and(|v| v.iter().all(|t| t.starts_with('P'))));
        let problem = if field(&query, "response_type") != Some("code") {
            Some(("unsupported_response_type", "response_type must be code"))
        } else if !scopes.contains(&"openid") {
            Some(("invalid_scope", "openid is required"))
        } else if field(&query, "nonce").is_none_or(str::is_empty) {
            Some(("invalid_request", "nonce is missing"))
        } else if !vtr_ok {
            Some(("invalid_request", "vtr is invalid"))
        } else {
            None
        };
        if let Some((error, description)) = problem {
            return back(&[("error", error), ("error_description", description), ("state", client_state)]);
        }
        if std::mem::take(&mut state.decline_next) {
            return back(&[
                ("error", "access_denied"),
                ("error_description", "ConsentNotGiven"),
                ("state", client_state),
            ]);
        }
        let code = uuid::Uuid::new_v4().simple().to_string();
        state.codes.insert(code.clone(), (field(&query, "nonce").map(str::to_owned), REDIRECT_URI.to_owned()));
        back(&[("code", &code), ("state", client_state)])
    }
}

struct Token {
    state: Arc<Mutex<State>>,
    token_url: String,
}

impl Respond for Token {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body).into_owned().collect();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.token_requests.push(form.clone());
        if field(&form, "grant_type") != Some("authorization_code") {
            return oauth_error(400, "unsupported_grant_type", "grant_type is invalid");
        }
        if field(&form, "client_assertion_type") != Some(CLIENT_ASSERTION_TYPE) {
            return oauth_error(400, "invalid_client", "client_assertion_type is invalid");
        }
        let assertion = field(&form, "client_assertion").unwrap_or_default();
        let Some((header, claims)) = decode_unverified(assertion) else {
            return oauth_error(400, "invalid_client", "client_assertion is malformed");
        };
        let client_public = std::str::from_utf8(client_public_key_pem()).unwrap_or_default();
        let valid = header["alg"] == "RS512"
            && claims["iss"] == NHS_LOGIN_CLIENT_ID
            && claims["sub"] == NHS_LOGIN_CLIENT_ID
            && claims["aud"].as_str() == Some(self.token_url.as_str())
            && claims["jti"].as_str().is_some_and(|j| !j.is_empty())
            && claims["exp"].as_i64().is_some_and(|exp| exp > now() && exp <= now() + 300)
            && verify_signature(assertion, client_public, &[Algorithm::RS512]);
        if !valid {
            return oauth_error(400, "invalid_client", "client authentication failed");
        }
        let code = field(&form, "code").unwrap_or_default();
        let Some((nonce, redirect)) = state.codes.remove(code) else {
            return oauth_error(400, "invalid_grant", "code is invalid, expired or used");
        };
        if field(&form, "redirect_uri") != Some(redirect.as_str()) {
            return oauth_error(400, "invalid_grant", "redirect_uri does not match");
        }
        let mut token = state.patient.clone().unwrap_or_else(id_token);
        if let Some(nonce) = nonce {
            token = token.nonce(&nonce);
        }
        ResponseTemplate::new(200).insert_header("cache-control", "no-store").set_body_json(json!({
            "access_token": format!("mock-nhs-login-access-{}", uuid::Uuid::new_v4().simple()),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": token.build(),
        }))
    }
}
