//! Mutual TLS against a local TLS server with a test CA: the client certificate is
//! presented, the CA is trusted only when configured, and pre-flight names the TLS step
//! when the handshake fails.

use std::sync::Arc;

use gpconnect_core::error::ConfigError;
use gpconnect_core::preflight::Step;
use gpconnect_core::{Capability, Client, Identity, Provider, ServiceRoot, SspConfig, Trust};
use gpconnect_testkit::{fixture, test_consumer, test_user};
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::AsyncWriteExt;

struct Pki {
    ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
    client_cert_pem: String,
    client_key_pem: String,
    ca_der: CertificateDer<'static>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Test Spine Root CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().unwrap();
    let mut server_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(vec!["consumer.example.nhs.uk".to_string()]).unwrap();
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client_params.signed_by(&client_key, &issuer).unwrap();

    Pki {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().clone(),
        server_chain: vec![server_cert.der().clone()],
        server_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        client_cert_pem: client_cert.pem(),
        client_key_pem: client_key.serialize_pem(),
    }
}

/// A TLS server that requires a client certificate from the test CA and answers every
/// request with the capability statement.
async fn start_server(pki: &Pki) -> u16 {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                if !gpconnect_testkit::read_request_head(&mut tls).await {
                    return;
                }
                let body = fixture("foundations__get-capability-statement-response.json");
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/fhir+json;charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(body.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

fn provider(ssp: SspConfig) -> Provider {
    Client::builder()
        .ssp(ssp)
        .consumer(test_consumer())
        .build()
        .unwrap()
        .provider(&"A20047".parse().unwrap())
        .with_root(
            Capability::Foundations,
            ServiceRoot::new("https://provider.example/A20047/STU3/1/gpconnect", "200000000116".parse().unwrap())
                .unwrap(),
        )
        .with_user(test_user())
}

fn ssp(port: u16) -> SspConfig {
    SspConfig::new(format!("https://localhost:{port}"), "200000000115".parse().unwrap())
}

#[tokio::test]
async fn mutual_tls_with_the_client_certificate_and_the_spine_ca_succeeds() {
    let pki = pki();
    let port = start_server(&pki).await;
    let identity = Identity::from_pem(pki.client_cert_pem.as_bytes(), pki.client_key_pem.as_bytes()).unwrap();
    let p = provider(ssp(port).identity(identity).try_http(|h| h.add_ca_pem(pki.ca_pem.as_bytes())).unwrap());

    let statement = p.foundations().capability_statement().send().await.unwrap();
    assert_eq!(statement.version.as_deref(), Some("1.6.2"));

    let report = p.preflight(&[Capability::Foundations]).await;
    assert!(report.is_ok(), "{report}");
}

#[tokio::test]
async fn without_a_client_certificate_preflight_names_the_tls_step() {
    let pki = pki();
    let port = start_server(&pki).await;
    let p = provider(ssp(port).try_http(|h| h.add_ca_pem(pki.ca_pem.as_bytes())).unwrap());

    let report = p.preflight(&[Capability::Foundations]).await;

    let failure = report.failures().next().expect("a failure");
    assert_eq!(failure.step, Step::TlsHandshake, "{report}");
}

#[tokio::test]
async fn a_server_certificate_from_an_untrusted_ca_is_refused() {
    let pki = pki();
    let port = start_server(&pki).await;
    let identity = Identity::from_pem(pki.client_cert_pem.as_bytes(), pki.client_key_pem.as_bytes()).unwrap();
    let p = provider(ssp(port).identity(identity));

    let err = p.foundations().capability_statement().send().await.unwrap_err();
    assert_eq!(err.kind(), gpconnect_core::ErrorKind::Transport, "{err:?}");
    let report = p.preflight(&[Capability::Foundations]).await;
    assert_eq!(report.failures().next().map(|c| c.step), Some(Step::TlsHandshake), "{report}");
}

#[tokio::test]
async fn trusting_only_the_added_spine_cas_connects_and_refuses_any_other_ca() {
    let pki = pki();
    let port = start_server(&pki).await;
    let identity = || Identity::from_pem(pki.client_cert_pem.as_bytes(), pki.client_key_pem.as_bytes()).unwrap();
    let only = |ca: &str| {
        ssp(port).identity(identity()).try_http(|h| h.trust(Trust::AddedOnly).add_ca_pem(ca.as_bytes())).unwrap()
    };

    let statement = provider(only(&pki.ca_pem)).foundations().capability_statement().send().await.unwrap();
    assert_eq!(statement.version.as_deref(), Some("1.6.2"));

    let other = pki_ca_only();
    let err = provider(only(&other)).foundations().capability_statement().send().await.unwrap_err();
    assert_eq!(err.kind(), gpconnect_core::ErrorKind::Transport, "{err:?}");

    let none = Client::builder()
        .ssp(ssp(port).http(|h| h.trust(Trust::AddedOnly)))
        .consumer(test_consumer())
        .build()
        .unwrap_err();
    assert!(matches!(none, gpconnect_core::Error::Config(ConfigError::NoTrustedCa)), "{none:?}");
}

/// Another CA's certificate (PEM), which issued nothing the server presents.
fn pki_ca_only() -> String {
    pki().ca_pem
}
