//! [`MockSpine`]: the mock server, its configuration and its state.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use gpconnect_core::Capability;
use serde_json::Value;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::nhs::{is_valid_nhs_number, masked};
use crate::received::{ReceivedRequest, Target, Verdict};
use crate::sds::{self, SDS_BASE_PATH};
use crate::ssp;
use crate::validate::FHIR_JSON;
use crate::world::{Config, State};
pub use crate::world::{
    DEFAULT_CONSUMER_ASID, DEFAULT_PATIENTS, DEFAULT_PROVIDER_ASID, DEFAULT_PROVIDER_ODS, DEFAULT_SDS_API_KEY,
    PROVIDER_HOST,
};

/// Priority of the testkit's catch-all mock; mount your own mocks with a lower number
/// (higher priority) to override it.
pub const CATCH_ALL_PRIORITY: u8 = 10;

struct Shared {
    config: Config,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic in a test thread must not hide later requests.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The catch-all responder: validates, routes and logs.
struct Responder(Arc<Shared>);

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let shared = &self.0;
        let query: Vec<(String, String)> =
            req.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let headers: Vec<(String, String)> = req
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body: Option<Value> = if req.body.is_empty() { None } else { serde_json::from_slice(&req.body).ok() };
        let path = req.url.path();
        let now = chrono::Utc::now().timestamp();

        let mut state = shared.state();
        let (target, outcome) = match path.strip_prefix(SDS_BASE_PATH) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                (Target::Sds, sds::handle(&shared.config, req, rest, &query))
            }
            _ => (Target::Ssp, ssp::handle(&shared.config, &mut state, req, &query, body.as_ref(), now)),
        };
        let (template, verdict) = match outcome.result {
            Ok(reply) => {
                let mut t = ResponseTemplate::new(reply.status)
                    .set_body_raw(reply.body.to_string(), FHIR_JSON)
                    .insert_header("Cache-Control", "no-store");
                for (n, v) in reply.headers {
                    t = t.insert_header(n.as_str(), v.as_str());
                }
                (t, Verdict::Accepted)
            }
            Err(r) => (
                ResponseTemplate::new(r.status)
                    .set_body_raw(r.body.to_string(), FHIR_JSON)
                    .insert_header("Cache-Control", "no-store"),
                Verdict::Rejected { status: r.status, code: r.code, diagnostics: r.diagnostics },
            ),
        };
        state.log.push(ReceivedRequest {
            target,
            method: req.method.as_str().to_string(),
            path: path.to_string(),
            service_root: outcome.service_root,
            fhir_path: outcome.fhir_path,
            query,
            raw_query: req.url.query().unwrap_or_default().to_owned(),
            headers,
            interaction: outcome.interaction,
            claims: outcome.claims,
            body,
            verdict,
        });
        template
    }
}

/// Builds a [`MockSpine`] with non-default identities.
///
/// ```no_run
/// # async fn demo() {
/// let spine = gpconnect_testkit::MockSpine::builder()
///     .consumer_asid("918999198738")
///     .provider("B82617", "200000000359")
///     .start()
///     .await;
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct MockSpineBuilder {
    config: Config,
    patients: Option<Vec<String>>,
}

impl MockSpineBuilder {
    /// The consumer ASID the SSP accepts in `Ssp-From`.
    pub fn consumer_asid(mut self, asid: impl Into<String>) -> Self {
        self.config.consumer_asid = asid.into();
        self
    }

    /// The provider's ODS code and ASID (`Ssp-To`); the party key becomes `<ODS>-821870`.
    pub fn provider(mut self, ods: impl Into<String>, asid: impl Into<String>) -> Self {
        self.config.provider_ods = ods.into();
        self.config.provider_asid = asid.into();
        self.config.party_key = format!("{}-821870", self.config.provider_ods);
        self
    }

    /// The provider's MHS party key as SDS reports it.
    pub fn party_key(mut self, key: impl Into<String>) -> Self {
        self.config.party_key = key.into();
        self
    }

    /// The SDS `apikey` header value the mock SDS accepts.
    pub fn sds_api_key(mut self, key: impl Into<String>) -> Self {
        self.config.sds_api_key = key.into();
        self
    }

    /// The patients the provider knows, replacing [`DEFAULT_PATIENTS`].
    ///
    /// # Panics
    /// If a number fails the NHS number check digit test.
    pub fn patients<I, S>(mut self, nhs_numbers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.patients = Some(nhs_numbers.into_iter().map(Into::into).collect());
        self
    }

    /// Starts the server on `127.0.0.1` with a random port.
    pub async fn start(self) -> MockSpine {
        let server = MockServer::start().await;
        let mut config = self.config;
        config.base_url = server.uri();
        let mut state = State::default();
        let patients = self.patients.unwrap_or_else(|| DEFAULT_PATIENTS.iter().map(|s| s.to_string()).collect());
        for nhs in &patients {
            assert!(is_valid_nhs_number(nhs), "testkit patient {} is not a valid NHS number", masked(nhs));
            state.add_patient(nhs);
        }
        let shared = Arc::new(Shared { config, state: Mutex::new(state) });
        Mock::given(wiremock::matchers::any())
            .respond_with(Responder(shared.clone()))
            .with_priority(CATCH_ALL_PRIORITY)
            .named("gpconnect-testkit catch-all")
            .mount(&server)
            .await;
        MockSpine { server, shared }
    }
}

/// An in-process mock Spine on `127.0.0.1`: the SSP, a GP Connect provider behind it and
/// the SDS FHIR API, on one [`wiremock::MockServer`].
///
/// Every request is checked the way the SSP and providers check it (headers, interaction,
/// JWT claims) and answered with the spec's example payloads, or with the error a provider
/// would send. `Debug` prints no NHS numbers.
pub struct MockSpine {
    server: MockServer,
    shared: Arc<Shared>,
}

impl fmt::Debug for MockSpine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockSpine")
            .field("ssp_url", &self.shared.config.base_url)
            .field("consumer_asid", &self.shared.config.consumer_asid)
            .field("provider_ods", &self.shared.config.provider_ods)
            .field("provider_asid", &self.shared.config.provider_asid)
            .field("patients", &self.shared.state().patients.len())
            .finish_non_exhaustive()
    }
}

impl MockSpine {
    /// Starts a mock Spine with the default identities and patients.
    pub async fn start() -> MockSpine {
        MockSpine::builder().start().await
    }

    /// A builder for non-default identities.
    pub fn builder() -> MockSpineBuilder {
        MockSpineBuilder::default()
    }

    /// The SSP base URL (`http://127.0.0.1:PORT`); requests go to
    /// `{ssp_url}/{service root}/{fhir path}`.
    pub fn ssp_url(&self) -> String {
        self.server.uri()
    }

    /// The SDS FHIR API base URL (`http://127.0.0.1:PORT/spine-directory/FHIR/R4`).
    pub fn sds_url(&self) -> String {
        format!("{}{SDS_BASE_PATH}", self.server.uri())
    }

    /// The `apikey` header value the mock SDS accepts.
    pub fn sds_api_key(&self) -> &str {
        &self.shared.config.sds_api_key
    }

    /// The consumer ASID the SSP accepts in `Ssp-From`.
    pub fn consumer_asid(&self) -> &str {
        &self.shared.config.consumer_asid
    }

    /// The provider's ODS code.
    pub fn provider_ods(&self) -> &str {
        &self.shared.config.provider_ods
    }

    /// The provider's ASID (`Ssp-To`).
    pub fn provider_asid(&self) -> &str {
        &self.shared.config.provider_asid
    }

    /// The provider's MHS party key.
    pub fn party_key(&self) -> &str {
        &self.shared.config.party_key
    }

    /// The provider service root for `capability`, e.g.
    /// `https://provider.testkit.invalid/A20047/STU3/1/gpconnect/structured`.
    pub fn service_root(&self, capability: Capability) -> String {
        self.shared.config.service_root(capability)
    }

    /// The full URL a request for `fhir_path` on `capability` goes to, through the SSP.
    pub fn url(&self, capability: Capability, fhir_path: &str) -> String {
        format!("{}/{}/{}", self.ssp_url(), self.service_root(capability), fhir_path.trim_start_matches('/'))
    }

    /// The underlying server, to mount stricter mocks at a higher priority than
    /// [`CATCH_ALL_PRIORITY`].
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// Adds a known patient; returns its logical id (the existing one if already known).
    ///
    /// # Panics
    /// If `nhs_number` fails the NHS number check digit test.
    pub fn add_patient(&self, nhs_number: &str) -> String {
        assert!(is_valid_nhs_number(nhs_number), "testkit patient {} is not a valid NHS number", masked(nhs_number));
        self.shared.state().add_patient(nhs_number)
    }

    /// Removes a known patient; returns whether it was known.
    pub fn remove_patient(&self, nhs_number: &str) -> bool {
        self.shared.state().patients.remove(nhs_number).is_some()
    }

    /// The logical id of a known patient.
    pub fn patient_id(&self, nhs_number: &str) -> Option<gpconnect_core::PatientId> {
        self.shared.state().patients.get(nhs_number).and_then(|id| id.parse().ok())
    }

    /// Every request the testkit's catch-all route answered, in order.
    pub async fn received(&self) -> Vec<ReceivedRequest> {
        self.shared.state().log.clone()
    }

    /// Forgets the requests received so far.
    pub async fn clear_received(&self) {
        self.shared.state().log.clear();
    }
}
