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
use serde::Deserialize;

macro_rules! resource {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(rename_all = "camelCase", default)]
        #[non_exhaustive]
        pub struct $name {
            /// Logical id.
            pub id: Option<String>,
            /// Metadata (profile, security labels).
            pub meta: Option<Meta>,
            /// Extensions. One that does not fit STU3 (e.g. `valueCode` sent as an array)
            /// keeps its `url` and nested extensions and loses only its value.
            #[serde(deserialize_with = "crate::view::lenient_extensions")]
            pub extension: Vec<Extension>,
            /// Contained resources (kept raw): the targets of this resource's `#id`
            /// references.
            #[serde(deserialize_with = "one_or_many")]
            pub contained: Vec<RawResource>,
            /// Business identifiers.
            #[serde(deserialize_with = "one_or_many")]
            pub identifier: Vec<Identifier>,
            $($(#[$fm])* pub $field: $ty,)*
        }
        impl FhirResource for $name {
            const TYPE: &'static str = stringify!($name);
        }
    };
}

macro_rules! element {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(rename_all = "camelCase", default)]
        #[non_exhaustive]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty,)*
        }
    };
}

resource!(
    /// `AllergyIntolerance` (CareConnect-GPC-AllergyIntolerance-1).
    AllergyIntolerance {
        /// `active | inactive | resolved`.
        clinical_status: Option<String>,
        /// `unconfirmed | confirmed | refuted | entered-in-error`.
        verification_status: Option<String>,
        /// `allergy | intolerance`.
        #[serde(rename = "type")]
        type_: Option<String>,
        /// `food | medication | environment | biologic`.
        #[serde(deserialize_with = "one_or_many")]
        category: Vec<String>,
        /// `low | high | unable-to-assess`.
        criticality: Option<String>,
        /// The substance or class.
        code: Option<CodeableConcept>,
        /// The patient.
        patient: Option<Reference>,
        /// Onset.
        onset_date_time: Option<FhirDateTime>,
        /// Onset as a period.
        onset_period: Option<Period>,
        /// Date first recorded.
        asserted_date: Option<FhirDateTime>,
        /// Who recorded it.
        recorder: Option<Reference>,
        /// Source of the information.
        asserter: Option<Reference>,
        /// Last occurrence.
        last_occurrence: Option<FhirDateTime>,
        /// Notes.
        #[serde(deserialize_with = "one_or_many")]
        note: Vec<Annotation>,
        /// Reactions.
        #[serde(deserialize_with = "one_or_many")]
        reaction: Vec<AllergyReaction>,
    }
);

element!(
    /// `AllergyIntolerance.reaction`.
    AllergyReaction {
        /// Specific substance.
        substance: Option<CodeableConcept>,
        /// Clinical symptoms.
        #[serde(deserialize_with = "one_or_many")]
        manifestation: Vec<CodeableConcept>,
        /// Description.
        description: Option<String>,
        /// Onset.
        onset: Option<FhirDateTime>,
        /// `mild | moderate | severe`.
        severity: Option<String>,
        /// Exposure route.
        exposure_route: Option<CodeableConcept>,
        /// Notes.
        #[serde(deserialize_with = "one_or_many")]
        note: Vec<Annotation>,
    }
);

resource!(
    /// `Condition` (CareConnect-GPC-ProblemHeader-Condition-1).
    Condition {
        /// `active | inactive | ...`.
        clinical_status: Option<String>,
        /// Verification status.
        verification_status: Option<String>,
        /// Category (`problem-list-item`; a bare code string is read as its coding).
        #[serde(deserialize_with = "lenient_concepts")]
        category: Vec<CodeableConcept>,
        /// Severity.
        severity: Option<CodeableConcept>,
        /// The problem.
        code: Option<CodeableConcept>,
        /// Body site.
        #[serde(deserialize_with = "one_or_many")]
        body_site: Vec<CodeableConcept>,
        /// The patient.
        subject: Option<Reference>,
        /// The consultation it was recorded in.
        context: Option<Reference>,
        /// Onset.
        onset_date_time: Option<FhirDateTime>,
        /// Onset as a period.
        onset_period: Option<Period>,
        /// End.
        abatement_date_time: Option<FhirDateTime>,
        /// End as a period.
        abatement_period: Option<Period>,
        /// Date recorded.
        asserted_date: Option<FhirDateTime>,
        /// Who recorded it.
        asserter: Option<Reference>,
        /// Notes.
        #[serde(deserialize_with = "one_or_many")]
        note: Vec<Annotation>,
    }
);

resource!(
    /// `Encounter` (CareConnect-GPC-Encounter-1): a consultation.
    Encounter {
        /// `planned | finished | ...`.
        status: Option<String>,
        /// Consultation type.
        #[serde(rename = "type", deserialize_with = "one_or_many")]
        type_: Vec<CodeableConcept>,
        /// The patient.
        subject: Option<Reference>,
        /// Clinicians taking part.
        #[serde(deserialize_with = "one_or_many")]
        participant: Vec<EncounterParticipant>,
        /// When.
        period: Option<Period>,
        /// Duration.
        length: Option<Quantity>,
        /// Reason.
        #[serde(deserialize_with = "one_or_many")]
        reason: Vec<CodeableConcept>,
        /// Where.
        #[serde(deserialize_with = "one_or_many")]
        location: Vec<EncounterLocation>,
        /// Organisation responsible.
        service_provider: Option<Reference>,
    }
);

element!(
    /// `Encounter.participant`.
    EncounterParticipant {
        /// Role (`PPRF`, `AUT`, `REC`...).
        #[serde(rename = "type", deserialize_with = "one_or_many")]
        type_: Vec<CodeableConcept>,
        /// Period.
        period: Option<Period>,
        /// The practitioner.
        individual: Option<Reference>,
    }
);

element!(
    /// `Encounter.location`.
    EncounterLocation {
        /// The location.
        location: Option<Reference>,
    }
);

resource!(
    /// `Immunization` (CareConnect-GPC-Immunization-1).
    Immunization {
        /// `completed | entered-in-error`.
        status: Option<String>,
        /// Whether the vaccination was not given.
        not_given: Option<bool>,
        /// Vaccine.
        vaccine_code: Option<CodeableConcept>,
        /// The patient.
        patient: Option<Reference>,
        /// The consultation.
        encounter: Option<Reference>,
        /// Administration date.
        date: Option<FhirDateTime>,
        /// Recorded by the practice that gave it.
        primary_source: Option<bool>,
        /// Where.
        location: Option<Reference>,
        /// Manufacturer.
        manufacturer: Option<Reference>,
        /// Batch.
        lot_number: Option<String>,
        /// Batch expiry.
        expiration_date: Option<FhirDateTime>,
        /// Body site.
        site: Option<CodeableConcept>,
        /// Route.
        route: Option<CodeableConcept>,
        /// Dose.
        dose_quantity: Option<Quantity>,
        /// Who gave it.
        #[serde(deserialize_with = "one_or_many")]
        practitioner: Vec<ImmunizationPractitioner>,
        /// Notes.
        #[serde(deserialize_with = "one_or_many")]
        note: Vec<Annotation>,
        /// Reasons given / not given.
        explanation: Option<ImmunizationExplanation>,
        /// Protocol (dose sequence).
        #[serde(deserialize_with = "one_or_many")]
        vaccination_protocol: Vec<VaccinationProtocol>,
    }
);

element!(
    /// `Immunization.practitioner`.
    ImmunizationPractitioner {
        /// Role.
        role: Option<CodeableConcept>,
        /// The practitioner.
        actor: Option<Reference>,
    }
);

element!(
    /// `Immunization.explanation`.
    ImmunizationExplanation {
        /// Why given.
        #[serde(deserialize_with = "one_or_many")]
        reason: Vec<CodeableConcept>,
        /// Why not given.
        #[serde(deserialize_with = "one_or_many")]
        reason_not_given: Vec<CodeableConcept>,
    }
);

element!(
    /// `Immunization.vaccinationProtocol`.
    VaccinationProtocol {
        /// Dose number in the series.
        dose_sequence: Option<u32>,
        /// Description.
        description: Option<String>,
        /// Series name.
        series: Option<String>,
        /// Number of doses in the series.
        series_doses: Option<u32>,
        /// Diseases targeted.
        #[serde(deserialize_with = "one_or_many")]
        target_disease: Vec<CodeableConcept>,
    }
);

resource!(
    /// `Medication` (CareConnect-GPC-Medication-1).
    Medication {
        /// The medicine (dm+d / SNOMED).
        code: Option<CodeableConcept>,
        /// Form.
        form: Option<CodeableConcept>,
    }
);

resource!(
    /// `MedicationStatement` (CareConnect-GPC-MedicationStatement-1): one authorisation.
    MedicationStatement {
        /// The plan `MedicationRequest`.
        #[serde(deserialize_with = "one_or_many")]
        based_on: Vec<Reference>,
        /// The consultation.
        context: Option<Reference>,
        /// `active | completed | stopped | ...`.
        status: Option<String>,
        /// The medication, by reference.
        medication_reference: Option<Reference>,
        /// The medication, inline (allowed from 1.6.2).
        medication_codeable_concept: Option<CodeableConcept>,
        /// When taken (date).
        effective_date_time: Option<FhirDateTime>,
        /// When taken (period).
        effective_period: Option<Period>,
        /// When recorded.
        date_asserted: Option<FhirDateTime>,
        /// Source.
        information_source: Option<Reference>,
        /// The patient.
        subject: Option<Reference>,
        /// `y | n | unk | na`.
        taken: Option<String>,
        /// Notes.
        #[serde(deserialize_with = "one_or_many")]
        note: Vec<Annotation>,
        /// Dosage.
        #[serde(deserialize_with = "one_or_many")]
        dosage: Vec<Dosage>,
    }
);

resource!(
    /// `MedicationRequest` (CareConnect-GPC-MedicationRequest-1): the authorisation plan
    /// (`intent` = `plan`) or one issue (`intent` = `order`).
    MedicationRequest {
        /// An issue's plan.
        #[serde(deserialize_with = "one_or_many")]
        based_on: Vec<Reference>,
        /// Group identifier.
        group_identifier: Option<Identifier>,
        /// `active | completed | stopped | ...`.
        status: Option<String>,
        /// `plan | order`.
        intent: Option<String>,
        /// The medication, by reference.
        medication_reference: Option<Reference>,
        /// The medication, inline.
        medication_codeable_concept: Option<CodeableConcept>,
        /// The patient.
        subject: Option<Reference>,
        /// The consultation.
        context: Option<Reference>,
        /// When authorised / issued.
        authored_on: Option<FhirDateTime>,
        /// Who authorised it.
        requester: Option<Requester>,
        /// Who recorded it.
        recorder: Option<Reference>,
        /// Notes.
        #[serde(deserialize_with = "one_or_many")]
        note: Vec<Annotation>,
        /// Dosage.
        #[serde(deserialize_with = "one_or_many")]
        dosage_instruction: Vec<Dosage>,
        /// Supply.
        dispense_request: Option<DispenseRequest>,
    }
);

element!(
    /// `requester` of a request resource.
    Requester {
        /// Who.
        agent: Option<Reference>,
        /// On behalf of.
        on_behalf_of: Option<Reference>,
    }
);

element!(
    /// `MedicationRequest.dispenseRequest`.
    DispenseRequest {
        /// Validity.
        validity_period: Option<Period>,
        /// Repeats allowed.
        number_of_repeats_allowed: Option<u32>,
        /// Quantity (its text may be in the `MedicationQuantityText-1` extension).
        quantity: Option<Quantity>,
        /// Expected supply duration.
        expected_supply_duration: Option<SupplyDuration>,
        /// Dispenser.
        performer: Option<Reference>,
    }
);

resource!(
    /// `Observation` (CareConnect-GPC-Observation-1): uncategorised data, blood pressure,
    /// test group headers and results, filing comments, immunisation status.
    Observation {
        /// The request it fulfils.
        #[serde(deserialize_with = "one_or_many")]
        based_on: Vec<Reference>,
        /// `final | amended | ...`.
        status: Option<String>,
        /// Category.
        #[serde(deserialize_with = "one_or_many")]
        category: Vec<CodeableConcept>,
        /// What was observed.
        code: Option<CodeableConcept>,
        /// The patient.
        subject: Option<Reference>,
        /// The consultation.
        context: Option<Reference>,
        /// When (date).
        effective_date_time: Option<FhirDateTime>,
        /// When (period).
        effective_period: Option<Period>,
        /// When made available.
        issued: Option<FhirDateTime>,
        /// Who.
        #[serde(deserialize_with = "one_or_many")]
        performer: Vec<Reference>,
        /// Value as a quantity.
        value_quantity: Option<Quantity>,
        /// Value as a code.
        value_codeable_concept: Option<CodeableConcept>,
        /// Value as text.
        value_string: Option<String>,
        /// Value as a boolean.
        value_boolean: Option<bool>,
        /// Value as a range.
        value_range: Option<Range>,
        /// Value as a ratio.
        value_ratio: Option<Ratio>,
        /// Value as a date-time.
        value_date_time: Option<FhirDateTime>,
        /// Value as a period.
        value_period: Option<Period>,
        /// Why there is no value.
        data_absent_reason: Option<CodeableConcept>,
        /// High/low/abnormal flag.
        interpretation: Option<CodeableConcept>,
        /// Comment.
        comment: Option<String>,
        /// Body site.
        body_site: Option<CodeableConcept>,
        /// Method.
        method: Option<CodeableConcept>,
        /// Specimen.
        specimen: Option<Reference>,
        /// Reference ranges.
        #[serde(deserialize_with = "one_or_many")]
        reference_range: Vec<ReferenceRange>,
        /// Related observations (`has-member`, `derived-from`...).
        #[serde(deserialize_with = "one_or_many")]
        related: Vec<ObservationRelated>,
        /// Components (e.g. systolic / diastolic).
        #[serde(deserialize_with = "one_or_many")]
        component: Vec<ObservationComponent>,
    }
);

element!(
    /// `Observation.referenceRange`.
    ReferenceRange {
        /// Low.
        low: Option<Quantity>,
        /// High.
        high: Option<Quantity>,
        /// Type.
        #[serde(rename = "type")]
        type_: Option<CodeableConcept>,
        /// Text.
        text: Option<String>,
    }
);

element!(
    /// `Observation.related`.
    ObservationRelated {
        /// `has-member | derived-from | ...`.
        #[serde(rename = "type")]
        type_: Option<String>,
        /// Target.
        target: Option<Reference>,
    }
);

element!(
    /// `Observation.component`.
    ObservationComponent {
        /// What.
        code: Option<CodeableConcept>,
        /// Value as a quantity.
        value_quantity: Option<Quantity>,
        /// Value as a code.
        value_codeable_concept: Option<CodeableConcept>,
        /// Value as text.
        value_string: Option<String>,
        /// Value as a range.
        value_range: Option<Range>,
        /// Why there is no value.
        data_absent_reason: Option<CodeableConcept>,
        /// Flag.
        interpretation: Option<CodeableConcept>,
        /// Reference ranges.
        #[serde(deserialize_with = "one_or_many")]
        reference_range: Vec<ReferenceRange>,
    }
);

resource!(
    /// `DiagnosticReport` (CareConnect-GPC-DiagnosticReport-1): an investigation report.
    DiagnosticReport {
        /// The originating request.
        #[serde(deserialize_with = "one_or_many")]
        based_on: Vec<Reference>,
        /// `final | ...`.
        status: Option<String>,
        /// Category.
        category: Option<CodeableConcept>,
        /// Report code.
        code: Option<CodeableConcept>,
        /// The patient.
        subject: Option<Reference>,
        /// The consultation.
        context: Option<Reference>,
        /// Clinically relevant time (date).
        effective_date_time: Option<FhirDateTime>,
        /// Clinically relevant time (period).
        effective_period: Option<Period>,
        /// When issued.
        issued: Option<FhirDateTime>,
        /// Who produced it.
        #[serde(deserialize_with = "one_or_many")]
        performer: Vec<DiagnosticReportPerformer>,
        /// Specimens.
        #[serde(deserialize_with = "one_or_many")]
        specimen: Vec<Reference>,
        /// Results (test group headers, results, filing comments).
        #[serde(deserialize_with = "one_or_many")]
        result: Vec<Reference>,
        /// Conclusion.
        conclusion: Option<String>,
        /// Coded conclusion.
        #[serde(deserialize_with = "one_or_many")]
        coded_diagnosis: Vec<CodeableConcept>,
    }
);

element!(
    /// `DiagnosticReport.performer`.
    DiagnosticReportPerformer {
        /// Role.
        role: Option<CodeableConcept>,
        /// Who.
        actor: Option<Reference>,
    }
);

resource!(
    /// `ProcedureRequest` (CareConnect-GPC-ProcedureRequest-1): a diary entry or an
    /// investigation request.
    ProcedureRequest {
        /// Based on.
        #[serde(deserialize_with = "one_or_many")]
        based_on: Vec<Reference>,
        /// `active | completed | ...`.
        status: Option<String>,
        /// `plan | order | ...`.
        intent: Option<String>,
        /// Priority.
        priority: Option<String>,
        /// What.
        code: Option<CodeableConcept>,
        /// The patient.
        subject: Option<Reference>,
        /// The consultation.
        context: Option<Reference>,
        /// When (date).
        occurrence_date_time: Option<FhirDateTime>,
        /// When (period).
        occurrence_period: Option<Period>,
        /// When recorded.
        authored_on: Option<FhirDateTime>,
        /// Who asked.
        requester: Option<Requester>,
        /// Who is to do it.
        performer: Option<Reference>,
        /// Why.
        #[serde(deserialize_with = "one_or_many")]
        reason_code: Vec<CodeableConcept>,
        /// Supporting information.
        #[serde(deserialize_with = "one_or_many")]
        supporting_info: Vec<Reference>,
        /// Notes.
        #[serde(deserialize_with = "one_or_many")]
        note: Vec<Annotation>,
    }
);

resource!(
    /// `ReferralRequest` (CareConnect-GPC-ReferralRequest-1): an outbound referral.
    ReferralRequest {
        /// `active | completed | unknown | ...`.
        status: Option<String>,
        /// `order | plan | ...`.
        intent: Option<String>,
        /// Type.
        #[serde(rename = "type")]
        type_: Option<CodeableConcept>,
        /// `routine | urgent | asap | stat`.
        priority: Option<String>,
        /// Services requested.
        #[serde(deserialize_with = "one_or_many")]
        service_requested: Vec<CodeableConcept>,
        /// The patient.
        subject: Option<Reference>,
        /// The consultation.
        context: Option<Reference>,
        /// When (date).
        occurrence_date_time: Option<FhirDateTime>,
        /// When (period).
        occurrence_period: Option<Period>,
        /// When written.
        authored_on: Option<FhirDateTime>,
        /// Who referred.
        requester: Option<Requester>,
        /// Specialty.
        specialty: Option<CodeableConcept>,
        /// Referred to.
        #[serde(deserialize_with = "one_or_many")]
        recipient: Vec<Reference>,
        /// Why.
        #[serde(deserialize_with = "one_or_many")]
        reason_code: Vec<CodeableConcept>,
        /// Description.
        description: Option<String>,
        /// Supporting information.
        #[serde(deserialize_with = "one_or_many")]
        supporting_info: Vec<Reference>,
        /// Notes.
        #[serde(deserialize_with = "one_or_many")]
        note: Vec<Annotation>,
    }
);

resource!(
    /// `Specimen` (CareConnect-GPC-Specimen-1).
    Specimen {
        /// Lab accession number.
        accession_identifier: Option<Identifier>,
        /// `available | unavailable | ...`.
        status: Option<String>,
        /// Specimen type.
        #[serde(rename = "type")]
        type_: Option<CodeableConcept>,
        /// The patient.
        subject: Option<Reference>,
        /// When received by the lab.
        received_time: Option<FhirDateTime>,
        /// Collection.
        collection: Option<SpecimenCollection>,
        /// Notes.
        #[serde(deserialize_with = "one_or_many")]
        note: Vec<Annotation>,
    }
);

element!(
    /// `Specimen.collection`.
    SpecimenCollection {
        /// Collector.
        collector: Option<Reference>,
        /// When (date).
        collected_date_time: Option<FhirDateTime>,
        /// When (period).
        collected_period: Option<Period>,
        /// Quantity.
        quantity: Option<Quantity>,
        /// Method.
        method: Option<CodeableConcept>,
        /// Body site.
        body_site: Option<CodeableConcept>,
    }
);

element!(
    /// `dispenseRequest.expectedSupplyDuration`; read extra leniently because the spec's
    /// examples send `code` as an array.
    SupplyDuration {
        /// Number, as written.
        value: Option<gpconnect_core::fhir::Decimal>,
        /// Unit text.
        #[serde(deserialize_with = "gpconnect_core::fhir::one_or_first")]
        unit: Option<String>,
        /// Unit system.
        #[serde(deserialize_with = "gpconnect_core::fhir::one_or_first")]
        system: Option<String>,
        /// Unit code.
        #[serde(deserialize_with = "gpconnect_core::fhir::one_or_first")]
        code: Option<String>,
    }
);

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
