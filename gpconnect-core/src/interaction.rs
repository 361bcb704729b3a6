//! The complete table of GP Connect interaction IDs for the clinical APIs and foundations.
//!
//! An interaction belongs to an operation: it decides the `Ssp-InteractionID` header, the
//! Spine Directory Service look-up, the JWT `requested_scope` and the capability whose
//! service root the request goes to. Nobody types a `urn:nhs:...` at a call site.

use std::fmt;
use std::str::FromStr;

/// A provider capability with its own service root URL in SDS.
///
/// Appointments and Foundations share one root; structured and documents have their own.
/// Never reuse the root found for one capability for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Capability {
    /// Foundations and Appointment Management (routing segment typically `gpconnect`).
    Foundations,
    /// Access Record Structured (typically `gpconnect/structured`).
    Structured,
    /// Access Document (typically `gpconnect/documents`).
    Documents,
}

impl Capability {
    /// The API's name as NHS England writes it, as [`Display`](fmt::Display) prints it.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Foundations => "Foundations and Appointment Management",
            Capability::Structured => "Access Record Structured",
            Capability::Documents => "Access Document",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `requested_scope` resource part of the JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `patient/*.read`
    PatientRead,
    /// `patient/*.write`
    PatientWrite,
    /// `organization/*.read`
    OrganizationRead,
    /// `organization/*.write`
    OrganizationWrite,
}

impl Scope {
    /// The scope as written in the JWT claim.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::PatientRead => "patient/*.read",
            Scope::PatientWrite => "patient/*.write",
            Scope::OrganizationRead => "organization/*.read",
            Scope::OrganizationWrite => "organization/*.write",
        }
    }
}

/// Whether an operation creates or changes something at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Reads only: safe to retry after a timeout or a lost connection.
    Read,
    /// Creates or changes something (book, amend, cancel, register, send): never retried
    /// once it may have reached the provider.
    Write,
}

/// Why the request is made: the JWT `reason_for_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// `directcare`: the usual reason.
    DirectCare,
    /// `migration`: GP2GP-style record and document migration.
    Migration,
}

impl Reason {
    /// The claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::DirectCare => "directcare",
            Reason::Migration => "migration",
        }
    }
}

/// Everything the SDK knows about one interaction: what an operation declares.
///
/// A new API crate declares its interactions itself, next to its operations, without
/// editing anything in core:
///
/// ```
/// use gpconnect_core::{Capability, Effect, Interaction, InteractionId, Scope};
/// const READ_THING: InteractionId = InteractionId::new(&Interaction::new(
///     "ReadThing",
///     "urn:nhs:names:services:gpconnect:fhir:rest:read:thing-1",
///     Capability::Foundations,
///     Scope::OrganizationRead,
///     Effect::Read,
/// ));
/// assert!(!READ_THING.is_write());
/// ```
#[derive(Debug)]
pub struct Interaction {
    name: &'static str,
    urn: &'static str,
    capability: Capability,
    scope: Scope,
    effect: Effect,
    reason: Reason,
}

impl Interaction {
    /// An interaction with `reason_for_request` `directcare`. `name` is what `Debug`
    /// prints (the operation's name, such as `ReadLocation`).
    pub const fn new(
        name: &'static str,
        urn: &'static str,
        capability: Capability,
        scope: Scope,
        effect: Effect,
    ) -> Self {
        Self { name, urn, capability, scope, effect, reason: Reason::DirectCare }
    }

    /// The same interaction with `reason_for_request` `migration`.
    pub const fn migration(mut self) -> Self {
        self.reason = Reason::Migration;
        self
    }
}

/// A GP Connect interaction ID (`Ssp-InteractionID`), with the capability, scope,
/// effect and reason that come with it. Cheap to copy; compared by URN.
///
/// ```
/// use gpconnect_core::InteractionId;
/// let id = InteractionId::GetStructuredRecord;
/// assert_eq!(
///     id.to_string(),
///     "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1"
/// );
/// assert_eq!(id.to_string().parse::<InteractionId>(), Ok(id));
/// ```
#[derive(Clone, Copy)]
pub struct InteractionId(&'static Interaction);

impl InteractionId {
    /// The interaction ID of a declared [`Interaction`].
    pub const fn new(interaction: &'static Interaction) -> Self {
        Self(interaction)
    }

    /// The URN sent in `Ssp-InteractionID` and used in SDS look-ups.
    pub fn urn(self) -> &'static str {
        self.0.urn
    }

    /// The operation's name, as `Debug` prints it.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The capability whose service root this interaction is sent to.
    pub fn capability(self) -> Capability {
        self.0.capability
    }

    /// The JWT `requested_scope` (without any confidentiality part).
    pub fn scope(self) -> Scope {
        self.0.scope
    }

    /// Whether the interaction reads or creates/changes something.
    pub fn effect(self) -> Effect {
        self.0.effect
    }

    /// Whether the interaction creates or changes something at the provider.
    /// Such requests are never retried once they may have been sent.
    pub fn is_write(self) -> bool {
        self.0.effect == Effect::Write
    }

    /// The JWT `reason_for_request`: `migration` for the migrate interactions,
    /// `directcare` otherwise.
    pub fn reason_for_request(self) -> &'static str {
        self.0.reason.as_str()
    }
}

impl PartialEq for InteractionId {
    fn eq(&self, other: &Self) -> bool {
        self.0.urn == other.0.urn
    }
}

impl Eq for InteractionId {}

impl std::hash::Hash for InteractionId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.urn.hash(state);
    }
}

impl PartialOrd for InteractionId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for InteractionId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.urn.cmp(other.0.urn)
    }
}

impl fmt::Debug for InteractionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

macro_rules! interactions {
    ($( $(#[$doc:meta])* $name:ident = $urn:literal, $cap:ident, $scope:ident, $write:literal $(, $migration:ident)?; )*) => {
        /// The GP Connect catalogue: the interactions of the clinical APIs and foundations.
        #[allow(non_upper_case_globals)]
        impl InteractionId {
            $(
                $(#[$doc])*
                pub const $name: InteractionId = InteractionId(&Interaction {
                    name: stringify!($name),
                    urn: $urn,
                    capability: Capability::$cap,
                    scope: Scope::$scope,
                    effect: if $write { Effect::Write } else { Effect::Read },
                    reason: interactions!(@reason $($migration)?),
                });
            )*

            /// Every interaction ID of the catalogue.
            pub const ALL: &'static [InteractionId] = &[$(InteractionId::$name),*];
        }
    };
    (@reason) => { Reason::DirectCare };
    (@reason migration) => { Reason::Migration };
}
interactions! {
    /// Foundations: read the capability statement (`GET /metadata`).
    ReadMetadata = "urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1", Foundations, OrganizationRead, false;
    /// Foundations: read a patient (`GET /Patient/{id}`).
    ReadPatient = "urn:nhs:names:services:gpconnect:fhir:rest:read:patient-1", Foundations, PatientRead, false;
    /// Foundations: search for a patient by NHS number (`GET /Patient?identifier=`).
    SearchPatient = "urn:nhs:names:services:gpconnect:fhir:rest:search:patient-1", Foundations, PatientRead, false;
    /// Foundations: read a practitioner (`GET /Practitioner/{id}`).
    ReadPractitioner = "urn:nhs:names:services:gpconnect:fhir:rest:read:practitioner-1", Foundations, OrganizationRead, false;
    /// Foundations: search for a practitioner by SDS user ID.
    SearchPractitioner = "urn:nhs:names:services:gpconnect:fhir:rest:search:practitioner-1", Foundations, OrganizationRead, false;
    /// Foundations: read an organisation (`GET /Organization/{id}`).
    ReadOrganization = "urn:nhs:names:services:gpconnect:fhir:rest:read:organization-1", Foundations, OrganizationRead, false;
    /// Foundations: search for an organisation by ODS code.
    SearchOrganization = "urn:nhs:names:services:gpconnect:fhir:rest:search:organization-1", Foundations, OrganizationRead, false;
    /// Foundations: read a location (`GET /Location/{id}`).
    ReadLocation = "urn:nhs:names:services:gpconnect:fhir:rest:read:location-1", Foundations, OrganizationRead, false;
    /// Foundations: register a patient temporarily (`POST /Patient/$gpc.registerpatient`).
    RegisterPatient = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.registerpatient-1", Foundations, PatientWrite, true;
    /// Foundations 1.2.8: read a healthcare service.
    ReadHealthcareService = "urn:nhs:names:services:gpconnect:fhir:rest:read:healthcareservice-1", Foundations, OrganizationRead, false;
    /// Foundations 1.2.8: search for a healthcare service by DOS service ID.
    SearchHealthcareService = "urn:nhs:names:services:gpconnect:fhir:rest:search:healthcareservice-1", Foundations, OrganizationRead, false;
    /// Appointments: search for free slots (`GET /Slot`).
    SearchFreeSlots = "urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1", Foundations, OrganizationRead, false;
    /// Appointments: read an appointment.
    ReadAppointment = "urn:nhs:names:services:gpconnect:fhir:rest:read:appointment-1", Foundations, PatientRead, false;
    /// Appointments: book an appointment (`POST /Appointment`).
    BookAppointment = "urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1", Foundations, PatientWrite, true;
    /// Appointments: amend an appointment (`PUT /Appointment/{id}`).
    AmendAppointment = "urn:nhs:names:services:gpconnect:fhir:rest:update:appointment-1", Foundations, PatientWrite, true;
    /// Appointments: cancel an appointment (`PUT /Appointment/{id}`).
    CancelAppointment = "urn:nhs:names:services:gpconnect:fhir:rest:cancel:appointment-1", Foundations, PatientWrite, true;
    /// Appointments: a patient's appointments (`GET /Patient/{id}/Appointment`).
    SearchPatientAppointments = "urn:nhs:names:services:gpconnect:fhir:rest:search:patient_appointments-1", Foundations, PatientRead, false;
    /// Access Record Structured: get the structured record.
    GetStructuredRecord = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1", Structured, PatientRead, false;
    /// Access Record Structured: migrate the structured record (GP2GP-style).
    MigrateStructuredRecord = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.migratestructuredrecord-1", Structured, PatientRead, false, migration;
    /// Access Record Structured: read the capability statement.
    ReadStructuredMetadata = "urn:nhs:names:services:gpconnect:structured:fhir:rest:read:metadata-1", Structured, OrganizationRead, false;
    /// Access Document: read the capability statement.
    ReadDocumentsMetadata = "urn:nhs:names:services:gpconnect:documents:fhir:rest:read:metadata-1", Documents, OrganizationRead, false;
    /// Access Document: search for a patient.
    SearchDocumentsPatient = "urn:nhs:names:services:gpconnect:documents:fhir:rest:search:patient-1", Documents, PatientRead, false;
    /// Access Document: search a patient's documents.
    SearchDocuments = "urn:nhs:names:services:gpconnect:documents:fhir:rest:search:documentreference-1", Documents, PatientRead, false;
    /// Access Document: retrieve a document (`GET /Binary/{id}`).
    RetrieveDocument = "urn:nhs:names:services:gpconnect:documents:fhir:rest:read:binary-1", Documents, PatientRead, false;
    /// Access Document: migrate a document (`GET /Binary/{id}` with a migration JWT).
    MigrateDocument = "urn:nhs:names:services:gpconnect:documents:fhir:rest:migrate:binary-1", Documents, PatientRead, false, migration;
}

impl InteractionId {
    /// The capability statement read (`GET /metadata`) of a capability's server.
    pub fn metadata(capability: Capability) -> Self {
        match capability {
            Capability::Structured => InteractionId::ReadStructuredMetadata,
            Capability::Documents => InteractionId::ReadDocumentsMetadata,
            Capability::Foundations => InteractionId::ReadMetadata,
        }
    }
}

impl fmt::Display for InteractionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.urn())
    }
}

/// The string is not a GP Connect interaction ID this SDK knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown GP Connect interaction ID")]
pub struct UnknownInteraction;

impl FromStr for InteractionId {
    type Err = UnknownInteraction;
    fn from_str(s: &str) -> Result<Self, UnknownInteraction> {
        InteractionId::ALL.iter().copied().find(|i| i.urn() == s).ok_or(UnknownInteraction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interaction_round_trips() {
        assert_eq!(InteractionId::ALL.len(), 25);
        for &i in InteractionId::ALL {
            assert_eq!(i.to_string().parse::<InteractionId>(), Ok(i));
            assert!(i.urn().starts_with("urn:nhs:names:services:gpconnect:"));
        }
        assert!("urn:nhs:names:services:gpconnect:fhir:rest:read:nothing-1".parse::<InteractionId>().is_err());
    }

    #[test]
    fn scopes_follow_the_spec_table() {
        type I = InteractionId;
        assert_eq!(I::SearchFreeSlots.scope(), Scope::OrganizationRead);
        assert_eq!(I::BookAppointment.scope(), Scope::PatientWrite);
        assert_eq!(I::CancelAppointment.scope(), Scope::PatientWrite);
        assert_eq!(I::GetStructuredRecord.scope(), Scope::PatientRead);
        assert_eq!(I::ReadStructuredMetadata.scope(), Scope::OrganizationRead);
        assert_eq!(I::RetrieveDocument.capability(), Capability::Documents);
        assert!(I::BookAppointment.is_write() && !I::SearchPatient.is_write());
        assert_eq!(I::MigrateDocument.reason_for_request(), "migration");
    }
}
