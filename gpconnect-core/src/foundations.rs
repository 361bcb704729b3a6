//! Foundations operations every consumer needs: find a patient by NHS number, read an
//! organisation, practitioner or location, find an organisation by ODS code, and read
//! the capability statement.
//!
//! ```no_run
//! # async fn demo(practice: gpconnect_core::Provider, clinician: gpconnect_core::User) -> gpconnect_core::Result<()> {
//! let nhs = gpconnect_core::NhsNumber::parse("9690937286")?;
//! match practice.foundations().find_patient(&nhs).user(&clinician).send().await?.value {
//!     Some(found) => println!("registered at {:?}", found.registered_practice.as_ref().and_then(|o| o.name.as_deref())),
//!     None => println!("no active patient with that NHS number here"),
//! }
//! # Ok(()) }
//! ```

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::error::{DecodeProblem, InvalidInput};
use crate::fhir::{
    Bundle, CapabilityStatement, FhirResource, HealthcareService, Location, Meta, Organization, Patient, Practitioner,
    Typed,
};
use crate::operation::{Call, Operation, Traced};
use crate::{Capability, InteractionId, NhsNumber, OdsCode, Provider, Request, Response, Result};

/// The foundations operations of a provider; from [`Provider::foundations`].
#[derive(Debug, Clone)]
pub struct Foundations {
    provider: Provider,
}

impl Provider {
    /// The foundations operations (patient search, organisation, practitioner and
    /// location reads, capability statement).
    pub fn foundations(&self) -> Foundations {
        Foundations { provider: self.clone() }
    }
}

impl Foundations {
    /// Finds an active patient by NHS number.
    ///
    /// Sends `GET /Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}`
    /// (`urn:nhs:names:services:gpconnect:fhir:rest:search:patient-1`, `patient/*.read`).
    /// No match is not an error: the answer is `None`.
    pub fn find_patient(&self, nhs_number: &NhsNumber) -> FindPatient {
        FindPatient { call: Call::new(&self.provider), nhs_number: nhs_number.clone() }
    }

    /// Reads a patient by logical id (`GET /Patient/{id}`).
    pub fn read_patient(&self, id: &str) -> Read<Patient> {
        self.read(InteractionId::ReadPatient, id)
    }

    /// Reads an organisation by logical id (`GET /Organization/{id}`).
    pub fn read_organization(&self, id: &str) -> Read<Organization> {
        self.read(InteractionId::ReadOrganization, id)
    }

    /// Reads a practitioner by logical id (`GET /Practitioner/{id}`).
    pub fn read_practitioner(&self, id: &str) -> Read<Practitioner> {
        self.read(InteractionId::ReadPractitioner, id)
    }

    /// Reads a location by logical id (`GET /Location/{id}`).
    pub fn read_location(&self, id: &str) -> Read<Location> {
        self.read(InteractionId::ReadLocation, id)
    }

    /// Reads the foundations and appointments capability statement (`GET /metadata`).
    pub fn capability_statement(&self) -> Read<CapabilityStatement> {
        self.provider.capability_statement(Capability::Foundations)
    }

    /// Registers a patient temporarily at the practice (`POST /Patient/$gpc.registerpatient`,
    /// `urn:nhs:names:services:gpconnect:fhir:operation:gpc.registerpatient-1`,
    /// `patient/*.write`), for example before booking an appointment for a patient who is
    /// not registered there.
    ///
    /// `patient` is the CareConnect-GPC-Patient from your PDS trace: it must carry a valid
    /// NHS number, an official (or first) name with a family name, a gender and a birth
    /// date, or nothing is sent. The provider checks the demographics against PDS
    /// (`INVALID_PATIENT_DEMOGRAPHICS`); a patient already registered there gives
    /// `DUPLICATE_REJECTED` (kind `Conflict`).
    ///
    /// A write: never retried once it may have been sent. After an error whose kind is
    /// `OutcomeUnknown`, [`Foundations::find_patient`] shows whether it happened.
    pub fn register_patient(&self, patient: &Patient) -> RegisterPatient {
        RegisterPatient { call: Call::new(&self.provider), patient: patient.clone() }
    }

    /// Finds an organisation by ODS code
    /// (`GET /Organization?identifier=https://fhir.nhs.uk/Id/ods-organization-code|{ods}`).
    pub fn find_organization(&self, ods: &OdsCode) -> FindOne<Organization> {
        self.find(InteractionId::SearchOrganization, OdsCode::SYSTEM, Ok(ods.as_str().to_owned()))
    }

    /// Reads a healthcare service by logical id (`GET /HealthcareService/{id}`; 1.2.8
    /// providers only).
    pub fn read_healthcare_service(&self, id: &str) -> Read<HealthcareService> {
        self.read(InteractionId::ReadHealthcareService, id)
    }

    /// Finds a healthcare service by its Directory of Services (DOS) service ID
    /// (`GET /HealthcareService?identifier=https://fhir.nhs.uk/Id/uec-dos-service-id|{id}`;
    /// 1.2.8 providers only).
    pub fn find_healthcare_service(&self, dos_service_id: &str) -> FindOne<HealthcareService> {
        let value = if !dos_service_id.is_empty() && dos_service_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(dos_service_id.to_owned())
        } else {
            Err(InvalidInput::parameter("identifier", "a DOS service ID is letters and digits"))
        };
        self.find(InteractionId::SearchHealthcareService, DOS_SERVICE_ID_SYSTEM, value)
    }

    fn read<T: FhirResource>(&self, interaction: InteractionId, id: &str) -> Read<T> {
        Read {
            call: Call::new(&self.provider),
            interaction,
            path: logical_id(id).map(|id| format!("{}/{id}", T::TYPE)),
            _resource: PhantomData,
        }
    }

    fn find<T>(
        &self,
        interaction: InteractionId,
        system: &'static str,
        value: Result<String, InvalidInput>,
    ) -> FindOne<T> {
        FindOne { call: Call::new(&self.provider), interaction, system, value, _resource: PhantomData }
    }
}

/// The identifier system of Directory of Services (DOS) service IDs.
pub const DOS_SERVICE_ID_SYSTEM: &str = "https://fhir.nhs.uk/Id/uec-dos-service-id";

impl Provider {
    /// Reads the capability statement of one capability's server (`GET /metadata` with
    /// that capability's metadata interaction, `organization/*.read`).
    pub fn capability_statement(&self, capability: Capability) -> Read<CapabilityStatement> {
        Read {
            call: Call::new(self),
            interaction: InteractionId::metadata(capability),
            path: Ok("metadata".into()),
            _resource: PhantomData,
        }
    }
}

/// Checks a FHIR logical id: 1 to 64 of `A-Z a-z 0-9 - .`.
pub fn logical_id(id: &str) -> Result<&str, InvalidInput> {
    if (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        Ok(id)
    } else {
        Err(InvalidInput::Parameter {
            parameter: "id",
            problem: "a logical id is 1 to 64 letters, digits, '-' or '.'".into(),
        })
    }
}

/// A decode error for a resource of a Bundle that is not what its `resourceType` says.
pub fn entry_error(response: &Response, e: &serde_json::Error) -> crate::Error {
    response.decode_error(DecodeProblem::json("entry.resource", e))
}

/// Reads one resource by id; see [`Foundations::read_organization`] and friends.
///
/// Sends `GET /{Resource}/{id}` with the read interaction of the resource
/// (`organization/*.read`, or `patient/*.read` for a Patient). A missing resource is an
/// error of kind `NotFound`. Safe to retry: a read.
///
/// # Example
/// ```no_run
/// # async fn demo(p: gpconnect_core::Provider) -> gpconnect_core::Result<()> {
/// let surgery = p.foundations().read_location("17").send().await?;
/// println!("{:?} (version {:?})", surgery.name, surgery.version_id);
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct Read<T> {
    call: Call,
    interaction: InteractionId,
    path: Result<String, InvalidInput>,
    _resource: PhantomData<fn() -> T>,
}

crate::builder!(impl<T> Read<T>);

impl<T: DeserializeOwned + FhirResource> Operation for Read<T> {
    type Answer = Response;
    type Output = T;

    fn interaction(&self) -> InteractionId {
        self.interaction
    }

    fn request(&self) -> Result<Request> {
        Ok(Request::get(self.interaction, self.path.clone()?))
    }

    fn parse(&self, response: Response) -> Result<T> {
        response.resource()
    }
}

/// A patient found by NHS number, with the practice they are registered at.
#[derive(Debug, Clone)]
pub struct FoundPatient {
    /// The patient (CareConnect-GPC-Patient-1). Its `Debug` output is redacted.
    pub patient: Patient,
    /// The registered practice (`managingOrganization`), from the search answer or read
    /// with a second request when the answer did not include it.
    pub registered_practice: Option<Organization>,
}

impl FoundPatient {
    /// The patient's logical id at this provider, used by later requests.
    pub fn id(&self) -> Option<&str> {
        self.patient.id.as_deref()
    }
}

/// Finds a patient by NHS number; see [`Foundations::find_patient`].
///
/// # Example
/// ```no_run
/// # async fn demo(p: gpconnect_core::Provider, nhs: gpconnect_core::NhsNumber) -> gpconnect_core::Result<()> {
/// if let Some(found) = p.foundations().find_patient(&nhs).send().await?.transpose() {
///     println!("patient id {:?} (Ssp-TraceID {})", found.id(), found.trace_id);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct FindPatient {
    call: Call,
    nhs_number: NhsNumber,
}

crate::builder!(FindPatient, no_send);

/// The search answer: the patient, and their practice when the answer included it.
#[doc(hidden)]
#[derive(Debug)]
pub struct PatientMatch {
    found: FoundPatient,
    practice_to_read: Option<String>,
}

impl Operation for FindPatient {
    type Answer = Response;
    type Output = Option<PatientMatch>;

    fn interaction(&self) -> InteractionId {
        InteractionId::SearchPatient
    }

    fn request(&self) -> Result<Request> {
        Ok(Request::get(InteractionId::SearchPatient, "Patient")
            .query("identifier", format!("{}|{}", NhsNumber::SYSTEM, self.nhs_number.expose())))
    }

    fn parse(&self, response: Response) -> Result<Option<PatientMatch>> {
        let bundle: Bundle = response.resource()?;
        let mut patients = Vec::new();
        for raw in bundle.resources_of(Patient::TYPE) {
            patients.push(raw.parse::<Patient>().map_err(|e| entry_error(&response, &e))?);
        }
        let Some(patient) = patients.into_iter().find(|p| p.nhs_number() == Some(self.nhs_number.expose())) else {
            return Ok(None);
        };
        let registered_practice = match &patient.managing_organization {
            Some(reference) => bundle.index().resolve_as::<Organization>(reference).and_then(|r| r.ok()),
            None => None,
        };
        let practice_to_read = match registered_practice {
            Some(_) => None,
            None => patient.managing_organization.as_ref().and_then(|r| r.id()).map(str::to_owned),
        };
        Ok(Some(PatientMatch { found: FoundPatient { patient, registered_practice }, practice_to_read }))
    }
}

impl FindPatient {
    /// Sends the search (and, when the answer did not include the registered practice,
    /// reads it). `None` when the provider has no active patient with that number.
    pub async fn send(self) -> Result<Traced<Option<FoundPatient>>> {
        let searched = self.call.send(&self).await?;
        let Some(matched) = searched.value else {
            return Ok(Traced { value: None, trace_id: searched.trace_id, version_id: None });
        };
        let mut found = matched.found;
        if let Some(id) = matched.practice_to_read {
            let read = Foundations { provider: self.call.provider().clone() }.read_organization(&id);
            let read = Read { call: self.call.clone(), ..read };
            found.registered_practice = Some(read.send().await?.into_inner());
        }
        Ok(Traced { value: Some(found), trace_id: searched.trace_id, version_id: None })
    }
}

/// Searches by one identifier (`{Resource}?identifier={system}|{value}`) and returns the
/// match; see [`Foundations::find_organization`] and [`Foundations::find_healthcare_service`].
///
/// `None` when the provider finds nothing (not an error). Safe to retry: a read.
///
/// # Example
/// ```no_run
/// # async fn demo(p: gpconnect_core::Provider) -> gpconnect_core::Result<()> {
/// let found = p.foundations().find_organization(&"A20047".parse()?).send().await?;
/// println!("{:?}", found.as_ref().and_then(|o| o.name.as_deref()));
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct FindOne<T> {
    call: Call,
    interaction: InteractionId,
    system: &'static str,
    value: Result<String, InvalidInput>,
    _resource: PhantomData<fn() -> T>,
}

crate::builder!(impl<T> FindOne<T>);

impl<T: DeserializeOwned + FhirResource> Operation for FindOne<T> {
    type Answer = Response;
    type Output = Option<T>;

    fn interaction(&self) -> InteractionId {
        self.interaction
    }

    fn request(&self) -> Result<Request> {
        Ok(Request::get(self.interaction, T::TYPE)
            .query("identifier", format!("{}|{}", self.system, self.value.clone()?)))
    }

    fn parse(&self, response: Response) -> Result<Option<T>> {
        let bundle: Bundle = response.resource()?;
        let Some(raw) = bundle.resources_of(T::TYPE).next() else { return Ok(None) };
        raw.parse().map(Some).map_err(|e| entry_error(&response, &e))
    }
}

/// Registers a patient temporarily; see [`Foundations::register_patient`].
///
/// # Example
/// ```no_run
/// # async fn demo(p: gpconnect_core::Provider, from_pds: gpconnect_core::fhir::Patient) -> gpconnect_core::Result<()> {
/// let registered = p.foundations().register_patient(&from_pds).send().await?;
/// println!("registered as {:?}", registered.id());
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct RegisterPatient {
    call: Call,
    patient: Patient,
}

crate::builder!(RegisterPatient);

/// The profile a registered patient is sent with.
const GPC_PATIENT_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1";

impl RegisterPatient {
    fn nhs_number(&self) -> Result<NhsNumber> {
        let nhs_number =
            self.patient.nhs_number().ok_or(InvalidInput::parameter("registerPatient", "no NHS number"))?;
        Ok(NhsNumber::parse(nhs_number)?)
    }
}

impl Operation for RegisterPatient {
    type Answer = Response;
    type Output = FoundPatient;

    fn interaction(&self) -> InteractionId {
        InteractionId::RegisterPatient
    }

    fn request(&self) -> Result<Request> {
        self.nhs_number()?;
        let named =
            self.patient.official_name().and_then(|n| n.family.as_deref()).is_some_and(|f| !f.trim().is_empty());
        let problem = if !named {
            Some("no family name")
        } else if self.patient.gender.is_none() {
            Some("no gender")
        } else if self.patient.birth_date.as_ref().and_then(|d| d.to_date()).is_none() {
            Some("no valid birth date")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(InvalidInput::parameter("registerPatient", problem).into());
        }
        let mut patient = self.patient.clone();
        patient.id = None;
        patient.meta = Some(Meta { profile: vec![GPC_PATIENT_PROFILE.into()], ..Meta::default() });
        let body = serde_json::json!({
            "resourceType": "Parameters",
            "parameter": [{ "name": "registerPatient", "resource": Typed(&patient) }],
        });
        Ok(Request::post(
            InteractionId::RegisterPatient,
            "Patient/$gpc.registerpatient",
            serde_json::to_vec(&body).expect("a Patient serialises"),
        ))
    }

    fn parse(&self, response: Response) -> Result<FoundPatient> {
        let nhs_number = self.nhs_number()?;
        let bundle: Bundle = response.resource()?;
        let registered = bundle
            .resources_of(Patient::TYPE)
            .filter_map(|raw| raw.parse::<Patient>().ok())
            .find(|p| p.nhs_number() == Some(nhs_number.expose()))
            .ok_or_else(|| {
                response.decode_error(DecodeProblem::Json {
                    path: "entry".into(),
                    message: "no Patient with the registered NHS number in the answer".into(),
                })
            })?;
        let registered_practice = registered
            .managing_organization
            .as_ref()
            .and_then(|r| bundle.index().resolve_as::<Organization>(r))
            .and_then(|r| r.ok());
        Ok(FoundPatient { patient: registered, registered_practice })
    }
}
