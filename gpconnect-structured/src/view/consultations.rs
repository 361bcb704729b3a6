//! Consultations: the `Encounter` and its consultation List, with topics, headings and the
//! items under them.

use gpconnect_core::fhir::{CodeableConcept, FhirDateTime, FhirResource, Period, RawResource};
use gpconnect_core::fhir_type;

use super::build::{name_of, Builder, Found, RecordList, Scope};
use super::{empty_section, Author, LinkedItem, SectionItem, SectionKind, SectionSpec};
use crate::resources::{EncounterLocation, EncounterParticipant};

fhir_type! {
    /// The elements of an `Encounter` a consultation shows; the others (`meta`,
    /// `extension`, `subject`, `reason`...) are passed over unread (so a malformed one is
    /// no problem of the view's). The whole resource is [`crate::resources::Encounter`].
    struct ConsultationEncounter [no_serialize, no_xml] {
        /// Logical id.
        id: one String = "id",
        /// Contained resources (kept raw): the targets of its `#id` references.
        contained: many RawResource = "contained",
        /// `planned | finished | ...`.
        status: one String = "status",
        /// Consultation type.
        type_: many CodeableConcept = "type",
        /// Clinicians taking part.
        participant: many EncounterParticipant = "participant",
        /// When.
        period: one Period = "period",
        /// Where.
        location: many EncounterLocation = "location",
    }
}

impl FhirResource for ConsultationEncounter {
    const TYPE: &'static str = "Encounter";
}

pub(super) const SPEC: SectionSpec = SectionSpec {
    kind: SectionKind::Consultations,
    codes: &["1149501000000101"],
    name: "consultations",
    titles: &["list of consultations", "consultation list", "consultations"],
    empty: empty_section::<Consultation>,
};

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

gpconnect_core::redacted_debug!(Consultation, id);

impl std::fmt::Debug for ConsultationTopic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsultationTopic")
            .field("problem", &self.problem)
            .field("headings", &self.headings)
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ConsultationHeading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsultationHeading").field("items", &self.items).finish_non_exhaustive()
    }
}

impl SectionItem for Consultation {
    fn build(b: &mut Builder<'_>, found: Found<'_>, _: SectionKind) -> Option<Self> {
        let e: ConsultationEncounter = b.entry(found)?;
        let scope = found.scope(&e.contained);
        let from = format!("Encounter/{}", e.id.as_deref().unwrap_or(""));
        let performer = e
            .participant
            .iter()
            .find(|p| p.type_.iter().flat_map(|t| t.coding.iter()).any(|c| c.code.as_deref() == Some("PPRF")))
            .or(e.participant.first())
            .and_then(|p| p.individual.as_ref());
        let mut c = Consultation {
            kind: e.type_.first().and_then(|t| name_of(Some(t))),
            status: e.status.clone(),
            start: e.period.as_ref().and_then(|p| p.start.clone()),
            end: e.period.as_ref().and_then(|p| p.end.clone()),
            clinician: b.author(scope, &from, performer),
            location: e
                .location
                .first()
                .and_then(|l| l.location.as_ref())
                .and_then(|l| b.author(scope, &from, Some(l)))
                .and_then(|a| a.name),
            ..Consultation::default()
        };
        if let Some(list) = b.consultation_list(&from) {
            c.title = list.title.clone();
            c.topics = topics(b, &from, list);
        }
        c.id = e.id;
        Some(c)
    }
}

/// The topics of a consultation List: topic Lists (with their headings), or flat items
/// each as its own untitled topic. Every list is sized to what it holds (an entry with a
/// reference is one topic, one heading item), not grown by doubling.
fn topics(b: &mut Builder<'_>, from: &str, list: &RecordList) -> Vec<ConsultationTopic> {
    let mut topics = Vec::with_capacity(list.references().count());
    for entry in list.entries.iter().flatten() {
        let Some(topic_list) = b.list(entry.reference.as_deref()) else {
            if let Some(l) = b.linked(Scope::of_list(list), from, entry) {
                topics.push(ConsultationTopic { items: vec![l], ..ConsultationTopic::default() });
            }
            continue;
        };
        let mut topic = ConsultationTopic { title: topic_list.title.clone(), ..ConsultationTopic::default() };
        if let Some(r) = topic_list.related_problem.as_deref() {
            topic.problem = b.linked(Scope::of_list(topic_list), from, r);
        }
        for item in topic_list.entries.iter().flatten() {
            match b.list(item.reference.as_deref()) {
                Some(h) if b.charge(64) => {
                    let mut items = Vec::with_capacity(h.references().count());
                    items.extend(h.entries.iter().flatten().filter_map(|r| b.linked(Scope::of_list(h), from, r)));
                    topic.headings.push(ConsultationHeading { title: h.title.clone(), items });
                }
                Some(_) => {}
                None => topic.items.extend(b.linked(Scope::of_list(topic_list), from, item)),
            }
        }
        topic.items.shrink_to_fit();
        topic.headings.shrink_to_fit();
        topics.push(topic);
    }
    topics
}
