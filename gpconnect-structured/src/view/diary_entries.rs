//! Diary entries (recalls, `ProcedureRequest`).

use gpconnect_core::fhir::{Coding, FhirDateTime};

use super::build::{code_of, name_of, notes, Builder, Found};
use super::{empty_section, Author, SectionItem, SectionKind, SectionSpec};
use crate::resources::ProcedureRequest;

pub(super) const SPEC: SectionSpec = SectionSpec {
    kind: SectionKind::DiaryEntries,
    codes: &["714311000000108"],
    name: "diary_entries",
    titles: &["patient recall administration", "diary", "diary entries"],
    empty: empty_section::<DiaryEntry>,
};

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

gpconnect_core::redacted_debug!(DiaryEntry, id);

impl SectionItem for DiaryEntry {
    fn build(b: &mut Builder<'_>, found: Found<'_>, _: SectionKind) -> Option<Self> {
        let p: ProcedureRequest = b.entry(found)?;
        let scope = found.scope(&p.contained);
        let from = format!("ProcedureRequest/{}", p.id.as_deref().unwrap_or(""));
        Some(DiaryEntry {
            name: name_of(p.code.as_ref()),
            code: code_of(p.code.as_ref()),
            status: p.status.clone(),
            date: p.occurrence_date_time.clone().or(p.occurrence_period.as_ref().and_then(|x| x.start.clone())),
            authored_on: p.authored_on.clone(),
            requester: b.author(scope, &from, p.requester.as_ref().and_then(|x| x.agent.as_ref())),
            reasons: p.reason_code.iter().filter_map(|c| name_of(Some(c))).collect(),
            notes: notes(&p.note),
            id: p.id,
        })
    }
}
