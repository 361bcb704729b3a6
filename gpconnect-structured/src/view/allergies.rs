//! Allergies and adverse reactions, active and ended (one file, two sections).

use gpconnect_core::fhir::{Coding, FhirDateTime};

use super::build::{code_of, ext, name_of, notes, Builder, Found};
use super::{empty_section, Author, SectionItem, SectionKind, SectionSpec};
use crate::resources::AllergyIntolerance;

/// Active allergies.
pub(super) const ACTIVE: SectionSpec = SectionSpec {
    kind: SectionKind::Allergies,
    codes: &["886921000000105"],
    name: "allergies",
    titles: &[
        "active allergies",
        "allergies and adverse reactions",
        "allergies and adverse reaction",
        "allergies list",
        "allergies",
    ],
    empty: empty_section::<Allergy>,
};

/// Ended allergies.
pub(super) const ENDED: SectionSpec = SectionSpec {
    kind: SectionKind::EndedAllergies,
    codes: &["1103671000000101"],
    name: "ended_allergies",
    titles: &["resolved allergies", "ended allergies"],
    empty: empty_section::<Allergy>,
};

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

gpconnect_core::redacted_debug!(Allergy, id);

impl std::fmt::Debug for Reaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reaction").field("manifestations", &self.manifestations.len()).finish_non_exhaustive()
    }
}

impl SectionItem for Allergy {
    fn build(b: &mut Builder<'_>, found: Found<'_>, kind: SectionKind) -> Option<Self> {
        let a: AllergyIntolerance = b.entry(found)?;
        let scope = found.scope(&a.contained);
        let from = format!("AllergyIntolerance/{}", a.id.as_deref().unwrap_or(""));
        let end = ext(&a.extension, "Extension-CareConnect-AllergyIntoleranceEnd-1");
        Some(Allergy {
            name: name_of(a.code.as_ref()),
            code: code_of(a.code.as_ref()),
            recorder: b.author(scope, &from, a.recorder.as_ref()),
            reactions: a
                .reaction
                .iter()
                .map(|r| Reaction {
                    manifestations: r.manifestation.iter().filter_map(|c| name_of(Some(c))).collect(),
                    severity: r.severity.clone(),
                    description: r.description.clone(),
                })
                .collect(),
            notes: notes(&a.note),
            end_date: end.and_then(|e| e.sub("endDate")).and_then(|e| e.value_any_date().cloned()),
            end_reason: end.and_then(|e| e.sub("reasonEnded")).and_then(|e| e.value_text().map(str::to_owned)),
            ended: kind == SectionKind::EndedAllergies,
            clinical_status: a.clinical_status,
            verification_status: a.verification_status,
            allergy_type: a.type_,
            category: a.category,
            criticality: a.criticality,
            onset: a.onset_date_time.or(a.onset_period.and_then(|p| p.start)),
            asserted_date: a.asserted_date,
            id: a.id,
        })
    }
}
