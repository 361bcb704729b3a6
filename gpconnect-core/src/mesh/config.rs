//! Where a MESH mailbox lives and how to reach it: environment, credentials, TLS, limits.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;

use super::MailboxId;
use rustls::pki_types::CertificateDer;

use crate::error::ConfigError;
use crate::{HttpSettings, Identity, OdsCode};

/// The NHS root and sub CAs for the integration (PTL) environment, as NHS England's
/// `mesh-client` bundles them.
const INT_CA: &[u8] = include_bytes!("ca/nhs-int-ca-bundle.pem");
/// The NHS root and sub CAs for production.
const LIVE_CA: &[u8] = include_bytes!("ca/nhs-live-ca-bundle.pem");
/// The NHS root and sub CAs for the deployment environment.
const DEP_CA: &[u8] = include_bytes!("ca/nhs-dep-ca-bundle.pem");

/// A MESH environment (spec section 1.1).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MeshEnvironment {
    /// Integration / Path to Live: `https://msg.intspineservices.nhs.uk`.
    Integration,
    /// Production: `https://mesh-sync.spineservices.nhs.uk`.
    Production,
    /// Deployment: `https://msg.depspineservices.nhs.uk`.
    Deployment,
    /// A local MESH server such as NHS England's `mesh-sandbox`, at the given base URL
    /// (`http://127.0.0.1:8700`). Plain http is allowed here only, for loopback addresses.
    LocalSandbox(String),
}

impl fmt::Debug for MeshEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeshEnvironment::Integration => f.write_str("Integration"),
            MeshEnvironment::Production => f.write_str("Production"),
            MeshEnvironment::Deployment => f.write_str("Deployment"),
            MeshEnvironment::LocalSandbox(_) => f.write_str("LocalSandbox(..)"),
        }
    }
}

impl MeshEnvironment {
    /// The base URL (without `/messageexchange`).
    pub fn base_url(&self) -> &str {
        match self {
            MeshEnvironment::Integration => "https://msg.intspineservices.nhs.uk",
            MeshEnvironment::Production => "https://mesh-sync.spineservices.nhs.uk",
            MeshEnvironment::Deployment => "https://msg.depspineservices.nhs.uk",
            MeshEnvironment::LocalSandbox(url) => url,
        }
    }

    /// The NHS CA bundle trusted for this environment (none for a local sandbox).
    fn ca_bundle(&self) -> Option<&'static [u8]> {
        match self {
            MeshEnvironment::Integration => Some(INT_CA),
            MeshEnvironment::Production => Some(LIVE_CA),
            MeshEnvironment::Deployment => Some(DEP_CA),
            MeshEnvironment::LocalSandbox(_) => None,
        }
    }
}

/// What a client says about itself in the handshake (`mex-ClientVersion`, `mex-OSName`,
/// `mex-OSVersion`, `mex-OSArchitecture`).
#[derive(Clone, Debug)]
pub struct ClientInfo {
    /// `mex-ClientVersion`, default `gpconnect-rust/{version}`.
    pub client_version: String,
    /// `mex-OSName`, default the compile target's OS (`linux`).
    pub os_name: String,
    /// `mex-OSVersion`, default `unknown`.
    pub os_version: String,
    /// `mex-OSArchitecture`, default the compile target's architecture.
    pub os_architecture: String,
}

impl Default for ClientInfo {
    fn default() -> Self {
        Self {
            client_version: concat!("gpconnect-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
            os_name: std::env::consts::OS.to_owned(),
            os_version: "unknown".to_owned(),
            os_architecture: std::env::consts::ARCH.to_owned(),
        }
    }
}

/// Everything a [`MeshClient`](super::MeshClient) needs: the environment, the mailbox and
/// its password, the environment's shared secret, the client certificate and limits.
///
/// `Debug` shows the environment and the mailbox only.
///
/// ```
/// use gpconnect_core::mesh::{MeshConfig, MeshEnvironment};
/// let config = MeshConfig::new(
///     MeshEnvironment::LocalSandbox("http://127.0.0.1:8700".into()),
///     "X26ABC1".parse()?,
///     "password".into(),
///     "TestKey".into(),
/// );
/// # Ok::<(), gpconnect_core::error::InvalidInput>(())
/// ```
#[derive(Clone)]
pub struct MeshConfig {
    pub(crate) environment: MeshEnvironment,
    pub(crate) mailbox: MailboxId,
    pub(crate) ods_code: Option<OdsCode>,
    pub(crate) password: SecretString,
    pub(crate) shared_key: SecretString,
    pub(crate) identity: Option<Identity>,
    pub(crate) http: HttpSettings,
    pub(crate) read_timeout: Duration,
    pub(crate) chunk_size: usize,
    pub(crate) compression_level: u32,
    pub(crate) max_json_bytes: usize,
    pub(crate) max_receive_bytes: usize,
    pub(crate) inbox_page_size: Option<u32>,
    pub(crate) client_info: ClientInfo,
}

impl fmt::Debug for MeshConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeshConfig")
            .field("environment", &self.environment)
            .field("mailbox", &self.mailbox)
            .field("ods_code", &self.ods_code)
            .field("identity", &self.identity.as_ref().map(|_| ".."))
            .finish_non_exhaustive()
    }
}

/// The default chunk size: 10 MiB of uncompressed content per request. The spec allows
/// up to 100 MB per request; smaller chunks keep the client's memory flat (one compressed
/// chunk is held so that it can be sent again) and a failed chunk cheap to repeat.
pub const DEFAULT_CHUNK_SIZE: usize = 10 * 1024 * 1024;

/// MESH's request timeout unless [`HttpSettings::request_timeout`] sets one (one chunk
/// is one request).
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// The largest chunk the spec allows in one request (100 MB, after compression).
pub const MAX_CHUNK_SIZE: usize = 100 * 1000 * 1000;

impl MeshConfig {
    /// A mailbox in an environment: its ID, its password and the environment-wide shared
    /// secret (all three issued by NHS England at onboarding).
    pub fn new(
        environment: MeshEnvironment,
        mailbox: MailboxId,
        password: SecretString,
        shared_key: SecretString,
    ) -> Self {
        Self {
            environment,
            mailbox,
            ods_code: None,
            password,
            shared_key,
            identity: None,
            http: HttpSettings::default(),
            read_timeout: Duration::from_secs(60),
            chunk_size: DEFAULT_CHUNK_SIZE,
            compression_level: 1,
            max_json_bytes: 1024 * 1024,
            max_receive_bytes: 100 * 1024 * 1024,
            inbox_page_size: None,
            client_info: ClientInfo::default(),
        }
    }

    /// The ODS code of the organisation that owns the mailbox: the sender of every ITK3
    /// message sent through this client (the header Organization and `Mex-LocalID` of Send
    /// Document and Update Record). Sending an ITK3 message without it is refused before
    /// anything leaves.
    pub fn ods_code(mut self, ods: OdsCode) -> Self {
        self.ods_code = Some(ods);
        self
    }

    /// The client certificate and key for mutual TLS (required by every NHS environment;
    /// one per environment).
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Timeouts (default 10 s to connect, 10 min per request: one chunk is one request),
    /// how requests that cannot duplicate a message are retried (the first upload request
    /// of a message is never retried once it may have left) and CAs to trust besides the
    /// environment's NHS bundle, such as a local sandbox's self-signed certificate. Plain
    /// http is for a [`MeshEnvironment::LocalSandbox`] on a loopback address only.
    pub fn http(mut self, settings: impl FnOnce(HttpSettings) -> HttpSettings) -> Self {
        self.http = settings(std::mem::take(&mut self.http));
        self
    }

    /// [`http`](Self::http) for a change that can fail, such as
    /// [`HttpSettings::add_ca_pem`].
    pub fn try_http(
        mut self,
        settings: impl FnOnce(HttpSettings) -> Result<HttpSettings, ConfigError>,
    ) -> Result<Self, ConfigError> {
        self.http = settings(std::mem::take(&mut self.http))?;
        Ok(self)
    }

    /// The longest silence while reading an answer (default 60 s).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Uncompressed bytes per chunk (default [`DEFAULT_CHUNK_SIZE`]); a message larger
    /// than this is sent in chunks. Clamped to 1 KiB ..= [`MAX_CHUNK_SIZE`].
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes.clamp(1024, MAX_CHUNK_SIZE);
        self
    }

    /// The gzip level for sent content, 0..=9 (default 1: fast; the content encoding is
    /// `gzip` whatever the level).
    pub fn compression_level(mut self, level: u32) -> Self {
        self.compression_level = level.min(9);
        self
    }

    /// The largest message [`MeshClient::receive`](super::MeshClient::receive) holds in
    /// memory for the caller (default 100 MiB); larger ones are left for
    /// [`MeshClient::download`](super::MeshClient::download) into a file.
    pub fn max_receive_bytes(mut self, bytes: usize) -> Self {
        self.max_receive_bytes = bytes;
        self
    }

    /// Message IDs per inbox page that [`MeshClient::receive`](super::MeshClient::receive)
    /// asks for (MESH allows 10..=5000; default MESH's own, 500). Every page is read
    /// whatever the size.
    pub fn inbox_page_size(mut self, ids: u32) -> Self {
        self.inbox_page_size = Some(ids);
        self
    }

    /// What the client says about itself in the handshake.
    pub fn client_info(mut self, info: ClientInfo) -> Self {
        self.client_info = info;
        self
    }

    /// The mailbox this configuration speaks for.
    pub fn mailbox(&self) -> &MailboxId {
        &self.mailbox
    }

    /// The sending organisation's ODS code ([`MeshConfig::ods_code`]), when set.
    pub fn sender_ods(&self) -> Option<&OdsCode> {
        self.ods_code.as_ref()
    }

    /// The environment.
    pub fn environment(&self) -> &MeshEnvironment {
        &self.environment
    }

    /// The CA certificates to trust: the environment's NHS bundle and any added ones.
    pub(crate) fn trusted(&self) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
        let mut certs = match self.environment.ca_bundle() {
            Some(pem) => crate::tls::certificates(pem)?,
            None => Vec::new(),
        };
        certs.extend(self.http.ca_roots.iter().cloned());
        Ok(certs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(env: MeshEnvironment) -> MeshConfig {
        MeshConfig::new(env, MailboxId::parse("X26ABC1").unwrap(), "p".to_owned().into(), "k".to_owned().into())
    }

    #[test]
    fn each_nhs_environment_trusts_its_bundled_nhs_cas() {
        for env in [MeshEnvironment::Integration, MeshEnvironment::Production, MeshEnvironment::Deployment] {
            assert!(config(env.clone()).trusted().unwrap().len() >= 2, "{env:?}: root and sub CA");
            assert!(env.base_url().starts_with("https://"));
        }
        assert!(config(MeshEnvironment::LocalSandbox("http://127.0.0.1:1".into())).trusted().unwrap().is_empty());
        assert_eq!(MeshEnvironment::Integration.base_url(), "https://msg.intspineservices.nhs.uk");
        assert_eq!(MeshEnvironment::Production.base_url(), "https://mesh-sync.spineservices.nhs.uk");
    }

    #[test]
    fn the_bundled_nhs_cas_load_as_the_only_roots_with_the_chosen_provider() {
        for env in [MeshEnvironment::Integration, MeshEnvironment::Production, MeshEnvironment::Deployment] {
            let trusted = config(env.clone()).trusted().unwrap();
            let tls = crate::tls::client_config(crate::tls::Roots::Only(&trusted), None);
            assert!(tls.is_ok(), "{env:?}: {:?}", tls.err());
        }
    }

    #[test]
    fn debug_hides_password_and_secret() {
        let d = format!("{:?}", config(MeshEnvironment::Integration).chunk_size(1));
        assert!(!d.contains("\"p\"") && !d.contains("\"k\""), "{d}");
    }
}
