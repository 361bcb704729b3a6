//! NHS login as a relying party sees it: where it is, which tokens the app accepts, and
//! the verification of an ID token against NHS login's published keys (JWKS), fetched,
//! cached and refreshed on an unknown `kid` (at most once a minute).

use std::fmt;
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use secrecy::{ExposeSecret, SecretString};

use super::id_token::{rejected, unreadable, IdClaims, MAX_ID_TOKEN};
use super::NhsLoginIdToken;
use crate::error::{AuthError, AuthProblem, ConfigError, IdTokenCheck};
use crate::http::{read_body, REQUEST_TIMEOUT};
use crate::{Error, HttpSettings, Result};

/// The vectors of trust a P9 service accepts (NHS login's default `vtr` for P9).
pub const P9_VECTORS_OF_TRUST: [&str; 3] = ["P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"];

/// The largest JWKS document read.
const MAX_JWKS: usize = 64 * 1024;

/// The NHS login the app is registered with: the issuer of one environment, the app's
/// client id there, and what it accepts. Give it to
/// [`PlatformConfig::nhs_login`](super::PlatformConfig::nhs_login).
///
/// ```
/// use gpconnect_core::platform::NhsLogin;
/// let login = NhsLogin::new(NhsLogin::INTEGRATION, "my-nhs-login-client-id");
/// assert_eq!(login.jwks_url(), "https://auth.aos.signin.nhs.uk/.well-known/jwks.json");
/// ```
#[derive(Clone)]
pub struct NhsLogin {
    pub(crate) issuer: String,
    pub(crate) client_id: String,
    jwks_url: Option<String>,
    discovery_url: Option<String>,
    pub(crate) leeway: Duration,
    pub(crate) vectors_of_trust: Vec<String>,
    pub(crate) keys_max_age: Duration,
    pub(crate) refetch_interval: Duration,
}

impl fmt::Debug for NhsLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NhsLogin")
            .field("issuer", &self.issuer)
            .field("leeway", &self.leeway)
            .field("vectors_of_trust", &self.vectors_of_trust)
            .finish_non_exhaustive()
    }
}

impl NhsLogin {
    /// NHS login's sandpit issuer.
    pub const SANDPIT: &'static str = "https://auth.sandpit.signin.nhs.uk";
    /// NHS login's integration ("AOS") issuer, paired with the platform's integration
    /// environment.
    pub const INTEGRATION: &'static str = "https://auth.aos.signin.nhs.uk";
    /// NHS login's live issuer.
    pub const PRODUCTION: &'static str = "https://auth.login.nhs.uk";

    /// The issuer (`iss` of its tokens, the base of its endpoints) and the client id NHS
    /// login gave this app there (`aud` of its ID tokens). Defaults: keys from
    /// `{issuer}/.well-known/jwks.json`, 60 s clock skew allowed, the P9 vectors of trust.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
            jwks_url: None,
            discovery_url: None,
            leeway: Duration::from_secs(60),
            vectors_of_trust: P9_VECTORS_OF_TRUST.iter().map(|v| (*v).to_owned()).collect(),
            keys_max_age: Duration::from_secs(24 * 3600),
            refetch_interval: Duration::from_secs(60),
        }
    }

    /// Reads NHS login's keys from this URL instead of `{issuer}/.well-known/jwks.json`
    /// (a local mock, or the `jwks_uri` of the discovery document).
    pub fn with_jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Reads NHS login's discovery document from this URL instead of
    /// `{issuer}/.well-known/openid-configuration` (a local mock).
    pub fn with_discovery_url(mut self, url: impl Into<String>) -> Self {
        self.discovery_url = Some(url.into());
        self
    }

    /// Where the discovery document is read from.
    pub fn discovery_url(&self) -> String {
        self.discovery_url.clone().unwrap_or_else(|| format!("{}/.well-known/openid-configuration", self.issuer))
    }

    /// The clock skew allowed on `exp` and `iat` (default 60 s, at most 5 minutes).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.min(Duration::from_secs(300));
        self
    }

    /// The vectors of trust (`vot`) accepted, exactly as NHS login writes them (default
    /// [`P9_VECTORS_OF_TRUST`]); the `vtr` an authorisation request sends.
    pub fn vectors_of_trust<I: IntoIterator<Item = S>, S: Into<String>>(mut self, vot: I) -> Self {
        self.vectors_of_trust = vot.into_iter().map(Into::into).collect();
        self
    }

    /// How long fetched keys are used before they are fetched again (default 24 h, as the
    /// platform caches them), and the shortest time between two fetches caused by an
    /// unknown `kid` (default 60 s): forged tokens cannot make the SDK hammer NHS login.
    pub fn key_refresh(mut self, max_age: Duration, refetch_interval: Duration) -> Self {
        self.keys_max_age = max_age;
        self.refetch_interval = refetch_interval;
        self
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The app's NHS login client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Where NHS login's keys are read from.
    pub fn jwks_url(&self) -> String {
        self.jwks_url.clone().unwrap_or_else(|| format!("{}/.well-known/jwks.json", self.issuer))
    }
}

/// NHS login's keys as last fetched.
#[derive(Default)]
pub(crate) struct KeyCache {
    keys: RwLock<Option<Fetched>>,
    /// Held while fetching: concurrent verifications share one fetch.
    fetching: tokio::sync::Mutex<()>,
}

struct Fetched {
    set: JwkSet,
    at: Instant,
}

impl KeyCache {
    /// The RS512 key with this `kid`: from the cache while fresh; else fetched, at most
    /// once per refetch interval.
    async fn key(
        &self,
        http: &reqwest::Client,
        settings: &HttpSettings,
        login: &NhsLogin,
        kid: &str,
    ) -> Result<DecodingKey> {
        if let Some(key) = self.cached(kid, login.keys_max_age) {
            return Ok(key);
        }
        let _one = self.fetching.lock().await;
        if let Some(key) = self.cached(kid, login.keys_max_age) {
            return Ok(key);
        }
        let recently = self.read().as_ref().is_some_and(|f| f.at.elapsed() < login.refetch_interval);
        if !recently {
            match fetch(http, settings, &login.jwks_url()).await {
                Ok(set) => {
                    *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Some(Fetched { set, at: Instant::now() })
                }
                Err(e) => {
                    tracing::warn!("NHS login keys could not be fetched");
                    // Keys fetched earlier stay usable for the kids they hold.
                    if let Some(key) = self.cached(kid, Duration::MAX) {
                        return Ok(key);
                    }
                    return Err(e);
                }
            }
        }
        self.cached(kid, Duration::MAX).ok_or_else(|| rejected(IdTokenCheck::UnknownKey))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<Fetched>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    fn cached(&self, kid: &str, max_age: Duration) -> Option<DecodingKey> {
        let keys = self.read();
        let fetched = keys.as_ref().filter(|f| f.at.elapsed() < max_age)?;
        let jwk = fetched.set.find(kid)?;
        matches!(jwk.algorithm, AlgorithmParameters::RSA(_)).then(|| DecodingKey::from_jwk(jwk).ok())?
    }
}

/// Fetches a JWKS: https only (unless plain http is allowed), no redirects, bounded.
async fn fetch(http: &reqwest::Client, settings: &HttpSettings, url: &str) -> Result<JwkSet> {
    let unavailable = || Error::from(AuthError::new(AuthProblem::NhsLoginUnavailable));
    crate::http::check_url(url, "NHS login JWKS", settings.allow_http)?;
    let answer = http
        .get(url)
        .timeout(settings.request_timeout_or(REQUEST_TIMEOUT))
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|_| unavailable())?;
    if !answer.status().is_success() {
        return Err(unavailable());
    }
    let body = read_body(answer, MAX_JWKS).await.map_err(|_| unavailable())?;
    serde_json::from_slice(&body).map_err(|_| unavailable())
}

/// Verifies a compact ID token as NHS login asks of a relying party (EIS §4.2; auth
/// README §8.4): RS512 signature with the published key of its `kid`, `iss`, `aud`,
/// `exp` and `iat` within the leeway, `nonce` when one was sent, `vot`, then (in
/// [`NhsLoginIdToken`]) the NHS number and proofing level P9.
pub(crate) async fn verify(
    http: &reqwest::Client,
    settings: &HttpSettings,
    login: &NhsLogin,
    keys: &KeyCache,
    compact: SecretString,
    nonce: Option<&str>,
) -> Result<NhsLoginIdToken> {
    let raw = compact.expose_secret();
    if raw.len() > MAX_ID_TOKEN || raw.split('.').count() != 3 {
        return Err(unreadable());
    }
    let header = header_of(raw).ok_or_else(unreadable)?;
    if header.alg.as_deref() != Some("RS512") {
        return Err(rejected(IdTokenCheck::Algorithm));
    }
    let kid =
        header.kid.filter(|k| !k.is_empty() && k.len() <= 256).ok_or_else(|| rejected(IdTokenCheck::UnknownKey))?;
    let key = keys.key(http, settings, login, &kid).await?;
    let claims: IdClaims = match super::jws::verify(raw, &key, Algorithm::RS512) {
        Ok(claims) => claims,
        Err(e) => {
            use jsonwebtoken::errors::ErrorKind as K;
            return Err(match e.kind() {
                K::InvalidSignature => rejected(IdTokenCheck::Signature),
                K::InvalidAlgorithm => rejected(IdTokenCheck::Algorithm),
                _ => unreadable(),
            });
        }
    };
    check_claims(login, &claims, nonce, SystemTime::now())?;
    NhsLoginIdToken::from_verified(compact, claims)
}

/// The checks after the signature, in the EIS's order.
fn check_claims(login: &NhsLogin, claims: &IdClaims, nonce: Option<&str>, now: SystemTime) -> Result<()> {
    if claims.iss.trim_end_matches('/') != login.issuer {
        return Err(rejected(IdTokenCheck::Issuer));
    }
    if !claims.aud.contains(&login.client_id) {
        return Err(rejected(IdTokenCheck::Audience));
    }
    let now = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    let leeway = i64::try_from(login.leeway.as_secs()).unwrap_or(300);
    if claims.exp.saturating_add(leeway) <= now {
        return Err(AuthError::new(AuthProblem::IdTokenExpired).into());
    }
    if claims.iat > now.saturating_add(leeway) {
        return Err(rejected(IdTokenCheck::IssuedInFuture));
    }
    if let Some(sent) = nonce {
        if claims.nonce.as_deref() != Some(sent) {
            return Err(rejected(IdTokenCheck::Nonce));
        }
    }
    if !claims.vot.as_ref().is_some_and(|v| login.vectors_of_trust.iter().any(|a| a == v)) {
        return Err(rejected(IdTokenCheck::VectorOfTrust));
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct Header {
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    kid: Option<String>,
}

/// The JOSE header, read without trusting it (`alg: none` included, so it is named).
fn header_of(compact: &str) -> Option<Header> {
    let first = compact.split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(first.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The check that an NHS login configuration exists, for the verifying calls.
pub(crate) fn configured(login: Option<&NhsLogin>) -> Result<&NhsLogin, ConfigError> {
    login.ok_or(ConfigError::Missing("NHS login relying party (issuer and client id)"))
}
