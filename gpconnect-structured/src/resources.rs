//! The STU3 resources only Access Record Structured uses, read leniently like the core
//! [`gpconnect_core::fhir`] types: every field optional, arrays accept one-or-many, dates
//! and decimals kept as written, unknown elements ignored.
//!
//! Most callers never touch these: the typed view ([`crate::StructuredRecord`]) resolves
//! them. They are public for callers who need an element the view does not surface (parse
//! one from [`crate::StructuredRecord::bundle`] with `RawResource::parse`).

use gpconnect_core::fhir::{
    one_or_many, Annotation, CodeableConcept, Dosage, Extension, FhirDateTime, FhirResource, Identifier, Meta, Period,
    Quantity, Range, Ratio, RawResource, Reference,
};
use gpconnect_core::fhir_type;
use serde::Deserialize;

fhir_type! {
    /// `AllergyIntolerance` (CareConnect-GPC-AllergyIntolerance-1).
    #[non_exhaustive]
    pub struct AllergyIntolerance [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata (profile, security labels).
        meta: one Meta = "meta",
        /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
        /// keeps its `url` and nested extensions and loses only its value.
        extension: many(gpconnect_core::fhir::lenient::lenient_extensions) Extension = "extension",
        /// Contained resources (kept raw): the targets of this resource's `#id`
        /// references.
        contained: many RawResource = "contained",
        /// Business identifiers.
        identifier: many Identifier = "identifier",
        /// `active | inactive | resolved`.
        clinical_status: one String = "clinicalStatus",
        /// `unconfirmed | confirmed | refuted | entered-in-error`.
        verification_status: one String = "verificationStatus",
        /// `allergy | intolerance`.
        type_: one String = "type",
        /// `food | medication | environment | biologic`.
        category: many String = "category",
        /// `low | high | unable-to-assess`.
        criticality: one String = "criticality",
        /// The substance or class.
        code: one CodeableConcept = "code",
        /// The patient.
        patient: one Reference = "patient",
        /// Onset.
        onset_date_time: one FhirDateTime = "onsetDateTime",
        /// Onset as a period.
        onset_period: one Period = "onsetPeriod",
        /// Date first recorded.
        asserted_date: one FhirDateTime = "assertedDate",
        /// Who recorded it.
        recorder: one Reference = "recorder",
        /// Source of the information.
        asserter: one Reference = "asserter",
        /// Last occurrence.
        last_occurrence: one FhirDateTime = "lastOccurrence",
        /// Notes.
        note: many Annotation = "note",
        /// Reactions.
        reaction: many AllergyReaction = "reaction",
    }
}

impl FhirResource for AllergyIntolerance {
    const TYPE: &'static str = "AllergyIntolerance";
}

fhir_type! {
    /// `AllergyIntolerance.reaction`.
    #[non_exhaustive]
    pub struct AllergyReaction [no_serialize] {
        /// Specific substance.
        substance: one CodeableConcept = "substance",
        /// Clinical symptoms.
        manifestation: many CodeableConcept = "manifestation",
        /// Description.
        description: one String = "description",
        /// Onset.
        onset: one FhirDateTime = "onset",
        /// `mild | moderate | severe`.
        severity: one String = "severity",
        /// Exposure route.
        exposure_route: one CodeableConcept = "exposureRoute",
        /// Notes.
        note: many Annotation = "note",
    }
}

fhir_type! {
    /// `Condition` (CareConnect-GPC-ProblemHeader-Condition-1).
    #[non_exhaustive]
    pub struct Condition [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata (profile, security labels).
        meta: one Meta = "meta",
        /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
        /// keeps its `url` and nested extensions and loses only its value.
        extension: many(gpconnect_core::fhir::lenient::lenient_extensions) Extension = "extension",
        /// Contained resources (kept raw): the targets of this resource's `#id`
        /// references.
        contained: many RawResource = "contained",
        /// Business identifiers.
        identifier: many Identifier = "identifier",
        /// `active | inactive | ...`.
        clinical_status: one String = "clinicalStatus",
        /// Verification status.
        verification_status: one String = "verificationStatus",
        /// Category (`problem-list-item`; a bare code string is read as its coding).
        category: many(lenient_concepts) CodeableConcept = "category",
        /// Severity.
        severity: one CodeableConcept = "severity",
        /// The problem.
        code: one CodeableConcept = "code",
        /// Body site.
        body_site: many CodeableConcept = "bodySite",
        /// The patient.
        subject: one Reference = "subject",
        /// The consultation it was recorded in.
        context: one Reference = "context",
        /// Onset.
        onset_date_time: one FhirDateTime = "onsetDateTime",
        /// Onset as a period.
        onset_period: one Period = "onsetPeriod",
        /// End.
        abatement_date_time: one FhirDateTime = "abatementDateTime",
        /// End as a period.
        abatement_period: one Period = "abatementPeriod",
        /// Date recorded.
        asserted_date: one FhirDateTime = "assertedDate",
        /// Who recorded it.
        asserter: one Reference = "asserter",
        /// Notes.
        note: many Annotation = "note",
    }
}

impl FhirResource for Condition {
    const TYPE: &'static str = "Condition";
}

fhir_type! {
    /// `Encounter` (CareConnect-GPC-Encounter-1): a consultation.
    #[non_exhaustive]
    pub struct Encounter [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata (profile, security labels).
        meta: one Meta = "meta",
        /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
        /// keeps its `url` and nested extensions and loses only its value.
        extension: many(gpconnect_core::fhir::lenient::lenient_extensions) Extension = "extension",
        /// Contained resources (kept raw): the targets of this resource's `#id`
        /// references.
        contained: many RawResource = "contained",
        /// Business identifiers.
        identifier: many Identifier = "identifier",
        /// `planned | finished | ...`.
        status: one String = "status",
        /// Consultation type.
        type_: many CodeableConcept = "type",
        /// The patient.
        subject: one Reference = "subject",
        /// Clinicians taking part.
        participant: many EncounterParticipant = "participant",
        /// When.
        period: one Period = "period",
        /// Duration.
        length: one Quantity = "length",
        /// Reason.
        reason: many CodeableConcept = "reason",
        /// Where.
        location: many EncounterLocation = "location",
        /// Organisation responsible.
        service_provider: one Reference = "serviceProvider",
    }
}

impl FhirResource for Encounter {
    const TYPE: &'static str = "Encounter";
}

fhir_type! {
    /// `Encounter.participant`.
    #[non_exhaustive]
    pub struct EncounterParticipant [no_serialize] {
        /// Role (`PPRF`, `AUT`, `REC`...).
        type_: many CodeableConcept = "type",
        /// Period.
        period: one Period = "period",
        /// The practitioner.
        individual: one Reference = "individual",
    }
}

fhir_type! {
    /// `Encounter.location`.
    #[non_exhaustive]
    pub struct EncounterLocation [no_serialize] {
        /// The location.
        location: one Reference = "location",
    }
}

fhir_type! {
    /// `Immunization` (CareConnect-GPC-Immunization-1).
    #[non_exhaustive]
    pub struct Immunization [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata (profile, security labels).
        meta: one Meta = "meta",
        /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
        /// keeps its `url` and nested extensions and loses only its value.
        extension: many(gpconnect_core::fhir::lenient::lenient_extensions) Extension = "extension",
        /// Contained resources (kept raw): the targets of this resource's `#id`
        /// references.
        contained: many RawResource = "contained",
        /// Business identifiers.
        identifier: many Identifier = "identifier",
        /// `completed | entered-in-error`.
        status: one String = "status",
        /// Whether the vaccination was not given.
        not_given: one bool = "notGiven",
        /// Vaccine.
        vaccine_code: one CodeableConcept = "vaccineCode",
        /// The patient.
        patient: one Reference = "patient",
        /// The consultation.
        encounter: one Reference = "encounter",
        /// Administration date.
        date: one FhirDateTime = "date",
        /// Recorded by the practice that gave it.
        primary_source: one bool = "primarySource",
        /// Where.
        location: one Reference = "location",
        /// Manufacturer.
        manufacturer: one Reference = "manufacturer",
        /// Batch.
        lot_number: one String = "lotNumber",
        /// Batch expiry.
        expiration_date: one FhirDateTime = "expirationDate",
        /// Body site.
        site: one CodeableConcept = "site",
        /// Route.
        route: one CodeableConcept = "route",
        /// Dose.
        dose_quantity: one Quantity = "doseQuantity",
        /// Who gave it.
        practitioner: many ImmunizationPractitioner = "practitioner",
        /// Notes.
        note: many Annotation = "note",
        /// Reasons given / not given.
        explanation: one ImmunizationExplanation = "explanation",
        /// Protocol (dose sequence).
        vaccination_protocol: many VaccinationProtocol = "vaccinationProtocol",
    }
}

impl FhirResource for Immunization {
    const TYPE: &'static str = "Immunization";
}

fhir_type! {
    /// `Immunization.practitioner`.
    #[non_exhaustive]
    pub struct ImmunizationPractitioner [no_serialize] {
        /// Role.
        role: one CodeableConcept = "role",
        /// The practitioner.
        actor: one Reference = "actor",
    }
}

fhir_type! {
    /// `Immunization.explanation`.
    #[non_exhaustive]
    pub struct ImmunizationExplanation [no_serialize] {
        /// Why given.
        reason: many CodeableConcept = "reason",
        /// Why not given.
        reason_not_given: many CodeableConcept = "reasonNotGiven",
    }
}

fhir_type! {
    /// `Immunization.vaccinationProtocol`.
    #[non_exhaustive]
    pub struct VaccinationProtocol [no_serialize] {
        /// Dose number in the series.
        dose_sequence: one u32 = "doseSequence",
        /// Description.
        description: one String = "description",
        /// Series name.
        series: one String = "series",
        /// Number of doses in the series.
        series_doses: one u32 = "seriesDoses",
        /// Diseases targeted.
        target_disease: many CodeableConcept = "targetDisease",
    }
}

fhir_type! {
    /// `Medication` (CareConnect-GPC-Medication-1).
    #[non_exhaustive]
    pub struct Medication [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata (profile, security labels).
        meta: one Meta = "meta",
        /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
        /// keeps its `url` and nested extensions and loses only its value.
        extension: many(gpconnect_core::fhir::lenient::lenient_extensions) Extension = "extension",
        /// Contained resources (kept raw): the targets of this resource's `#id`
        /// references.
        contained: many RawResource = "contained",
        /// Business identifiers.
        identifier: many Identifier = "identifier",
        /// The medicine (dm+d / SNOMED).
        code: one CodeableConcept = "code",
        /// Form.
        form: one CodeableConcept = "form",
    }
}

impl FhirResource for Medication {
    const TYPE: &'static str = "Medication";
}

fhir_type! {
    /// `MedicationStatement` (CareConnect-GPC-MedicationStatement-1): one authorisation.
    #[non_exhaustive]
    pub struct MedicationStatement [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata (profile, security labels).
        meta: one Meta = "meta",
        /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
        /// keeps its `url` and nested extensions and loses only its value.
        extension: many(gpconnect_core::fhir::lenient::lenient_extensions) Extension = "extension",
        /// Contained resources (kept raw): the targets of this resource's `#id`
        /// references.
        contained: many RawResource = "contained",
        /// Business identifiers.
        identifier: many Identifier = "identifier",
        /// The plan `MedicationRequest`.
        based_on: many Reference = "basedOn",
        /// The consultation.
        context: one Reference = "context",
        /// `active | completed | stopped | ...`.
        status: one String = "status",
        /// The medication, by reference.
        medication_reference: one Reference = "medicationReference",
        /// The medication, inline (allowed from 1.6.2).
        medication_codeable_concept: one CodeableConcept = "medicationCodeableConcept",
        /// When taken (date).
        effective_date_time: one FhirDateTime = "effectiveDateTime",
        /// When taken (period).
        effective_period: one Period = "effectivePeriod",
        /// When recorded.
        date_asserted: one FhirDateTime = "dateAsserted",
        /// Source.
        information_source: one Reference = "informationSource",
        /// The patient.
        subject: one Reference = "subject",
        /// `y | n | unk | na`.
        taken: one String = "taken",
        /// Notes.
        note: many Annotation = "note",
        /// Dosage.
        dosage: many Dosage = "dosage",
    }
}

impl FhirResource for MedicationStatement {
    const TYPE: &'static str = "MedicationStatement";
}

fhir_type! {
    /// `MedicationRequest` (CareConnect-GPC-MedicationRequest-1): the authorisation plan
    /// (`intent` = `plan`) or one issue (`intent` = `order`).
    #[non_exhaustive]
    pub struct MedicationRequest [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata (profile, security labels).
        meta: one Meta = "meta",
        /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
        /// keeps its `url` and nested extensions and loses only its value.
        extension: many(gpconnect_core::fhir::lenient::lenient_extensions) Extension = "extension",
        /// Contained resources (kept raw): the targets of this resource's `#id`
        /// references.
        contained: many RawResource = "contained",
        /// Business identifiers.
        identifier: many Identifier = "identifier",
        /// An issue's plan.
        based_on: many Reference = "basedOn",
        /// Group identifier.
        group_identifier: one Identifier = "groupIdentifier",
        /// `active | completed | stopped | ...`.
        status: one String = "status",
        /// `plan | order`.
        intent: one String = "intent",
        /// The medication, by reference.
        medication_reference: one Reference = "medicationReference",
        /// The medication, inline.
        medication_codeable_concept: one CodeableConcept = "medicationCodeableConcept",
        /// The patient.
        subject: one Reference = "subject",
        /// The consultation.
        context: one Reference = "context",
        /// When authorised / issued.
        authored_on: one FhirDateTime = "authoredOn",
        /// Who authorised it.
        requester: one Requester = "requester",
        /// Who recorded it.
        recorder: one Reference = "recorder",
        /// Notes.
        note: many Annotation = "note",
        /// Dosage.
        dosage_instruction: many Dosage = "dosageInstruction",
        /// Supply.
        dispense_request: one DispenseRequest = "dispenseRequest",
    }
}

impl FhirResource for MedicationRequest {
    const TYPE: &'static str = "MedicationRequest";
}

fhir_type! {
    /// `requester` of a request resource.
    #[non_exhaustive]
    pub struct Requester [no_serialize] {
        /// Who.
        agent: one Reference = "agent",
        /// On behalf of.
        on_behalf_of: one Reference = "onBehalfOf",
    }
}

fhir_type! {
    /// `MedicationRequest.dispenseRequest`.
    #[non_exhaustive]
    pub struct DispenseRequest [no_serialize] {
        /// Validity.
        validity_period: one Period = "validityPeriod",
        /// Repeats allowed.
        number_of_repeats_allowed: one u32 = "numberOfRepeatsAllowed",
        /// Quantity (its text may be in the `MedicationQuantityText-1` extension).
        quantity: one Quantity = "quantity",
        /// Expected supply duration.
        expected_supply_duration: one SupplyDuration = "expectedSupplyDuration",
        /// Dispenser.
        performer: one Reference = "performer",
    }
}

fhir_type! {
    /// `Observation` (CareConnect-GPC-Observation-1): uncategorised data, blood pressure,
    /// test group headers and results, filing comments, immunisation status.
    #[non_exhaustive]
    pub struct Observation [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata (profile, security labels).
        meta: one Meta = "meta",
        /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
        /// keeps its `url` and nested extensions and loses only its value.
        extension: many(gpconnect_core::fhir::lenient::lenient_extensions) Extension = "extension",
        /// Contained resources (kept raw): the targets of this resource's `#id`
        /// references.
        contained: many RawResource = "contained",
        /// Business identifiers.
        identifier: many Identifier = "identifier",
        /// The request it fulfils.
        based_on: many Reference = "basedOn",
        /// `final | amended | ...`.
        status: one String = "status",
        /// Category.
        category: many CodeableConcept = "category",
        /// What was observed.
        code: one CodeableConcept = "code",
        /// The patient.
        subject: one Reference = "subject",
        /// The consultation.
        context: one Reference = "context",
        /// When (date).
        effective_date_time: one FhirDateTime = "effectiveDateTime",
        /// When (period).
        effective_period: one Period = "effectivePeriod",
        /// When made available.
        issued: one FhirDateTime = "issued",
        /// Who.
        performer: many Reference = "performer",
        /// Value as a quantity.
        value_quantity: one Quantity = "valueQuantity",
        /// Value as a code.
        value_codeable_concept: one CodeableConcept = "valueCodeableConcept",
        /// Value as text.
        value_string: one String = "valueString",
        /// Value as a boolean.
        value_boolean: one bool = "valueBoolean",
        /// Value as a range.
        value_range: one Range = "valueRange",
        /// Value as a ratio.
        value_ratio: one Ratio = "valueRatio",
        /// Value as a date-time.
        value_date_time: one FhirDateTime = "valueDateTime",
        /// Value as a period.
        value_period: one Period = "valuePeriod",
        /// Why there is no value.
        data_absent_reason: one CodeableConcept = "dataAbsentReason",
        /// High/low/abnormal flag.
        interpretation: one CodeableConcept = "interpretation",
        /// Comment.
        comment: one String = "comment",
        /// Body site.
        body_site: one CodeableConcept = "bodySite",
        /// Method.
        method: one CodeableConcept = "method",
        /// Specimen.
        specimen: one Reference = "specimen",
        /// Reference ranges.
        reference_range: many ReferenceRange = "referenceRange",
        /// Related observations (`has-member`, `derived-from`...).
        related: many ObservationRelated = "related",
        /// Components (e.g. systolic / diastolic).
        component: many ObservationComponent = "component",
    }
}

impl FhirResource for Observation {
    const TYPE: &'static str = "Observation";
}

fhir_type! {
    /// `Observation.referenceRange`.
    #[non_exhaustive]
    pub struct ReferenceRange [no_serialize] {
        /// Low.
        low: one Quantity = "low",
        /// High.
        high: one Quantity = "high",
        /// Type.
        type_: one CodeableConcept = "type",
        /// Text.
        text: one String = "text",
    }
}

fhir_type! {
    /// `Observation.related`.
    #[non_exhaustive]
    pub struct ObservationRelated [no_serialize] {
        /// `has-member | derived-from | ...`.
        type_: one String = "type",
        /// Target.
        target: one Reference = "target",
    }
}

fhir_type! {
    /// `Observation.component`.
    #[non_exhaustive]
    pub struct ObservationComponent [no_serialize] {
        /// What.
        code: one CodeableConcept = "code",
        /// Value as a quantity.
        value_quantity: one Quantity = "valueQuantity",
        /// Value as a code.
        value_codeable_concept: one CodeableConcept = "valueCodeableConcept",
        /// Value as text.
        value_string: one String = "valueString",
        /// Value as a range.
        value_range: one Range = "valueRange",
        /// Why there is no value.
        data_absent_reason: one CodeableConcept = "dataAbsentReason",
        /// Flag.
        interpretation: one CodeableConcept = "interpretation",
        /// Reference ranges.
        reference_range: many ReferenceRange = "referenceRange",
    }
}

fhir_type! {
    /// `DiagnosticReport` (CareConnect-GPC-DiagnosticReport-1): an investigation report.
    #[non_exhaustive]
    pub struct DiagnosticReport [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata (profile, security labels).
        meta: one Meta = "meta",
        /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
        /// keeps its `url` and nested extensions and loses only its value.
        extension: many(gpconnect_core::fhir::lenient::lenient_extensions) Extension = "extension",
        /// Contained resources (kept raw): the targets of this resource's `#id`
        /// references.
        contained: many RawResource = "contained",
        /// Business identifiers.
        identifier: many Identifier = "identifier",
        /// The originating request.
        based_on: many Reference = "basedOn",
        /// `final | ...`.
        status: one String = "status",
        /// Category.
        category: one CodeableConcept = "category",
        /// Report code.
        code: one CodeableConcept = "code",
        /// The patient.
        subject: one Reference = "subject",
        /// The consultation.
        context: one Reference = "context",
        /// Clinically relevant time (date).
        effective_date_time: one FhirDateTime = "effectiveDateTime",
        /// Clinically relevant time (period).
        effective_period: one Period = "effectivePeriod",
        /// When issued.
        issued: one FhirDateTime = "issued",
        /// Who produced it.
        performer: many DiagnosticReportPerformer = "performer",
        /// Specimens.
        specimen: many Reference = "specimen",
        /// Results (test group headers, results, filing comments).
        result: many Reference = "result",
        /// Conclusion.
        conclusion: one String = "conclusion",
        /// Coded conclusion.
        coded_diagnosis: many CodeableConcept = "codedDiagnosis",
    }
}

impl FhirResource for DiagnosticReport {
    const TYPE: &'static str = "DiagnosticReport";
}

fhir_type! {
    /// `DiagnosticReport.performer`.
    #[non_exhaustive]
    pub struct DiagnosticReportPerformer [no_serialize] {
        /// Role.
        role: one CodeableConcept = "role",
        /// Who.
        actor: one Reference = "actor",
    }
}

fhir_type! {
    /// `ProcedureRequest` (CareConnect-GPC-ProcedureRequest-1): a diary entry or an
    /// investigation request.
    #[non_exhaustive]
    pub struct ProcedureRequest [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata (profile, security labels).
        meta: one Meta = "meta",
        /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
        /// keeps its `url` and nested extensions and loses only its value.
        extension: many(gpconnect_core::fhir::lenient::lenient_extensions) Extension = "extension",
        /// Contained resources (kept raw): the targets of this resource's `#id`
        /// references.
        contained: many RawResource = "contained",
        /// Business identifiers.
        identifier: many Identifier = "identifier",
        /// Based on.
        based_on: many Reference = "basedOn",
        /// `active | completed | ...`.
        status: one String = "status",
        /// `plan | order | ...`.
        intent: one String = "intent",
        /// Priority.
        priority: one String = "priority",
        /// What.
        code: one CodeableConcept = "code",
        /// The patient.
        subject: one Reference = "subject",
        /// The consultation.
        context: one Reference = "context",
        /// When (date).
        occurrence_date_time: one FhirDateTime = "occurrenceDateTime",
        /// When (period).
        occurrence_period: one Period = "occurrencePeriod",
        /// When recorded.
        authored_on: one FhirDateTime = "authoredOn",
        /// Who asked.
        requester: one Requester = "requester",
        /// Who is to do it.
        performer: one Reference = "performer",
        /// Why.
        reason_code: many CodeableConcept = "reasonCode",
        /// Supporting information.
        supporting_info: many Reference = "supportingInfo",
        /// Notes.
        note: many Annotation = "note",
    }
}

impl FhirResource for ProcedureRequest {
    const TYPE: &'static str = "ProcedureRequest";
}

fhir_type! {
    /// `ReferralRequest` (CareConnect-GPC-ReferralRequest-1): an outbound referral.
    #[non_exhaustive]
    pub struct ReferralRequest [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata (profile, security labels).
        meta: one Meta = "meta",
        /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
        /// keeps its `url` and nested extensions and loses only its value.
        extension: many(gpconnect_core::fhir::lenient::lenient_extensions) Extension = "extension",
        /// Contained resources (kept raw): the targets of this resource's `#id`
        /// references.
        contained: many RawResource = "contained",
        /// Business identifiers.
        identifier: many Identifier = "identifier",
        /// `active | completed | unknown | ...`.
        status: one String = "status",
        /// `order | plan | ...`.
        intent: one String = "intent",
        /// Type.
        type_: one CodeableConcept = "type",
        /// `routine | urgent | asap | stat`.
        priority: one String = "priority",
        /// Services requested.
        service_requested: many CodeableConcept = "serviceRequested",
        /// The patient.
        subject: one Reference = "subject",
        /// The consultation.
        context: one Reference = "context",
        /// When (date).
        occurrence_date_time: one FhirDateTime = "occurrenceDateTime",
        /// When (period).
        occurrence_period: one Period = "occurrencePeriod",
        /// When written.
        authored_on: one FhirDateTime = "authoredOn",
        /// Who referred.
        requester: one Requester = "requester",
        /// Specialty.
        specialty: one CodeableConcept = "specialty",
        /// Referred to.
        recipient: many Reference = "recipient",
        /// Why.
        reason_code: many CodeableConcept = "reasonCode",
        /// Description.
        description: one String = "description",
        /// Supporting information.
        supporting_info: many Reference = "supportingInfo",
        /// Notes.
        note: many Annotation = "note",
    }
}

impl FhirResource for ReferralRequest {
    const TYPE: &'static str = "ReferralRequest";
}

fhir_type! {
    /// `Specimen` (CareConnect-GPC-Specimen-1).
    #[non_exhaustive]
    pub struct Specimen [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Metadata (profile, security labels).
        meta: one Meta = "meta",
        /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
        /// keeps its `url` and nested extensions and loses only its value.
        extension: many(gpconnect_core::fhir::lenient::lenient_extensions) Extension = "extension",
        /// Contained resources (kept raw): the targets of this resource's `#id`
        /// references.
        contained: many RawResource = "contained",
        /// Business identifiers.
        identifier: many Identifier = "identifier",
        /// Lab accession number.
        accession_identifier: one Identifier = "accessionIdentifier",
        /// `available | unavailable | ...`.
        status: one String = "status",
        /// Specimen type.
        type_: one CodeableConcept = "type",
        /// The patient.
        subject: one Reference = "subject",
        /// When received by the lab.
        received_time: one FhirDateTime = "receivedTime",
        /// Collection.
        collection: one SpecimenCollection = "collection",
        /// Notes.
        note: many Annotation = "note",
    }
}

impl FhirResource for Specimen {
    const TYPE: &'static str = "Specimen";
}

fhir_type! {
    /// `Specimen.collection`.
    #[non_exhaustive]
    pub struct SpecimenCollection [no_serialize] {
        /// Collector.
        collector: one Reference = "collector",
        /// When (date).
        collected_date_time: one FhirDateTime = "collectedDateTime",
        /// When (period).
        collected_period: one Period = "collectedPeriod",
        /// Quantity.
        quantity: one Quantity = "quantity",
        /// Method.
        method: one CodeableConcept = "method",
        /// Body site.
        body_site: one CodeableConcept = "bodySite",
    }
}

fhir_type! {
    /// `dispenseRequest.expectedSupplyDuration`; read extra leniently because the spec's
    /// examples send `code` as an array.
    #[non_exhaustive]
    pub struct SupplyDuration [no_serialize] {
        /// Number, as written.
        value: one gpconnect_core::fhir::Decimal = "value",
        /// Unit text.
        unit: first String = "unit",
        /// Unit system.
        system: first String = "system",
        /// Unit code.
        code: first String = "code",
    }
}

/// A CodeableConcept that also accepts a bare code string (some examples send
/// `"category": "problem-list-item"`).
struct LenientConcept(CodeableConcept);

impl<'de> Deserialize<'de> for LenientConcept {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LenientConcept;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a CodeableConcept or a code")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let coding = gpconnect_core::fhir::Coding { code: Some(v.to_owned()), ..Default::default() };
                Ok(LenientConcept(CodeableConcept { coding: vec![coding], text: None }))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                CodeableConcept::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(LenientConcept)
            }
        }
        d.deserialize_any(V)
    }
}

fn lenient_concepts<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<CodeableConcept>, D::Error> {
    let v: Vec<LenientConcept> = one_or_many(d)?;
    Ok(v.into_iter().map(|c| c.0).collect())
}
