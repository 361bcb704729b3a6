//! Immunisations (`Immunization`, and status `Observation`s).

use gpconnect_core::fhir::{Coding, FhirDateTime};

use super::build::{code_of, ext, name_of, notes, quantity_text, Builder, Found};
use super::{empty_section, Author, SectionItem, SectionKind, SectionSpec};
use crate::resources::{Immunization, Observation};

pub(super) const SPEC: SectionSpec = SectionSpec {
    kind: SectionKind::Immunisations,
    codes: &["1102181000000102"],
    name: "immunisations",
    titles: &["immunisations", "immunizations", "immunisation list", "immunization list"],
    empty: empty_section::<Immunisation>,
};

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

gpconnect_core::redacted_debug!(Immunisation, id);

impl SectionItem for Immunisation {
    fn build(b: &mut Builder<'_>, found: Found<'_>, _: SectionKind) -> Option<Self> {
        if found.raw.is::<Observation>() {
            let o: Observation = b.parse(found.raw, true)?;
            return Some(Immunisation {
                kind: ImmunisationKind::Status,
                name: name_of(o.code.as_ref()),
                code: code_of(o.code.as_ref()),
                date: o.effective_date_time.clone().or(o.effective_period.as_ref().and_then(|p| p.start.clone())),
                status: o.status.clone(),
                notes: o.comment.clone().into_iter().collect(),
                id: o.id,
                ..Immunisation::default()
            });
        }
        let i: Immunization = b.entry(found)?;
        let scope = found.scope(&i.contained);
        let from = format!("Immunization/{}", i.id.as_deref().unwrap_or(""));
        Some(Immunisation {
            kind: ImmunisationKind::Vaccination,
            name: name_of(i.vaccine_code.as_ref()),
            code: code_of(i.vaccine_code.as_ref()),
            procedure: ext(&i.extension, "Extension-CareConnect-VaccinationProcedure-1")
                .and_then(|e| name_of(e.value_codeable_concept.as_deref())),
            date: i.date.clone(),
            status: i.status.clone(),
            not_given: i.not_given,
            dose_sequence: i.vaccination_protocol.first().and_then(|p| p.dose_sequence),
            lot_number: i.lot_number.clone(),
            site: name_of(i.site.as_ref()),
            route: name_of(i.route.as_ref()),
            dose: i.dose_quantity.as_ref().and_then(quantity_text),
            practitioner: b.author(scope, &from, i.practitioner.first().and_then(|p| p.actor.as_ref())),
            manufacturer: b.author(scope, &from, i.manufacturer.as_ref()),
            location: b.author(scope, &from, i.location.as_ref()).and_then(|a| a.name),
            reason_not_given: i
                .explanation
                .iter()
                .flat_map(|e| e.reason_not_given.iter())
                .filter_map(|c| name_of(Some(c)))
                .collect(),
            notes: notes(&i.note),
            id: i.id,
        })
    }
}
