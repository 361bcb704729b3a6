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

/// Every `MedicationRequest` parsed once per record: plans by id, issues by plan id
/// (indices, so an issue based on several plans is not copied).
#[derive(Default)]
struct MedIndex {
    built: bool,
    /// Each request with its size (charged whenever it is used by an item).
    requests: Vec<(MedicationRequest, usize)>,
    plans: HashMap<String, usize>,
    orders: HashMap<String, Vec<usize>>,
}

impl MedIndex {
    fn build(b: &mut Builder<'_>) -> Self {
        let mut index = MedIndex { built: true, ..MedIndex::default() };
        for raw in b.bundle().resources_of(MedicationRequest::TYPE) {
            let Some(req) = b.parse::<MedicationRequest>(raw, false) else { continue };
            let i = index.requests.len();
            if req.intent.as_deref() == Some("order") {
                for id in req.based_on.iter().filter_map(Reference::id) {
                    index.orders.entry(id.to_owned()).or_default().push(i);
                }
            } else if let Some(id) = req.id.clone() {
                index.plans.entry(id).or_insert(i);
            }
            index.requests.push((req, raw.raw().len()));
        }
        index
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
            .filter(|(_, weight)| b.charge(*weight))
            .map(|(p, _)| p);
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
        let dosage = s.dosage.first().or_else(|| plan.and_then(|p| p.dosage_instruction.first()));
        let mut item = MedicationItem {
            name,
            code,
            dosage: dosage.and_then(|d| d.text.clone()),
            patient_instruction: dosage.and_then(|d| d.patient_instruction.clone()),
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
            item.quantity = p.dispense_request.as_ref().and_then(|d| d.quantity.as_ref()).and_then(quantity_of);
            item.supply_duration =
                p.dispense_request.as_ref().and_then(|d| d.expected_supply_duration.as_ref()).and_then(|q| {
                    let v = q.value.as_ref()?.as_str();
                    Some(match q.unit.as_deref().or(q.code.as_deref()) {
                        Some(u) => format!("{v} {u}"),
                        None => v.to_owned(),
                    })
                });
            item.prescription_type = ext(&p.extension, "Extension-CareConnect-GPC-PrescriptionType-1")
                .and_then(ext_code)
                .map(|c| match c.as_str() {
                    "acute" => PrescriptionType::Acute,
                    "repeat" => PrescriptionType::Repeat,
                    "repeat-dispensing" => PrescriptionType::RepeatDispensing,
                    "delayed-prescribing" => PrescriptionType::DelayedPrescribing,
                    _ => PrescriptionType::Other(c),
                });
            if let Some(r) = ext(&p.extension, "Extension-CareConnect-GPC-MedicationRepeatInformation-1") {
                // A count sent as a signed integer is read as one: a negative count is no count.
                let num = |e: &Extension| {
                    e.value_unsigned_int
                        .or(e.value_positive_int)
                        .or(e.value_integer.and_then(|i| u64::try_from(i).ok()))
                };
                item.repeats_allowed = r.sub("numberOfRepeatPrescriptionsAllowed").and_then(num);
                item.repeats_issued = r.sub("numberOfRepeatPrescriptionsIssued").and_then(num);
            }
            if item.repeats_allowed.is_none() {
                item.repeats_allowed =
                    p.dispense_request.as_ref().and_then(|d| d.number_of_repeats_allowed).map(u64::from);
            }
            let who = p.requester.as_ref().and_then(|r| r.agent.as_ref()).or(p.recorder.as_ref());
            item.prescriber = b.author(Scope::BUNDLE, &pfrom, who);
            let mut issues: Vec<&(MedicationRequest, usize)> =
                p.id.as_deref()
                    .and_then(|id| meds.orders.get(id))
                    .into_iter()
                    .flatten()
                    .map(|&i| &meds.requests[i])
                    .collect();
            issues.sort_by(|(a, _), (b, _)| {
                a.authored_on.as_ref().map(|d| d.as_str()).cmp(&b.authored_on.as_ref().map(|d| d.as_str()))
            });
            for (o, weight) in issues {
                if !b.charge(*weight) {
                    break;
                }
                let ofrom = format!("MedicationRequest/{}", o.id.as_deref().unwrap_or(""));
                let who = o.requester.as_ref().and_then(|r| r.agent.as_ref()).or(o.recorder.as_ref());
                item.issues.push(MedicationIssue {
                    id: o.id.clone(),
                    date: o.authored_on.clone(),
                    status: o.status.clone(),
                    quantity: o.dispense_request.as_ref().and_then(|d| d.quantity.as_ref()).and_then(quantity_of),
                    prescriber: b.author(Scope::BUNDLE, &ofrom, who),
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
