//! The core of the GP Connect SDK: everything every GP Connect API shares.
//!
//! * identifiers: [`NhsNumber`] (with its Modulus 11 check digit), [`OdsCode`], [`Asid`],
//!   and the typed logical ids of resources ([`Id`]: [`PatientId`], [`AppointmentId`], ...);
//! * the interaction ID table, [`InteractionId`], which decides the `Ssp-InteractionID`
//!   header, the JWT scope and the service root of every request;
//! * the JWT claim builder ([`jwt`]) for the unsigned GP Connect access token;
//! * the Spine Security Proxy transport ([`Client`]), with mutual TLS, the `Ssp-*`
//!   headers, timeouts, redacted tracing and no redirects followed;
//! * one retry loop ([`RetryPolicy`]) for every transport: reads only, never a write
//!   that may have been sent;
//! * Spine Directory Service look-ups ([`sds`]) with a cache, and a [`Provider`] handle
//!   that the per-API crates hang their operations off;
//! * the operation shape ([`Operation`]) and its one send path ([`Call::send`]);
//! * one [`Error`] type with the OperationOutcome mapping;
//! * the FHIR STU3 types ([`fhir`]) and the foundations operations ([`foundations`]);
//! * with the `api-platform` feature, the NHS API platform transport and NHS login auth
//!   (`platform`) for the patient-facing APIs.
//!
//! Every operation follows one path: a typed builder in an API crate implements
//! [`Operation`] (its interaction, its request from validated input, how it reads the
//! answer); [`Call::send`] builds the request, the [`Provider`] resolves its service root
//! and user, the [`Client`] adds the headers and token and sends it through the SSP with
//! retries, and the operation parses the answer into a [`Traced`] value or an [`Error`].
//!
//! Modules depend downwards only (the repository's `tests/module_cycles.rs` checks it):
//! leaves (`redact`, the error type, `retry`, TLS `tls`, the shared HTTP plumbing `http`,
//! `service_root`, `call_options`) at the bottom; `ssp` (the SSP on the wire), `sds` and
//! the resolver on them; `client` (the dispatcher) knows those, never a provider or an
//! operation; `provider` knows the client; `operation` knows the provider; the
//! foundations operations sit on top. The MESH and API-platform transports use the same
//! leaves, and [`Error`] names neither (their failures are [`Error::Messaging`] and
//! [`Error::Auth`], whatever the features).
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod call_options;
mod client;
pub mod config;
pub mod error;
pub mod fhir;
#[cfg(feature = "foundations")]
#[cfg_attr(docsrs, doc(cfg(feature = "foundations")))]
pub mod foundations;
mod http;
pub mod ids;
mod interaction;
#[cfg(feature = "mesh")]
pub mod itk3;
pub mod jwt;
#[cfg(feature = "mesh")]
pub mod mesh;
mod operation;
#[cfg(feature = "api-platform")]
#[cfg_attr(docsrs, doc(cfg(feature = "api-platform")))]
pub mod platform;
#[cfg(feature = "foundations")]
#[cfg_attr(docsrs, doc(cfg(feature = "foundations")))]
pub mod preflight;
mod problem;
mod provider;
pub mod redact;
mod request;
mod resolver;
pub mod retry;
pub mod sds;
mod service_root;
mod ssp;
mod tls;
pub mod uk;
#[cfg(feature = "mesh")]
#[cfg_attr(docsrs, doc(cfg(feature = "mesh")))]
pub mod xml;

pub use call_options::CallOptions;
pub use client::{Client, ClientBuilder};
pub use config::{Consumer, ConsumerBuilder, Device, DeviceBuilder, Identity, SspConfig};
pub use error::{Error, ErrorKind, GpcCode, PatientMismatch, Result};
pub use http::{HttpSettings, Trust};
pub use ids::{
    AppointmentId, Asid, DocumentId, HealthcareServiceId, Id, IdError, LocationId, NhsNumber, OdsCode, OrganizationId,
    PatientId, PractitionerId, SlotId,
};
pub use interaction::{Capability, Effect, Interaction, InteractionId, Reason, Scope, UnknownInteraction};
pub use jwt::User;
pub use operation::{Call, Operation, Traced, Transport};
pub use provider::Provider;
pub use request::{is_fhir_json, Answer, Request, Response, StreamingResponse};
pub use retry::RetryPolicy;
pub use service_root::ServiceRoot;
#[doc(hidden)]
pub use uuid;

/// The README's example, compiled and run as a doctest (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
