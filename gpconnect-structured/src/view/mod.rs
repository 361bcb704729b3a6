//! The typed view of a structured record: one section per clinical area, references in the
//! bundle resolved, section warnings and record warnings kept, problems reported.

use std::collections::{HashMap, HashSet};
use std::fmt;

use bytes::Bytes;
use gpconnect_core::fhir::{
    same_url, Annotation, Bundle, CodeableConcept, Coding, Extension, FhirDateTime, FhirResource, HealthcareService,
    List, Location, OperationOutcome, Organization, Patient, Period, Practitioner, PractitionerRole, Quantity,
    RawResource, Reference, ResourceIndex, SNOMED_SYSTEM,
};
use serde::de::{DeserializeOwned, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer as _};
use uuid::Uuid;

use crate::resources::{
    AllergyIntolerance, Condition, DiagnosticReport, Encounter, Immunization, Medication, MedicationRequest,
    MedicationStatement, Observation, ProcedureRequest, ReferralRequest, Specimen,
};

mod build;

use build::build;

const EXT: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/";
const UK_EXT: &str = "https://fhir.hl7.org.uk/STU3/StructureDefinition/";
/// The security label of resources not to be shown to the patient.
const NOPAT: &str = "NOPAT";
/// Its code systems: the STU3 name the spec uses, and the current HL7 terminology name.
const ACT_CODE_SYSTEMS: &[&str] =
    &["http://hl7.org/fhir/v3/ActCode", "http://terminology.hl7.org/CodeSystem/v3-ActCode"];

/// Gives a view type a `Debug` that shows its id only: the rest is patient data.
macro_rules! redacted_debug {
    ($($t:ty),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t)).field("id", &self.id).finish_non_exhaustive()
            }
        }
    )*};
}

/// A clinical area of the record (one primary List each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SectionKind {
    /// Allergies and adverse reactions (`886921000000105`).
    Allergies,
    /// Ended allergies (`1103671000000101`).
    EndedAllergies,
    /// Medications and medical devices (`933361000000108`).
    Medications,
    /// Problems (`717711000000103`).
    Problems,
    /// List of consultations (`1149501000000101`).
    Consultations,
    /// Immunisations (`1102181000000102`).
    Immunisations,
    /// Uncategorised data (`826501000000100`).
    Uncategorised,
    /// Investigations and results (`887191000000108`).
    Investigations,
    /// Outbound referral (`792931000000107`).
    Referrals,
    /// Patient recall administration, i.e. diary entries (`714311000000108`).
    DiaryEntries,
}

impl SectionKind {
    /// Every section, in display order.
    pub const ALL: [SectionKind; 10] = [
        SectionKind::Allergies,
        SectionKind::EndedAllergies,
        SectionKind::Medications,
        SectionKind::Problems,
        SectionKind::Consultations,
        SectionKind::Immunisations,
        SectionKind::Uncategorised,
        SectionKind::Investigations,
        SectionKind::Referrals,
        SectionKind::DiaryEntries,
    ];

    /// The SNOMED CT code of the section's primary List (1.6.2 table).
    pub fn snomed_code(self) -> &'static str {
        match self {
            SectionKind::Allergies => "886921000000105",
            SectionKind::EndedAllergies => "1103671000000101",
            SectionKind::Medications => "933361000000108",
            SectionKind::Problems => "717711000000103",
            SectionKind::Consultations => "1149501000000101",
            SectionKind::Immunisations => "1102181000000102",
            SectionKind::Uncategorised => "826501000000100",
            SectionKind::Investigations => "887191000000108",
            SectionKind::Referrals => "792931000000107",
            SectionKind::DiaryEntries => "714311000000108",
        }
    }

    /// A snake_case name (`diary_entries`).
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Allergies => "allergies",
            SectionKind::EndedAllergies => "ended_allergies",
            SectionKind::Medications => "medications",
            SectionKind::Problems => "problems",
            SectionKind::Consultations => "consultations",
            SectionKind::Immunisations => "immunisations",
            SectionKind::Uncategorised => "uncategorised",
            SectionKind::Investigations => "investigations",
            SectionKind::Referrals => "referrals",
            SectionKind::DiaryEntries => "diary_entries",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        // 886721000000107 ("Referral details") is what the 1.6.2 referrals example uses.
        if code == "886721000000107" {
            return Some(SectionKind::Referrals);
        }
        SectionKind::ALL.into_iter().find(|k| k.snomed_code() == code)
    }

    /// Titles of older providers and of the spec's `_includes` examples.
    fn from_title(title: &str) -> Option<Self> {
        let t = title.trim().to_ascii_lowercase();
        Some(match t.as_str() {
            "active allergies"
            | "allergies and adverse reactions"
            | "allergies and adverse reaction"
            | "allergies list"
            | "allergies" => SectionKind::Allergies,
            "resolved allergies" | "ended allergies" => SectionKind::EndedAllergies,
            "medication list" | "medications and medical devices" | "medications" => SectionKind::Medications,
            "problems" | "problem list" => SectionKind::Problems,
            "list of consultations" | "consultation list" | "consultations" => SectionKind::Consultations,
            "immunisations" | "immunizations" | "immunisation list" | "immunization list" => SectionKind::Immunisations,
            "uncategorised data" | "uncategorised data list" | "miscellaneous record" => SectionKind::Uncategorised,
            "investigations and results" | "investigations" => SectionKind::Investigations,
            "outbound referral" | "referral details" | "referrals" => SectionKind::Referrals,
            "patient recall administration" | "diary" | "diary entries" => SectionKind::DiaryEntries,
            _ => return None,
        })
    }
}

/// A warning code on a List (`Extension-CareConnect-GPC-ListWarningCode-1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListWarning {
    /// `confidential-items`: items withheld for confidentiality or patient preference.
    ConfidentialItems,
    /// `data-in-transit`: record transfer from the previous practice not complete.
    DataInTransit,
    /// `data-awaiting-filing`: items in the practice workflow not yet filed.
    DataAwaitingFiling,
    /// A code this SDK does not know.
    Other(String),
}

impl ListWarning {
    fn from_code(code: &str) -> Self {
        match code {
            "confidential-items" => ListWarning::ConfidentialItems,
            "data-in-transit" => ListWarning::DataInTransit,
            "data-awaiting-filing" => ListWarning::DataAwaitingFiling,
            other => ListWarning::Other(other.to_owned()),
        }
    }

    /// The code as sent.
    pub fn as_str(&self) -> &str {
        match self {
            ListWarning::ConfidentialItems => "confidential-items",
            ListWarning::DataInTransit => "data-in-transit",
            ListWarning::DataAwaitingFiling => "data-awaiting-filing",
            ListWarning::Other(s) => s,
        }
    }
}

/// What a List said about itself: title, code, empty reason, warnings and notes.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ListInfo {
    /// `List.id`, when sent (primary lists have none).
    pub id: Option<String>,
    /// `List.title`.
    pub title: Option<String>,
    /// The first coding of `List.code`.
    pub code: Option<Coding>,
    /// `List.emptyReason` (e.g. `no-content-recorded`).
    pub empty_reason: Option<CodeableConcept>,
    /// Warning codes.
    pub warnings: Vec<ListWarning>,
    /// `List.note` texts (warning texts, "Information not available").
    pub notes: Vec<String>,
    /// `List.date`.
    pub date: Option<FhirDateTime>,
    /// The references in `List.entry` (for secondary lists).
    pub items: Vec<String>,
}

/// One clinical area: the List(s) that carried it and the items.
#[derive(Clone)]
pub struct Section<T> {
    /// The primary List(s) of this area (none when not requested or not returned).
    pub lists: Vec<ListInfo>,
    /// The items, references resolved.
    pub items: Vec<T>,
    /// List entries that could not become an item (also in
    /// [`StructuredRecord::view_problems`]).
    pub unresolved: usize,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Self { lists: Vec::new(), items: Vec::new(), unresolved: 0 }
    }
}

impl<T> fmt::Debug for Section<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Section")
            .field("lists", &self.lists.len())
            .field("items", &self.items.len())
            .field("unresolved", &self.unresolved)
            .finish()
    }
}

impl<T> Section<T> {
    /// Whether the provider returned a List for this area.
    pub fn is_present(&self) -> bool {
        !self.lists.is_empty()
    }

    /// Every warning code of the area's Lists.
    pub fn warnings(&self) -> impl Iterator<Item = &ListWarning> {
        self.lists.iter().flat_map(|l| l.warnings.iter())
    }

    /// Whether a List of this area carries `warning`.
    pub fn has_warning(&self, warning: &ListWarning) -> bool {
        self.warnings().any(|w| w == warning)
    }

    /// The list title (of the first List).
    pub fn title(&self) -> Option<&str> {
        self.lists.first().and_then(|l| l.title.as_deref())
    }

    /// The empty reason (of the first List).
    pub fn empty_reason(&self) -> Option<&CodeableConcept> {
        self.lists.first().and_then(|l| l.empty_reason.as_ref())
    }

    /// The items.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<'a, T> IntoIterator for &'a Section<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// A warning the provider put in the bundle's `OperationOutcome` (HTTP still 200).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordWarning {
    /// What it says.
    pub kind: RecordWarningKind,
    /// The parameter named (`diagnostics`, e.g. `includeProblems`).
    pub parameter: Option<String>,
    /// The Spine code (`NOT_IMPLEMENTED`).
    pub code: Option<String>,
    /// `details.text`.
    pub text: Option<String>,
}

/// The kind of a [`RecordWarning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordWarningKind {
    /// `<parameter> is an unrecognised parameter` (consumer newer than provider).
    UnrecognisedParameter,
    /// `<parameter> has been disabled` (clinical area switched off at the practice).
    ClinicalAreaDisabled,
    /// Any other warning issue.
    Other,
}

/// Any warning a record can carry, for [`StructuredRecord::has_warning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Warning {
    /// A List has `confidential-items`.
    ConfidentialItems,
    /// A List has `data-in-transit`.
    DataInTransit,
    /// A List has `data-awaiting-filing`.
    DataAwaitingFiling,
    /// The bundle says a parameter was not recognised.
    UnrecognisedParameter,
    /// The bundle says a clinical area is disabled.
    ClinicalAreaDisabled,
}

/// Something in the bundle the view could not use; the rest of the record is still read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ViewProblem {
    /// The area it affects, when known.
    pub section: Option<SectionKind>,
    /// `true` when a List entry could not become an item (so the section has one item
    /// fewer than its List has entries).
    pub lost_entry: bool,
    /// What went wrong.
    pub kind: ViewProblemKind,
}

/// What a [`ViewProblem`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViewProblemKind {
    /// A reference that matches no resource in the bundle.
    DanglingReference {
        /// The referring resource (`Type/id`, or `List`).
        from: String,
        /// The reference as written.
        reference: String,
    },
    /// A resource that is not valid for its type (position of the JSON error only: the
    /// message could quote patient data).
    UnparseableEntry {
        /// `resourceType`.
        resource_type: String,
        /// `id`.
        id: Option<String>,
        /// Line of the error within the resource.
        line: usize,
        /// Column of the error within the resource.
        column: usize,
    },
    /// A List whose code and title match no known area.
    UnknownList {
        /// `List.title`.
        title: Option<String>,
        /// `List.code` first code.
        code: Option<String>,
    },
    /// A List entry of a type the area does not hold (e.g. a Condition in Medications).
    UnexpectedResource {
        /// The reference.
        reference: String,
        /// The resource type found.
        resource_type: String,
    },
    /// A List entry without an item reference.
    EntryWithoutItem,
}

/// A practitioner, organisation or service, resolved from a reference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Author {
    /// The reference as written.
    pub reference: Option<String>,
    /// The person's name (or the organisation / service name).
    pub name: Option<String>,
    /// The role (`PractitionerRole.code`).
    pub role: Option<String>,
    /// The organisation (`PractitionerRole.organization`, or the Organization itself).
    pub organisation: Option<String>,
    /// Whether the reference resolved in the bundle.
    pub resolved: bool,
}

/// A reference to another clinical item (consultation contents, problem links), with a
/// display name when the target is in the bundle.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkedItem {
    /// The reference as written.
    pub reference: String,
    /// The target's resource type (when resolved).
    pub resource_type: Option<String>,
    /// The target's code display, text or title.
    pub name: Option<String>,
    /// Whether the reference resolved in the bundle.
    pub resolved: bool,
}

/// One allergy or adverse reaction (active or ended).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Allergy {
    /// `AllergyIntolerance.id`.
    pub id: Option<String>,
    /// Substance / reaction name.
    pub name: Option<String>,
    /// SNOMED (or first) coding.
    pub code: Option<Coding>,
    /// `active | inactive | resolved`.
    pub clinical_status: Option<String>,
    /// `unconfirmed | confirmed | ...`.
    pub verification_status: Option<String>,
    /// `allergy | intolerance`.
    pub allergy_type: Option<String>,
    /// `medication | food | ...`.
    pub category: Vec<String>,
    /// `low | high | unable-to-assess`.
    pub criticality: Option<String>,
    /// Onset.
    pub onset: Option<FhirDateTime>,
    /// Date recorded.
    pub asserted_date: Option<FhirDateTime>,
    /// Who recorded it.
    pub recorder: Option<Author>,
    /// Reactions.
    pub reactions: Vec<Reaction>,
    /// Notes.
    pub notes: Vec<String>,
    /// When it ended (`Extension-CareConnect-AllergyIntoleranceEnd-1`).
    pub end_date: Option<FhirDateTime>,
    /// Why it ended.
    pub end_reason: Option<String>,
    /// Whether it came from the ended-allergies List.
    pub ended: bool,
}

/// One reaction to an allergen.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reaction {
    /// Manifestations.
    pub manifestations: Vec<String>,
    /// `mild | moderate | severe`.
    pub severity: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// The prescription type (`Extension-CareConnect-GPC-PrescriptionType-1`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrescriptionType {
    /// `acute`.
    Acute,
    /// `repeat`.
    Repeat,
    /// `repeat-dispensing`.
    RepeatDispensing,
    /// `delayed-prescribing`.
    DelayedPrescribing,
    /// Another code.
    Other(String),
}

/// One medication authorisation (one `MedicationStatement`, with its plan and issues).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct MedicationItem {
    /// `MedicationStatement.id`.
    pub id: Option<String>,
    /// Medication name (`Medication.code`, or the inline CodeableConcept).
    pub name: Option<String>,
    /// SNOMED (dm+d) coding.
    pub code: Option<Coding>,
    /// Dosage text.
    pub dosage: Option<String>,
    /// Patient instruction.
    pub patient_instruction: Option<String>,
    /// Quantity (value and unit, or the quantity text).
    pub quantity: Option<String>,
    /// Expected supply duration (e.g. `28 day`).
    pub supply_duration: Option<String>,
    /// Statement status (`active | completed | stopped`).
    pub status: Option<String>,
    /// Start.
    pub start: Option<FhirDateTime>,
    /// End.
    pub end: Option<FhirDateTime>,
    /// When recorded.
    pub date_asserted: Option<FhirDateTime>,
    /// Acute / repeat / ....
    pub prescription_type: Option<PrescriptionType>,
    /// Prescribing agency (e.g. `prescribed-at-gp-practice`).
    pub prescribing_agency: Option<String>,
    /// Last issue date (`MedicationStatementLastIssueDate-1`).
    pub last_issue_date: Option<FhirDateTime>,
    /// Repeats allowed.
    pub repeats_allowed: Option<u64>,
    /// Repeats issued.
    pub repeats_issued: Option<u64>,
    /// Who authorised it.
    pub prescriber: Option<Author>,
    /// The issues (`MedicationRequest` intent `order` based on the plan), oldest first.
    pub issues: Vec<MedicationIssue>,
    /// Notes.
    pub notes: Vec<String>,
    /// The plan `MedicationRequest` id.
    pub plan_id: Option<String>,
}

impl MedicationItem {
    /// The most recent issue.
    pub fn last_issue(&self) -> Option<&MedicationIssue> {
        self.issues.last()
    }
}

/// One issue of a medication.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct MedicationIssue {
    /// `MedicationRequest.id`.
    pub id: Option<String>,
    /// Issue date.
    pub date: Option<FhirDateTime>,
    /// Status.
    pub status: Option<String>,
    /// Quantity.
    pub quantity: Option<String>,
    /// Who issued it.
    pub prescriber: Option<Author>,
}

/// One problem (`Condition`), with its links.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Problem {
    /// `Condition.id`.
    pub id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Coding.
    pub code: Option<Coding>,
    /// `active | inactive`.
    pub status: Option<String>,
    /// `major | minor`.
    pub significance: Option<String>,
    /// Onset.
    pub onset: Option<FhirDateTime>,
    /// End.
    pub end: Option<FhirDateTime>,
    /// Date recorded.
    pub asserted_date: Option<FhirDateTime>,
    /// Who recorded it.
    pub asserter: Option<Author>,
    /// The clinical item that was made a problem (`ActualProblem`).
    pub actual_problem: Option<LinkedItem>,
    /// Parent / child / sibling problems.
    pub related_problems: Vec<(String, LinkedItem)>,
    /// Items linked to the problem (`RelatedClinicalContent`).
    pub linked_items: Vec<LinkedItem>,
    /// Notes.
    pub notes: Vec<String>,
}

/// One consultation (`Encounter` plus its topic / heading Lists).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Consultation {
    /// `Encounter.id`.
    pub id: Option<String>,
    /// Consultation type.
    pub kind: Option<String>,
    /// Title of the consultation List.
    pub title: Option<String>,
    /// `finished | ...`.
    pub status: Option<String>,
    /// Start.
    pub start: Option<FhirDateTime>,
    /// End.
    pub end: Option<FhirDateTime>,
    /// The clinician (primary performer, else the first participant).
    pub clinician: Option<Author>,
    /// Where.
    pub location: Option<String>,
    /// Topics.
    pub topics: Vec<ConsultationTopic>,
}

/// A consultation topic.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ConsultationTopic {
    /// Title.
    pub title: Option<String>,
    /// The problem the topic is about.
    pub problem: Option<LinkedItem>,
    /// Headings (History, Examination, Plan...).
    pub headings: Vec<ConsultationHeading>,
    /// Items directly under the topic.
    pub items: Vec<LinkedItem>,
}

/// A consultation heading (category) and its items.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ConsultationHeading {
    /// Title.
    pub title: Option<String>,
    /// Items.
    pub items: Vec<LinkedItem>,
}

/// Whether an immunisation entry is a vaccination or a consent/dissent status record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ImmunisationKind {
    /// An `Immunization`.
    #[default]
    Vaccination,
    /// A status `Observation` (`includeStatus`).
    Status,
}

/// One immunisation.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Immunisation {
    /// Resource id.
    pub id: Option<String>,
    /// Vaccination or status record.
    pub kind: ImmunisationKind,
    /// Vaccine (or status) name.
    pub name: Option<String>,
    /// Coding.
    pub code: Option<Coding>,
    /// Vaccination procedure (`Extension-CareConnect-VaccinationProcedure-1`).
    pub procedure: Option<String>,
    /// Date.
    pub date: Option<FhirDateTime>,
    /// Status.
    pub status: Option<String>,
    /// Not given.
    pub not_given: Option<bool>,
    /// Dose number.
    pub dose_sequence: Option<u32>,
    /// Batch.
    pub lot_number: Option<String>,
    /// Site.
    pub site: Option<String>,
    /// Route.
    pub route: Option<String>,
    /// Dose.
    pub dose: Option<String>,
    /// Who gave it.
    pub practitioner: Option<Author>,
    /// Manufacturer.
    pub manufacturer: Option<Author>,
    /// Where.
    pub location: Option<String>,
    /// Reasons not given.
    pub reason_not_given: Vec<String>,
    /// Notes.
    pub notes: Vec<String>,
}

/// One investigation report with its results.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Investigation {
    /// `DiagnosticReport.id`.
    pub id: Option<String>,
    /// Report name.
    pub name: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Issued.
    pub issued: Option<FhirDateTime>,
    /// Clinically relevant time.
    pub effective: Option<FhirDateTime>,
    /// Lab / performer.
    pub performer: Option<Author>,
    /// Test requested (`ProcedureRequest`).
    pub request: Option<String>,
    /// Who requested it.
    pub requester: Option<Author>,
    /// Specimens.
    pub specimens: Vec<SpecimenSummary>,
    /// Results: test groups (with members) and single results, filing comments.
    pub results: Vec<TestResult>,
    /// Conclusion.
    pub conclusion: Option<String>,
}

/// A specimen of an investigation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpecimenSummary {
    /// Id.
    pub id: Option<String>,
    /// Specimen type.
    pub kind: Option<String>,
    /// Collected.
    pub collected: Option<FhirDateTime>,
    /// Received by the lab.
    pub received: Option<FhirDateTime>,
}

/// A test result or test group (`Observation`).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct TestResult {
    /// Id.
    pub id: Option<String>,
    /// Test name.
    pub name: Option<String>,
    /// Coding.
    pub code: Option<Coding>,
    /// Value as displayed (`4.5 10*9/L`).
    pub value: Option<String>,
    /// The quantity, numbers as written.
    pub quantity: Option<Quantity>,
    /// Flag (`H`, `L`...).
    pub interpretation: Option<String>,
    /// Reference range text.
    pub reference_range: Option<String>,
    /// Comment.
    pub comment: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// When.
    pub effective: Option<FhirDateTime>,
    /// Members of a test group.
    pub members: Vec<TestResult>,
}

/// One outbound referral.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Referral {
    /// `ReferralRequest.id`.
    pub id: Option<String>,
    /// Reason / service requested.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Priority.
    pub priority: Option<String>,
    /// When written.
    pub authored_on: Option<FhirDateTime>,
    /// Who referred.
    pub requester: Option<Author>,
    /// Referred to.
    pub recipients: Vec<Author>,
    /// Specialty.
    pub specialty: Option<String>,
    /// e-RS UBRN.
    pub ubrn: Option<String>,
    /// Notes.
    pub notes: Vec<String>,
}

/// One diary entry (recall, `ProcedureRequest`).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct DiaryEntry {
    /// `ProcedureRequest.id`.
    pub id: Option<String>,
    /// What.
    pub name: Option<String>,
    /// Coding.
    pub code: Option<Coding>,
    /// Status.
    pub status: Option<String>,
    /// Due date.
    pub date: Option<FhirDateTime>,
    /// When recorded.
    pub authored_on: Option<FhirDateTime>,
    /// Who recorded it.
    pub requester: Option<Author>,
    /// Reasons.
    pub reasons: Vec<String>,
    /// Notes.
    pub notes: Vec<String>,
}

/// One uncategorised observation (including blood pressure).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Uncategorised {
    /// `Observation.id`.
    pub id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Coding.
    pub code: Option<Coding>,
    /// When.
    pub date: Option<FhirDateTime>,
    /// Status.
    pub status: Option<String>,
    /// Value as displayed.
    pub value: Option<String>,
    /// Components (e.g. systolic, diastolic) as (name, value).
    pub components: Vec<(String, String)>,
    /// Who recorded it.
    pub performer: Option<Author>,
    /// Comment.
    pub comment: Option<String>,
}

redacted_debug!(
    Allergy,
    MedicationItem,
    MedicationIssue,
    Problem,
    Consultation,
    Immunisation,
    Investigation,
    TestResult,
    Referral,
    DiaryEntry,
    Uncategorised
);

/// A patient's structured record: the typed view of the `$gpc.getstructuredrecord` Bundle.
///
/// Its `Debug` shows counts only.
#[derive(Clone, Default)]
pub struct StructuredRecord {
    raw: Bytes,
    bundle: Bundle,
    trace_id: Option<Uuid>,
    patient: Option<Patient>,
    registered_practice: Option<Organization>,
    allergies: Section<Allergy>,
    ended_allergies: Section<Allergy>,
    medications: Section<MedicationItem>,
    problems: Section<Problem>,
    consultations: Section<Consultation>,
    immunisations: Section<Immunisation>,
    investigations: Section<Investigation>,
    referrals: Section<Referral>,
    diary_entries: Section<DiaryEntry>,
    uncategorised: Section<Uncategorised>,
    secondary_lists: Vec<ListInfo>,
    warnings: Vec<RecordWarning>,
    view_problems: Vec<ViewProblem>,
}

impl fmt::Debug for StructuredRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StructuredRecord")
            .field("trace_id", &self.trace_id)
            .field("bytes", &self.raw.len())
            .field("allergies", &self.allergies)
            .field("ended_allergies", &self.ended_allergies)
            .field("medications", &self.medications)
            .field("problems", &self.problems)
            .field("consultations", &self.consultations)
            .field("immunisations", &self.immunisations)
            .field("investigations", &self.investigations)
            .field("referrals", &self.referrals)
            .field("diary_entries", &self.diary_entries)
            .field("uncategorised", &self.uncategorised)
            .field("warnings", &self.warnings)
            .field("view_problems", &self.view_problems.len())
            .finish_non_exhaustive()
    }
}

impl StructuredRecord {
    /// Reads a saved `$gpc.getstructuredrecord` response Bundle. Fails only when the bytes
    /// are not a JSON object; every resource problem is reported in
    /// [`view_problems`](Self::view_problems) instead.
    pub fn from_slice(json: &[u8]) -> Result<Self, serde_json::Error> {
        let bundle = Bundle::from_slice(json)?;
        Ok(Self::from_bundle(bundle, Bytes::copy_from_slice(json)))
    }

    /// Builds the view from a parsed Bundle and its raw bytes.
    pub fn from_bundle(bundle: Bundle, raw: Bytes) -> Self {
        let mut record = build(&bundle);
        record.bundle = bundle;
        record.raw = raw;
        record
    }

    /// Sets the id of the request that fetched the record (`Ssp-TraceID`, or the
    /// `X-Request-ID` of the patient-facing API), for views built with
    /// [`from_bundle`](Self::from_bundle).
    pub fn with_trace_id(mut self, trace_id: Uuid) -> Self {
        self.trace_id = Some(trace_id);
        self
    }

    /// The `Ssp-TraceID` of the request (the Bundle's id should equal it).
    pub fn trace_id(&self) -> Option<Uuid> {
        self.trace_id
    }

    /// The raw response bytes. Patient data: keep out of logs.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The Bundle, entries raw (for anything the view does not surface).
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The patient (`CareConnect-GPC-Patient-1`).
    pub fn patient(&self) -> Option<&Patient> {
        self.patient.as_ref()
    }

    /// The registered practice (`Patient.generalPractitioner`, else
    /// `managingOrganization`).
    pub fn registered_practice(&self) -> Option<&Organization> {
        self.registered_practice.as_ref()
    }

    /// Active allergies.
    pub fn allergies(&self) -> &Section<Allergy> {
        &self.allergies
    }

    /// Ended allergies (only with `Resolved::Include`).
    pub fn ended_allergies(&self) -> &Section<Allergy> {
        &self.ended_allergies
    }

    /// Medications, one per `MedicationStatement`.
    pub fn medications(&self) -> &Section<MedicationItem> {
        &self.medications
    }

    /// Problems.
    pub fn problems(&self) -> &Section<Problem> {
        &self.problems
    }

    /// Consultations.
    pub fn consultations(&self) -> &Section<Consultation> {
        &self.consultations
    }

    /// Immunisations.
    pub fn immunisations(&self) -> &Section<Immunisation> {
        &self.immunisations
    }

    /// Investigations.
    pub fn investigations(&self) -> &Section<Investigation> {
        &self.investigations
    }

    /// Referrals.
    pub fn referrals(&self) -> &Section<Referral> {
        &self.referrals
    }

    /// Diary entries.
    pub fn diary_entries(&self) -> &Section<DiaryEntry> {
        &self.diary_entries
    }

    /// Uncategorised data.
    pub fn uncategorised(&self) -> &Section<Uncategorised> {
        &self.uncategorised
    }

    /// The Lists of a section, its item count and unresolved entry count.
    pub fn section_summary(&self, kind: SectionKind) -> (&[ListInfo], usize, usize) {
        macro_rules! s {
            ($s:expr) => {
                (&$s.lists[..], $s.items.len(), $s.unresolved)
            };
        }
        match kind {
            SectionKind::Allergies => s!(self.allergies),
            SectionKind::EndedAllergies => s!(self.ended_allergies),
            SectionKind::Medications => s!(self.medications),
            SectionKind::Problems => s!(self.problems),
            SectionKind::Consultations => s!(self.consultations),
            SectionKind::Immunisations => s!(self.immunisations),
            SectionKind::Uncategorised => s!(self.uncategorised),
            SectionKind::Investigations => s!(self.investigations),
            SectionKind::Referrals => s!(self.referrals),
            SectionKind::DiaryEntries => s!(self.diary_entries),
        }
    }

    /// Secondary lists (`GPConnect-SecondaryListValues-1`: items contained in
    /// consultations or related to problems), kept as references.
    pub fn secondary_lists(&self) -> &[ListInfo] {
        &self.secondary_lists
    }

    /// The bundle's in-band warnings (unrecognised parameter, clinical area disabled).
    /// The spec says consumers must show these to users.
    pub fn warnings(&self) -> &[RecordWarning] {
        &self.warnings
    }

    /// Whether the record carries `warning`, on any List or in the bundle.
    pub fn has_warning(&self, warning: Warning) -> bool {
        let list = |w: ListWarning| {
            SectionKind::ALL.iter().any(|k| self.section_summary(*k).0.iter().any(|l| l.warnings.contains(&w)))
                || self.secondary_lists.iter().any(|l| l.warnings.contains(&w))
        };
        let outcome = |k: RecordWarningKind| self.warnings.iter().any(|w| w.kind == k);
        match warning {
            Warning::ConfidentialItems => list(ListWarning::ConfidentialItems),
            Warning::DataInTransit => list(ListWarning::DataInTransit),
            Warning::DataAwaitingFiling => list(ListWarning::DataAwaitingFiling),
            Warning::UnrecognisedParameter => outcome(RecordWarningKind::UnrecognisedParameter),
            Warning::ClinicalAreaDisabled => outcome(RecordWarningKind::ClinicalAreaDisabled),
        }
    }

    /// The resources labelled `NOPAT` (`meta.security` code `NOPAT`, system
    /// `http://hl7.org/fhir/v3/ActCode`): not to be shown to the patient, which migrate
    /// responses must honour. Given as `Type/id` references, in bundle order; the resources
    /// stay in the view and the bundle.
    pub fn not_for_patient(&self) -> Vec<String> {
        #[derive(serde::Deserialize)]
        struct Labelled {
            meta: Option<gpconnect_core::fhir::Meta>,
        }
        self.bundle
            .resources()
            .filter(|r| {
                r.parse::<Labelled>().ok().and_then(|l| l.meta).is_some_and(|m| {
                    m.security.iter().any(|c| {
                        c.code.as_deref() == Some(NOPAT)
                            && c.system.as_deref().is_none_or(|s| ACT_CODE_SYSTEMS.contains(&s.trim_end_matches('/')))
                    })
                })
            })
            .map(|r| format!("{}/{}", r.resource_type(), r.id().unwrap_or_default()))
            .collect()
    }

    /// What the view could not use: dangling references, unparseable resources, unknown
    /// Lists, unexpected entries. Never silently dropped.
    pub fn view_problems(&self) -> &[ViewProblem] {
        &self.view_problems
    }
}

// Names, descriptions and titles of clinical items can hold personal details: `Debug`
// shows only the structure.
impl fmt::Debug for LinkedItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkedItem")
            .field("reference", &self.reference)
            .field("resource_type", &self.resource_type)
            .field("resolved", &self.resolved)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Reaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reaction").field("severity", &self.severity).finish_non_exhaustive()
    }
}

impl fmt::Debug for ConsultationTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsultationTopic")
            .field("problem", &self.problem)
            .field("headings", &self.headings)
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ConsultationHeading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsultationHeading").field("items", &self.items).finish_non_exhaustive()
    }
}
