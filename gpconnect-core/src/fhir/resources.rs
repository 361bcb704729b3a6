//! STU3 resources (CareConnect-GPC profiles) used by more than one GP Connect API.

use super::bundle::RawResource;
use super::datatypes::*;
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

crate::fhir_type! {
    /// A patient. `Debug` shows only the logical id.
    #[derive(PartialEq)]
    pub struct Patient {
        /// Logical id.
        id: one String = "id",
        /// Metadata.
        meta: one Meta = "meta",
        /// Extensions (registration details, NHS communication, ...).
        extension: many Extension = "extension",
        /// Identifiers (NHS number, local ids).
        identifier: many Identifier = "identifier",
        /// Whether the record is active.
        active: one bool = "active",
        /// Names.
        name: many HumanName = "name",
        /// Contact details.
        telecom: many ContactPoint = "telecom",
        /// `male | female | other | unknown`.
        gender: one String = "gender",
        /// Date of birth.
        birth_date: one FhirDateTime = "birthDate",
        /// Deceased flag.
        deceased_boolean: one bool = "deceasedBoolean",
        /// Date of death.
        deceased_date_time: one FhirDateTime = "deceasedDateTime",
        /// Addresses.
        address: many Address = "address",
        /// Marital status.
        marital_status: one CodeableConcept = "maritalStatus",
        /// Multiple birth flag.
        multiple_birth_boolean: one bool = "multipleBirthBoolean",
        /// Registered GP.
        general_practitioner: many Reference = "generalPractitioner",
        /// Registered practice.
        managing_organization: one Reference = "managingOrganization",
    }
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

crate::fhir_type! {
    /// An organisation (GP practice etc.).
    #[derive(PartialEq)]
    pub struct Organization {
        /// Logical id.
        id: one String = "id",
        /// Metadata.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// Identifiers (ODS code).
        identifier: many Identifier = "identifier",
        /// Whether active.
        active: one bool = "active",
        /// Kind of organisation.
        type_: many CodeableConcept = "type",
        /// Name.
        name: one String = "name",
        /// Contact details.
        telecom: many ContactPoint = "telecom",
        /// Addresses.
        address: many Address = "address",
        /// Parent organisation.
        part_of: one Reference = "partOf",
    }
}

impl Organization {
    /// The ODS code (identifier system `https://fhir.nhs.uk/Id/ods-organization-code`).
    pub fn ods_code(&self) -> Option<&str> {
        self.identifier.value_for(ODS_ORGANIZATION_CODE_SYSTEM)
    }
}

crate::fhir_type! {
    /// A practitioner.
    #[derive(PartialEq)]
    pub struct Practitioner {
        /// Logical id.
        id: one String = "id",
        /// Metadata.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// Identifiers (SDS user id, role profile id).
        identifier: many Identifier = "identifier",
        /// Whether active.
        active: one bool = "active",
        /// Names.
        name: many HumanName = "name",
        /// Contact details.
        telecom: many ContactPoint = "telecom",
        /// Addresses.
        address: many Address = "address",
        /// `male | female | other | unknown`.
        gender: one String = "gender",
        /// Date of birth.
        birth_date: one FhirDateTime = "birthDate",
        /// Languages spoken.
        communication: many CodeableConcept = "communication",
    }
}

crate::fhir_type! {
    /// A practitioner's role at an organisation.
    #[derive(PartialEq)]
    pub struct PractitionerRole {
        /// Logical id.
        id: one String = "id",
        /// Metadata.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// Whether active.
        active: one bool = "active",
        /// Period the role applies.
        period: one Period = "period",
        /// The practitioner.
        practitioner: one Reference = "practitioner",
        /// The organisation.
        organization: one Reference = "organization",
        /// Roles (SDS job role codes).
        code: many CodeableConcept = "code",
        /// Specialties.
        specialty: many CodeableConcept = "specialty",
        /// Locations.
        location: many Reference = "location",
        /// Healthcare services.
        healthcare_service: many Reference = "healthcareService",
        /// Contact details.
        telecom: many ContactPoint = "telecom",
    }
}

crate::fhir_type! {
    /// A physical location (e.g. a branch surgery).
    pub struct Location {
        /// Logical id.
        id: one String = "id",
        /// Metadata.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// Identifiers (ODS site code).
        identifier: many Identifier = "identifier",
        /// `active | suspended | inactive`.
        status: one String = "status",
        /// Name.
        name: one String = "name",
        /// Other names.
        alias: many String = "alias",
        /// Description.
        description: one String = "description",
        /// `instance | kind`.
        mode: one String = "mode",
        /// Type of location (an array keeps its first element).
        type_: first CodeableConcept = "type",
        /// Contact details.
        telecom: many ContactPoint = "telecom",
        /// Address (0..1 in STU3; an array, as some providers send, keeps its first element).
        address: first Address = "address",
        /// Physical form.
        physical_type: one CodeableConcept = "physicalType",
        /// Responsible organisation.
        managing_organization: one Reference = "managingOrganization",
        /// Containing location.
        part_of: one Reference = "partOf",
    }
}

crate::fhir_type! {
    /// A healthcare service (e.g. a clinic offered for booking).
    pub struct HealthcareService {
        /// Logical id.
        id: one String = "id",
        /// Metadata.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// Identifiers (e.g. DOS service id).
        identifier: many Identifier = "identifier",
        /// Whether active.
        active: one bool = "active",
        /// Providing organisation.
        provided_by: one Reference = "providedBy",
        /// Broad category.
        category: one CodeableConcept = "category",
        /// Type of service.
        type_: many CodeableConcept = "type",
        /// Specialties.
        specialty: many CodeableConcept = "specialty",
        /// Locations.
        location: many Reference = "location",
        /// Name.
        name: one String = "name",
        /// Comment.
        comment: one String = "comment",
        /// Contact details.
        telecom: many ContactPoint = "telecom",
    }
}

crate::fhir_type! {
    /// A list (structured record sections, document search results...).
    pub struct List [no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata.
        meta: one Meta = "meta",
        /// Extensions (e.g. list warning codes, clinical setting).
        extension: many Extension = "extension",
        /// Contained resources (kept raw; parse with [`RawResource::parse`]).
        /// Only the array form is accepted here (see [`one_or_many`](crate::fhir::one_or_many)).
        contained: many RawResource = "contained",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// `current | retired | entered-in-error`.
        status: one String = "status",
        /// `working | snapshot | changes`.
        mode: one String = "mode",
        /// Title.
        title: one String = "title",
        /// What the list is (e.g. SNOMED code of the record section).
        code: one CodeableConcept = "code",
        /// Subject (usually the patient).
        subject: one Reference = "subject",
        /// Context encounter.
        encounter: one Reference = "encounter",
        /// When prepared.
        date: one FhirDateTime = "date",
        /// Who prepared it.
        source: one Reference = "source",
        /// Ordering.
        ordered_by: one CodeableConcept = "orderedBy",
        /// Notes.
        note: many Annotation = "note",
        /// Entries.
        entry: many ListEntry = "entry",
        /// Why the list is empty.
        empty_reason: one CodeableConcept = "emptyReason",
    }
}

crate::fhir_type! {
    /// An entry in a [`List`].
    pub struct ListEntry {
        /// Status/workflow flag.
        flag: one CodeableConcept = "flag",
        /// Whether the entry has been deleted.
        deleted: one bool = "deleted",
        /// When added.
        date: one FhirDateTime = "date",
        /// The referenced resource.
        item: one Reference = "item",
    }
}

crate::fhir_type! {
    /// A document's metadata (Access Document). `Debug` shows only its id and status.
    pub struct DocumentReference {
        /// Logical id.
        id: one String = "id",
        /// Metadata.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// Master identifier.
        master_identifier: one Identifier = "masterIdentifier",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// `current | superseded | entered-in-error`.
        status: one String = "status",
        /// Document status.
        doc_status: one String = "docStatus",
        /// Kind of document.
        type_: one CodeableConcept = "type",
        /// Document class.
        class: one CodeableConcept = "class",
        /// Subject (the patient).
        subject: one Reference = "subject",
        /// When the document was created.
        created: one FhirDateTime = "created",
        /// When indexed.
        indexed: one FhirDateTime = "indexed",
        /// Authors.
        author: many Reference = "author",
        /// Authenticator.
        authenticator: one Reference = "authenticator",
        /// Custodian organisation.
        custodian: one Reference = "custodian",
        /// Description.
        description: one String = "description",
        /// Security labels.
        security_label: many CodeableConcept = "securityLabel",
        /// Content (attachments).
        content: many DocumentReferenceContent = "content",
        /// Clinical context.
        context: one DocumentReferenceContext = "context",
    }
}

crate::fhir_type! {
    /// `DocumentReference.content`.
    pub struct DocumentReferenceContent {
        /// Where to get the document.
        attachment: one Attachment = "attachment",
        /// Format.
        format: one Coding = "format",
    }
}

crate::fhir_type! {
    /// `DocumentReference.context`.
    pub struct DocumentReferenceContext {
        /// Encounter (an array keeps its first element).
        encounter: first Reference = "encounter",
        /// Events.
        event: many CodeableConcept = "event",
        /// Period of service.
        period: one Period = "period",
        /// Facility type.
        facility_type: one CodeableConcept = "facilityType",
        /// Practice setting.
        practice_setting: one CodeableConcept = "practiceSetting",
    }
}

crate::fhir_type! {
    /// Raw content (a downloaded document).
    #[derive(PartialEq)]
    pub struct Binary {
        /// Logical id.
        id: one String = "id",
        /// Metadata.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// MIME type.
        content_type: one String = "contentType",
        /// Base64 content, as sent.
        content: one String = "content",
    }
}

crate::fhir_type! {
    /// A server's capability statement (minimal).
    pub struct CapabilityStatement {
        /// Logical id.
        id: one String = "id",
        /// Metadata.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// Business version (the GP Connect spec version).
        version: one String = "version",
        /// Name.
        name: one String = "name",
        /// Status.
        status: one String = "status",
        /// Date.
        date: one FhirDateTime = "date",
        /// Publisher.
        publisher: one String = "publisher",
        /// `instance | capability | requirements`.
        kind: one String = "kind",
        /// FHIR version (e.g. `3.0.1`).
        fhir_version: one String = "fhirVersion",
        /// Software.
        software: one CapabilitySoftware = "software",
        /// Implementation.
        implementation: one CapabilityImplementation = "implementation",
        /// Formats supported.
        format: many String = "format",
        /// Profiles supported.
        profile: many Reference = "profile",
        /// REST capabilities.
        rest: many CapabilityRest = "rest",
    }
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

crate::fhir_type! {
    /// `CapabilityStatement.software`.
    pub struct CapabilitySoftware {
        /// Software name.
        name: one String = "name",
        /// Software version.
        version: one String = "version",
        /// Release date.
        release_date: one FhirDateTime = "releaseDate",
    }
}

crate::fhir_type! {
    /// `CapabilityStatement.implementation`.
    pub struct CapabilityImplementation {
        /// Description.
        description: one String = "description",
        /// Base URL.
        url: one String = "url",
    }
}

crate::fhir_type! {
    /// `CapabilityStatement.rest`.
    pub struct CapabilityRest {
        /// `client | server`.
        mode: one String = "mode",
        /// Resources supported.
        resource: many CapabilityResource = "resource",
        /// Operations supported.
        operation: many CapabilityOperation = "operation",
    }
}

crate::fhir_type! {
    /// `CapabilityStatement.rest.resource`.
    pub struct CapabilityResource {
        /// Resource type.
        type_: one String = "type",
        /// Profile.
        profile: one Reference = "profile",
        /// Interactions supported.
        interaction: many CapabilityInteraction = "interaction",
        /// Search parameters.
        search_param: many CapabilitySearchParam = "searchParam",
    }
}

crate::fhir_type! {
    /// `CapabilityStatement.rest.resource.interaction`.
    pub struct CapabilityInteraction {
        /// `read | search-type | create | update | ...`.
        code: one String = "code",
    }
}

crate::fhir_type! {
    /// `CapabilityStatement.rest.resource.searchParam`.
    pub struct CapabilitySearchParam {
        /// Parameter name.
        name: one String = "name",
        /// Parameter type.
        type_: one String = "type",
    }
}

crate::fhir_type! {
    /// `CapabilityStatement.rest.operation`.
    pub struct CapabilityOperation {
        /// Operation name.
        name: one String = "name",
        /// Definition.
        definition: one Reference = "definition",
    }
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
