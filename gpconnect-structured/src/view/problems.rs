//! Problems (`Condition`), with their links.

use gpconnect_core::fhir::{Coding, FhirDateTime};

use super::build::{code_of, ext, ext_code, name_of, notes, Builder, Found};
use super::{empty_section, Author, LinkedItem, SectionItem, SectionKind, SectionSpec};
use crate::resources::Condition;

pub(super) const SPEC: SectionSpec = SectionSpec {
    kind: SectionKind::Problems,
    codes: &["717711000000103"],
    name: "problems",
    titles: &["problems", "problem list"],
    empty: empty_section::<Problem>,
};

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

gpconnect_core::redacted_debug!(Problem, id);

impl SectionItem for Problem {
    fn build(b: &mut Builder<'_>, found: Found<'_>, _: SectionKind) -> Option<Self> {
        let c: Condition = b.entry(found)?;
        let scope = found.scope(&c.contained);
        let from = format!("Condition/{}", c.id.as_deref().unwrap_or(""));
        let mut p = Problem {
            name: name_of(c.code.as_ref()),
            code: code_of(c.code.as_ref()),
            status: c.clinical_status.clone(),
            significance: ext(&c.extension, "Extension-CareConnect-ProblemSignificance-1").and_then(ext_code),
            onset: c.onset_date_time.clone().or(c.onset_period.as_ref().and_then(|p| p.start.clone())),
            end: c.abatement_date_time.clone().or(c.abatement_period.as_ref().and_then(|p| p.end.clone())),
            asserted_date: c.asserted_date.clone(),
            asserter: b.author(scope, &from, c.asserter.as_ref()),
            notes: notes(&c.note),
            ..Problem::default()
        };
        for e in &c.extension {
            let Some(url) = e.url.as_deref() else { continue };
            if url.ends_with("Extension-CareConnect-ActualProblem-1") {
                if let Some(r) = e.value_reference.as_deref() {
                    p.actual_problem = b.linked(scope, &from, r);
                }
            } else if url.ends_with("Extension-CareConnect-RelatedClinicalContent-1") {
                if let Some(l) = e.value_reference.as_deref().and_then(|r| b.linked(scope, &from, r)) {
                    p.linked_items.push(l);
                }
            } else if url.ends_with("Extension-CareConnect-RelatedProblemHeader-1") {
                let ty = e.sub("type").and_then(|t| t.value_text()).unwrap_or("related").to_owned();
                let target = e.sub("target").and_then(|t| t.value_reference.as_deref());
                if let Some(l) = target.and_then(|r| b.linked(scope, &from, r)) {
                    p.related_problems.push((ty, l));
                }
            }
        }
        p.id = c.id;
        Some(p)
    }
}
