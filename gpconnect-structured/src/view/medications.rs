//! Medications: one item per `MedicationStatement`, with its plan, medication and issues.

use std::collections::HashMap;

use gpconnect_core::fhir::{CodeableConcept, Coding, Extension, FhirDateTime, FhirResource, Reference};

use super::build::{code_of, ext, ext_code, name_of, notes, quantity_of, Builder, Found, Scope};
use super::{empty_section, Author, SectionItem, SectionKind, SectionSpec};
use crate::resources::{Medication, MedicationRequest, MedicationStatement};

pub(super) const SPEC: SectionSpec = SectionSpec {
    kind: SectionKind::Medications,
    codes: &["933361000000108"],
    name: "medications",
    titles: &["medication list", "medications and medical devices", "medications"],
    empty: empty_section::<MedicationItem>,
};

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

gpconnect_core::redacted_debug!(MedicationItem, id; MedicationIssue, id);

/// Every `MedicationRequest` parsed once per record, each kept as what an item reads of
/// it ([`Request`]): plans by id, issues by plan id (indices, so an issue based on several
/// plans is not copied).
#[derive(Default)]
struct MedIndex {
    built: bool,
    requests: Vec<Request>,
    plans: HashMap<String, usize>,
    orders: HashMap<String, Vec<usize>>,
}

impl MedIndex {
    fn build(b: &mut Builder<'_>) -> Self {
        let bundle = b.bundle();
        let mut index = MedIndex {
            built: true,
            requests: Vec::with_capacity(bundle.resources_of(MedicationRequest::TYPE).count()),
            ..MedIndex::default()
        };
        for raw in bundle.resources_of(MedicationRequest::TYPE) {
            let Some(req) = b.parse::<MedicationRequest>(raw, false) else { continue };
            let i = index.requests.len();
            if req.intent.as_deref() == Some("order") {
                for id in req.based_on.iter().filter_map(Reference::id) {
                    index.orders.entry(id.to_owned()).or_default().push(i);
                }
            } else if let Some(id) = req.id.clone() {
                index.plans.entry(id).or_insert(i);
            }
            index.requests.push(Request::new(req, raw.raw().len()));
        }
        index
    }
}

/// What an item reads of a `MedicationRequest`, a plan or an issue (the rest of it is
/// dropped once it is parsed).
struct Request {
    id: Option<String>,
    /// Its size in the body, charged whenever an item uses it.
    weight: usize,
    status: Option<String>,
    authored_on: Option<FhirDateTime>,
    medication_reference: Option<Reference>,
    medication_codeable_concept: Option<CodeableConcept>,
    /// The first dosage instruction's text and patient instruction, if there is one.
    dosage: Option<(Option<String>, Option<String>)>,
    quantity: Option<String>,
    supply_duration: Option<String>,
    prescription_type: Option<PrescriptionType>,
    repeats_allowed: Option<u64>,
    repeats_issued: Option<u64>,
    /// `requester.agent`, else `recorder`.
    prescriber: Option<Reference>,
}

impl Request {
    fn new(p: MedicationRequest, weight: usize) -> Self {
        let dispense = p.dispense_request.as_ref();
        let supply_duration = dispense.and_then(|d| d.expected_supply_duration.as_ref()).and_then(|q| {
            let v = q.value.as_ref()?.as_str();
            Some(match q.unit.as_deref().or(q.code.as_deref()) {
                Some(u) => format!("{v} {u}"),
                None => v.to_owned(),
            })
        });
        let prescription_type = ext(&p.extension, "Extension-CareConnect-GPC-PrescriptionType-1")
            .and_then(ext_code)
            .map(|c| match c.as_str() {
                "acute" => PrescriptionType::Acute,
                "repeat" => PrescriptionType::Repeat,
                "repeat-dispensing" => PrescriptionType::RepeatDispensing,
                "delayed-prescribing" => PrescriptionType::DelayedPrescribing,
                _ => PrescriptionType::Other(c),
            });
        let (mut repeats_allowed, mut repeats_issued) = (None, None);
        if let Some(r) = ext(&p.extension, "Extension-CareConnect-GPC-MedicationRepeatInformation-1") {
            // A count sent as a signed integer is read as one: a negative count is no count.
            let num = |e: &Extension| {
                e.value_unsigned_int.or(e.value_positive_int).or(e.value_integer.and_then(|i| u64::try_from(i).ok()))
            };
            repeats_allowed = r.sub("numberOfRepeatPrescriptionsAllowed").and_then(num);
            repeats_issued = r.sub("numberOfRepeatPrescriptionsIssued").and_then(num);
        }
        if repeats_allowed.is_none() {
            repeats_allowed = dispense.and_then(|d| d.number_of_repeats_allowed).map(u64::from);
        }
        let quantity = dispense.and_then(|d| d.quantity.as_ref()).and_then(quantity_of);
        let dosage = p.dosage_instruction.into_iter().next().map(|d| (d.text, d.patient_instruction));
        Request {
            id: p.id,
            weight,
            status: p.status,
            authored_on: p.authored_on,
            medication_reference: p.medication_reference,
            medication_codeable_concept: p.medication_codeable_concept,
            dosage,
            quantity,
            supply_duration,
            prescription_type,
            repeats_allowed,
            repeats_issued,
            prescriber: p.requester.and_then(|r| r.agent).or(p.recorder),
        }
    }
}

impl SectionItem for MedicationItem {
    fn build(b: &mut Builder<'_>, found: Found<'_>, _: SectionKind) -> Option<Self> {
        let meds: MedIndex = b.take_state();
        let meds = if meds.built { meds } else { MedIndex::build(b) };
        let item = Self::build_with(b, found, &meds);
        b.put_state(meds);
        item
    }
}

impl MedicationItem {
    fn build_with(b: &mut Builder<'_>, found: Found<'_>, meds: &MedIndex) -> Option<Self> {
        let s: MedicationStatement = b.entry(found)?;
        let scope = found.scope(&s.contained);
        let from = format!("MedicationStatement/{}", s.id.as_deref().unwrap_or(""));
        let plan_ref = s.based_on.first();
        let plan = plan_ref
            .and_then(|r| meds.plans.get(r.id().or(r.reference.as_deref())?))
            .map(|&i| &meds.requests[i])
            .filter(|p| b.charge(p.weight));
        if let (None, Some(r)) = (plan, plan_ref) {
            b.find(scope, &from, r, false); // reported when it points at nothing
        }
        let (name, code) = match (&s.medication_reference, &s.medication_codeable_concept, plan) {
            (None, None, Some(p)) => medication_name(
                b,
                Scope::BUNDLE,
                &from,
                p.medication_reference.as_ref(),
                p.medication_codeable_concept.as_ref(),
            ),
            _ => medication_name(
                b,
                scope,
                &from,
                s.medication_reference.as_ref(),
                s.medication_codeable_concept.as_ref(),
            ),
        };
        let (dosage, patient_instruction) = match s.dosage.first() {
            Some(d) => (d.text.clone(), d.patient_instruction.clone()),
            None => plan.and_then(|p| p.dosage.clone()).unwrap_or_default(),
        };
        let mut item = MedicationItem {
            name,
            code,
            dosage,
            patient_instruction,
            status: s.status.clone(),
            start: s.effective_period.as_ref().and_then(|p| p.start.clone()).or(s.effective_date_time.clone()),
            end: s.effective_period.as_ref().and_then(|p| p.end.clone()),
            date_asserted: s.date_asserted.clone(),
            prescribing_agency: ext(&s.extension, "Extension-CareConnect-GPC-PrescribingAgency-1").and_then(ext_code),
            last_issue_date: ext(&s.extension, "Extension-CareConnect-GPC-MedicationStatementLastIssueDate-1")
                .and_then(|e| e.value_any_date().cloned()),
            notes: notes(&s.note),
            ..MedicationItem::default()
        };
        if let Some(p) = plan {
            let pfrom = format!("MedicationRequest/{}", p.id.as_deref().unwrap_or(""));
            item.plan_id = p.id.clone();
            item.quantity = p.quantity.clone();
            item.supply_duration = p.supply_duration.clone();
            item.prescription_type = p.prescription_type.clone();
            item.repeats_allowed = p.repeats_allowed;
            item.repeats_issued = p.repeats_issued;
            item.prescriber = b.author(Scope::BUNDLE, &pfrom, p.prescriber.as_ref());
            let mut issues: Vec<&Request> =
                p.id.as_deref()
                    .and_then(|id| meds.orders.get(id))
                    .into_iter()
                    .flatten()
                    .map(|&i| &meds.requests[i])
                    .collect();
            issues.sort_by(|a, b| {
                a.authored_on.as_ref().map(|d| d.as_str()).cmp(&b.authored_on.as_ref().map(|d| d.as_str()))
            });
            for o in issues {
                if !b.charge(o.weight) {
                    break;
                }
                let ofrom = format!("MedicationRequest/{}", o.id.as_deref().unwrap_or(""));
                item.issues.push(MedicationIssue {
                    id: o.id.clone(),
                    date: o.authored_on.clone(),
                    status: o.status.clone(),
                    quantity: o.quantity.clone(),
                    prescriber: b.author(Scope::BUNDLE, &ofrom, o.prescriber.as_ref()),
                });
            }
        }
        item.id = s.id;
        Some(item)
    }
}

/// The medication's name and coding: the referenced `Medication`, else the inline concept.
fn medication_name(
    b: &mut Builder<'_>,
    scope: Scope<'_>,
    from: &str,
    r: Option<&Reference>,
    cc: Option<&CodeableConcept>,
) -> (Option<String>, Option<Coding>) {
    if let Some(m) = r.and_then(|r| b.resolve_as::<Medication>(scope, from, r)) {
        return (name_of(m.code.as_ref()), code_of(m.code.as_ref()));
    }
    (name_of(cc).or_else(|| r.and_then(|r| r.display.clone())), code_of(cc))
}
