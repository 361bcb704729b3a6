//! The NHS API platform transport and NHS login auth, for the patient-facing GP Connect
//! APIs (access record, appointments, prescriptions). Behind the `api-platform` feature.
//!
//! A patient app logs the patient in with NHS login itself (its own NHS login client, P9
//! journey) and hands the resulting ID token to the SDK. The SDK then:
//!
//! 1. checks the ID token locally before anything is sent: identity proofing level `P9`
//!    and not expired, else [`Error::must_log_in_again`](crate::Error::must_log_in_again);
//! 2. exchanges it at the platform's token endpoint for an access token (token exchange,
//!    with a signed RS512 client assertion, a fresh `jti` every time);
//! 3. caches the access token per patient ([`PatientSession`]), exchanges again before it
//!    expires (concurrent callers share one exchange), and never sends an expired one;
//! 4. sends each request with `Authorization: Bearer`, a fresh `X-Request-ID` (the same
//!    one when a failed read is re-sent), `X-Correlation-ID` when set and the FHIR media
//!    types; redirects are never followed and bodies are bounded; error answers become the
//!    one [`Error`](crate::Error) type.
//!
//! ```no_run
//! use gpconnect_core::platform::{Environment, NhsLoginIdToken, PlatformApi, PlatformClient, PlatformConfig, PlatformRequest};
//! use gpconnect_core::InteractionId;
//! # async fn demo(key_pem: &[u8], id_token_from_nhs_login: String) -> gpconnect_core::Result<()> {
//! let platform = PlatformClient::new(
//!     PlatformConfig::new(Environment::Integration, "my-api-key", "key-1", key_pem)?,
//! )?;
//! let patient = platform.session(NhsLoginIdToken::parse(id_token_from_nhs_login)?)?;
//! let answer = patient
//!     .send(PlatformRequest::get(InteractionId::ReadAppointment, PlatformApi::Appointments, "Appointment/1"))
//!     .await?;
//! # Ok(()) }
//! ```

mod assertion;
mod client;
mod config;
mod id_token;
mod request;
mod session;
mod token;

pub use client::PlatformClient;
pub use config::{Environment, FhirVersion, PlatformApi, PlatformConfig};
pub use id_token::NhsLoginIdToken;
pub use request::PlatformRequest;
pub use session::PatientSession;
