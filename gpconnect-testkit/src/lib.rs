//! An in-process mock Spine for testing GP Connect consumers: the Spine Security Proxy
//! (SSP), a GP Connect provider behind it, and the SDS FHIR API, all on one
//! [`wiremock::MockServer`] on `127.0.0.1`.
//!
//! Every request is checked the way the SSP and real providers check it and answered
//! with the specification's example payloads:
//!
//! * the service root in the path (`{ssp}/https://provider.../gpconnect/Patient`) must be
//!   one of the provider's roots, else the SSP's `400` target-URL error;
//! * `Ssp-TraceID` (a UUID), `Ssp-From` (consumer ASID, else SSP `403`), `Ssp-To`
//!   (provider ASID, else SSP `403`), `Ssp-InteractionID` (must be the interaction of the
//!   route), `Accept` and, with a body, `Content-Type` (`application/fhir+json;charset=utf-8`);
//! * the unsigned JWT in `Authorization: Bearer`: every claim, `exp - iat == 300`, `aud`
//!   equal to the service root, scope and reason for the interaction, the three claim
//!   resources, `sub == requesting_practitioner.id` (`400 BAD_REQUEST`, or
//!   `422 INVALID_RESOURCE` for an invalid claim resource).
//!
//! Each answered request is logged, decoded, in [`MockSpine::received`].
//!
//! # Example
//! ```
//! use gpconnect_core::{InteractionId, NhsNumber};
//! use gpconnect_testkit::{MockSpine, Target};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let spine = MockSpine::start().await;
//! // An SDK provider handle routed through the mock SSP, found through the mock SDS,
//! // with a test clinician as the requesting user. (Or point your own client at
//! // spine.ssp_url() and spine.sds_url().)
//! let practice = spine.provider();
//!
//! let nhs = NhsNumber::parse("9690937286").unwrap();
//! let found = practice.foundations().find_patient(&nhs).send().await.unwrap();
//! assert!(found.is_some());
//!
//! let searches: Vec<_> = spine.received().await.into_iter().filter(|r| r.target == Target::Ssp).collect();
//! assert_eq!(searches[0].interaction, Some(InteractionId::SearchPatient));
//! assert!(searches[0].verdict.is_accepted());
//! assert_eq!(searches[0].claims.as_ref().unwrap()["requested_scope"], "patient/*.read");
//! # }
//! ```
//!
//! Mount stricter mocks of your own with [`MockSpine::server`] at a priority number lower
//! than [`CATCH_ALL_PRIORITY`]; they win over the testkit's catch-all route.
#![deny(missing_docs)]
// `Rejection` carries a `serde_json::Value`, which grows past clippy's threshold when another
// crate of the workspace turns on `serde_json/preserve_order`; a mock server's refusals are not
// a hot path, so they stay unboxed for readability.
#![allow(clippy::result_large_err)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod fixtures;
pub mod fuzz;
pub mod hostile;
#[cfg(feature = "mesh")]
pub mod mesh;
mod nhs;
#[cfg(feature = "api-platform")]
pub mod nhs_login;
pub mod outcome;
#[cfg(feature = "api-platform")]
pub mod platform;
#[cfg(feature = "api-platform")]
pub mod prism;
mod provider;
mod received;
mod sdk;
mod sds;
mod spine;
mod ssp;
pub mod validate;
mod world;

pub use fixtures::fixture;
pub use nhs::is_valid_nhs_number;
pub use outcome::{Rejection, SpineCode};
pub use received::{ReceivedRequest, Target, Verdict};
pub use sdk::{test_consumer, test_consumer_builder, test_user, CONSUMER_ODS};
pub use sds::SDS_BASE_PATH;
pub use spine::{
    MockSpine, MockSpineBuilder, CATCH_ALL_PRIORITY, DEFAULT_CONSUMER_ASID, DEFAULT_PATIENTS, DEFAULT_PROVIDER_ASID,
    DEFAULT_PROVIDER_ODS, DEFAULT_SDS_API_KEY, PROVIDER_HOST,
};

/// Reads a request's head, up to its blank line, from a raw connection: for tests whose
/// server writes its answer byte by byte (stalls, trickles, TLS). `false` when the client
/// closed or failed first.
pub async fn read_request_head<S: tokio::io::AsyncRead + Unpin>(socket: &mut S) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    true
}

/// The README's example, compiled and run as a doctest (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
