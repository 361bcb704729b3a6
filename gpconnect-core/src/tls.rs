//! TLS for every transport (the SSP, SDS, MESH and the API platform): the crypto provider
//! the crate features chose, the client certificate, and the one rustls client
//! configuration (TLS 1.2 or later, the trusted CAs, the client certificate, h2 and
//! HTTP/1.1) handed to reqwest.
//!
//! The provider is passed to rustls explicitly, never installed as the process default,
//! so an application's own default is left alone: `ring` when that feature is on (it
//! wins when both are), else `aws-lc-rs`; with neither, the process default the
//! application installed, or [`ConfigError::NoCryptoProvider`].
//!
//! A leaf: it knows the error types only.

use std::fmt;
use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, SignatureScheme};

use crate::error::{ConfigError, TransportError};

/// The crypto provider of every TLS connection: `ring` when that feature is on, else
/// `aws-lc-rs`, else the process default the application installed.
pub(crate) fn provider() -> Result<Arc<CryptoProvider>, ConfigError> {
    #[cfg(feature = "ring")]
    return Ok(Arc::new(rustls::crypto::ring::default_provider()));
    #[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
    return Ok(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    #[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
    CryptoProvider::get_default().cloned().ok_or(ConfigError::NoCryptoProvider)
}

/// The CA certificates of a PEM bundle (every `CERTIFICATE` block; other blocks are skipped).
pub(crate) fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConfigError::CaCertificate(TransportError::setup(e)))
}

/// Which CAs a connection trusts for its server's certificate.
#[derive(Clone, Copy)]
pub(crate) enum Roots<'a> {
    /// The platform's trusted CAs and these.
    PlatformAnd(&'a [CertificateDer<'static>]),
    /// These alone (the Spine CAs of an SSP client, MESH's pinned CAs).
    Only(&'a [CertificateDer<'static>]),
}

/// A client certificate chain with its private key, loaded (and checked to belong
/// together) by the crypto provider. `Debug` shows nothing of either.
#[derive(Clone)]
pub(crate) struct ClientCert(Arc<CertifiedKey>);

impl ClientCert {
    /// Loads the certificate chain (PEM, leaf first) and the PKCS#8, PKCS#1 or SEC1 key
    /// (PEM). `None` when either cannot be read, or the key does not belong to the
    /// certificate; `Err` when there is no crypto provider.
    pub(crate) fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Option<Self>, ConfigError> {
        let provider = provider()?;
        let Ok(chain) = CertificateDer::pem_slice_iter(cert_pem).collect::<Result<Vec<_>, _>>() else {
            return Ok(None);
        };
        let Ok(key) = PrivateKeyDer::from_pem_slice(key_pem) else { return Ok(None) };
        if chain.is_empty() {
            return Ok(None);
        }
        Ok(CertifiedKey::from_der(chain, key, &provider).ok().map(|k| Self(Arc::new(k))))
    }
}

// The loaded key is never changed after loading (rustls's signing keys are `dyn` trait
// objects, which carry no unwind-safety marker), so a panic cannot leave it half-updated:
// the configurations holding it stay unwind safe, as they were before rustls held the key.
impl std::panic::UnwindSafe for ClientCert {}
impl std::panic::RefUnwindSafe for ClientCert {}

impl fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientCert(..)")
    }
}

impl ResolvesClientCert for ClientCert {
    fn resolve(&self, _root_hint_subjects: &[&[u8]], _sigschemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The rustls configuration of a client: the provider's suites, TLS 1.3 and 1.2 only (a
/// server offering 1.1 or older is refused), the server checked against `roots`, the
/// client certificate presented when given, and ALPN `h2` then `http/1.1`.
pub(crate) fn client_config(roots: Roots<'_>, client_cert: Option<&ClientCert>) -> Result<ClientConfig, ConfigError> {
    let provider = provider()?;
    let setup = |e: rustls::Error| ConfigError::Http(TransportError::setup(e));
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(setup)?;
    let builder = match roots {
        Roots::Only(cas) => {
            let mut store = RootCertStore::empty();
            for ca in cas {
                store.add(ca.clone()).map_err(|e| ConfigError::CaCertificate(TransportError::setup(e)))?;
            }
            builder.with_root_certificates(store)
        }
        Roots::PlatformAnd(cas) => {
            let verifier = platform_verifier(cas, provider)?;
            builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier))
        }
    };
    let mut config = match client_cert {
        Some(cert) => builder.with_client_cert_resolver(Arc::new(cert.clone())),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The platform's verifier (its trust store, revocation where the platform checks it),
/// with `extra` CAs trusted beside it.
fn platform_verifier(
    extra: &[CertificateDer<'static>],
    provider: Arc<CryptoProvider>,
) -> Result<rustls_platform_verifier::Verifier, ConfigError> {
    let setup = |e: rustls::Error| ConfigError::Http(TransportError::setup(e));
    if extra.is_empty() {
        return rustls_platform_verifier::Verifier::new(provider).map_err(setup);
    }
    #[cfg(any(all(unix, not(target_os = "android")), target_os = "windows"))]
    return rustls_platform_verifier::Verifier::new_with_extra_roots(extra.iter().cloned(), provider).map_err(setup);
    #[cfg(not(any(all(unix, not(target_os = "android")), target_os = "windows")))]
    Err(ConfigError::Http(TransportError::setup(rustls::Error::General(
        "extra CAs beside the platform's are not supported here: use Trust::AddedOnly".into(),
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_offers_h2_then_http_1_1_with_sni() {
        let config = client_config(Roots::PlatformAnd(&[]), None).unwrap();
        assert_eq!(config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert!(config.enable_sni);
        assert!(!config.client_auth_cert_resolver.has_certs());
    }

    #[test]
    fn the_provider_is_the_one_the_features_chose() {
        let keys = format!("{:?}", provider().unwrap().key_provider);
        #[cfg(feature = "ring")]
        assert_eq!(keys, "Ring");
        #[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
        assert_eq!(keys, "AwsLcRs");
    }

    #[test]
    fn a_pem_bundle_yields_its_certificates_and_garbage_yields_none() {
        assert!(certificates(b"no pem here").unwrap().is_empty());
        assert!(ClientCert::from_pem(b"no pem", b"no key").unwrap().is_none());
    }
}
