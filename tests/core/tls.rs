//! Mutual TLS against a local TLS server with a test CA: the client certificate is
//! presented, the CA is trusted only when configured (the SSP's Spine CAs, MESH's pinned
//! CAs), TLS 1.2 is the oldest version spoken, a redirect is never followed, and
//! pre-flight names the TLS step when the handshake fails.
//!
//! Every test runs with the crypto provider the features chose (`ring` when on, else
//! `aws-lc-rs`), the test server with the same one: `cargo test --all-features --test
//! core_tls` runs them with ring, `cargo test --features full --test core_tls` with
//! aws-lc-rs.

use std::sync::Arc;

use gpconnect_core::error::ConfigError;
use gpconnect_core::preflight::Step;
use gpconnect_core::{Capability, Client, Identity, Provider, ServiceRoot, SspConfig, Trust};
use gpconnect_testkit::{fixture, test_consumer, test_user};
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::SupportedProtocolVersion;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// The crypto provider the features chose for the SDK, for the test server too.
fn crypto() -> Arc<rustls::crypto::CryptoProvider> {
    #[cfg(feature = "ring")]
    return Arc::new(rustls::crypto::ring::default_provider());
    #[cfg(not(feature = "ring"))]
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// What the test server answers to every request.
#[derive(Clone, Copy)]
enum Answer {
    /// 200 with the capability statement.
    Capability,
    /// 302 to another path on the same server.
    Redirect,
}

/// A TLS server that requires a client certificate from the test CA and answers every
/// request with the capability statement.
async fn start_server(pki: &Pki) -> u16 {
    start_server_with(pki, rustls::DEFAULT_VERSIONS, Answer::Capability, Arc::default()).await
}

/// A TLS server speaking `versions` that requires a client certificate from the test CA,
/// counts the requests it reads in `requests` and answers each with `answer`.
async fn start_server_with(
    pki: &Pki,
    versions: &[&'static SupportedProtocolVersion],
    answer: Answer,
    requests: Arc<std::sync::atomic::AtomicUsize>,
) -> u16 {
    let provider = crypto();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
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
            let requests = requests.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                if !gpconnect_testkit::read_request_head(&mut tls).await {
                    return;
                }
                requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let body = match answer {
                    Answer::Capability => fixture("foundations__get-capability-statement-response.json"),
                    Answer::Redirect => "",
                };
                let status = match answer {
                    Answer::Capability => "200 OK".to_owned(),
                    Answer::Redirect => format!("302 Found\r\nlocation: https://localhost:{port}/elsewhere"),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/fhir+json;charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
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

#[tokio::test]
async fn a_tls_1_2_only_server_is_reached_with_mutual_tls() {
    let pki = pki();
    let port = start_server_with(&pki, &[&rustls::version::TLS12], Answer::Capability, Arc::default()).await;
    let identity = Identity::from_pem(pki.client_cert_pem.as_bytes(), pki.client_key_pem.as_bytes()).unwrap();
    let only = ssp(port).identity(identity).try_http(|h| h.trust(Trust::AddedOnly).add_ca_pem(pki.ca_pem.as_bytes()));

    let statement = provider(only.unwrap()).foundations().capability_statement().send().await.unwrap();
    assert_eq!(statement.version.as_deref(), Some("1.6.2"));
}

/// The versions a ClientHello record offers (`supported_versions`, else its version field).
fn offered_versions(record: &[u8]) -> Vec<u16> {
    let u16_at = |i: usize| u16::from_be_bytes([record[i], record[i + 1]]);
    assert_eq!(record[0], 0x16, "a handshake record");
    assert_eq!(record[5], 0x01, "a ClientHello");
    let mut i = 5 + 4 + 2 + 32; // record and handshake headers, client_version, random
    i += 1 + record[i] as usize; // session id
    i += 2 + u16_at(i) as usize; // cipher suites
    i += 1 + record[i] as usize; // compression methods
    let end = i + 2 + u16_at(i) as usize;
    i += 2;
    while i < end {
        let (kind, len) = (u16_at(i), u16_at(i + 2) as usize);
        if kind == 43 {
            return record[i + 5..i + 4 + len].chunks(2).map(|v| u16::from_be_bytes([v[0], v[1]])).collect();
        }
        i += 4 + len;
    }
    vec![u16_at(9)]
}

#[tokio::test]
async fn tls_1_1_and_older_are_never_offered_and_a_tls_1_1_server_is_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut header = [0u8; 5];
        tcp.read_exact(&mut header).await.unwrap();
        let mut hello = header.to_vec();
        hello.resize(5 + u16::from_be_bytes([header[3], header[4]]) as usize, 0);
        tcp.read_exact(&mut hello[5..]).await.unwrap();
        // A TLS 1.1 ServerHello: version 3.2, a random, no session id,
        // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, no compression, no extensions.
        let mut body = vec![0x03, 0x02];
        body.extend([7u8; 32]);
        body.extend([0x00, 0xc0, 0x13, 0x00]);
        let mut handshake = vec![0x02, 0x00, 0x00, body.len() as u8];
        handshake.extend(body);
        let mut record = vec![0x16, 0x03, 0x02, 0x00, handshake.len() as u8];
        record.extend(handshake);
        tcp.write_all(&record).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
        (hello, answer)
    });
    let pki = pki();
    let identity = Identity::from_pem(pki.client_cert_pem.as_bytes(), pki.client_key_pem.as_bytes()).unwrap();
    let p = provider(ssp(port).identity(identity).try_http(|h| h.add_ca_pem(pki.ca_pem.as_bytes())).unwrap());

    let err = p.foundations().capability_statement().send().await.unwrap_err();
    assert_eq!(err.kind(), gpconnect_core::ErrorKind::Transport, "{err:?}");

    let (hello, answer) = server.await.unwrap();
    let offered = offered_versions(&hello);
    assert!(offered.contains(&0x0303), "TLS 1.2 offered: {offered:x?}");
    assert!(offered.iter().all(|v| *v >= 0x0303), "nothing older than TLS 1.2 offered: {offered:x?}");
    // The client's answer to the TLS 1.1 ServerHello: a fatal protocol_version alert (70).
    assert_eq!(answer.first(), Some(&0x15), "an alert record: {answer:x?}");
    assert_eq!(answer.get(5..7), Some(&[2u8, 70][..]), "fatal protocol_version: {answer:x?}");
}

#[tokio::test]
async fn a_redirect_over_mutual_tls_is_handed_back_not_followed() {
    let pki = pki();
    let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let port = start_server_with(&pki, rustls::DEFAULT_VERSIONS, Answer::Redirect, requests.clone()).await;
    let identity = Identity::from_pem(pki.client_cert_pem.as_bytes(), pki.client_key_pem.as_bytes()).unwrap();
    let p = provider(ssp(port).identity(identity).try_http(|h| h.add_ca_pem(pki.ca_pem.as_bytes())).unwrap());

    let err = p.foundations().capability_statement().send().await.unwrap_err();
    assert!(matches!(err, gpconnect_core::Error::Redirected { status: 302, .. }), "{err:?}");
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 1, "the redirect was not followed");
}

#[cfg(feature = "mesh")]
#[tokio::test]
async fn mesh_pins_its_added_cas_over_mutual_tls() {
    use gpconnect_core::mesh::{MailboxId, MeshClient, MeshConfig, MeshEnvironment};
    let pki = pki();
    let port = start_server(&pki).await;
    let mesh = |ca: &str| {
        let config = MeshConfig::new(
            MeshEnvironment::LocalSandbox(format!("https://localhost:{port}")),
            MailboxId::parse("X26ABC1").unwrap(),
            "password".to_owned().into(),
            "secret".to_owned().into(),
        )
        .identity(Identity::from_pem(pki.client_cert_pem.as_bytes(), pki.client_key_pem.as_bytes()).unwrap())
        .try_http(|h| h.add_ca_pem(ca.as_bytes()))
        .unwrap();
        MeshClient::new(config).unwrap()
    };

    mesh(&pki.ca_pem).handshake().await.unwrap();
    let err = mesh(&pki_ca_only()).handshake().await.unwrap_err();
    assert_eq!(err.kind(), gpconnect_core::ErrorKind::Transport, "{err:?}");
}

/// Another CA's certificate (PEM), which issued nothing the server presents.
fn pki_ca_only() -> String {
    pki().ca_pem
}
