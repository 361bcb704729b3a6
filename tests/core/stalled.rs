//! Answers that stall after their headers (SSP and SDS), served by a local server: a typed
//! timeout (retryable for reads; an SDS look-up retried by the policy), writes never re-sent.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gpconnect_core::error::DirectoryProblem;
use gpconnect_core::sds::SdsConfig;
use gpconnect_core::{
    Capability, Client, Error, InteractionId, NhsNumber, Provider, RetryPolicy, ServiceRoot, SspConfig,
};
use gpconnect_testkit::{test_consumer, test_user};
use tokio::io::AsyncWriteExt;

const ROOT: &str = "https://provider.example/A20047/STU3/1/gpconnect";

/// A server on 127.0.0.1 that answers every request with headers promising a JSON body
/// of 4096 bytes, sends its first bytes, then stalls; counts the requests it received.
async fn stalling_server() -> (String, Arc<AtomicUsize>) {
    stalling_then_answering(usize::MAX).await
}

/// As [`stalling_server`] for the first `stalls` requests; later ones get an empty searchset.
async fn stalling_then_answering(stalls: usize) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let counted = counted.clone();
            tokio::spawn(async move {
                if !gpconnect_testkit::read_request_head(&mut socket).await {
                    return;
                }
                if counted.fetch_add(1, Ordering::SeqCst) >= stalls {
                    let body = r#"{"resourceType": "Bundle", "type": "searchset", "total": 0}"#;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(format!("{head}{body}").as_bytes()).await;
                    return;
                }
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 4096\r\n\r\n";
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(br#"{"resourceType": "Bundle", "entry": ["#).await;
                let _ = socket.flush().await;
                tokio::time::sleep(Duration::from_secs(3600)).await;
            });
        }
    });
    (url, requests)
}

fn retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_elapsed: Duration::from_secs(10),
    }
}

fn provider(ssp: &str, sds: Option<&str>) -> Provider {
    let mut builder = Client::builder()
        .ssp(
            SspConfig::new(ssp, "200000000115".parse().unwrap())
                .http(|h| h.allow_http(true).request_timeout(Duration::from_millis(300)).retry(retry())),
        )
        .consumer(test_consumer());
    if let Some(sds) = sds {
        builder = builder.sds(SdsConfig::new(sds, "secret-api-key").timeout(Duration::from_millis(300)));
    }
    let provider = builder.build().unwrap().provider(&"A20047".parse().unwrap()).with_user(test_user());
    if sds.is_some() {
        return provider;
    }
    let root = |c: &str| ServiceRoot::new(format!("{ROOT}/{c}"), "200000000116".parse().unwrap()).unwrap();
    provider.with_root(Capability::Foundations, root("f"))
}

#[tokio::test]
async fn an_ssp_read_whose_body_stalls_is_a_typed_retryable_timeout() {
    let (ssp, requests) = stalling_server().await;
    let started = Instant::now();

    let err = provider(&ssp, None).foundations().find_patient(&NhsNumber::parse("9690937286").unwrap()).send().await;

    let err = err.unwrap_err();
    assert!(matches!(err, Error::Timeout { status: None, .. }), "{err:?}");
    assert!(err.is_timeout() && err.is_retryable());
    assert!(err.trace_id().is_some());
    // The body is read inside the retry loop: a read is sent again, up to the policy's
    // attempts, each bounded by the request timeout.
    assert_eq!(requests.load(Ordering::SeqCst), 3, "a read whose body stalls is sent again");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn an_ssp_read_whose_body_stalls_once_is_answered_by_the_retry() {
    let (ssp, requests) = stalling_then_answering(1).await;

    let found = provider(&ssp, None).foundations().find_patient(&NhsNumber::parse("9690937286").unwrap()).send().await;

    assert!(found.unwrap().value.is_none(), "the second attempt's empty searchset");
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_ssp_write_whose_body_stalls_is_a_typed_timeout_never_re_sent() {
    let (ssp, requests) = stalling_server().await;

    let err = provider(&ssp, None)
        .send(gpconnect_core::Request::post(InteractionId::BookAppointment, "Appointment", "{}"))
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Timeout { status: None, .. }), "{err:?}");
    assert!(err.may_have_been_sent(), "the provider may have booked it");
    assert!(!err.is_retryable());
    assert_eq!(requests.load(Ordering::SeqCst), 1, "a write is never re-sent once it may have arrived");
}

#[tokio::test]
async fn an_sds_answer_whose_body_stalls_is_a_typed_directory_timeout() {
    let (sds, requests) = stalling_server().await;
    let started = Instant::now();

    let err = provider("http://127.0.0.1:9", Some(&sds)).service_root(InteractionId::ReadLocation).await.unwrap_err();

    let Error::Directory(d) = &err else { panic!("{err:?}") };
    assert_eq!(d.problem, DirectoryProblem::Timeout);
    assert!(err.is_retryable());
    assert_eq!(requests.load(Ordering::SeqCst), 3, "an SDS look-up is a read, retried by the policy");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(!format!("{err} {err:?}").contains("secret-api-key"));
}
