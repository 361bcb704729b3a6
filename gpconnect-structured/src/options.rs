//! What `$gpc.getstructuredrecord` can ask for, clinical area by clinical area: the typed
//! options of [`GetRecord`](crate::GetRecord) (and of the patient-facing Access Record),
//! which [`parameters`](crate::parameters) writes into the `Parameters` body. A leaf: it
//! names no other module of the crate.

use chrono::NaiveDate;

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

/// Medication options for [`GetRecord::include_medication`](crate::GetRecord::include_medication).
///
/// `Option<NaiveDate>` and `NaiveDate` convert into it (`include_medication(since)`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MedicationOptions {
    pub(crate) from: Option<NaiveDate>,
    pub(crate) issues: Option<PrescriptionIssues>,
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

/// Which consultations to return ([`GetRecord::include_consultations`](crate::GetRecord::include_consultations)). The spec forbids
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

/// Problem options for [`GetRecord::include_problems`](crate::GetRecord::include_problems), or one repetition of
/// [`GetRecord::include_problem_sets`](crate::GetRecord::include_problem_sets).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProblemOptions {
    pub(crate) status: Option<ProblemStatus>,
    pub(crate) significance: Option<ProblemSignificance>,
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

/// Immunisation options for [`GetRecord::include_immunisations`](crate::GetRecord::include_immunisations).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImmunisationOptions {
    pub(crate) not_given: Option<NotGiven>,
    pub(crate) status: Option<ImmunisationStatus>,
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
