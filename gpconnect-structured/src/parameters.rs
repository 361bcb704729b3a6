//! The FHIR `Parameters` body of `$gpc.getstructuredrecord` and the checks of its values:
//! written once, for this crate's [`GetRecord`](crate::GetRecord) and
//! [`MigrateRecord`](crate::MigrateRecord) and for the patient-facing Access Record
//! (`gpconnect-patient`), which sends the same operation with its own set of parameters.

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::NhsNumber;
use serde_json::{json, Value};

use crate::options::{
    Consultations, ImmunisationOptions, ImmunisationStatus, NotGiven, ProblemOptions, ProblemSignificance,
    ProblemStatus, SearchPeriod,
};

/// A `Parameters` body being built: `patientNHSNumber` first, then one parameter per
/// clinical area, in the order pushed.
#[derive(Clone)]
pub struct ParametersBody {
    parameter: Vec<Value>,
}

impl std::fmt::Debug for ParametersBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParametersBody").field("parameters", &self.parameter.len()).finish()
    }
}

impl ParametersBody {
    /// A body naming the patient (`patientNHSNumber`).
    pub fn new(nhs_number: &NhsNumber) -> Self {
        let patient = json!({
            "name": "patientNHSNumber",
            "valueIdentifier": { "system": NhsNumber::SYSTEM, "value": nhs_number.expose() },
        });
        Self { parameter: vec![patient] }
    }

    /// Adds the parameter `name` with its `parts` (no `part` element when there are none).
    pub fn push(&mut self, name: &str, parts: Vec<Value>) {
        let mut v = json!({ "name": name });
        if !parts.is_empty() {
            v["part"] = Value::Array(parts);
        }
        self.parameter.push(v);
    }

    /// The `Parameters` resource.
    pub fn build(self) -> Value {
        json!({ "resourceType": "Parameters", "parameter": self.parameter })
    }
}

/// One part: `{"name": name, key: value}` (`key` is the FHIR value element, such as
/// `valueBoolean`).
pub fn part(name: &str, key: &str, value: Value) -> Value {
    json!({ "name": name, key: value })
}

/// A full date as FHIR writes it (`2026-12-01`).
pub fn date(d: NaiveDate) -> Value {
    Value::String(d.format("%Y-%m-%d").to_string())
}

/// `name`'s date must not be after `today`.
///
/// # Errors
/// [`InvalidInput`] naming the parameter.
pub fn not_future(name: &'static str, d: NaiveDate, today: NaiveDate) -> Result<(), InvalidInput> {
    if d > today {
        Err(InvalidInput::parameter(name, "must not be in the future"))
    } else {
        Ok(())
    }
}

impl SearchPeriod {
    /// The `valuePeriod`: `start` and `end` where set.
    pub fn value(self) -> Value {
        let mut o = serde_json::Map::new();
        if let Some(s) = self.start {
            o.insert("start".into(), date(s));
        }
        if let Some(e) = self.end {
            o.insert("end".into(), date(e));
        }
        Value::Object(o)
    }

    /// Checks the period sent as `name`: at least one end, start <= end, neither after
    /// `today`.
    ///
    /// # Errors
    /// [`InvalidInput`] naming the parameter.
    pub fn check(&self, name: &'static str, today: NaiveDate) -> Result<(), InvalidInput> {
        if self.start.is_none() && self.end.is_none() {
            return Err(InvalidInput::parameter(name, "a period needs a start, an end or both"));
        }
        if let (Some(s), Some(e)) = (self.start, self.end) {
            if s > e {
                return Err(InvalidInput::parameter(name, "start is after end"));
            }
        }
        if let Some(s) = self.start {
            not_future(name, s, today)?;
        }
        if let Some(e) = self.end {
            not_future(name, e, today)?;
        }
        Ok(())
    }
}

impl Consultations {
    /// The parts of `includeConsultations`.
    pub fn parts(self) -> Vec<Value> {
        match self {
            Consultations::All => vec![],
            Consultations::Period(sp) => vec![part("consultationSearchPeriod", "valuePeriod", sp.value())],
            Consultations::MostRecent(n) => vec![part("includeNumberOfMostRecent", "valuePositiveInt", json!(n))],
        }
    }

    /// Checks the period (as [`SearchPeriod::check`]) or that the count is above 0.
    ///
    /// # Errors
    /// [`InvalidInput`] naming the parameter.
    pub fn check(self, today: NaiveDate) -> Result<(), InvalidInput> {
        match self {
            Consultations::Period(sp) => sp.check("consultationSearchPeriod", today),
            Consultations::MostRecent(0) => {
                Err(InvalidInput::parameter("includeNumberOfMostRecent", "must be greater than 0"))
            }
            _ => Ok(()),
        }
    }
}

impl ProblemOptions {
    /// The parts of one `includeProblems` (`filterStatus`, `filterSignificance`).
    pub fn parts(&self) -> Vec<Value> {
        let mut parts = Vec::new();
        if let Some(s) = self.status_filter() {
            let code = if s == ProblemStatus::Active { "active" } else { "inactive" };
            parts.push(part("filterStatus", "valueCode", json!(code)));
        }
        if let Some(s) = self.significance_filter() {
            let code = if s == ProblemSignificance::Major { "major" } else { "minor" };
            parts.push(part("filterSignificance", "valueCode", json!(code)));
        }
        parts
    }
}

impl ImmunisationOptions {
    /// The parts of the immunisations parameter (`includeNotGiven`, `includeStatus`).
    pub fn parts(&self) -> Vec<Value> {
        let mut parts = Vec::new();
        if let Some(v) = self.not_given_choice() {
            parts.push(part("includeNotGiven", "valueBoolean", json!(v == NotGiven::Include)));
        }
        if let Some(v) = self.status_choice() {
            parts.push(part("includeStatus", "valueBoolean", json!(v == ImmunisationStatus::Include)));
        }
        parts
    }
}
