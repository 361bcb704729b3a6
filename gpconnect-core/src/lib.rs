//! The core of the GP Connect SDK: everything every GP Connect API shares.
//!
//! * identifiers: [`NhsNumber`] (with its Modulus 11 check digit), [`OdsCode`], [`Asid`];
//! * the interaction ID table, [`InteractionId`], which decides the `Ssp-InteractionID`
//!   header, the JWT scope and the service root of every request;
//! * the JWT claim builder ([`jwt`]) for the unsigned GP Connect access token;
//! * the Spine Security Proxy transport ([`Client`]), with mutual TLS, the `Ssp-*`
//!   headers, retries for reads only, timeouts and redacted tracing;
//! * Spine Directory Service look-ups ([`sds`]) with a cache, and a [`Provider`] handle
//!   that the per-API crates hang their operations off;
//! * one [`Error`] type with the OperationOutcome mapping;
//! * the FHIR STU3 types ([`fhir`]) and the foundations operations ([`foundations`]);
//! * with the `api-platform` feature, the NHS API platform transport and NHS login auth
//!   (`platform`) for the patient-facing APIs.
//!
//! Every operation follows one path: a typed builder in an API crate produces a
//! [`Request`], [`Provider::send`] resolves the provider's service root and ASID, adds
//! the headers and token, sends it through the SSP, and returns the raw [`Response`] or
//! an [`Error`].
#![deny(missing_docs)]

pub mod config;
pub mod error;
pub mod fhir;
pub mod foundations;
mod ids;
mod interaction;
pub mod jwt;
#[cfg(feature = "api-platform")]
pub mod platform;
pub mod preflight;
mod provider;
mod request;
pub mod sds;
mod transport;

pub use config::{Consumer, Device, Identity, RetryPolicy, SspConfig};
pub use error::{Error, ErrorKind, GpcCode, Result};
pub use ids::{Asid, IdError, NhsNumber, OdsCode};
pub use interaction::{Capability, InteractionId, Scope, UnknownInteraction};
pub use jwt::User;
pub use provider::{Provider, ServiceRoot, StreamingResponse};
pub use request::{Request, Response};
pub use transport::{Client, ClientBuilder};
