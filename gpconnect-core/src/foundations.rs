//! Foundations operations every consumer needs: find a patient by NHS number, read an
//! organisation, practitioner or location, find an organisation by ODS code, and read
//! the capability statement.
//!
//! ```no_run
//! # async fn demo(practice: gpconnect_core::Provider, clinician: gpconnect_core::User) -> gpconnect_core::Result<()> {
//! let nhs = gpconnect_core::NhsNumber::parse("9690937286")?;
//! match practice.foundations().find_patient(&nhs).user(&clinician).send().await? {
//!     Some(found) => println!("registered at {:?}", found.registered_practice.as_ref().and_then(|o| o.name.as_deref())),
//!     None => println!("no active patient with that NHS number here"),
//! }
//! # Ok(()) }
//! ```

use std::marker::PhantomData;
use std::ops::Deref;
use std::time::Duration;

use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::{DecodeProblem, InvalidInput};
use crate::fhir::{
    Bundle, CapabilityStatement, FhirResource, HealthcareService, Location, Meta, Organization, Patient, Practitioner,
    Typed,
};
use crate::{Capability, InteractionId, NhsNumber, OdsCode, Provider, Request, Response, Result, User};

/// Per-call options every operation builder carries: the requesting user and a timeout.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// The requesting user, overriding the provider handle's.
    pub user: Option<User>,
    /// A timeout overriding the client default.
    pub timeout: Option<Duration>,
}

impl CallOptions {
    /// Applies the options to a request.
    pub fn apply(&self, mut request: Request) -> Request {
        if let Some(user) = &self.user {
            request = request.user(user.clone());
        }
        if let Some(timeout) = self.timeout {
            request = request.timeout(timeout);
        }
        request
    }
}

/// Adds the `user` and `timeout` setters to an operation builder with an
/// `options: CallOptions` field.
#[macro_export]
macro_rules! call_options {
    (impl<$($generic:ident),*> $builder:ty) => {
        impl<$($generic),*> $builder {
            /// The logged-on user this request is made for (the `requesting_practitioner`
            /// claim), overriding the provider handle's user.
            pub fn user(mut self, user: &$crate::User) -> Self {
                self.options.user = Some(user.clone());
                self
            }

            /// A timeout for this call, overriding the client default.
            pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.options.timeout = Some(timeout);
                self
            }
        }
    };
    ($builder:ty) => {
        $crate::call_options!(impl<> $builder);
    };
}

/// A value from the provider with the `Ssp-TraceID` of the request and the resource
/// version (`ETag`). Dereferences to the value.
#[derive(Debug, Clone)]
pub struct Traced<T> {
    /// The value.
    pub value: T,
    /// The `Ssp-TraceID` of the request that fetched it.
    pub trace_id: Uuid,
    /// The version from the `ETag` header (`W/"3"` gives `3`), when given.
    pub version_id: Option<String>,
}

impl<T> Traced<T> {
    /// Parses a response's body as `T`.
    pub fn from_response(response: &Response) -> Result<Self>
    where
        T: DeserializeOwned + FhirResource,
    {
        Ok(Self {
            value: response.resource()?,
            trace_id: response.trace_id,
            version_id: response.etag_version().map(str::to_owned),
        })
    }

    /// The value, without the trace ID.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Traced<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

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
        FindPatient { provider: self.provider.clone(), nhs_number: nhs_number.clone(), options: CallOptions::default() }
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
        RegisterPatient { provider: self.provider.clone(), patient: patient.clone(), options: CallOptions::default() }
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
            provider: self.provider.clone(),
            interaction,
            path: logical_id(id).map(|id| format!("{}/{id}", T::TYPE)),
            options: CallOptions::default(),
            _resource: PhantomData,
        }
    }

    fn find<T>(
        &self,
        interaction: InteractionId,
        system: &'static str,
        value: Result<String, InvalidInput>,
    ) -> FindOne<T> {
        FindOne {
            provider: self.provider.clone(),
            interaction,
            system,
            value,
            options: CallOptions::default(),
            _resource: PhantomData,
        }
    }
}

/// The identifier system of Directory of Services (DOS) service IDs.
pub const DOS_SERVICE_ID_SYSTEM: &str = "https://fhir.nhs.uk/Id/uec-dos-service-id";

impl Provider {
    /// Reads the capability statement of one capability's server (`GET /metadata` with
    /// that capability's metadata interaction, `organization/*.read`).
    pub fn capability_statement(&self, capability: Capability) -> Read<CapabilityStatement> {
        Read {
            provider: self.clone(),
            interaction: InteractionId::metadata(capability),
            path: Ok("metadata".into()),
            options: CallOptions::default(),
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

/// Reads one resource by id; see [`Foundations::read_organization`] and friends.
#[derive(Debug)]
pub struct Read<T> {
    provider: Provider,
    interaction: InteractionId,
    path: Result<String, InvalidInput>,
    options: CallOptions,
    _resource: PhantomData<fn() -> T>,
}

crate::call_options!(impl<T> Read<T>);

impl<T: DeserializeOwned + FhirResource> Read<T> {
    /// Sends the read. A missing resource is an error of kind `NotFound`.
    pub async fn send(self) -> Result<Traced<T>> {
        let request = self.options.apply(Request::get(self.interaction, self.path?));
        Traced::from_response(&self.provider.send(request).await?)
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
    /// The `Ssp-TraceID` of the search.
    pub trace_id: Uuid,
}

impl FoundPatient {
    /// The patient's logical id at this provider, used by later requests.
    pub fn id(&self) -> Option<&str> {
        self.patient.id.as_deref()
    }
}

/// Finds a patient by NHS number; see [`Foundations::find_patient`].
#[derive(Debug)]
pub struct FindPatient {
    provider: Provider,
    nhs_number: NhsNumber,
    options: CallOptions,
}

crate::call_options!(FindPatient);

impl FindPatient {
    /// Sends the search. `Ok(None)` when the provider has no active patient with that number.
    pub async fn send(self) -> Result<Option<FoundPatient>> {
        let request = Request::get(InteractionId::SearchPatient, "Patient")
            .query("identifier", format!("{}|{}", NhsNumber::SYSTEM, self.nhs_number.expose()));
        let response = self.provider.send(self.options.apply(request)).await?;
        let bundle: Bundle = response.resource()?;
        let mut patients = Vec::new();
        for raw in bundle.resources_of(Patient::TYPE) {
            patients.push(
                raw.parse::<Patient>().map_err(|e| response.decode_error(DecodeProblem::json("entry.resource", &e)))?,
            );
        }
        let Some(patient) = patients.into_iter().find(|p| p.nhs_number() == Some(self.nhs_number.expose())) else {
            return Ok(None);
        };
        let index = bundle.index();
        let mut registered_practice = match &patient.managing_organization {
            Some(reference) => index.resolve_as::<Organization>(reference).and_then(|r| r.ok()),
            None => None,
        };
        if registered_practice.is_none() {
            if let Some(id) = patient.managing_organization.as_ref().and_then(|r| r.id()) {
                let read = Foundations { provider: self.provider.clone() }.read_organization(id);
                let read = Read { options: self.options.clone(), ..read };
                registered_practice = Some(read.send().await?.into_inner());
            }
        }
        Ok(Some(FoundPatient { patient, registered_practice, trace_id: response.trace_id }))
    }
}

/// Searches by one identifier (`{Resource}?identifier={system}|{value}`) and returns the
/// match; see [`Foundations::find_organization`] and [`Foundations::find_healthcare_service`].
#[derive(Debug)]
pub struct FindOne<T> {
    provider: Provider,
    interaction: InteractionId,
    system: &'static str,
    value: Result<String, InvalidInput>,
    options: CallOptions,
    _resource: PhantomData<fn() -> T>,
}

crate::call_options!(impl<T> FindOne<T>);

impl<T: DeserializeOwned + FhirResource> FindOne<T> {
    /// Sends the search. `Ok(None)` when the provider finds nothing (not an error).
    pub async fn send(self) -> Result<Option<Traced<T>>> {
        let request =
            Request::get(self.interaction, T::TYPE).query("identifier", format!("{}|{}", self.system, self.value?));
        let response = self.provider.send(self.options.apply(request)).await?;
        let bundle: Bundle = response.resource()?;
        let Some(raw) = bundle.resources_of(T::TYPE).next() else { return Ok(None) };
        let value = raw
            .parse()
            .map_err(|e: serde_json::Error| response.decode_error(DecodeProblem::json("entry.resource", &e)))?;
        Ok(Some(Traced { value, trace_id: response.trace_id, version_id: None }))
    }
}

/// Registers a patient temporarily; see [`Foundations::register_patient`].
#[derive(Debug)]
pub struct RegisterPatient {
    provider: Provider,
    patient: Patient,
    options: CallOptions,
}

crate::call_options!(RegisterPatient);

/// The profile a registered patient is sent with.
const GPC_PATIENT_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1";

impl RegisterPatient {
    /// Checks the patient, then sends the registration. Returns the registered patient.
    pub async fn send(self) -> Result<FoundPatient> {
        let nhs_number =
            self.patient.nhs_number().ok_or(InvalidInput::parameter("registerPatient", "no NHS number"))?;
        let nhs_number = NhsNumber::parse(nhs_number)?;
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
        let mut patient = self.patient;
        patient.id = None;
        patient.meta = Some(Meta { profile: vec![GPC_PATIENT_PROFILE.into()], ..Meta::default() });
        let body = serde_json::json!({
            "resourceType": "Parameters",
            "parameter": [{ "name": "registerPatient", "resource": Typed(&patient) }],
        });
        let request = Request::post(
            InteractionId::RegisterPatient,
            "Patient/$gpc.registerpatient",
            serde_json::to_vec(&body).expect("a Patient serialises"),
        );
        let response = self.provider.send(self.options.apply(request)).await?;
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
        Ok(FoundPatient { patient: registered, registered_practice, trace_id: response.trace_id })
    }
}
