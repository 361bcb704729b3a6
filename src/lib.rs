//! # gpconnect: NHS England's GP Connect from Rust
//!
//! Read and update a patient's GP record (EMIS Web, TPP SystmOne, Vision) through the
//! Spine Security Proxy with every header, token, interaction ID and error code right.
//!
//! This facade re-exports [`gpconnect_core`] (client, identifiers, errors, FHIR types,
//! foundations) and each API crate behind a cargo feature of the same name:
//!
//! | feature | module | API |
//! | --- | --- | --- |
//! | `structured` (default) | [`structured`] | Access Record Structured |
//! | `foundations` | `foundations`, `preflight` | find a patient; read a practitioner, organisation or location; register a patient; the pre-flight check (turned on by `documents`, `appointments` and `patient`) |
//! | `documents` | `documents` | Access Document |
//! | `appointments` | `appointments` | Appointment Management |
//! | `send` | `send` | Send Document (ITK3 over MESH; also turns on `mesh` and `itk3`) |
//! | `update` | `update` | Update Record (ITK3 over MESH; also turns on `mesh` and `itk3`) |
//! | `patient` | `patient` | the patient-facing APIs (access record, appointments, prescriptions) through the NHS API platform |
//! | `full` | | all of the above |
//!
//! ```no_run
//! use gpconnect::{Client, Consumer, Device, Identity, NhsNumber, SspConfig, User};
//!
//! # #[cfg(feature = "foundations")] // find_patient
//! # async fn demo(cert: &[u8], key: &[u8]) -> gpconnect::Result<()> {
//! let gp = Client::builder()
//!     .ssp(SspConfig::new("https://proxy.intspineservices.nhs.uk", "200000000115".parse()?)
//!         .identity(Identity::from_pem(cert, key)?))
//!     .sds(gpconnect::sds::SdsConfig::new("https://int.api.service.nhs.uk/spine-directory/FHIR/R4", "api-key"))
//!     .consumer(Consumer::builder()
//!         .ods("A1001".parse()?)
//!         .organisation_name("Test Hospital")
//!         .issuer("https://consumer.example.nhs.uk/")
//!         .device(
//!             Device::builder()
//!                 .system("https://consumer.example.nhs.uk/Id/device")
//!                 .value("CONS-1")
//!                 .model("Consumer")
//!                 .version("1.0")
//!                 .build()?,
//!         )
//!         .build()?)
//!     .build()?;                                   // cheap to clone; make one, share it
//!
//! let clinician = User::new("10019", "Jones").sds_user_id("111222333444");
//! let practice = gp.provider(&"A20047".parse()?).with_user(clinician);
//! let nhs = NhsNumber::parse("9690937286")?;
//! if let Some(found) = practice.foundations().find_patient(&nhs).send().await?.transpose() {
//!     let practice = found.registered_practice.as_ref().and_then(|o| o.name.as_deref());
//!     println!("patient id {} at {:?}", found.id, practice);
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use gpconnect_core::{
    error, fhir, ids, jwt, sds, AppointmentId, Asid, Capability, Client, ClientBuilder, Consumer, ConsumerBuilder,
    Device, DeviceBuilder, DocumentId, Effect, Error, ErrorKind, GpcCode, HealthcareServiceId, HttpSettings, Id,
    IdError, Identity, InteractionId, LocationId, NhsNumber, OdsCode, OrganizationId, PatientId, PractitionerId,
    Provider, Result, RetryPolicy, Scope, ServiceRoot, SlotId, SspConfig, Traced, Transport, User,
};
pub use gpconnect_core::{Call, CallOptions, Operation};

/// The foundations operations and the pre-flight check (feature `foundations`, turned on by
/// `documents`, `appointments` and `patient`).
#[cfg(feature = "foundations")]
#[cfg_attr(docsrs, doc(cfg(feature = "foundations")))]
pub use gpconnect_core::{foundations, preflight};

/// The MESH client and the ITK3 envelope (feature `mesh`, turned on by `send` and `update`).
#[cfg(feature = "mesh")]
#[cfg_attr(docsrs, doc(cfg(feature = "mesh")))]
pub use gpconnect_core::{itk3, mesh};

/// The NHS API platform transport and NHS login auth (feature `api-platform`, turned on by
/// `patient`).
#[cfg(feature = "api-platform")]
#[cfg_attr(docsrs, doc(cfg(feature = "api-platform")))]
pub use gpconnect_core::platform;

/// Access Record Structured (feature `structured`).
#[cfg(feature = "structured")]
#[cfg_attr(docsrs, doc(cfg(feature = "structured")))]
pub use gpconnect_structured as structured;

/// Access Document (feature `documents`).
#[cfg(feature = "documents")]
#[cfg_attr(docsrs, doc(cfg(feature = "documents")))]
pub use gpconnect_documents as documents;

/// Appointment Management (feature `appointments`).
#[cfg(feature = "appointments")]
#[cfg_attr(docsrs, doc(cfg(feature = "appointments")))]
pub use gpconnect_appointments as appointments;

/// Send Document (feature `send`).
#[cfg(feature = "send")]
#[cfg_attr(docsrs, doc(cfg(feature = "send")))]
pub use gpconnect_send as send;

/// Update Record (feature `update`).
#[cfg(feature = "update")]
#[cfg_attr(docsrs, doc(cfg(feature = "update")))]
pub use gpconnect_update as update;

/// The patient-facing APIs through the NHS API platform (feature `patient`): access
/// record, appointments and prescriptions for a patient logged in with NHS login.
#[cfg(feature = "patient")]
#[cfg_attr(docsrs, doc(cfg(feature = "patient")))]
pub use gpconnect_patient as patient;

/// The extension traits that add each enabled API to a [`Provider`]
/// (`provider.structured()`, `provider.documents()`, `provider.appointments()`), and the
/// patient-facing APIs to a patient session (`session.access_record()`, ...).
///
/// ```
/// use gpconnect::prelude::*;
/// ```
pub mod prelude {
    #[cfg(feature = "appointments")]
    pub use gpconnect_appointments::AppointmentsExt;
    #[cfg(feature = "documents")]
    pub use gpconnect_documents::DocumentsExt;
    #[cfg(feature = "patient")]
    pub use gpconnect_patient::PatientExt;
    #[cfg(feature = "structured")]
    pub use gpconnect_structured::StructuredExt;
}
