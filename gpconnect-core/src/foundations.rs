//! Foundations operations every consumer needs: find a patient by NHS number, read an
//! organisation, practitioner or location, find an organisation by ODS code, and read
//! the capability statement.
//!
//! ```no_run
//! # async fn demo(practice: gpconnect_core::Provider, clinician: gpconnect_core::User) -> gpconnect_core::Result<()> {
//! let nhs = gpconnect_core::NhsNumber::parse("9690937286")?;
//! match practice.foundations().find_patient(&nhs).user(&clinician).send().await?.value {
//!     Some(found) => println!("patient id {}", found.id),
//!     None => println!("no active patient with that NHS number here"),
//! }
//! # Ok(()) }
//! ```

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::error::{DecodeProblem, InvalidInput, PatientMismatch};
use crate::fhir::{
    Bundle, CapabilityStatement, FhirResource, HealthcareService, Identifier, Location, Meta, Organization, Patient,
    Practitioner, Precision, Typed,
};
use crate::ids::{is_logical_id, Id};
use crate::operation::{Call, Operation};
use crate::{
    Capability, HealthcareServiceId, InteractionId, LocationId, NhsNumber, OdsCode, OrganizationId, PatientId,
    PractitionerId, Provider, Request, Response, Result,
};

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
    /// Sends exactly one request, `GET /Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}`
    /// (`urn:nhs:names:services:gpconnect:fhir:rest:search:patient-1`, `patient/*.read`).
    /// No match is not an error: the answer is `None`. Reading the registered practice is
    /// another audited interaction the caller chooses:
    /// [`read_registered_practice`](Self::read_registered_practice).
    pub fn find_patient(&self, nhs_number: &NhsNumber) -> FindPatient {
        FindPatient::new(&self.provider, InteractionId::SearchPatient, nhs_number)
    }

    /// Reads a patient by logical id (`GET /Patient/{id}`).
    pub fn read_patient(&self, id: &PatientId) -> Read<Patient> {
        self.read(InteractionId::ReadPatient, id)
    }

    /// Reads an organisation by logical id (`GET /Organization/{id}`).
    pub fn read_organization(&self, id: &OrganizationId) -> Read<Organization> {
        self.read(InteractionId::ReadOrganization, id)
    }

    /// Reads the practice a found patient is registered at (`GET /Organization/{id}` of
    /// the patient's `managingOrganization`): a separate, audited read interaction, sent
    /// only when the caller asks. Fails with `InvalidInput` (nothing sent) when the
    /// patient names no practice (or not by a valid logical id).
    pub fn read_registered_practice(&self, found: &FoundPatient) -> Read<Organization> {
        let path = found.registered_practice_id().map(|id| id.reference()).ok_or(InvalidInput::parameter(
            "managingOrganization",
            "the patient names no registered practice by a logical id",
        ));
        Read {
            call: Call::new(&self.provider),
            interaction: InteractionId::ReadOrganization,
            path,
            id: None,
            _resource: PhantomData,
        }
    }

    /// Reads a practitioner by logical id (`GET /Practitioner/{id}`).
    pub fn read_practitioner(&self, id: &PractitionerId) -> Read<Practitioner> {
        self.read(InteractionId::ReadPractitioner, id)
    }

    /// Reads a location by logical id (`GET /Location/{id}`).
    pub fn read_location(&self, id: &LocationId) -> Read<Location> {
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
    /// NHS number and a full birth date (`YYYY-MM-DD`), or nothing is sent. Only what the
    /// register use case lets a consumer populate is sent, whatever else `patient`
    /// carries: the NHS number identifier, names, telecoms and addresses not in `old`
    /// use, gender and birth date (no `registrationDetails` or other extensions, no
    /// `managingOrganization`, `generalPractitioner`, deceased or marital details). The
    /// provider checks the demographics against PDS
    /// (`INVALID_PATIENT_DEMOGRAPHICS`); a patient already registered there gives
    /// `DUPLICATE_REJECTED` (kind `Conflict`).
    ///
    /// A write: never retried once it may have been sent. After an error whose kind is
    /// `OutcomeUnknown`, [`Foundations::find_patient`] shows whether it happened.
    pub fn register_patient(&self, patient: &Patient) -> RegisterPatient {
        RegisterPatient { call: Call::new(&self.provider), patient: patient.clone() }
    }

    /// Finds the organisations with an ODS code
    /// (`GET /Organization?identifier=https://fhir.nhs.uk/Id/ods-organization-code|{ods}`,
    /// `urn:nhs:names:services:gpconnect:fhir:rest:search:organization-1`).
    pub fn find_organization(&self, ods: &OdsCode) -> Find<Organization> {
        self.find(InteractionId::SearchOrganization, Some((OdsCode::SYSTEM, Ok(ods.as_str().to_owned()))))
    }

    /// Finds the practitioners with an SDS user ID
    /// (`GET /Practitioner?identifier=https://fhir.nhs.uk/Id/sds-user-id|{id}`,
    /// `urn:nhs:names:services:gpconnect:fhir:rest:search:practitioner-1`, `organization/*.read`).
    pub fn find_practitioner(&self, sds_user_id: &str) -> Find<Practitioner> {
        let value = token_value(sds_user_id, "an SDS user ID is 1 to 64 letters and digits");
        self.find(InteractionId::SearchPractitioner, Some((crate::jwt::SDS_USER_ID_SYSTEM, value)))
    }

    /// Reads a healthcare service by logical id (`GET /HealthcareService/{id}`; 1.2.8
    /// providers only).
    pub fn read_healthcare_service(&self, id: &HealthcareServiceId) -> Read<HealthcareService> {
        self.read(InteractionId::ReadHealthcareService, id)
    }

    /// Finds the healthcare services with a Directory of Services (DOS) service ID
    /// (`GET /HealthcareService?identifier=https://fhir.nhs.uk/Id/uec-dos-service-id|{id}`;
    /// 1.2.8 providers only).
    pub fn find_healthcare_service(&self, dos_service_id: &str) -> Find<HealthcareService> {
        let value = token_value(dos_service_id, "a DOS service ID is 1 to 64 letters and digits");
        self.find(InteractionId::SearchHealthcareService, Some((DOS_SERVICE_ID_SYSTEM, value)))
    }

    /// Every healthcare service of the practice (`GET /HealthcareService` with no
    /// identifier, as the 1.2.8 example sends it; 1.2.8 providers only).
    pub fn healthcare_services(&self) -> Find<HealthcareService> {
        self.find(InteractionId::SearchHealthcareService, None)
    }

    fn read<T: FhirResource>(&self, interaction: InteractionId, id: &Id<T>) -> Read<T> {
        Read {
            call: Call::new(&self.provider),
            interaction,
            path: Ok(id.reference()),
            id: Some(id.as_str().into()),
            _resource: PhantomData,
        }
    }

    fn find<T>(&self, interaction: InteractionId, identifier: Option<(&'static str, SearchValue)>) -> Find<T> {
        Find { call: Call::new(&self.provider), interaction, identifier, _resource: PhantomData }
    }
}

type SearchValue = Result<String, InvalidInput>;

/// An identifier value searched for: 1 to 64 ASCII letters and digits.
fn token_value(value: &str, problem: &'static str) -> SearchValue {
    if (1..=64).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(value.to_owned())
    } else {
        Err(InvalidInput::parameter("identifier", problem))
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
            id: None,
            _resource: PhantomData,
        }
    }
}

/// Checks a FHIR logical id given as text (1 to 64 of `A-Z a-z 0-9 - .`), for ids that
/// are not resource ids of an SSP operation; those take a typed [`Id`].
pub fn logical_id(id: &str) -> Result<&str, InvalidInput> {
    if is_logical_id(id) {
        Ok(id)
    } else {
        Err(InvalidInput::Parameter {
            parameter: "id",
            problem: "a logical id is 1 to 64 letters, digits, '-' or '.'".into(),
        })
    }
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
/// let surgery = p.foundations().read_location(&"17".parse()?).send().await?;
/// println!("{:?} (version {:?})", surgery.name, surgery.version_id);
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct Read<T> {
    call: Call,
    interaction: InteractionId,
    path: Result<String, InvalidInput>,
    /// The logical id read, which a Patient answer must carry.
    id: Option<Box<str>>,
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

    /// A Patient read must answer with the id read: another id (or none) is
    /// `WrongPatient`, never data.
    fn parse(&self, response: Response) -> Result<T> {
        let resource = response.resource()?;
        if let (Some(asked), "Patient") = (&self.id, T::TYPE) {
            #[derive(serde::Deserialize)]
            struct Peek {
                id: Option<String>,
            }
            let answered = serde_json::from_slice::<Peek>(&response.body.0).ok().and_then(|p| p.id);
            let mismatch = match answered.as_deref().map(str::trim) {
                Some(id) if id == &**asked => None,
                Some(_) => Some(PatientMismatch::OtherPatientId),
                None => Some(PatientMismatch::NoPatient),
            };
            if let Some(m) = mismatch {
                return Err(m.error(self.interaction, response.trace_id));
            }
        }
        Ok(resource)
    }
}

/// A patient found by NHS number, with the practice they are registered at when the
/// answer included it.
#[derive(Debug, Clone)]
pub struct FoundPatient {
    /// The patient's logical id on the server searched, for later requests about them.
    pub id: PatientId,
    /// The patient (CareConnect-GPC-Patient-1). Its `Debug` output is redacted.
    pub patient: Patient,
    /// The registered practice (`managingOrganization`) when the answer included it;
    /// otherwise [`Foundations::read_registered_practice`] reads it (another request).
    pub registered_practice: Option<Organization>,
}

impl FoundPatient {
    /// The logical id of the registered practice (`managingOrganization`), if named by a
    /// valid logical id.
    pub fn registered_practice_id(&self) -> Option<OrganizationId> {
        self.patient.managing_organization.as_ref().and_then(|r| r.id()).and_then(|id| id.parse().ok())
    }

    /// The found patient from a searchset or registration answer: their logical id
    /// checked, and their registered practice when the answer included it.
    fn from_bundle(response: &Response, bundle: &Bundle, patient: Patient) -> Result<Self> {
        let id = patient.id.as_deref().and_then(|id| PatientId::parse(id).ok()).ok_or_else(|| {
            response.decode_error(DecodeProblem::Json {
                path: "entry.resource.id".into(),
                message: "the Patient has no valid logical id".into(),
            })
        })?;
        let registered_practice = patient
            .managing_organization
            .as_ref()
            .and_then(|r| bundle.index().resolve_as::<Organization>(r))
            .and_then(|r| r.ok());
        Ok(Self { id, patient, registered_practice })
    }
}

/// Finds a patient by NHS number with one request: the one patient search of every SSP
/// API; see [`Foundations::find_patient`] (and the documents server's `find_patient`,
/// the same search with the documents interaction).
///
/// The answer is `None` when the provider has no such patient. Every Patient in the
/// answer must carry the NHS number asked for (else an error of kind `WrongPatient`),
/// and the one returned must have a valid logical id (else a decode error).
///
/// # Example
/// ```no_run
/// # async fn demo(p: gpconnect_core::Provider, nhs: gpconnect_core::NhsNumber) -> gpconnect_core::Result<()> {
/// if let Some(found) = p.foundations().find_patient(&nhs).send().await?.transpose() {
///     println!("patient id {} (Ssp-TraceID {})", found.id, found.trace_id);
///     let practice = p.foundations().read_registered_practice(&found).send().await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct FindPatient {
    call: Call,
    interaction: InteractionId,
    nhs_number: NhsNumber,
}

crate::builder!(FindPatient);

impl FindPatient {
    /// The patient search of the server whose search interaction is `interaction`:
    /// [`InteractionId::SearchPatient`] (foundations, appointments) or
    /// [`InteractionId::SearchDocumentsPatient`] (the documents server, its own root).
    pub fn new(provider: &Provider, interaction: InteractionId, nhs_number: &NhsNumber) -> Self {
        Self { call: Call::new(provider), interaction, nhs_number: nhs_number.clone() }
    }
}

impl Operation for FindPatient {
    type Answer = Response;
    type Output = Option<FoundPatient>;

    fn interaction(&self) -> InteractionId {
        self.interaction
    }

    fn request(&self) -> Result<Request> {
        Ok(Request::get(self.interaction, "Patient").query("identifier", nhs_number_token(&self.nhs_number)))
    }

    fn parse(&self, response: Response) -> Result<Option<FoundPatient>> {
        FoundPatient::from_searchset(&response, &self.nhs_number)
    }
}

impl FoundPatient {
    /// Reads the answer to a patient search by `nhs_number` (a searchset Bundle): the
    /// one reading of every patient search, the SSP's and the patient-facing API's.
    /// `None` when it holds no Patient.
    ///
    /// # Errors
    /// Kind `WrongPatient` when any Patient in it carries another NHS number or none; a
    /// decode error when the answer is not a Bundle, a Patient does not parse, or the
    /// patient has no valid logical id.
    pub fn from_searchset(response: &Response, nhs_number: &NhsNumber) -> Result<Option<Self>> {
        let bundle: Bundle = response.resource()?;
        let mut patients = Vec::new();
        for raw in bundle.resources_of(Patient::TYPE) {
            patients.push(raw.parse::<Patient>().map_err(|e| response.json_error("entry.resource", &e))?);
        }
        // Every Patient in the answer must be the one asked for: someone else (or no NHS
        // number) is the provider's fault and a patient-safety error, not "not found".
        for p in &patients {
            crate::error::PatientMismatch::check(nhs_number, p.nhs_number())
                .map_err(|m| m.error(response.interaction, response.trace_id))?;
        }
        match patients.into_iter().next() {
            Some(patient) => Self::from_bundle(response, &bundle, patient).map(Some),
            None => Ok(None),
        }
    }
}

/// `https://fhir.nhs.uk/Id/nhs-number|{nhs}`: the search token of a patient search.
fn nhs_number_token(nhs_number: &NhsNumber) -> String {
    format!("{}|{}", NhsNumber::SYSTEM, nhs_number.expose())
}

/// A resource with business identifiers, for checking identifier search answers.
pub trait Identified {
    /// The resource's identifiers.
    fn identifiers(&self) -> &[Identifier];
}

macro_rules! identified {
    ($($t:ty),*) => {$(
        impl Identified for $t {
            fn identifiers(&self) -> &[Identifier] {
                &self.identifier
            }
        }
    )*};
}
identified!(Organization, Practitioner, HealthcareService);

/// Searches by one identifier (`{Resource}?identifier={system}|{value}`), or for every
/// resource of the type where the spec allows no identifier, and returns every match;
/// see [`Foundations::find_organization`], [`Foundations::find_practitioner`] and
/// [`Foundations::find_healthcare_service`].
///
/// An empty list when the provider finds nothing (not an error). Every match must carry
/// the identifier searched for: one that does not is a decode error naming its entry.
/// Safe to retry: a read.
///
/// # Example
/// ```no_run
/// # async fn demo(p: gpconnect_core::Provider) -> gpconnect_core::Result<()> {
/// let found = p.foundations().find_organization(&"A20047".parse()?).send().await?;
/// for org in found.iter() {
///     println!("{:?}", org.name);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct Find<T> {
    call: Call,
    interaction: InteractionId,
    identifier: Option<(&'static str, SearchValue)>,
    _resource: PhantomData<fn() -> T>,
}

crate::builder!(impl<T> Find<T>);

impl<T: DeserializeOwned + FhirResource + Identified> Operation for Find<T> {
    type Answer = Response;
    type Output = Vec<T>;

    fn interaction(&self) -> InteractionId {
        self.interaction
    }

    fn request(&self) -> Result<Request> {
        let request = Request::get(self.interaction, T::TYPE);
        Ok(match &self.identifier {
            Some((system, value)) => request.query("identifier", format!("{system}|{}", value.clone()?)),
            None => request,
        })
    }

    fn parse(&self, response: Response) -> Result<Vec<T>> {
        let bundle: Bundle = response.resource()?;
        let mut found = Vec::new();
        for (i, raw) in bundle.resources_of(T::TYPE).enumerate() {
            let resource: T = raw.parse().map_err(|e| response.json_error("entry.resource", &e))?;
            if let Some((system, Ok(value))) = &self.identifier {
                let carries = resource
                    .identifiers()
                    .iter()
                    .any(|id| id.system.as_deref() == Some(*system) && id.value.as_deref() == Some(value.as_str()));
                if !carries {
                    return Err(response.decode_error(DecodeProblem::Json {
                        path: format!("{} match {i}: identifier", T::TYPE),
                        message: "does not carry the identifier searched for".into(),
                    }));
                }
            }
            found.push(resource);
        }
        Ok(found)
    }
}

/// Registers a patient temporarily; see [`Foundations::register_patient`].
///
/// # Example
/// ```no_run
/// # async fn demo(p: gpconnect_core::Provider, from_pds: gpconnect_core::fhir::Patient) -> gpconnect_core::Result<()> {
/// let registered = p.foundations().register_patient(&from_pds).send().await?;
/// println!("registered as {}", registered.id);
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

/// The Patient a registration sends, built from only what the register use case lets a
/// consumer populate, whatever the caller passed (for example a Patient read from another
/// practice): the profile, the NHS number identifier (with its verification status), the
/// names, telecoms and addresses whose `use` is not `old`, the gender and the birth date.
/// Never the logical id, extensions (`registrationDetails` ...), `active`, deceased,
/// marital or multiple-birth details, `generalPractitioner` or `managingOrganization`.
///
/// The NHS number and a full birth date (`YYYY-MM-DD`) are mandatory; a year-only,
/// year-month or date-time birth date is refused.
fn patient_to_register(patient: &Patient) -> Result<Patient, InvalidInput> {
    let nhs_number = patient.nhs_number().ok_or(InvalidInput::parameter("registerPatient", "no NHS number"))?;
    NhsNumber::parse(nhs_number)?;
    let birth_date = patient
        .birth_date
        .clone()
        .ok_or(InvalidInput::parameter("registerPatient.birthDate", "a birth date is required"))?;
    if birth_date.precision() != Some(Precision::Day) {
        return Err(InvalidInput::parameter(
            "registerPatient.birthDate",
            "the birth date must be a full date (YYYY-MM-DD), not a year, month or date-time",
        ));
    }
    let current = |u: &Option<String>| u.as_deref() != Some("old");
    Ok(Patient {
        meta: Some(Meta { profile: vec![GPC_PATIENT_PROFILE.into()], ..Meta::default() }),
        identifier: patient
            .identifier
            .iter()
            .filter(|i| i.system.as_deref() == Some(NhsNumber::SYSTEM))
            .take(1)
            .cloned()
            .collect(),
        name: patient.name.iter().filter(|n| current(&n.use_)).cloned().collect(),
        telecom: patient.telecom.iter().filter(|t| current(&t.use_)).cloned().collect(),
        gender: patient.gender.clone(),
        birth_date: Some(birth_date),
        address: patient.address.iter().filter(|a| current(&a.use_)).cloned().collect(),
        ..Patient::default()
    })
}

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
        let patient = patient_to_register(&self.patient)?;
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
        FoundPatient::from_bundle(&response, &bundle, registered)
    }
}
