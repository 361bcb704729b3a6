//! Uncategorised data (`Observation`, including blood pressure).

use gpconnect_core::fhir::{Coding, FhirDateTime};

use super::build::{code_of, name_of, observation_value, quantity_text, Builder, Found};
use super::{empty_section, Author, SectionItem, SectionKind, SectionSpec};
use crate::resources::Observation;

pub(super) const SPEC: SectionSpec = SectionSpec {
    kind: SectionKind::Uncategorised,
    codes: &["826501000000100"],
    name: "uncategorised",
    titles: &["uncategorised data", "uncategorised data list", "miscellaneous record"],
    empty: empty_section::<Uncategorised>,
};

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

gpconnect_core::redacted_debug!(Uncategorised, id);

impl SectionItem for Uncategorised {
    fn build(b: &mut Builder<'_>, found: Found<'_>, _: SectionKind) -> Option<Self> {
        let o: Observation = b.entry(found)?;
        let scope = found.scope(&o.contained);
        let from = format!("Observation/{}", o.id.as_deref().unwrap_or(""));
        Some(Uncategorised {
            name: name_of(o.code.as_ref()),
            code: code_of(o.code.as_ref()),
            date: o.effective_date_time.clone().or(o.effective_period.as_ref().and_then(|p| p.start.clone())),
            status: o.status.clone(),
            value: observation_value(&o),
            components: o
                .component
                .iter()
                .filter_map(|c| {
                    let v = c
                        .value_quantity
                        .as_ref()
                        .and_then(quantity_text)
                        .or_else(|| name_of(c.value_codeable_concept.as_ref()))
                        .or(c.value_string.clone())?;
                    Some((name_of(c.code.as_ref()).unwrap_or_default(), v))
                })
                .collect(),
            performer: b.author(scope, &from, o.performer.first()),
            comment: o.comment.clone(),
            id: o.id,
        })
    }
}
