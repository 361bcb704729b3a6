//! NHS API platform test helpers: a mock token endpoint that checks token exchanges the
//! way the platform does, mock NHS login ID tokens, and the test keys.
//!
//! The keys under `fixtures/keys/` are **test keys only**, committed in the repository.
//!
//! ```
//! use gpconnect_core::platform::PlatformClient;
//! use gpconnect_testkit::platform::{id_token, MockTokenEndpoint};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let tokens = MockTokenEndpoint::start().await;
//! let client = PlatformClient::new(tokens.config()).unwrap();
//! let patient = client.log_in(id_token().build(), None).await.unwrap();
//! assert_eq!(patient.nhs_number().expose(), "9000000009");
//! assert!(tokens.exchanges().is_empty()); // nothing sent until the first call
//! # }
//! ```

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gpconnect_core::platform::{Environment, NhsLogin, PlatformConfig};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The test app's API key (`iss` and `sub` of its client assertions).
pub const TEST_API_KEY: &str = "gpconnect-rs-test-api-key";
/// The `kid` of the test app's client assertion key.
pub const TEST_KID: &str = "gpconnect-rs-test-key-1";
/// The `kid` of the mock NHS login signing key.
pub const NHS_LOGIN_KID: &str = "mock-nhs-login-key-1";
/// The issuer of the mock NHS login ID tokens (the platform's mock NHS login realm).
pub const NHS_LOGIN_ISSUER: &str = "https://identity.ptl.api.platform.nhs.uk/realms/NHS-Login-mock-int";
/// The test app's NHS login client id (`aud` of the mock ID tokens).
pub const NHS_LOGIN_CLIENT_ID: &str = "gpconnect-rs-test-nhs-login-client";
/// The path of the mock NHS login JWKS on the mock servers.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
/// The NHS number of the default test patient (the sandboxes' `9000000009`).
pub const TEST_NHS_NUMBER: &str = "9000000009";
/// The token endpoint path on the mock.
pub const TOKEN_PATH: &str = "/oauth2/token";

/// The literal values of the exchange form (auth README §2).
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const SUBJECT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const CLIENT_KEY: &str = include_str!("../fixtures/keys/TEST-ONLY-platform-client-key.pem");
const CLIENT_PUBLIC: &str = include_str!("../fixtures/keys/TEST-ONLY-platform-client-public.pem");
const NHS_LOGIN_KEY: &str = include_str!("../fixtures/keys/TEST-ONLY-nhs-login-key.pem");
const NHS_LOGIN_PUBLIC: &str = include_str!("../fixtures/keys/TEST-ONLY-nhs-login-public.pem");
const OTHER_KEY: &str = include_str!("../fixtures/keys/TEST-ONLY-other-key.pem");

/// The mock's JWT backend, named explicitly: jsonwebtoken's process default panics when
/// the SDK's backend is compiled in beside it.
const JWT: &jsonwebtoken::crypto::CryptoProvider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;

/// The mock NHS login's JWKS document: its public key under [`NHS_LOGIN_KID`], RS512, `use: sig`.
pub fn nhs_login_jwks() -> Value {
    let key = DecodingKey::from_rsa_pem(NHS_LOGIN_PUBLIC.as_bytes()).expect("test NHS login key");
    let der = key.try_get_as_bytes().expect("an RSA public key");
    let (n, e) = (JWT.key_utils.rsa_pub_components_from_public_key)(der).expect("RSA components");
    let key = DecodingKey::from_rsa_raw_components(&n, &e);
    let mut jwk = jsonwebtoken::jwk::Jwk::from_decoding_key(&key, Some(Algorithm::RS512)).expect("a JWK");
    jwk.common.key_id = Some(NHS_LOGIN_KID.into());
    jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
    json!({ "keys": [jwk] })
}

/// The test app's private key (PEM). A test key: never use it anywhere real.
pub fn client_private_key_pem() -> &'static [u8] {
    CLIENT_KEY.as_bytes()
}

/// The public half of [`client_private_key_pem`] (PEM).
pub fn client_public_key_pem() -> &'static [u8] {
    CLIENT_PUBLIC.as_bytes()
}

pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Starts a mock NHS login ID token for the default test patient: P9, valid for an hour.
pub fn id_token() -> IdTokenBuilder {
    IdTokenBuilder {
        nhs_number: Some(TEST_NHS_NUMBER.into()),
        level: Some("P9".into()),
        expires_in: 3600,
        subject: "49f470a1-cc52-49b7-beba-0f9cec937c46".into(),
        issuer: NHS_LOGIN_ISSUER.into(),
        algorithm: Algorithm::RS512,
        audience: json!(NHS_LOGIN_CLIENT_ID),
        nonce: None,
        vot: "P9.Cp.Cd".into(),
        actor: None,
        kid: NHS_LOGIN_KID.into(),
        issued_ago: 60,
        signing: Signing::NhsLogin,
    }
}

/// How a test ID token is signed.
#[derive(Debug, Clone, Copy)]
enum Signing {
    NhsLogin,
    OtherKey,
    Unsigned,
}

/// A mock NHS login ID token, signed with the test NHS login key, with the claims of the
/// platform's own mock token fixture (`vot`, `vtm`, `id_status`, `token_use`, ...).
#[derive(Debug, Clone)]
#[must_use]
pub struct IdTokenBuilder {
    nhs_number: Option<String>,
    level: Option<String>,
    expires_in: i64,
    subject: String,
    issuer: String,
    algorithm: Algorithm,
    audience: Value,
    nonce: Option<String>,
    vot: String,
    actor: Option<String>,
    kid: String,
    issued_ago: i64,
    signing: Signing,
}

impl IdTokenBuilder {
    /// The `aud` claim (default [`NHS_LOGIN_CLIENT_ID`]); a JSON string or array.
    pub fn audience(mut self, aud: Value) -> Self {
        self.audience = aud;
        self
    }

    /// The `nonce` claim (default: none).
    pub fn nonce(mut self, nonce: &str) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// The vector of trust (`vot`, default `P9.Cp.Cd`).
    pub fn vot(mut self, vot: &str) -> Self {
        self.vot = vot.into();
        self
    }

    /// Proxy access: `act.sub`, the person acting for the patient.
    pub fn acting(mut self, actor: &str) -> Self {
        self.actor = Some(actor.into());
        self
    }

    /// The `kid` header (default [`NHS_LOGIN_KID`]).
    pub fn kid(mut self, kid: &str) -> Self {
        self.kid = kid.into();
        self
    }

    /// Seconds before now of `iat` (default 60; negative for a token issued in the future).
    pub fn issued_ago(mut self, seconds: i64) -> Self {
        self.issued_ago = seconds;
        self
    }

    /// The signing algorithm (default RS512).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Signs with a test key nobody publishes (the header still names NHS login's `kid`).
    pub fn signed_with_other_key(mut self) -> Self {
        self.signing = Signing::OtherKey;
        self
    }

    /// No signature at all: header `alg: none`, an empty signature, as an attacker would.
    pub fn unsigned(mut self) -> Self {
        self.signing = Signing::Unsigned;
        self
    }

    /// The `nhs_number` claim (`None`: left out).
    pub fn nhs_number(mut self, nhs: Option<&str>) -> Self {
        self.nhs_number = nhs.map(str::to_owned);
        self
    }

    /// The `identity_proofing_level` claim (`None`: left out).
    pub fn proofing_level(mut self, level: Option<&str>) -> Self {
        self.level = level.map(str::to_owned);
        self
    }

    /// Seconds from now to `exp`; negative for an expired token.
    pub fn expires_in(mut self, seconds: i64) -> Self {
        self.expires_in = seconds;
        self
    }

    /// The NHS login subject (`sub`).
    pub fn subject(mut self, sub: &str) -> Self {
        self.subject = sub.into();
        self
    }

    /// The issuer (`iss`).
    pub fn issuer(mut self, iss: &str) -> Self {
        self.issuer = iss.into();
        self
    }

    /// The compact, signed JWT.
    pub fn build(self) -> String {
        let now = now();
        let mut claims = json!({
            "iss": self.issuer,
            "sub": self.subject,
            "aud": self.audience,
            "exp": now + self.expires_in,
            "iat": now - self.issued_ago,
            "auth_time": now - self.issued_ago,
            "jti": uuid::Uuid::new_v4().to_string(),
            "vot": self.vot,
            "vtm": "https://auth.sandpit.signin.nhs.uk/trustmark/auth.sandpit.signin.nhs.uk",
            "id_status": "verified",
            "token_use": "id",
        });
        if let Some(level) = self.level {
            claims["identity_proofing_level"] = json!(level);
        }
        if let Some(nhs) = self.nhs_number {
            claims["nhs_number"] = json!(nhs);
        }
        if let Some(nonce) = self.nonce {
            claims["nonce"] = json!(nonce);
        }
        if let Some(actor) = self.actor {
            claims["act"] = json!({ "sub": actor });
        }
        let pem = match self.signing {
            Signing::NhsLogin => NHS_LOGIN_KEY,
            Signing::OtherKey => OTHER_KEY,
            Signing::Unsigned => {
                let header = json!({ "alg": "none", "typ": "JWT", "kid": self.kid });
                let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
                return format!("{}.{}.", part(&header), part(&claims));
            }
        };
        let mut header = Header::new(self.algorithm);
        header.typ = Some("JWT".into());
        header.kid = Some(self.kid);
        let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("test key");
        let header_json = serde_json::to_vec(&header).expect("a header");
        let message = format!("{}.{}", URL_SAFE_NO_PAD.encode(header_json), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signer = (JWT.signer_factory)(&header.alg, &key).expect("a signer for the test key");
        let signature = signer.try_sign(message.as_bytes()).expect("signing a test ID token");
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// One token request the mock received, decoded, and what it answered.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The form fields in order.
    pub form: Vec<(String, String)>,
    /// The client assertion's header, when it decoded.
    pub assertion_header: Option<Value>,
    /// The client assertion's claims, when they decoded.
    pub assertion_claims: Option<Value>,
    /// The subject (ID) token's claims, when they decoded.
    pub subject_claims: Option<Value>,
    /// The status answered.
    pub status: u16,
    /// The OAuth `error_description` answered, for a refusal.
    pub refusal: Option<String>,
    /// The access token issued, for a success.
    pub access_token: Option<String>,
}

#[derive(Default)]
struct State {
    jtis: HashSet<String>,
    issued: Vec<String>,
    revoked: HashSet<String>,
    exchanges: Vec<Exchange>,
    expires_in: Option<u64>,
    numbers_as_strings: Option<bool>,
    delay: Option<Duration>,
    fail_next: Vec<u16>,
}

/// A local token endpoint on `127.0.0.1` that checks a token exchange as the platform
/// does (auth README §2-4): the five form fields with their literal values, the client
/// assertion (RS512 signature with the test public key, `typ`, `kid`, `iss` = `sub` = the
/// test API key, `aud` = this endpoint's URL, a never-seen `jti`, `exp` in the future and at
/// most five minutes ahead, with the platform's 10 s allowance), and the ID token (signed
/// by the mock NHS login key, `kid`, `typ`, unexpired, issuer, `aud`, proofing level P9).
/// Refusals use the platform's status codes and literal `error_description`s.
pub struct MockTokenEndpoint {
    server: MockServer,
    state: Arc<Mutex<State>>,
}

impl MockTokenEndpoint {
    /// Starts the endpoint, answering `expires_in: "599"` as the platform does.
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        let token_url = format!("{}{TOKEN_PATH}", server.uri());
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .respond_with(TokenResponder { state: state.clone(), token_url })
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(JWKS_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(nhs_login_jwks()))
            .mount(&server)
            .await;
        Self { server, state }
    }

    /// The token endpoint URL (also the `aud` assertions must carry).
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.server.uri())
    }

    /// A platform configuration for the test app pointed at this endpoint (plain http
    /// allowed), verifying ID tokens as issued by the mock NHS login (issuer
    /// [`NHS_LOGIN_ISSUER`], client id [`NHS_LOGIN_CLIENT_ID`]) with the keys this server
    /// serves at [`JWKS_PATH`].
    pub fn config(&self) -> PlatformConfig {
        PlatformConfig::new(Environment::Integration, TEST_API_KEY, TEST_KID, client_private_key_pem())
            .expect("test key")
            .token_url(self.token_url())
            .nhs_login(self.nhs_login())
            .http(|h| h.allow_http(true))
    }

    /// The mock NHS login as the test app is registered with it, keys from this server.
    pub fn nhs_login(&self) -> NhsLogin {
        NhsLogin::new(NHS_LOGIN_ISSUER, NHS_LOGIN_CLIENT_ID).with_jwks_url(self.jwks_url())
    }

    /// Where this server serves the mock NHS login's keys.
    pub fn jwks_url(&self) -> String {
        format!("{}{JWKS_PATH}", self.server.uri())
    }

    /// How many times NHS login's keys were fetched from this server.
    pub async fn jwks_fetches(&self) -> usize {
        let received = self.server.received_requests().await.unwrap_or_default();
        received.iter().filter(|r| r.url.path() == JWKS_PATH).count()
    }

    /// Every token request received, in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.lock().exchanges.clone()
    }

    /// Whether this endpoint issued `access_token` and has not revoked it.
    pub fn is_valid(&self, access_token: &str) -> bool {
        let state = self.lock();
        state.issued.iter().any(|t| t == access_token) && !state.revoked.contains(access_token)
    }

    /// A checker for mock APIs: whether a bearer token is one this endpoint issued and
    /// has not revoked.
    pub fn validator(&self) -> impl Fn(&str) -> bool + Send + Sync + 'static {
        let state = self.state.clone();
        move |token| {
            let state = state.lock().unwrap_or_else(|e| e.into_inner());
            state.issued.iter().any(|t| t == token) && !state.revoked.contains(token)
        }
    }

    /// Revokes every token issued so far (a mock API then answers 401).
    pub fn revoke_all(&self) {
        let mut state = self.lock();
        let issued = state.issued.clone();
        state.revoked.extend(issued);
    }

    /// Answers `expires_in` with this many seconds from now on.
    pub fn set_expires_in(&self, seconds: u64) {
        self.lock().expires_in = Some(seconds);
    }

    /// Writes the numbers of the answer as JSON numbers instead of the platform's strings.
    pub fn set_numbers_as_strings(&self, strings: bool) {
        self.lock().numbers_as_strings = Some(strings);
    }

    /// Delays every answer (to test callers sharing one exchange).
    pub fn set_delay(&self, delay: Duration) {
        self.lock().delay = Some(delay);
    }

    /// Answers the next requests with these statuses (and an OAuth error body) instead
    /// of checking them.
    pub fn fail_next(&self, statuses: &[u16]) {
        self.lock().fail_next.extend_from_slice(statuses);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct TokenResponder {
    state: Arc<Mutex<State>>,
    token_url: String,
}

/// A refusal: status, OAuth error, description.
type Refusal = (u16, &'static str, &'static str);

impl Respond for TokenResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body).into_owned().collect();
        let mut exchange = Exchange {
            form: form.clone(),
            assertion_header: None,
            assertion_claims: None,
            subject_claims: None,
            status: 200,
            refusal: None,
            access_token: None,
        };
        let verdict = if state.fail_next.is_empty() {
            check(request, &form, &self.token_url, &mut state, &mut exchange)
        } else {
            let status = state.fail_next.remove(0);
            Err((status, "server_error", "scripted failure"))
        };
        let template = match verdict {
            Ok(()) => {
                let token = format!("mock-access-{}", uuid::Uuid::new_v4().simple());
                state.issued.push(token.clone());
                exchange.access_token = Some(token.clone());
                let expires_in = state.expires_in.unwrap_or(599);
                let body = if state.numbers_as_strings.unwrap_or(true) {
                    json!({
                        "access_token": token, "expires_in": expires_in.to_string(), "token_type": "Bearer",
                        "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                        "refresh_token": format!("mock-refresh-{}", uuid::Uuid::new_v4().simple()),
                        "refresh_token_expires_in": "3599", "refresh_count": "0",
                    })
                } else {
                    json!({
                        "access_token": token, "expires_in": expires_in, "token_type": "Bearer",
                        "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                        "refresh_token": "r", "refresh_token_expires_in": 3599, "refresh_count": 0,
                    })
                };
                ResponseTemplate::new(200).set_body_json(body)
            }
            Err((status, error, description)) => {
                exchange.status = status;
                exchange.refusal = Some(description.to_owned());
                ResponseTemplate::new(status).set_body_json(json!({
                    "error": error, "error_description": description,
                    "message_id": uuid::Uuid::new_v4().to_string(),
                }))
            }
        };
        state.exchanges.push(exchange);
        match state.delay {
            Some(delay) => template.set_delay(delay),
            None => template,
        }
    }
}

/// The platform's checks, in its order (auth README §4).
fn check(
    request: &Request,
    form: &[(String, String)],
    token_url: &str,
    state: &mut State,
    exchange: &mut Exchange,
) -> Result<(), Refusal> {
    let content_type = request.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type.split(';').next().unwrap_or_default().trim() != "application/x-www-form-urlencoded" {
        return Err((415, "invalid_request", "Content-Type header must be application/x-www-form-urlencoded"));
    }
    let field = |name: &str| {
        let mut values = form.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
        match (values.next(), values.next()) {
            (Some(v), None) => Some(v),
            _ => None,
        }
    };
    // Stricter than the platform: the exchange has exactly these five fields, once each.
    let expected = ["grant_type", "subject_token_type", "subject_token", "client_assertion_type", "client_assertion"];
    if form.len() != expected.len() || form.iter().any(|(n, _)| !expected.contains(&n.as_str())) {
        return Err((400, "invalid_request", "exactly grant_type, subject_token_type, subject_token, client_assertion_type and client_assertion are expected (testkit)"));
    }
    if field("client_assertion_type") != Some(CLIENT_ASSERTION_TYPE) {
        return Err((400, "invalid_request", "Missing or invalid client_assertion_type - must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'"));
    }
    if field("grant_type") != Some(GRANT_TYPE) {
        return Err((400, "invalid_request", "grant_type is invalid"));
    }
    if field("subject_token_type") != Some(SUBJECT_TOKEN_TYPE) {
        return Err((
            400,
            "invalid_request",
            "missing or invalid subject_token_type - must be 'urn:ietf:params:oauth:token-type:id_token'",
        ));
    }
    let assertion = field("client_assertion").ok_or((400, "invalid_request", "Missing client_assertion"))?;
    check_assertion(assertion, token_url, state, exchange)?;
    let subject = field("subject_token").ok_or((400, "invalid_request", "Missing subject_token"))?;
    check_subject(subject, exchange)
}

fn decode_part(part: Option<&str>) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part?).ok()?).ok()
}

pub(crate) fn decode_unverified(jwt: &str) -> Option<(Value, Value)> {
    let mut parts = jwt.split('.');
    let header = decode_part(parts.next())?;
    let claims = decode_part(parts.next())?;
    (parts.next().is_some_and(|s| !s.is_empty()) && parts.next().is_none()).then_some((header, claims))
}

pub(crate) fn verify_signature(jwt: &str, public_pem: &str, algorithms: &[Algorithm]) -> bool {
    let Ok(key) = DecodingKey::from_rsa_pem(public_pem.as_bytes()) else { return false };
    let Ok(header) = jsonwebtoken::decode_header(jwt) else { return false };
    let Some((message, signature)) = jwt.rsplit_once('.') else { return false };
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else { return false };
    let Ok(verifier) = (JWT.verifier_factory)(&header.alg, &key) else { return false };
    algorithms.contains(&header.alg)
        && verifier.verify(message.as_bytes(), &signature).is_ok()
        && jsonwebtoken::dangerous::insecure_decode_claims::<Value>(jwt).is_ok()
}

fn check_assertion(jwt: &str, token_url: &str, state: &mut State, exchange: &mut Exchange) -> Result<(), Refusal> {
    const MALFORMED: Refusal = (400, "invalid_request", "Malformed JWT in client_assertion");
    let (header, claims) = decode_unverified(jwt).ok_or(MALFORMED)?;
    exchange.assertion_header = Some(header.clone());
    exchange.assertion_claims = Some(claims.clone());
    if header["alg"] != "RS512" {
        return Err((
            400,
            "invalid_request",
            "Invalid 'alg' header in client_assertion JWT - unsupported JWT algorithm - must be 'RS512'",
        ));
    }
    let exp = claims.get("exp").ok_or((400, "invalid_request", "Missing 'exp' claim in client_assertion JWT"))?;
    let exp = exp.as_i64().ok_or((
        400,
        "invalid_request",
        "Invalid 'exp' claim in client_assertion JWT - must be an integer",
    ))?;
    let kid = header.get("kid").and_then(Value::as_str).ok_or((
        400,
        "invalid_request",
        "Missing 'kid' header in client_assertion JWT",
    ))?;
    if !header["typ"].as_str().is_some_and(|t| t.eq_ignore_ascii_case("JWT")) {
        return Err((400, "invalid_request", "Invalid 'typ' header in client_assertion JWT - must be 'JWT'"));
    }
    let now = now();
    if exp <= now - 10 {
        return Err((400, "invalid_request", "Invalid 'exp' claim in client_assertion JWT - JWT has expired"));
    }
    if exp - now > 310 {
        return Err((
            400,
            "invalid_request",
            "Invalid 'exp' claim in client_assertion JWT - more than 5 minutes in future",
        ));
    }
    let (iss, sub) = (claims["iss"].as_str(), claims["sub"].as_str());
    if iss.is_none() || iss != sub {
        return Err((400, "invalid_request", "Missing or non-matching 'iss'/'sub' claims in client_assertion JWT"));
    }
    let jti = claims.get("jti").ok_or((400, "invalid_request", "Missing 'jti' claim in client_assertion JWT"))?;
    let jti = jti.as_str().filter(|j| !j.is_empty()).ok_or((
        400,
        "invalid_request",
        "Invalid 'jti' claim in client_assertion JWT - must be a unique string value such as a GUID",
    ))?;
    if !state.jtis.insert(jti.to_owned()) {
        return Err((400, "invalid_request", "Non-unique 'jti' claim in client_assertion JWT"));
    }
    if iss != Some(TEST_API_KEY) {
        return Err((401, "invalid_request", "Invalid 'iss'/'sub' claims in client_assertion JWT"));
    }
    if kid != TEST_KID {
        return Err((401, "invalid_request", "Invalid 'kid' header in client_assertion JWT - no matching public key"));
    }
    if !verify_signature(jwt, CLIENT_PUBLIC, &[Algorithm::RS512]) {
        return Err((401, "public_key error", "JWT signature verification failed"));
    }
    if claims["aud"].as_str() != Some(token_url) {
        return Err((401, "invalid_request", "Missing or invalid 'aud' claim in client_assertion JWT"));
    }
    Ok(())
}

fn check_subject(jwt: &str, exchange: &mut Exchange) -> Result<(), Refusal> {
    let (header, claims) = decode_unverified(jwt).ok_or((400, "invalid_request", "Malformed JWT in subject_token"))?;
    exchange.subject_claims = Some(claims.clone());
    let kid = header.get("kid").and_then(Value::as_str).ok_or((
        400,
        "invalid_request",
        "Missing 'kid' header in subject_token JWT",
    ))?;
    if !header["typ"].as_str().is_some_and(|t| t.eq_ignore_ascii_case("JWT")) {
        return Err((400, "invalid_request", "Invalid 'typ' header in subject_token JWT - must be 'JWT'"));
    }
    header.get("alg").ok_or((400, "invalid_request", "Missing 'alg' header in subject_token JWT"))?;
    let exp = claims.get("exp").ok_or((400, "invalid_request", "Missing 'exp' claim in subject_token JWT"))?;
    let exp = exp.as_i64().ok_or((
        400,
        "invalid_request",
        "Invalid 'exp' claim in subject_token JWT - must be an integer",
    ))?;
    if exp <= now() {
        return Err((400, "invalid_request", "Invalid 'exp' claim in subject_token JWT - JWT has expired"));
    }
    let iss = claims.get("iss").ok_or((400, "invalid_request", "Missing 'iss' claim in subject_token JWT"))?;
    if iss != NHS_LOGIN_ISSUER {
        return Err((400, "invalid_request", "Missing or non-matching 'iss' claim in subject_token JWT"));
    }
    if claims.get("aud").is_none() {
        return Err((401, "invalid_request", "Missing 'aud' claim in subject_token JWT"));
    }
    if kid != NHS_LOGIN_KID {
        return Err((401, "invalid_request", "Invalid 'kid' header in subject_token JWT - no matching public key"));
    }
    if !verify_signature(jwt, NHS_LOGIN_PUBLIC, &[Algorithm::RS256, Algorithm::RS512]) {
        return Err((400, "invalid_request", "subject_token is invalid"));
    }
    let level = claims["identity_proofing_level"].as_str().unwrap_or_default();
    if level.get(..2) != Some("P9") {
        return Err((401, "unauthorized_client", "you have tried to request authorization but your application is not configured to use this authorization grant type"));
    }
    Ok(())
}
