//! Spine Directory Service (SDS FHIR API) look-ups: a provider's ODS code and an
//! interaction ID give its service root URL (`Endpoint.address`) and ASID (`Device`).
//!
//! The look-up uses the interaction of the operation being sent, so the interaction
//! in SDS and in `Ssp-InteractionID` can never differ. Answers are cached in memory
//! and expire (the spec: cache per session, re-resolve per patient encounter).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{ConfigError, DirectoryError, DirectoryProblem};
use crate::fhir::one_or_many;
use crate::http::{http_client, read_body, BodyProblem};
use crate::retry::{retrying, RetryPolicy};
use crate::service_root::ServiceRoot;
use crate::tls::Roots;
use crate::{Asid, Effect, Error, InteractionId, OdsCode, Result};

/// The identifier system of interaction IDs in SDS.
pub const INTERACTION_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhsServiceInteractionId";
/// The identifier system of MHS party keys in SDS.
pub const PARTY_KEY_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhsMhsPartyKey";

/// How to reach the SDS FHIR API.
#[derive(Clone)]
pub struct SdsConfig {
    pub(crate) url: String,
    pub(crate) api_key: SecretString,
    pub(crate) cache_ttl: Duration,
    pub(crate) timeout: Duration,
}

impl SdsConfig {
    /// The SDS FHIR base URL (ending `.../spine-directory/FHIR/R4`) and the API key sent
    /// in the `apikey` header.
    pub fn new(url: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            api_key: SecretString::from(api_key.into()),
            cache_ttl: Duration::from_secs(15 * 60),
            timeout: Duration::from_secs(10),
        }
    }

    /// How long a look-up is reused (default 15 minutes).
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// Time allowed for one SDS request (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl fmt::Debug for SdsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdsConfig").field("url", &self.url).field("cache_ttl", &self.cache_ttl).finish_non_exhaustive()
    }
}

type CacheKey = (OdsCode, InteractionId);

pub(crate) struct SdsClient {
    http: reqwest::Client,
    config: SdsConfig,
    retry: RetryPolicy,
    max_body: usize,
    cache: Mutex<HashMap<CacheKey, Arc<Slot>>>,
}

/// One key's cache entry: held (asynchronously) by the one look-up in flight for the key,
/// so concurrent misses wait for it and share its answer (single flight).
type Slot = tokio::sync::Mutex<Option<(Instant, Arc<ServiceRoot>)>>;

/// Reads an SDS search answer: the resources of its entries, whatever else it holds
/// (public for the fuzz harness and benches; not part of the API).
#[doc(hidden)]
pub fn parse_answer(body: &[u8]) -> Result<impl fmt::Debug, DirectoryProblem> {
    identified(body)
}

fn identified(body: &[u8]) -> Result<Vec<Identified>, DirectoryProblem> {
    let bundle: Bundle = crate::fhir::from_json_slice(body).map_err(|_| DirectoryProblem::BadAnswer)?;
    Ok(bundle.entry.into_iter().filter_map(|e| e.resource).collect())
}

#[derive(Deserialize)]
struct Bundle {
    #[serde(default, deserialize_with = "one_or_many")]
    entry: Vec<Entry>,
}

#[derive(Deserialize, Default)]
struct Entry {
    resource: Option<Identified>,
}

#[derive(Deserialize, Default)]
struct Identified {
    #[serde(rename = "resourceType")]
    resource_type: Option<String>,
    address: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    identifier: Vec<Ident>,
}

#[derive(Deserialize, Default)]
struct Ident {
    system: Option<String>,
    value: Option<String>,
}

crate::redacted_debug!(Identified, resource_type, identifier [address]; Ident, system [value]);

impl Identified {
    fn identifier(&self, system: &str) -> Option<&str> {
        self.identifier.iter().find(|i| i.system.as_deref() == Some(system)).and_then(|i| i.value.as_deref())
    }
}

impl SdsClient {
    /// An SDS client that never follows redirects, reads answers with the SSP's body
    /// limit and retries through the client's [`RetryPolicy`].
    pub(crate) fn new(
        config: SdsConfig,
        connect_timeout: Duration,
        retry: RetryPolicy,
        max_body: usize,
    ) -> Result<Self, ConfigError> {
        let http = http_client(connect_timeout, Roots::PlatformAnd(&[]), None)?
            .timeout(config.timeout)
            .build()
            .map_err(|e| ConfigError::Http(e.into()))?;
        Ok(Self {
            http,
            config: SdsConfig { url: config.url.trim_end_matches('/').to_owned(), ..config },
            retry,
            max_body,
            cache: Mutex::default(),
        })
    }

    /// The service root and ASID for `ods` and `interaction`, from the cache or SDS. One
    /// look-up per key at a time: concurrent misses wait for the one in flight.
    pub(crate) async fn resolve(&self, ods: &OdsCode, interaction: InteractionId) -> Result<Arc<ServiceRoot>> {
        let ttl = self.config.cache_ttl;
        let fresh = |at: &Instant| at.elapsed() < ttl;
        let slot = {
            let mut cache = self.cache.lock().expect("sds cache");
            // Stale entries nobody is using go; a key being looked up keeps its slot.
            cache.retain(|_, slot| {
                Arc::strong_count(slot) > 1
                    || slot.try_lock().is_ok_and(|e| e.as_ref().is_some_and(|(at, _)| fresh(at)))
            });
            cache.entry((ods.clone(), interaction)).or_default().clone()
        };
        let mut entry = slot.lock().await;
        if let Some((at, root)) = entry.as_ref() {
            if fresh(at) {
                return Ok(root.clone());
            }
        }
        // Boxed: the look-up's state (two searches) stays out of every request's future.
        let root = Arc::new(Box::pin(self.look_up(ods, interaction)).await?);
        *entry = Some((Instant::now(), root.clone()));
        Ok(root)
    }

    async fn look_up(&self, ods: &OdsCode, interaction: InteractionId) -> Result<ServiceRoot> {
        let fail = |problem| Error::Directory(Box::new(DirectoryError { ods: ods.clone(), interaction, problem }));
        let organization = format!("{}|{}", OdsCode::SYSTEM, ods.as_str());
        let interaction_id = format!("{INTERACTION_SYSTEM}|{}", interaction.urn());
        let endpoints: Vec<Identified> =
            self.search("Endpoint", &[("organization", &organization), ("identifier", &interaction_id)], &fail).await?;
        let endpoint = endpoints
            .iter()
            .find(|e| e.resource_type.as_deref() == Some("Endpoint") && e.address.is_some())
            .ok_or_else(|| fail(DirectoryProblem::NoEndpoint))?;
        let address = endpoint.address.clone().unwrap_or_default();
        let mut query = vec![("organization", organization.as_str()), ("identifier", interaction_id.as_str())];
        let party_key = endpoint.identifier(PARTY_KEY_SYSTEM).map(|k| format!("{PARTY_KEY_SYSTEM}|{k}"));
        if let Some(key) = &party_key {
            query.push(("identifier", key));
        }
        let devices: Vec<Identified> = self.search("Device", &query, &fail).await?;
        let asid = devices
            .iter()
            .filter(|d| d.resource_type.as_deref() == Some("Device"))
            .find_map(|d| d.identifier(Asid::SYSTEM))
            .and_then(|a| Asid::parse(a).ok())
            .ok_or_else(|| fail(DirectoryProblem::NoAsid))?;
        ServiceRoot::new(address, asid).map_err(|_| fail(DirectoryProblem::BadAnswer))
    }

    /// One SDS search, through the one retry loop (a read).
    async fn search(
        &self,
        resource: &str,
        query: &[(&str, &str)],
        fail: &(dyn Fn(DirectoryProblem) -> Error + Sync),
    ) -> Result<Vec<Identified>> {
        let mut url = url::Url::parse(&format!("{}/{resource}", self.config.url))
            .map_err(|_| fail(DirectoryProblem::BadAnswer))?;
        url.query_pairs_mut().extend_pairs(query);
        let url = &url;
        retrying(&self.retry, Effect::Read, move |_| async move { self.search_once(url).await.map_err(fail) }).await
    }

    async fn search_once(&self, url: &url::Url) -> Result<Vec<Identified>, DirectoryProblem> {
        let result = self
            .http
            .get(url.clone())
            .header("apikey", self.config.api_key.expose_secret())
            .header("X-Request-ID", uuid::Uuid::new_v4().to_string())
            .header(http::header::ACCEPT, "application/fhir+json")
            .send()
            .await;
        match result {
            Ok(resp) if resp.status().is_success() => {
                let bytes = read_body(resp, self.max_body).await.map_err(|problem| match problem {
                    BodyProblem::TooLarge => DirectoryProblem::BadAnswer,
                    BodyProblem::Http(e) if e.is_timeout() => DirectoryProblem::Timeout,
                    BodyProblem::Http(_) => DirectoryProblem::Unreachable,
                })?;
                identified(&bytes)
            }
            Ok(resp) if resp.status().is_redirection() => {
                Err(DirectoryProblem::Redirected { status: resp.status().as_u16() })
            }
            Ok(resp) => Err(DirectoryProblem::Refused { status: resp.status().as_u16() }),
            Err(e) if e.is_timeout() => Err(DirectoryProblem::Timeout),
            Err(_) => Err(DirectoryProblem::Unreachable),
        }
    }
}
