//! Helpers shared by the wire tests.
#![allow(dead_code)]

use base64::Engine as _;
use gpconnect_core::{Asid, Capability, Client, Provider, ServiceRoot, SspConfig};
use gpconnect_testkit::{MockSpine, ReceivedRequest, Target};
use tokio::io::AsyncWriteExt;

/// The provider requests the catch-all answered (SDS look-ups left out).
pub async fn ssp_requests(spine: &MockSpine) -> Vec<ReceivedRequest> {
    spine.received().await.into_iter().filter(|r| r.target == Target::Ssp).collect()
}

/// Checks the headers and JWT every documents request carries.
pub fn assert_documents_request(r: &ReceivedRequest, spine: &MockSpine, interaction: &str) {
    assert_eq!(r.method, "GET");
    assert!(r.verdict.is_accepted(), "{:?}", r.verdict);
    assert_eq!(r.service_root.as_deref(), Some(spine.service_root(Capability::Documents).as_str()));
    assert_eq!(r.header("ssp-interactionid"), Some(interaction));
    assert_eq!(r.header("ssp-from"), Some(spine.consumer_asid()));
    assert_eq!(r.header("ssp-to"), Some(spine.provider_asid()));
    assert!(r.header("ssp-traceid").is_some_and(|t| uuid::Uuid::parse_str(t).is_ok()));
    assert_eq!(r.header("accept"), Some("application/fhir+json;charset=utf-8"));
    assert!(r.header("authorization").is_some_and(|a| a.starts_with("Bearer ")));
    let claims = r.claims.as_ref().expect("decodable JWT");
    assert_eq!(claims["requested_scope"], "patient/*.read");
    assert_eq!(claims["reason_for_request"], "directcare");
    assert_eq!(claims["aud"], spine.service_root(Capability::Documents));
    assert!(r.body.is_none());
}

/// The document bytes of the spec's Binary example.
pub fn example_document() -> Vec<u8> {
    let fixed: serde_json::Value =
        serde_json::from_str(gpconnect_testkit::fixture("documents__retrieve-binary__response.fixed.json")).unwrap();
    base64::engine::general_purpose::STANDARD.decode(fixed["content"].as_str().unwrap()).unwrap()
}

/// The documents root used with [`raw_server_provider`].
pub const RAW_ROOT: &str = "https://provider.example/A20047/STU3/1/gpconnect/documents";

/// How a test server sends the body.
#[derive(Clone, Copy)]
pub enum Pace {
    /// At once.
    AllAtOnce,
    /// In `pieces` pieces with `pause` before each.
    Trickle { pieces: usize, pause: std::time::Duration },
    /// The first `n` bytes, then nothing (the connection stays open).
    StallAfter(usize),
}

/// A one-shot HTTP/1.1 server on 127.0.0.1 answering every connection with `head` then
/// `body`, then closing; and a provider routed to it as its SSP.
pub async fn raw_server_provider(head: String, body: Vec<u8>) -> Provider {
    paced_server_provider(head, body, Pace::AllAtOnce, std::time::Duration::from_secs(30)).await
}

/// As [`raw_server_provider`], sending the body at `pace`, with the client's request
/// timeout set to `request_timeout`.
pub async fn paced_server_provider(
    head: String,
    body: Vec<u8>,
    pace: Pace,
    request_timeout: std::time::Duration,
) -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let (head, body) = (head.clone(), body.clone());
            tokio::spawn(async move {
                if !gpconnect_testkit::read_request_head(&mut socket).await {
                    return;
                }
                let _ = socket.write_all(head.as_bytes()).await;
                match pace {
                    Pace::AllAtOnce => {
                        let _ = socket.write_all(&body).await;
                    }
                    Pace::Trickle { pieces, pause } => {
                        for piece in body.chunks(body.len().div_ceil(pieces.max(1)).max(1)) {
                            tokio::time::sleep(pause).await;
                            if socket.write_all(piece).await.is_err() || socket.flush().await.is_err() {
                                return;
                            }
                        }
                    }
                    Pace::StallAfter(n) => {
                        let _ = socket.write_all(&body[..n.min(body.len())]).await;
                        let _ = socket.flush().await;
                        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                    }
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    let asid: Asid = "918999198738".parse().unwrap();
    let client = Client::builder()
        .ssp(
            SspConfig::new(format!("http://{addr}"), asid.clone())
                .http(|h| h.allow_http(true).request_timeout(request_timeout)),
        )
        .consumer(gpconnect_testkit::test_consumer())
        .build()
        .unwrap();
    client
        .provider(&"A20047".parse().unwrap())
        .with_root(Capability::Documents, ServiceRoot::new(RAW_ROOT, asid).unwrap())
        .with_user(gpconnect_testkit::test_user())
}

/// Files in `dir`, sorted.
pub fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// A fresh empty directory under the target dir.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gpconnect-documents-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
