//! The NHS login relying-party helper: from "log in" to the ID token a session is made
//! from, with this SDK alone. The authorisation request (`state`, `nonce`, the P9 `vtr`,
//! `openid profile`), the callback's checks, and the code exchange authenticated with
//! `private_key_jwt` (RS512), as NHS login's interface specification asks (auth README
//! §8). PKCE only when the discovery document offers `S256` (NHS login's does not).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::header::{ACCEPT, CONTENT_TYPE};
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::NhsLogin;
use crate::error::{AuthError, AuthProblem, ConfigError};
use crate::http::{check_url, http_client, read_body, CONNECT_TIMEOUT, REQUEST_TIMEOUT};
use crate::tls::Roots;
use crate::{Error, HttpSettings, Result};

/// The scopes GP Connect's patient-facing APIs need: `openid` and `profile` (NHS number
/// and proofing level).
pub const GP_CONNECT_SCOPES: &str = "openid profile";

/// The largest discovery or token answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// Seconds the client assertion to NHS login lives.
const ASSERTION_SECS: i64 = 120;

/// NHS login's discovery document: the parts the helper uses.
#[derive(Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    code_challenge_methods_supported: Vec<String>,
}

/// An app's NHS login client: its registration (issuer, client id, redirect URI) and its
/// private key for `private_key_jwt`, with NHS login's endpoints read from discovery.
///
/// ```no_run
/// use gpconnect_core::platform::{NhsLogin, NhsLoginClient, PlatformClient};
/// # async fn demo(platform: PlatformClient, key_pem: &[u8], callback_query: &str) -> gpconnect_core::Result<()> {
/// let login = NhsLogin::new(NhsLogin::INTEGRATION, "my-nhs-login-client-id");
/// let rp = NhsLoginClient::discover(login, "https://app.example/callback", key_pem, Default::default()).await?;
/// let started = rp.authorisation();            // keep it in the user's session
/// // redirect the browser to started.url(); NHS login comes back to the callback:
/// let id_token = rp.complete(&started, callback_query).await?;
/// let patient = platform.log_in(id_token, Some(started.nonce())).await?;
/// # Ok(()) }
/// ```
pub struct NhsLoginClient {
    http: reqwest::Client,
    settings: HttpSettings,
    login: NhsLogin,
    redirect_uri: String,
    key: jsonwebtoken::EncodingKey,
    kid: Option<String>,
    discovery: Discovery,
}

impl fmt::Debug for NhsLoginClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NhsLoginClient").field("login", &self.login).finish_non_exhaustive()
    }
}

/// A started login: the authorisation URL to send the browser to, and the `state`,
/// `nonce` (and PKCE verifier) to keep in the user's session until the callback. `Debug`
/// shows none of them.
#[derive(Clone)]
pub struct Authorisation {
    url: String,
    state: SecretString,
    nonce: SecretString,
    verifier: Option<SecretString>,
}

impl fmt::Debug for Authorisation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorisation").field("pkce", &self.verifier.is_some()).finish_non_exhaustive()
    }
}

impl Authorisation {
    /// Where to send the browser (`GET {authorization_endpoint}?...`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `state` sent; the callback must return it.
    pub fn state(&self) -> &str {
        self.state.expose_secret()
    }

    /// The `nonce` sent; the ID token must carry it (pass it to
    /// [`PlatformClient::log_in`](super::PlatformClient::log_in)).
    pub fn nonce(&self) -> &str {
        self.nonce.expose_secret()
    }
}

#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    id_token: Option<String>,
}

impl NhsLoginClient {
    /// Reads NHS login's discovery document (`{issuer}/.well-known/openid-configuration`,
    /// or the URL set with [`NhsLogin::with_discovery_url`]) and checks its `issuer` is
    /// the configured one; `private_key_pem` is the RSA key registered with NHS login.
    pub async fn discover(
        login: NhsLogin,
        redirect_uri: impl Into<String>,
        private_key_pem: &[u8],
        settings: HttpSettings,
    ) -> Result<Self> {
        super::jws::check_backend()?;
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key_pem).map_err(|_| ConfigError::Identity {
            reason: "the NHS login client key is not an RSA private key in PEM".into(),
        })?;
        let redirect_uri = redirect_uri.into();
        check_url(&redirect_uri, "redirect URI", settings.allow_http)?;
        let url = login.discovery_url();
        check_url(&url, "NHS login discovery", settings.allow_http)?;
        let http =
            http_client(settings.connect_timeout_or(CONNECT_TIMEOUT), Roots::PlatformAnd(&settings.ca_roots), None)?
                .build()
                .map_err(|e| ConfigError::Http(e.into()))?;
        let unavailable = || Error::from(AuthError::new(AuthProblem::NhsLoginUnavailable));
        let answer = http
            .get(&url)
            .timeout(settings.request_timeout_or(REQUEST_TIMEOUT))
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|_| unavailable())?;
        if !answer.status().is_success() {
            return Err(unavailable());
        }
        let body = read_body(answer, MAX_ANSWER).await.map_err(|_| unavailable())?;
        let discovery: Discovery = serde_json::from_slice(&body).map_err(|_| unavailable())?;
        if discovery.issuer.trim_end_matches('/') != login.issuer {
            return Err(ConfigError::Url { what: "NHS login discovery issuer (not the configured issuer)" }.into());
        }
        for endpoint in [&discovery.authorization_endpoint, &discovery.token_endpoint] {
            check_url(endpoint, "NHS login endpoint", settings.allow_http)?;
        }
        Ok(Self { http, settings, login, redirect_uri, key, kid: None, discovery })
    }

    /// Sends this `kid` in the client assertion's header (NHS login does not ask for one).
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Starts a login with [`GP_CONNECT_SCOPES`]: a fresh random `state` and `nonce`, the
    /// accepted vectors of trust as `vtr`, and PKCE (`S256`) only when discovery offers it.
    pub fn authorisation(&self) -> Authorisation {
        self.authorisation_with_scopes(GP_CONNECT_SCOPES)
    }

    /// [`authorisation`](Self::authorisation) with other scopes (`openid` is added when
    /// missing; `profile` is what gives the NHS number and proofing level).
    pub fn authorisation_with_scopes(&self, scopes: &str) -> Authorisation {
        let random = || format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        let (state, nonce) = (random(), random());
        let scope =
            if scopes.split(' ').any(|s| s == "openid") { scopes.to_owned() } else { format!("openid {scopes}") };
        let vtr = serde_json::to_string(&self.login.vectors_of_trust).unwrap_or_else(|_| "[]".into());
        let mut url = url::Url::parse(&self.discovery.authorization_endpoint).expect("checked at discovery");
        let verifier = self.discovery.code_challenge_methods_supported.iter().any(|m| m == "S256").then(random);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.login.client_id)
                .append_pair("redirect_uri", &self.redirect_uri)
                .append_pair("scope", &scope)
                .append_pair("state", &state)
                .append_pair("nonce", &nonce)
                .append_pair("vtr", &vtr);
            if let Some(v) = &verifier {
                let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()));
                q.append_pair("code_challenge", &challenge).append_pair("code_challenge_method", "S256");
            }
        }
        Authorisation {
            url: url.into(),
            state: state.into(),
            nonce: nonce.into(),
            verifier: verifier.map(SecretString::from),
        }
    }

    /// Completes a login from the callback's query string: checks `state` first, reads an
    /// error (`access_denied`: the patient declined, [`AuthProblem::LoginDeclined`]; any
    /// other: [`AuthProblem::NhsLoginRefused`]), exchanges the code at NHS login's token
    /// endpoint with a `private_key_jwt` client assertion, and returns the ID token, to
    /// verify with [`PlatformClient::log_in`](super::PlatformClient::log_in) and the
    /// authorisation's nonce.
    pub async fn complete(&self, started: &Authorisation, callback_query: &str) -> Result<String> {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(callback_query.trim_start_matches('?').as_bytes()).into_owned().collect();
        let get = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        if get("state") != Some(started.state()) {
            return Err(AuthError::new(AuthProblem::LoginStateMismatch).into());
        }
        if let Some(error) = get("error") {
            let problem = if error.eq_ignore_ascii_case("access_denied") {
                AuthProblem::LoginDeclined
            } else {
                AuthProblem::NhsLoginRefused
            };
            return Err(AuthError::new(problem).into());
        }
        let code = get("code").filter(|c| !c.is_empty()).ok_or_else(|| AuthError::new(AuthProblem::NhsLoginRefused))?;
        self.exchange_code(code, started).await
    }

    async fn exchange_code(&self, code: &str, started: &Authorisation) -> Result<String> {
        let token_url = &self.discovery.token_endpoint;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        let claims = Assertion {
            iss: &self.login.client_id,
            sub: &self.login.client_id,
            aud: token_url,
            jti: Uuid::new_v4().to_string(),
            iat: now,
            exp: now.saturating_add(ASSERTION_SECS),
        };
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS512);
        header.typ = Some("JWT".into());
        header.kid = self.kid.clone();
        let assertion = Zeroizing::new(super::jws::sign(&header, &claims, &self.key).map_err(|_| {
            ConfigError::Identity { reason: "the NHS login client assertion could not be signed with this key".into() }
        })?);
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            .append_pair("client_assertion", &assertion);
        if let Some(v) = &started.verifier {
            form.append_pair("code_verifier", v.expose_secret());
        }
        let form = Zeroizing::new(form.finish());
        let refused =
            |status: Option<u16>| Error::from(AuthError { status, ..AuthError::new(AuthProblem::NhsLoginRefused) });
        let answer = self
            .http
            .post(token_url)
            .timeout(self.settings.request_timeout_or(REQUEST_TIMEOUT))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(form.as_bytes().to_vec())
            .send()
            .await
            .map_err(|_| refused(None))?;
        let status = answer.status().as_u16();
        let body = Zeroizing::new(read_body(answer, MAX_ANSWER).await.map_err(|_| refused(Some(status)))?.to_vec());
        if status != 200 {
            tracing::warn!(status, "NHS login refused the code exchange");
            return Err(refused(Some(status)));
        }
        let parsed: TokenAnswer = serde_json::from_slice(&body).map_err(|_| refused(Some(status)))?;
        parsed.id_token.filter(|t| !t.is_empty()).ok_or_else(|| refused(Some(status)))
    }
}
