//! `POST Patient/$gpc.getstructuredrecord`: the request builder and its `Parameters` body.

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::fhir::Bundle;
use gpconnect_core::{Call, InteractionId, NhsNumber, Operation, Provider, Request, Response, Result};
use serde_json::{json, Value};

use crate::parameters::{date, not_future, part, ParametersBody};
use crate::view::StructuredRecord;

/// Whether ended (resolved) allergies are returned (`includeResolvedAllergies`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// Return ended allergies too, in their own List.
    Include,
    /// Active allergies only.
    Exclude,
}

/// Whether medication issues are returned (`includePrescriptionIssues`). Always sent
/// explicitly, as consumer assurance expects: `true` unless the caller says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrescriptionIssues {
    /// Return each issue (`MedicationRequest` with intent `order`).
    Include,
    /// Authorisations only.
    Exclude,
}

/// Medication options for [`GetRecord::include_medication`].
///
/// `Option<NaiveDate>` and `NaiveDate` convert into it (`include_medication(since)`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MedicationOptions {
    from: Option<NaiveDate>,
    issues: Option<PrescriptionIssues>,
}

impl MedicationOptions {
    /// Every medication, with issues (`includePrescriptionIssues` `true`).
    pub fn all() -> Self {
        Self::default()
    }

    /// Only medication active on or after `date` (`medicationSearchFromDate`; not in the
    /// future).
    pub fn since(mut self, date: NaiveDate) -> Self {
        self.from = Some(date);
        self
    }

    /// Whether issues are returned (`includePrescriptionIssues`).
    pub fn prescription_issues(mut self, issues: PrescriptionIssues) -> Self {
        self.issues = Some(issues);
        self
    }
}

impl From<Option<NaiveDate>> for MedicationOptions {
    fn from(from: Option<NaiveDate>) -> Self {
        Self { from, issues: None }
    }
}

impl From<NaiveDate> for MedicationOptions {
    fn from(from: NaiveDate) -> Self {
        Self { from: Some(from), issues: None }
    }
}

/// A search period of full dates (`valuePeriod`); either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchPeriod {
    /// First day, inclusive.
    pub start: Option<NaiveDate>,
    /// Last day, inclusive.
    pub end: Option<NaiveDate>,
}

impl SearchPeriod {
    /// From `start` to `end`, both inclusive.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Self {
        Self { start: Some(start), end: Some(end) }
    }

    /// From `start` onwards.
    pub fn since(start: NaiveDate) -> Self {
        Self { start: Some(start), end: None }
    }

    /// Up to `end`.
    pub fn until(end: NaiveDate) -> Self {
        Self { start: None, end: Some(end) }
    }
}

/// Which consultations to return ([`GetRecord::include_consultations`]). The spec forbids
/// sending a period and a count together; this type makes that impossible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consultations {
    /// Every consultation.
    All,
    /// Consultations in a period (`consultationSearchPeriod`).
    Period(SearchPeriod),
    /// The `n` most recent consultations (`includeNumberOfMostRecent`, n > 0).
    MostRecent(u32),
}

/// Problem status filter (`filterStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemStatus {
    /// `active`.
    Active,
    /// `inactive`.
    Inactive,
}

/// Problem significance filter (`filterSignificance`).
///
/// Only 1.5.x and 1.6.0 providers support it: 1.6.2 removed it ("Remove problem
/// significance filter"), and a 1.6.2 provider answers it with an unrecognised-parameter
/// warning (see [`crate::RecordWarning`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemSignificance {
    /// `major`.
    Major,
    /// `minor`.
    Minor,
}

/// Problem options for [`GetRecord::include_problems`], or one repetition of
/// [`GetRecord::include_problem_sets`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProblemOptions {
    status: Option<ProblemStatus>,
    significance: Option<ProblemSignificance>,
}

impl ProblemOptions {
    /// Every problem.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only active or inactive problems (`filterStatus`).
    pub fn status(mut self, status: ProblemStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only major or minor problems (`filterSignificance`; 1.5.x / 1.6.0 providers only).
    pub fn significance(mut self, significance: ProblemSignificance) -> Self {
        self.significance = Some(significance);
        self
    }

    /// The `filterStatus` chosen, if any (for other request builders, such as the
    /// patient-facing API's).
    pub fn status_filter(&self) -> Option<ProblemStatus> {
        self.status
    }

    /// The `filterSignificance` chosen, if any.
    pub fn significance_filter(&self) -> Option<ProblemSignificance> {
        self.significance
    }
}

/// Whether immunisations that were not given are returned (`includeNotGiven`; provider
/// default: excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotGiven {
    /// Include records of vaccinations not given.
    Include,
    /// Given vaccinations only.
    Exclude,
}

/// Whether consent/dissent status observations are returned (`includeStatus`; provider
/// default: included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImmunisationStatus {
    /// Include status observations.
    Include,
    /// Immunisations only.
    Exclude,
}

/// Immunisation options for [`GetRecord::include_immunisations`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImmunisationOptions {
    not_given: Option<NotGiven>,
    status: Option<ImmunisationStatus>,
}

impl ImmunisationOptions {
    /// Provider defaults.
    pub fn all() -> Self {
        Self::default()
    }

    /// `includeNotGiven`.
    pub fn not_given(mut self, v: NotGiven) -> Self {
        self.not_given = Some(v);
        self
    }

    /// `includeStatus`.
    pub fn status(mut self, v: ImmunisationStatus) -> Self {
        self.status = Some(v);
        self
    }

    /// The `includeNotGiven` choice, if any (for other request builders, such as the
    /// patient-facing API's).
    pub fn not_given_choice(&self) -> Option<NotGiven> {
        self.not_given
    }

    /// The `includeStatus` choice, if any.
    pub fn status_choice(&self) -> Option<ImmunisationStatus> {
        self.status
    }
}

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
        let bundle: Bundle = response.resource()?;
        let record = StructuredRecord::from_bundle(bundle, response.body.0.clone());
        record
            .check_patient(&self.nhs_number)
            .map_err(|m| m.error(InteractionId::GetStructuredRecord, response.trace_id))?;
        Ok(record)
    }
}
