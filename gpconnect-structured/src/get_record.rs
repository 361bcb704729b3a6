//! `POST Patient/$gpc.getstructuredrecord`: the request builder and its `Parameters` body.

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::{Call, InteractionId, NhsNumber, Operation, Provider, Request, Response, Result};
use serde_json::{json, Value};

use crate::options::{
    Consultations, ImmunisationOptions, MedicationOptions, PrescriptionIssues, ProblemOptions, Resolved, SearchPeriod,
};
use crate::parameters::{date, not_future, part, ParametersBody};
use crate::view::StructuredRecord;

/// Every parameter of one request (what the builder collects).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Params {
    allergies: Option<Resolved>,
    medication: Option<MedicationOptions>,
    consultations: Option<Consultations>,
    problems: Option<ProblemOptions>,
    /// More `includeProblems` repetitions after the first (1.5.x / 1.6.0 only).
    more_problems: Vec<ProblemOptions>,
    immunisations: Option<ImmunisationOptions>,
    uncategorised: Option<Option<SearchPeriod>>,
    investigations: Option<Option<SearchPeriod>>,
    referrals: Option<Option<SearchPeriod>>,
    diary_entries: Option<Option<NaiveDate>>,
}

/// Gets a patient's structured record; from [`crate::Structured::get_record`].
///
/// Sends `POST Patient/$gpc.getstructuredrecord` with a FHIR `Parameters` body, interaction
/// `urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1`, JWT scope
/// `patient/*.read` (no `conf/N`: the spec says a missing confidentiality scope means
/// `conf/N`).
///
/// Nothing is requested unless asked: call the `include_*` setters for the clinical areas
/// wanted. Every value is checked by `send()` before anything is sent.
///
/// # Example
/// ```no_run
/// # use gpconnect_structured::{Resolved, StructuredExt};
/// # async fn demo(p: gpconnect_core::Provider, nhs: gpconnect_core::NhsNumber) -> gpconnect_core::Result<()> {
/// let record = p.structured().get_record(&nhs).include_allergies(Resolved::Include).send().await?;
/// println!("{} allergies (Ssp-TraceID {})", record.allergies().len(), record.trace_id);
/// # Ok(()) }
/// ```
///
/// # Errors
/// * `Error::InvalidInput` (`InvalidInput::Parameter` naming the spec parameter) before
///   anything is sent;
/// * `Error::Provider` with the spec's codes: `INVALID_NHS_NUMBER` (400),
///   `NO_PATIENT_CONSENT` / `ACCESS DENIED` (403), `PATIENT_NOT_FOUND` (404, kind
///   `NotFound`), `INVALID_PARAMETER` / `INVALID_RESOURCE` (422), with status,
///   OperationOutcome and raw body kept;
/// * `Error::Timeout`, `Error::Transport`; `Error::Decode` when the answer is not a
///   Bundle.
///
/// Safe to retry: a POST, but read-only (the transport retries it like a read).
#[derive(Debug, Clone)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct GetRecord {
    call: Call,
    nhs_number: NhsNumber,
    params: Params,
    predefined: Option<PredefinedSearch>,
}

/// The spec's predefined multi-area searches (`searchMultiAreaSearches`): combinations
/// that would break the forbidden-combination rule if a consumer built them, allowed
/// exactly as defined. Consumers MUST take care with medication returned in problems or
/// consultations that is older than the one-year medication window (the page's clinical
/// risk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PredefinedSearch {
    /// Search 1: the 3 most recent consultations, problems, allergies (ended ones
    /// included) and the last year's medication (`medicationSearchFromDate` today - 365
    /// days).
    RecentSummary,
    /// Search 2: search 1 plus immunisations and uncategorised data (paediatric care).
    RecentSummaryWithImmunisations,
}

impl PredefinedSearch {
    /// The parameters of the search on `today`.
    fn params(self, today: NaiveDate) -> Params {
        let mut p = Params {
            consultations: Some(Consultations::MostRecent(3)),
            problems: Some(ProblemOptions::all()),
            allergies: Some(Resolved::Include),
            medication: Some(MedicationOptions::all().since(today - chrono::Duration::days(365))),
            ..Params::default()
        };
        if self == PredefinedSearch::RecentSummaryWithImmunisations {
            p.immunisations = Some(ImmunisationOptions::all());
            p.uncategorised = Some(None);
        }
        p
    }
}

gpconnect_core::builder!(GetRecord);

impl GetRecord {
    pub(crate) fn new(provider: &Provider, nhs_number: &NhsNumber) -> Self {
        Self { call: Call::new(provider), nhs_number: nhs_number.clone(), params: Params::default(), predefined: None }
    }

    pub(crate) fn predefined(provider: &Provider, nhs_number: &NhsNumber, search: PredefinedSearch) -> Self {
        let mut request = Self::new(provider, nhs_number);
        request.params = search.params(gpconnect_core::uk::today());
        request.predefined = Some(search);
        request
    }

    /// Allergies (`includeAllergies` with its mandatory `includeResolvedAllergies` part).
    pub fn include_allergies(mut self, resolved: Resolved) -> Self {
        self.params.allergies = Some(resolved);
        self
    }

    /// Medication and medical devices (`includeMedication`, with
    /// `medicationSearchFromDate` / `includePrescriptionIssues` from `options`): pass `None`,
    /// a date, or a [`MedicationOptions`].
    pub fn include_medication(mut self, options: impl Into<MedicationOptions>) -> Self {
        self.params.medication = Some(options.into());
        self
    }

    /// Consultations (`includeConsultations`, with `consultationSearchPeriod` or
    /// `includeNumberOfMostRecent`). Forbids the search parts of the other areas (see
    /// [`validate`](Self::validate)).
    pub fn include_consultations(mut self, which: Consultations) -> Self {
        self.params.consultations = Some(which);
        self
    }

    /// Problems (`includeProblems`, with `filterStatus` / `filterSignificance`). Forbids
    /// the search parts of the other areas (see [`validate`](Self::validate)).
    pub fn include_problems(mut self, options: ProblemOptions) -> Self {
        self.params.problems = Some(options);
        self.params.more_problems.clear();
        self
    }

    /// Problems, repeated: one `includeProblems` per entry, each a status / significance
    /// pair (for example active major and inactive major problems). Only 1.5.x and 1.6.0
    /// providers take repetitions (1.6.2 made `includeProblems` 0..1): use
    /// [`include_problems`](Self::include_problems) with others. Every repetition needs a
    /// filter and no two may be the same; filters are not allowed with consultations.
    pub fn include_problem_sets(mut self, sets: &[ProblemOptions]) -> Self {
        self.params.problems = sets.first().copied();
        self.params.more_problems = sets.iter().skip(1).copied().collect();
        self
    }

    /// Immunisations (`includeImmunisations`, with `includeNotGiven` / `includeStatus`).
    pub fn include_immunisations(mut self, options: ImmunisationOptions) -> Self {
        self.params.immunisations = Some(options);
        self
    }

    /// Uncategorised data (`includeUncategorisedData`, with
    /// `uncategorisedDataSearchPeriod`).
    pub fn include_uncategorised_data(mut self, period: Option<SearchPeriod>) -> Self {
        self.params.uncategorised = Some(period);
        self
    }

    /// Investigations (`includeInvestigations`, with `investigationSearchPeriod`, which
    /// filters on the report's issue date).
    pub fn include_investigations(mut self, period: Option<SearchPeriod>) -> Self {
        self.params.investigations = Some(period);
        self
    }

    /// Outbound referrals (`includeReferrals`, with `referralSearchPeriod`).
    pub fn include_referrals(mut self, period: Option<SearchPeriod>) -> Self {
        self.params.referrals = Some(period);
        self
    }

    /// Diary entries (`includeDiaryEntries`, with `diaryEntriesSearchDate`: entries on or
    /// before that date, which must be today or later).
    pub fn include_diary_entries(mut self, up_to: Option<NaiveDate>) -> Self {
        self.params.diary_entries = Some(up_to);
        self
    }

    /// Checks the parameters against the spec's rules, with today as `today`:
    /// dates not in the future (the diary date not in the past), period start <= end,
    /// counts > 0, and the forbidden combinations: with `includeConsultations` none of
    /// `medicationSearchFromDate`, `uncategorisedDataSearchPeriod`, `filterStatus`,
    /// `filterSignificance`, `referralSearchPeriod`, `diaryEntriesSearchDate`,
    /// `includeNotGiven`, `includeStatus`; with `includeProblems` the same list except the
    /// problem filters. The [`PredefinedSearch`]es are exempt, exactly as defined (on
    /// `today`); any change to one makes the rule apply again.
    pub fn validate_on(&self, today: NaiveDate) -> std::result::Result<(), InvalidInput> {
        let p = &self.params;
        if !p.more_problems.is_empty() {
            let sets: Vec<ProblemOptions> = p.problems.iter().chain(&p.more_problems).copied().collect();
            if sets.iter().any(|o| o.status.is_none() && o.significance.is_none()) {
                return Err(InvalidInput::parameter(
                    "includeProblems",
                    "each repetition needs filterStatus or filterSignificance",
                ));
            }
            if sets.iter().enumerate().any(|(i, o)| sets[..i].contains(o)) {
                return Err(InvalidInput::parameter("includeProblems", "two repetitions are the same"));
            }
        }
        let predefined = self.predefined.is_some_and(|search| *p == search.params(today));
        if let Some(from) = p.medication.and_then(|m| m.from) {
            not_future("medicationSearchFromDate", from, today)?;
        }
        if let Some(c) = p.consultations {
            c.check(today)?;
        }
        for (name, sp) in [
            ("uncategorisedDataSearchPeriod", p.uncategorised.flatten()),
            ("investigationSearchPeriod", p.investigations.flatten()),
            ("referralSearchPeriod", p.referrals.flatten()),
        ] {
            if let Some(sp) = sp {
                sp.check(name, today)?;
            }
        }
        if let Some(Some(d)) = p.diary_entries {
            if d < today {
                return Err(InvalidInput::parameter("diaryEntriesSearchDate", "must not be in the past"));
            }
        }
        let by = if p.consultations.is_some() {
            Some("includeConsultations")
        } else if p.problems.is_some() {
            Some("includeProblems")
        } else {
            None
        };
        let any_problem = |f: fn(&ProblemOptions) -> bool| p.problems.iter().chain(&p.more_problems).any(f);
        if let Some(by) = by.filter(|_| !predefined) {
            let forbidden = [
                ("medicationSearchFromDate", p.medication.is_some_and(|m| m.from.is_some())),
                ("uncategorisedDataSearchPeriod", matches!(p.uncategorised, Some(Some(_)))),
                ("filterStatus", by == "includeConsultations" && any_problem(|o| o.status.is_some())),
                ("filterSignificance", by == "includeConsultations" && any_problem(|o| o.significance.is_some())),
                ("referralSearchPeriod", matches!(p.referrals, Some(Some(_)))),
                ("diaryEntriesSearchDate", matches!(p.diary_entries, Some(Some(_)))),
                ("includeNotGiven", p.immunisations.is_some_and(|o| o.not_given.is_some())),
                ("includeStatus", p.immunisations.is_some_and(|o| o.status.is_some())),
            ];
            if let Some((name, _)) = forbidden.iter().find(|(_, set)| *set) {
                return Err(InvalidInput::parameter(
                    name,
                    format!("not allowed together with {by} (spec: forbidden combinations)"),
                ));
            }
        }
        Ok(())
    }

    /// [`validate_on`](Self::validate_on) with today's date in the UK (Europe/London),
    /// which is what the spec's "today" means, wherever the consumer runs.
    pub fn validate(&self) -> std::result::Result<(), InvalidInput> {
        self.validate_on(gpconnect_core::uk::today())
    }

    /// The FHIR `Parameters` body this request sends, without validation (see
    /// [`validate`](Self::validate)). Parameters and parts come in the order of the spec's
    /// example.
    pub fn parameters(&self) -> Value {
        let p = &self.params;
        let mut body = ParametersBody::new(&self.nhs_number);
        if let Some(r) = p.allergies {
            body.push(
                "includeAllergies",
                vec![part("includeResolvedAllergies", "valueBoolean", json!(r == Resolved::Include))],
            );
        }
        if let Some(m) = p.medication {
            let mut parts = Vec::new();
            if let Some(d) = m.from {
                parts.push(part("medicationSearchFromDate", "valueDate", date(d)));
            }
            let issues = m.issues.unwrap_or(PrescriptionIssues::Include);
            parts.push(part("includePrescriptionIssues", "valueBoolean", json!(issues == PrescriptionIssues::Include)));
            body.push("includeMedication", parts);
        }
        if let Some(c) = p.consultations {
            body.push("includeConsultations", c.parts());
        }
        for o in p.problems.iter().chain(&p.more_problems) {
            body.push("includeProblems", o.parts());
        }
        if let Some(o) = p.immunisations {
            body.push("includeImmunisations", o.parts());
        }
        for (name, part_name, value) in [
            ("includeUncategorisedData", "uncategorisedDataSearchPeriod", p.uncategorised),
            ("includeInvestigations", "investigationSearchPeriod", p.investigations),
            ("includeReferrals", "referralSearchPeriod", p.referrals),
        ] {
            if let Some(sp) = value {
                body.push(name, sp.map(|sp| vec![part(part_name, "valuePeriod", sp.value())]).unwrap_or_default());
            }
        }
        if let Some(d) = p.diary_entries {
            body.push(
                "includeDiaryEntries",
                d.map(|d| vec![part("diaryEntriesSearchDate", "valueDate", date(d))]).unwrap_or_default(),
            );
        }
        body.build()
    }
}

impl Operation for GetRecord {
    type Answer = Response;
    type Output = StructuredRecord;

    fn interaction(&self) -> InteractionId {
        InteractionId::GetStructuredRecord
    }

    fn request(&self) -> Result<Request> {
        self.validate()?;
        let body =
            serde_json::to_vec(&self.parameters()).map_err(|e| InvalidInput::parameter("Parameters", e.to_string()))?;
        Ok(Request::post(InteractionId::GetStructuredRecord, "Patient/$gpc.getstructuredrecord", body))
    }

    fn parse(&self, response: Response) -> Result<StructuredRecord> {
        let record = StructuredRecord::from_response(&response)?;
        record
            .check_patient(&self.nhs_number)
            .map_err(|m| m.error(InteractionId::GetStructuredRecord, response.trace_id))?;
        Ok(record)
    }
}
