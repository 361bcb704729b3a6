//! Investigations and results (`DiagnosticReport` with its test groups, results,
//! specimens and request).

use gpconnect_core::fhir::{Coding, FhirDateTime, FhirResource, Quantity, Reference};

use super::build::{code_of, name_of, notes, observation_value, range_text, Builder, Found, Scope};
use super::{empty_section, Author, SectionItem, SectionKind, SectionSpec, ViewProblemKind};
use crate::resources::{DiagnosticReport, Observation, ProcedureRequest, Specimen};

pub(super) const SPEC: SectionSpec = SectionSpec {
    kind: SectionKind::Investigations,
    codes: &["887191000000108"],
    name: "investigations",
    titles: &["investigations and results", "investigations"],
    empty: empty_section::<Investigation>,
};

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
#[derive(Clone, Default, PartialEq, Eq)]
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

gpconnect_core::redacted_debug!(Investigation, id; TestResult, id; SpecimenSummary, id);

/// Nesting of test groups (`has-member`) followed.
const MAX_MEMBER_DEPTH: u8 = 8;

/// A test result or group and its members, with the bytes copied (each target built once;
/// a member that leads back to a group being built is a cycle, reported and not followed).
fn test_result(
    b: &mut Builder<'_>,
    scope: Scope<'_>,
    from: &str,
    r: &Reference,
    depth: u8,
) -> Option<(TestResult, usize)> {
    b.memoised::<Observation, TestResult>(scope, from, r, |b, found| build_result(b, found, depth))
}

fn build_result(b: &mut Builder<'_>, found: Found<'_>, depth: u8) -> Option<(TestResult, usize)> {
    let o: Observation = b.parse(found.raw, false)?;
    let scope = found.scope(&o.contained);
    let from = format!("Observation/{}", o.id.as_deref().unwrap_or(""));
    let mut t = test_result_of(&o);
    let mut weight = found.raw.raw().len();
    for target in
        o.related.iter().filter(|x| x.type_.as_deref() == Some("has-member")).filter_map(|x| x.target.as_ref())
    {
        if depth >= MAX_MEMBER_DEPTH {
            b.problem(
                false,
                ViewProblemKind::TooDeep { resource_type: Observation::TYPE.to_owned(), id: o.id.clone() },
            );
            break;
        }
        if let Some((m, w)) = test_result(b, scope, &from, target, depth + 1) {
            weight += w;
            t.members.push(m);
        }
    }
    Some((t, weight))
}

/// A result's own fields (its members are resolved above, once per target).
fn test_result_of(o: &Observation) -> TestResult {
    TestResult {
        id: o.id.clone(),
        name: name_of(o.code.as_ref()),
        code: code_of(o.code.as_ref()),
        value: observation_value(o),
        quantity: o.value_quantity.clone(),
        interpretation: name_of(o.interpretation.as_ref()),
        reference_range: o.reference_range.first().and_then(range_text),
        comment: o.comment.clone(),
        status: o.status.clone(),
        effective: o.effective_date_time.clone().or(o.effective_period.as_ref().and_then(|p| p.start.clone())),
        members: Vec::new(),
    }
}

impl SectionItem for Investigation {
    fn build(b: &mut Builder<'_>, found: Found<'_>, _: SectionKind) -> Option<Self> {
        let d: DiagnosticReport = b.entry(found)?;
        let scope = found.scope(&d.contained);
        let from = format!("DiagnosticReport/{}", d.id.as_deref().unwrap_or(""));
        let mut inv = Investigation {
            name: name_of(d.code.as_ref()),
            status: d.status.clone(),
            issued: d.issued.clone(),
            effective: d.effective_date_time.clone().or(d.effective_period.as_ref().and_then(|p| p.start.clone())),
            performer: b.author(scope, &from, d.performer.first().and_then(|p| p.actor.as_ref())),
            conclusion: d.conclusion.clone(),
            ..Investigation::default()
        };
        if let Some(p) = d.based_on.first().and_then(|r| b.resolve_as::<ProcedureRequest>(scope, &from, r)) {
            inv.request = name_of(p.code.as_ref()).or(notes(&p.note).into_iter().next());
            inv.requester = b.author(scope, &from, p.requester.as_ref().and_then(|r| r.agent.as_ref()));
        }
        for s in &d.specimen {
            if let Some(s) = b.resolve_as::<Specimen>(scope, &from, s) {
                inv.specimens.push(SpecimenSummary {
                    kind: name_of(s.type_.as_ref()),
                    collected: s.collection.as_ref().and_then(|c| {
                        c.collected_date_time.clone().or(c.collected_period.as_ref().and_then(|p| p.start.clone()))
                    }),
                    received: s.received_time.clone(),
                    id: s.id,
                });
            }
        }
        inv.results = d.result.iter().filter_map(|r| test_result(b, scope, &from, r, 0).map(|(t, _)| t)).collect();
        inv.id = d.id;
        Some(inv)
    }
}
