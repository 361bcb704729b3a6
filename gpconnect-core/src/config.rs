//! Client configuration: the SSP, the consumer system and its identity.

use std::fmt;
use std::path::Path;

use secrecy::zeroize::Zeroizing;

use crate::error::ConfigError;
use crate::http::HttpSettings;
use crate::{Asid, OdsCode};

/// Where and how to reach the Spine Security Proxy.
///
/// ```
/// use gpconnect_core::{Asid, SspConfig};
/// use std::time::Duration;
/// let ssp = SspConfig::new("https://proxy.intspineservices.nhs.uk", "200000000115".parse::<Asid>()?)
///     .http(|h| h.request_timeout(Duration::from_secs(20)));
/// # Ok::<(), gpconnect_core::IdError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SspConfig {
    pub(crate) url: String,
    pub(crate) consumer_asid: Asid,
    pub(crate) identity: Option<Identity>,
    pub(crate) http: HttpSettings,
    pub(crate) max_response_bytes: usize,
}

impl SspConfig {
    /// The SSP base URL (https) and the consumer system's ASID (`Ssp-From`).
    pub fn new(url: impl Into<String>, consumer_asid: Asid) -> Self {
        Self {
            url: url.into(),
            consumer_asid,
            identity: None,
            http: HttpSettings::default(),
            max_response_bytes: 64 * 1024 * 1024,
        }
    }

    /// The client certificate and key for mutual TLS.
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Timeouts, the retry policy (for the SSP and SDS), extra trusted CAs (such as the
    /// Spine root and sub CAs) and whether plain `http://` SSP and SDS URLs are allowed
    /// (changed from the current ones, at first [`HttpSettings::new`]: 10 s to connect, 30 s per request; operations can
    /// override the timeout and the retry policy per call).
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

    /// The largest response body read into memory (default 64 MiB). Streamed
    /// document downloads are not limited by this.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }
}

/// The client certificate and private key for mutual TLS with the SSP. `Debug` shows nothing of either.
#[derive(Clone)]
pub struct Identity(pub(crate) crate::tls::ClientCert);

impl Identity {
    /// Builds an identity from a PEM certificate (chain) and a PEM private key.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, ConfigError> {
        let has = |pem: &[u8], marker: &str| memchr::memmem::find(pem, marker.as_bytes()).is_some();
        if !has(cert_pem, "-----BEGIN CERTIFICATE-----") {
            return Err(ConfigError::Identity {
                reason: "no PEM certificate (-----BEGIN CERTIFICATE-----) in the certificate".into(),
            });
        }
        if !has(key_pem, "PRIVATE KEY-----") {
            return Err(ConfigError::Identity {
                reason: "no PEM private key (-----BEGIN ... PRIVATE KEY-----) in the key".into(),
            });
        }
        // Loaded by the crypto provider now, checked against the certificate: an unusable
        // key is an error here, not at the first request.
        match crate::tls::ClientCert::from_pem(cert_pem, key_pem)? {
            Some(cert) => Ok(Identity(cert)),
            None => Err(ConfigError::Identity {
                reason: "the TLS library refused them together: the key does not belong to the certificate, or is \
                         not a PKCS#8, PKCS#1 or SEC1 PEM key"
                    .into(),
            }),
        }
    }

    /// Reads the PEM certificate and key from files (the buffers are zeroized after use).
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let read = |p: &Path, what: &str| {
            std::fs::read(p)
                .map(Zeroizing::new)
                .map_err(|e| ConfigError::Identity { reason: format!("cannot read the {what} file: {e}") })
        };
        Self::from_pem(&read(cert.as_ref(), "certificate")?, &read(key.as_ref(), "key")?)
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Identity(..)")
    }
}

/// The consumer system making the requests: the requesting organisation and device claims
/// and the issuer of the access token. Built with named setters; [`ConsumerBuilder::build`]
/// checks every required part.
///
/// ```
/// use gpconnect_core::{Consumer, Device};
/// let consumer = Consumer::builder()
///     .ods("A1001".parse()?)
///     .organisation_name("Test Hospital")
///     .issuer("https://consumer.example.nhs.uk/")
///     .device(
///         Device::builder()
///             .system("https://consumer.example.nhs.uk/Id/device")
///             .value("CONS-1")
///             .model("Consumer")
///             .version("1.0")
///             .build()?,
///     )
///     .organisation_type("urgent-care")
///     .build()?;
/// assert_eq!(consumer.ods().as_str(), "A1001");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Consumer {
    pub(crate) ods: OdsCode,
    pub(crate) organisation_name: String,
    pub(crate) issuer: String,
    pub(crate) device: Device,
    pub(crate) organisation_type: Option<String>,
}

impl Consumer {
    /// Starts a consumer: set [`ods`](ConsumerBuilder::ods),
    /// [`organisation_name`](ConsumerBuilder::organisation_name),
    /// [`issuer`](ConsumerBuilder::issuer) and [`device`](ConsumerBuilder::device), then
    /// [`build`](ConsumerBuilder::build).
    pub fn builder() -> ConsumerBuilder {
        ConsumerBuilder::default()
    }

    /// The requesting organisation's ODS code.
    pub fn ods(&self) -> &OdsCode {
        &self.ods
    }

    /// The consumer organisation's type code, when set.
    pub fn organisation_type(&self) -> Option<&str> {
        self.organisation_type.as_deref()
    }
}

/// Builds a [`Consumer`]; from [`Consumer::builder`].
#[derive(Clone, Debug, Default)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct ConsumerBuilder {
    ods: Option<OdsCode>,
    organisation_name: Option<String>,
    issuer: Option<String>,
    device: Option<Device>,
    organisation_type: Option<String>,
}

impl ConsumerBuilder {
    /// The requesting organisation's ODS code (`requesting_organization`; required).
    pub fn ods(mut self, ods: OdsCode) -> Self {
        self.ods = Some(ods);
        self
    }

    /// The requesting organisation's name (`requesting_organization`; required).
    pub fn organisation_name(mut self, name: impl Into<String>) -> Self {
        self.organisation_name = Some(name.into());
        self
    }

    /// The token issuer (`iss`): the consumer system's endpoint URL (required).
    pub fn issuer(mut self, url: impl Into<String>) -> Self {
        self.issuer = Some(url.into());
        self
    }

    /// The consumer system (`requesting_device`; required).
    pub fn device(mut self, device: Device) -> Self {
        self.device = Some(device);
        self
    }

    /// The consumer organisation's type, a `GPConnect-OrganisationType-1` code such as
    /// `urgent-care` or `gp-practice` (optional): appointment slot searches send it as a
    /// `searchFilter` (and bookings as the booking organisation's `type`), as the spec
    /// says consumers SHOULD.
    pub fn organisation_type(mut self, code: impl Into<String>) -> Self {
        self.organisation_type = Some(code.into());
        self
    }

    /// The consumer.
    ///
    /// # Errors
    /// [`ConfigError::Consumer`] naming the first part that is missing or blank, or an
    /// issuer that is not a URL.
    pub fn build(self) -> Result<Consumer, ConfigError> {
        let ods = self.ods.ok_or(ConfigError::Consumer { field: "ods", problem: "required" })?;
        let organisation_name = text(self.organisation_name, "organisation_name")?;
        let issuer = url(self.issuer, "issuer")?;
        let device = self.device.ok_or(ConfigError::Consumer { field: "device", problem: "required" })?;
        let organisation_type = match self.organisation_type {
            Some(code) => Some(text(Some(code), "organisation_type")?),
            None => None,
        };
        Ok(Consumer { ods, organisation_name, issuer, device, organisation_type })
    }
}

/// The consumer system as the `requesting_device` claim describes it: an identifier (a
/// consumer-defined system URL and value), the product name and version. Built with
/// named setters; see [`Consumer`] for an example.
#[derive(Clone, Debug)]
pub struct Device {
    pub(crate) system: String,
    pub(crate) value: String,
    pub(crate) model: String,
    pub(crate) version: String,
}

impl Device {
    /// Starts a device: set [`system`](DeviceBuilder::system),
    /// [`value`](DeviceBuilder::value), [`model`](DeviceBuilder::model) and
    /// [`version`](DeviceBuilder::version), then [`build`](DeviceBuilder::build).
    pub fn builder() -> DeviceBuilder {
        DeviceBuilder::default()
    }
}

/// Builds a [`Device`]; from [`Device::builder`].
#[derive(Clone, Debug, Default)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct DeviceBuilder {
    system: Option<String>,
    value: Option<String>,
    model: Option<String>,
    version: Option<String>,
}

impl DeviceBuilder {
    /// The identifier's system: a URL the consumer defines (required).
    pub fn system(mut self, url: impl Into<String>) -> Self {
        self.system = Some(url.into());
        self
    }

    /// The identifier's value (required).
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }

    /// The product name (required).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// The product version (required).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The device.
    ///
    /// # Errors
    /// [`ConfigError::Consumer`] naming the first part that is missing or blank, or a
    /// system that is not a URL.
    pub fn build(self) -> Result<Device, ConfigError> {
        Ok(Device {
            system: url(self.system, "device.system")?,
            value: text(self.value, "device.value")?,
            model: text(self.model, "device.model")?,
            version: text(self.version, "device.version")?,
        })
    }
}

/// A required, non-blank part of the consumer.
fn text(value: Option<String>, field: &'static str) -> Result<String, ConfigError> {
    match value {
        None => Err(ConfigError::Consumer { field, problem: "required" }),
        Some(v) if v.trim().is_empty() => Err(ConfigError::Consumer { field, problem: "must not be blank" }),
        Some(v) => Ok(v),
    }
}

/// A required URL part of the consumer (`scheme://host...`).
fn url(value: Option<String>, field: &'static str) -> Result<String, ConfigError> {
    let value = text(value, field)?;
    if url::Url::parse(&value).is_ok_and(|u| u.has_host()) {
        Ok(value)
    } else {
        Err(ConfigError::Consumer { field, problem: "must be a URL such as https://consumer.example.nhs.uk/" })
    }
}
