//! STU3 resources (CareConnect-GPC profiles) used by more than one GP Connect API.

use serde::{Deserialize, Serialize};

use super::bundle::RawResource;
use super::datatypes::*;
use super::one_or_many::{one_or_first, one_or_many};
use super::primitives::FhirDateTime;
use super::FhirResource;

/// URL of the CareConnect-GPC registration details extension on `Patient`.
pub const REGISTRATION_DETAILS_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1";

macro_rules! impl_resource {
    ($($ty:ident),* $(,)?) => {
        $(impl FhirResource for $ty {
            const TYPE: &'static str = stringify!($ty);
        })*
    };
}

impl_resource!(
    Patient,
    Organization,
    Practitioner,
    PractitionerRole,
    Location,
    HealthcareService,
    List,
    DocumentReference,
    Binary,
    CapabilityStatement,
);

/// A patient. `Debug` shows only the logical id.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Patient {
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Extensions (registration details, NHS communication, ...).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Identifiers (NHS number, local ids).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Whether the record is active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Names.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    /// Contact details.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    /// `male | female | other | unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Date of birth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<FhirDateTime>,
    /// Deceased flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deceased_boolean: Option<bool>,
    /// Date of death.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deceased_date_time: Option<FhirDateTime>,
    /// Addresses.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
    /// Marital status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marital_status: Option<CodeableConcept>,
    /// Multiple birth flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiple_birth_boolean: Option<bool>,
    /// Registered GP.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub general_practitioner: Vec<Reference>,
    /// Registered practice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managing_organization: Option<Reference>,
}

impl Patient {
    /// The NHS number (identifier system `https://fhir.nhs.uk/Id/nhs-number`).
    pub fn nhs_number(&self) -> Option<&str> {
        self.identifier.value_for(NHS_NUMBER_SYSTEM)
    }

    /// The registration details extension, if present.
    pub fn registration_details(&self) -> Option<&Extension> {
        self.extension.extension(REGISTRATION_DETAILS_URL)
    }

    /// The `preferredBranchSurgery` reference (a `Location`) from the registration details.
    pub fn preferred_branch_surgery(&self) -> Option<&Reference> {
        self.registration_details()?.sub("preferredBranchSurgery")?.value_reference.as_deref()
    }

    /// The `registrationPeriod` from the registration details.
    pub fn registration_period(&self) -> Option<&Period> {
        self.registration_details()?.sub("registrationPeriod")?.value_period.as_deref()
    }

    /// The `registrationType` from the registration details.
    pub fn registration_type(&self) -> Option<&CodeableConcept> {
        self.registration_details()?.sub("registrationType")?.value_codeable_concept.as_deref()
    }

    /// The official name if there is one, else the first name.
    pub fn official_name(&self) -> Option<&HumanName> {
        self.name.iter().find(|n| n.use_.as_deref() == Some("official")).or_else(|| self.name.first())
    }
}

/// An organisation (GP practice etc.).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Organization {
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Extensions.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Identifiers (ODS code).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Whether active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Kind of organisation.
    #[serde(rename = "type", deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Contact details.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    /// Addresses.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
    /// Parent organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_of: Option<Reference>,
}

impl Organization {
    /// The ODS code (identifier system `https://fhir.nhs.uk/Id/ods-organization-code`).
    pub fn ods_code(&self) -> Option<&str> {
        self.identifier.value_for(ODS_ORGANIZATION_CODE_SYSTEM)
    }
}

/// A practitioner.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Practitioner {
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Extensions.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Identifiers (SDS user id, role profile id).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Whether active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Names.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    /// Contact details.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    /// Addresses.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
    /// `male | female | other | unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Date of birth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<FhirDateTime>,
    /// Languages spoken.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub communication: Vec<CodeableConcept>,
}

/// A practitioner's role at an organisation.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PractitionerRole {
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Extensions.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Identifiers.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Whether active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Period the role applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// The practitioner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub practitioner: Option<Reference>,
    /// The organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Reference>,
    /// Roles (SDS job role codes).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<CodeableConcept>,
    /// Specialties.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub specialty: Vec<CodeableConcept>,
    /// Locations.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<Reference>,
    /// Healthcare services.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub healthcare_service: Vec<Reference>,
    /// Contact details.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
}

/// A physical location (e.g. a branch surgery).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Location {
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Extensions.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Identifiers (ODS site code).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `active | suspended | inactive`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Other names.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub alias: Vec<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `instance | kind`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Type of location (an array keeps its first element).
    #[serde(rename = "type", deserialize_with = "one_or_first", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// Contact details.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    /// Address (0..1 in STU3; an array, as some providers send, keeps its first element).
    #[serde(deserialize_with = "one_or_first", skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Physical form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_type: Option<CodeableConcept>,
    /// Responsible organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managing_organization: Option<Reference>,
    /// Containing location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_of: Option<Reference>,
}

/// A healthcare service (e.g. a clinic offered for booking).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HealthcareService {
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Extensions.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Identifiers (e.g. DOS service id).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Whether active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Providing organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provided_by: Option<Reference>,
    /// Broad category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<CodeableConcept>,
    /// Type of service.
    #[serde(rename = "type", deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    /// Specialties.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub specialty: Vec<CodeableConcept>,
    /// Locations.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<Reference>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Contact details.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
}

/// A list (structured record sections, document search results...).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct List {
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Extensions (e.g. list warning codes, clinical setting).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Contained resources (kept raw; parse with [`RawResource::parse`]).
    /// Only the array form is accepted here (see [`one_or_many`]).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub contained: Vec<RawResource>,
    /// Identifiers.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `current | retired | entered-in-error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `working | snapshot | changes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the list is (e.g. SNOMED code of the record section).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    /// Subject (usually the patient).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// Context encounter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<Reference>,
    /// When prepared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<FhirDateTime>,
    /// Who prepared it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Reference>,
    /// Ordering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordered_by: Option<CodeableConcept>,
    /// Notes.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    /// Entries.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<ListEntry>,
    /// Why the list is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_reason: Option<CodeableConcept>,
}

/// An entry in a [`List`].
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListEntry {
    /// Status/workflow flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<CodeableConcept>,
    /// Whether the entry has been deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// When added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<FhirDateTime>,
    /// The referenced resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Reference>,
}

/// A document's metadata (Access Document). `Debug` shows only its id and status.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentReference {
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Extensions.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Master identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_identifier: Option<Identifier>,
    /// Identifiers.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `current | superseded | entered-in-error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Document status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_status: Option<String>,
    /// Kind of document.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// Document class.
    #[serde(rename = "class", skip_serializing_if = "Option::is_none")]
    pub class: Option<CodeableConcept>,
    /// Subject (the patient).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// When the document was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<FhirDateTime>,
    /// When indexed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indexed: Option<FhirDateTime>,
    /// Authors.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub author: Vec<Reference>,
    /// Authenticator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator: Option<Reference>,
    /// Custodian organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custodian: Option<Reference>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Security labels.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub security_label: Vec<CodeableConcept>,
    /// Content (attachments).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<DocumentReferenceContent>,
    /// Clinical context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<DocumentReferenceContext>,
}

/// `DocumentReference.content`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentReferenceContent {
    /// Where to get the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// Format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Coding>,
}

/// `DocumentReference.context`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentReferenceContext {
    /// Encounter (an array keeps its first element).
    #[serde(deserialize_with = "one_or_first", skip_serializing_if = "Option::is_none")]
    pub encounter: Option<Reference>,
    /// Events.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub event: Vec<CodeableConcept>,
    /// Period of service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Facility type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facility_type: Option<CodeableConcept>,
    /// Practice setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub practice_setting: Option<CodeableConcept>,
}

/// Raw content (a downloaded document).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Binary {
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Extensions.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// MIME type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Base64 content, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// A server's capability statement (minimal).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CapabilityStatement {
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Extensions.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Business version (the GP Connect spec version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<FhirDateTime>,
    /// Publisher.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// `instance | capability | requirements`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// FHIR version (e.g. `3.0.1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fhir_version: Option<String>,
    /// Software.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software: Option<CapabilitySoftware>,
    /// Implementation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation: Option<CapabilityImplementation>,
    /// Formats supported.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub format: Vec<String>,
    /// Profiles supported.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<Reference>,
    /// REST capabilities.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub rest: Vec<CapabilityRest>,
}

impl CapabilityStatement {
    /// Whether any `rest.operation` has `name` (e.g. `gpc.getstructuredrecord`).
    pub fn supports_operation(&self, name: &str) -> bool {
        self.rest.iter().flat_map(|r| r.operation.iter()).any(|o| o.name.as_deref() == Some(name))
    }

    /// The `rest.resource` entry for `resource_type`, if any.
    pub fn resource(&self, resource_type: &str) -> Option<&CapabilityResource> {
        self.rest.iter().flat_map(|r| r.resource.iter()).find(|r| r.type_.as_deref() == Some(resource_type))
    }
}

/// `CapabilityStatement.software`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CapabilitySoftware {
    /// Software name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Software version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Release date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_date: Option<FhirDateTime>,
}

/// `CapabilityStatement.implementation`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CapabilityImplementation {
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Base URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// `CapabilityStatement.rest`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CapabilityRest {
    /// `client | server`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Resources supported.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<CapabilityResource>,
    /// Operations supported.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub operation: Vec<CapabilityOperation>,
}

/// `CapabilityStatement.rest.resource`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CapabilityResource {
    /// Resource type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Reference>,
    /// Interactions supported.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub interaction: Vec<CapabilityInteraction>,
    /// Search parameters.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub search_param: Vec<CapabilitySearchParam>,
}

/// `CapabilityStatement.rest.resource.interaction`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CapabilityInteraction {
    /// `read | search-type | create | update | ...`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// `CapabilityStatement.rest.resource.searchParam`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CapabilitySearchParam {
    /// Parameter name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Parameter type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
}

/// `CapabilityStatement.rest.operation`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CapabilityOperation {
    /// Operation name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Definition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<Reference>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_helpers_and_single_object_arrays() {
        let p: Patient = serde_json::from_str(
            r#"{"resourceType":"Patient","id":"1","text":{"status":"generated","div":"<div/>"},
              "identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9690937278"},
              "name":{"use":"official","family":"Smith","given":"Jane"},
              "birthDate":"1950-02-01",
              "extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1",
                "extension":[{"url":"registrationPeriod","valuePeriod":{"start":"2017-02-01T10:00:00+00:00"}},
                             {"url":"preferredBranchSurgery","valueReference":{"reference":"Location/2"}}]}],
              "futureElement":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(p.nhs_number(), Some("9690937278"));
        assert_eq!(p.official_name().unwrap().display(), "Jane Smith");
        assert_eq!(p.preferred_branch_surgery().and_then(|r| r.parse()), Some(("Location", "2")));
        assert_eq!(
            p.registration_period().and_then(|p| p.start.as_ref()).map(|d| d.as_str()),
            Some("2017-02-01T10:00:00+00:00")
        );
        let out = serde_json::to_string(&p).unwrap();
        assert!(out.contains("2017-02-01T10:00:00+00:00"));
        assert!(!out.contains("null"));
    }
}

crate::redacted_debug!(Patient, id);
crate::redacted_debug!(DocumentReference, id, status);
