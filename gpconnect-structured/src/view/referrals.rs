//! Outbound referrals (`ReferralRequest`).

use gpconnect_core::fhir::{same_url, FhirDateTime};

use super::build::{name_of, notes, Builder, Found};
use super::{empty_section, Author, SectionItem, SectionKind, SectionSpec};
use crate::resources::ReferralRequest;

pub(super) const SPEC: SectionSpec = SectionSpec {
    kind: SectionKind::Referrals,
    codes: &["792931000000107", "886721000000107"],
    name: "referrals",
    titles: &["outbound referral", "referral details", "referrals"],
    empty: empty_section::<Referral>,
};

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

gpconnect_core::redacted_debug!(Referral, id);

impl SectionItem for Referral {
    fn build(b: &mut Builder<'_>, found: Found<'_>, _: SectionKind) -> Option<Self> {
        let r: ReferralRequest = b.entry(found)?;
        let scope = found.scope(&r.contained);
        let from = format!("ReferralRequest/{}", r.id.as_deref().unwrap_or(""));
        let recipients = r.recipient.iter().filter_map(|x| b.author(scope, &from, Some(x))).collect();
        Some(Referral {
            name: r
                .reason_code
                .first()
                .and_then(|c| name_of(Some(c)))
                .or_else(|| r.service_requested.first().and_then(|c| name_of(Some(c))))
                .or_else(|| name_of(r.type_.as_ref())),
            description: r.description.clone(),
            status: r.status.clone(),
            priority: r.priority.clone(),
            authored_on: r.authored_on.clone(),
            requester: b.author(scope, &from, r.requester.as_ref().and_then(|x| x.agent.as_ref())),
            recipients,
            specialty: name_of(r.specialty.as_ref()),
            ubrn: r
                .identifier
                .iter()
                .find(|i| i.system.as_deref().is_some_and(|s| same_url(s, "https://fhir.nhs.uk/Id/UBRN")))
                .and_then(|i| i.value.clone()),
            notes: notes(&r.note),
            id: r.id,
        })
    }
}
