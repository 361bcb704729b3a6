//! The NHS API platform transport and NHS login auth, for the patient-facing GP Connect
//! APIs (access record, appointments, prescriptions). Behind the `api-platform` feature.
//!
//! A patient app logs the patient in with NHS login itself (its own NHS login client, P9
//! journey) and hands the resulting ID token to the SDK. The SDK then:
//!
//! 1. verifies the ID token as NHS login's relying party must, before any session exists:
//!    signature against NHS login's published keys, issuer, audience (the app's NHS login
//!    client id), expiry and issue time, nonce, vector of trust, proofing level `P9` and
//!    an NHS number ([`PlatformClient::verify_id_token`]); a session is keyed by the whole
//!    verified identity ([`Identity`]) and never handed to a token that matches it in part;
//! 2. exchanges it at the platform's token endpoint for an access token (token exchange,
//!    with a signed RS512 client assertion, a fresh `jti` every time);
//! 3. caches the access token per patient ([`PatientSession`]), exchanges again before it
//!    expires (concurrent callers share one exchange), and never sends an expired one;
//! 4. sends each request with `Authorization: Bearer`, a fresh `X-Request-ID` (the same
//!    one when a failed read is re-sent), `X-Correlation-ID` when set and the FHIR media
//!    types; redirects are never followed and bodies are bounded; error answers become the
//!    one [`Error`](crate::Error) type.
//!
//! A [`PatientSession`] is a [`Transport`](crate::Transport): the operations of
//! `gpconnect-patient` are the SSP crates' builders (or thin wrappers over them) sent
//! through it by the one [`Call::send`](crate::Call::send). [`PatientSession::send`] sends
//! a raw [`PlatformRequest`].
//!
//! ```no_run
//! use gpconnect_core::platform::{Environment, NhsLogin, PlatformApi, PlatformClient, PlatformConfig, PlatformRequest};
//! use gpconnect_core::InteractionId;
//! # async fn demo(key_pem: &[u8], id_token_from_nhs_login: String, nonce: &str) -> gpconnect_core::Result<()> {
//! let platform = PlatformClient::new(
//!     PlatformConfig::new(Environment::Integration, "my-api-key", "key-1", key_pem)?
//!         .nhs_login(NhsLogin::new(NhsLogin::INTEGRATION, "my-nhs-login-client-id")),
//! )?;
//! let patient = platform.log_in(id_token_from_nhs_login, Some(nonce)).await?;
//! let answer = patient
//!     .send(PlatformRequest::get(InteractionId::ReadAppointment, PlatformApi::Appointments, "Appointment/1"))
//!     .await?;
//! # Ok(()) }
//! ```

mod assertion;
mod client;
mod config;
mod id_token;
mod jws;
mod nhs_login;
mod registry;
mod relying_party;
mod request;
mod session;
mod token;

pub use client::PlatformClient;
pub use config::{Environment, FhirVersion, PlatformApi, PlatformConfig};
pub use id_token::{Identity, NhsLoginIdToken, REQUIRED_PROOFING_LEVEL};
pub use nhs_login::{NhsLogin, P9_VECTORS_OF_TRUST};
pub use relying_party::{Authorisation, NhsLoginClient, GP_CONNECT_SCOPES};
pub use request::PlatformRequest;
pub use session::PatientSession;

use crate::{Capability, Effect, Interaction, InteractionId, Scope};

/// The Prescriptions Management interactions (patient-facing, API platform only). The
/// platform sets the provider's interaction header itself, so their URNs (the SDK's names,
/// in GP Connect's pattern) are never sent; they name the operations in errors and traces.
/// They have no SSP service root: their capability is nominal.
#[allow(non_upper_case_globals)]
impl InteractionId {
    /// The patient's medication requests (`GET /Patient/{id}/MedicationRequest`).
    pub const ReadMedicationRequests: InteractionId = InteractionId::new(&Interaction::new(
        "ReadMedicationRequests",
        "urn:nhs:names:services:gpconnect:fhir:rest:search:medicationrequest-1",
        Capability::Foundations,
        Scope::PatientRead,
        Effect::Read,
    ));
    /// Request a new issue of a repeat prescription (`POST /Task`): a write.
    pub const RequestPrescription: InteractionId = InteractionId::new(&Interaction::new(
        "RequestPrescription",
        "urn:nhs:names:services:gpconnect:fhir:rest:create:task-1",
        Capability::Foundations,
        Scope::PatientWrite,
        Effect::Write,
    ));
    /// The status of the patient's prescription requests (`GET /Task`).
    pub const SearchPrescriptionRequests: InteractionId = InteractionId::new(&Interaction::new(
        "SearchPrescriptionRequests",
        "urn:nhs:names:services:gpconnect:fhir:rest:search:task-1",
        Capability::Foundations,
        Scope::PatientRead,
        Effect::Read,
    ));
}
