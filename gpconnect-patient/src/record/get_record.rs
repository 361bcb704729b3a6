//! `POST /Patient/$gpc.getstructuredrecord`: the patient's structured record.

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::fhir::Bundle;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{Call, InteractionId, NhsNumber, Operation, PatientMismatch, Request, Response, Result};
use gpconnect_structured::parameters::{date, not_future, part, ParametersBody};
use gpconnect_structured::{
    Consultations, ImmunisationOptions, ProblemOptions, Resolved, SearchPeriod, StructuredRecord,
};
use serde_json::{json, Value};

use crate::answer::{check_answer, patient_nhs_number, wrong_patient};

/// Which medications to ask for (`includeMedication` and its parts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MedicationQuery {
    since: Option<NaiveDate>,
    repeats_only: bool,
}

impl MedicationQuery {
    /// Every medication the practice shares.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only medication recorded on or after `date` (`medicationSearchFromDate`; not in the future).
    pub fn since(mut self, date: NaiveDate) -> Self {
        self.since = Some(date);
        self
    }

    /// Only repeat medication (`prescriptionType` = `repeat`, as the spec's
    /// `repeatOnlyRequest` example). The example writes `"value": "repeat"`, which is not
    /// a FHIR element; the SDK sends `valueCode` (spec README §5, UNSURE).
    pub fn repeats_only(mut self) -> Self {
        self.repeats_only = true;
        self
    }
}

/// Gets the logged-in patient's structured record; from
/// [`AccessRecord::get_record`](crate::AccessRecord::get_record).
///
/// Sends `POST /Patient/$gpc.getstructuredrecord` to the Access Record API with a FHIR
/// `Parameters` body naming the patient's NHS number and the clinical areas asked for
/// (nothing is asked for unless an `include_*` setter is called; at least one is needed).
/// The answer is read through the same typed view as the clinicians' Access Record
/// Structured, [`StructuredRecord`].
///
/// Validates, sends and reads the record.
///
/// # Errors
/// * `Error::InvalidInput` naming the spec parameter, before anything is sent;
/// * `Error::Provider` with the spec's codes: `INVALID_NHS_NUMBER` (400),
///   `PATIENT_NOT_FOUND` (404), `INVALID_PARAMETER` (404 / 422), `INVALID_RESOURCE`
///   (422), status, OperationOutcome and raw body kept;
/// * `Error::Auth` when the patient must log in again;
/// * `Error::Decode` for an answer that is not a Bundle;
/// * `Error::WrongPatient` for a record without the logged-in patient's NHS number.
///
/// Resources labelled `NOPAT` (not for the patient) are withheld from the view, their
/// List entries with them, and counted ([`PatientRecord::withheld`]).
///
/// Safe to retry: a POST, but read-only (the transport retries it like a read, with
/// the same `X-Request-ID`).
#[derive(Debug, Clone)]
#[must_use]
pub struct GetRecord {
    call: Call<PatientSession>,
    allergies: Option<Resolved>,
    medication: Option<MedicationQuery>,
    consultations: Option<Consultations>,
    problems: Option<ProblemOptions>,
    immunisations: Option<ImmunisationOptions>,
    investigations: Option<Option<SearchPeriod>>,
    diary_entries: Option<Option<NaiveDate>>,
}

gpconnect_core::builder!(GetRecord);

impl Operation for GetRecord {
    type Answer = Response;
    type Output = PatientRecord;

    fn interaction(&self) -> InteractionId {
        InteractionId::GetStructuredRecord
    }

    fn request(&self) -> Result<Request> {
        self.build()
    }

    fn parse(&self, response: Response) -> Result<PatientRecord> {
        let nhs = patient_nhs_number(self.call.transport())?;
        Self::read_answer(&response, &nhs)
    }
}

impl GetRecord {
    pub(crate) fn new(session: &PatientSession) -> Self {
        Self {
            call: Call::new(session),
            allergies: None,
            medication: None,
            consultations: None,
            problems: None,
            immunisations: None,
            investigations: None,
            diary_entries: None,
        }
    }

    /// Allergies (`includeAllergies` with its mandatory `includeResolvedAllergies` part).
    pub fn include_allergies(mut self, resolved: Resolved) -> Self {
        self.allergies = Some(resolved);
        self
    }

    /// Medication (`includeMedication`, with `medicationSearchFromDate` / `prescriptionType`).
    pub fn include_medication(mut self, query: MedicationQuery) -> Self {
        self.medication = Some(query);
        self
    }

    /// Consultations (`includeConsultations`, with `consultationSearchPeriod` or
    /// `includeNumberOfMostRecent`, never both).
    pub fn include_consultations(mut self, which: Consultations) -> Self {
        self.consultations = Some(which);
        self
    }

    /// Problems (`includeProblems`, with `filterStatus` / `filterSignificance`).
    pub fn include_problems(mut self, options: ProblemOptions) -> Self {
        self.problems = Some(options);
        self
    }

    /// Immunisations (`includeImmunizations`, as this API spells it, with
    /// `includeNotGiven` / `includeStatus`).
    pub fn include_immunisations(mut self, options: ImmunisationOptions) -> Self {
        self.immunisations = Some(options);
        self
    }

    /// Investigations (`includeInvestigations`, with an optional
    /// `investigationSearchPeriod` of full dates).
    pub fn include_investigations(mut self, period: Option<SearchPeriod>) -> Self {
        self.investigations = Some(period);
        self
    }

    /// Diary entries (`includeDiaryEntries`, with `diaryEntriesSearchDate`: entries on or
    /// before that date, which must be today or later), as the clinicians' Access Record
    /// Structured asks for them. The patient-facing spec lists `diaryEntriesSearchDate`
    /// only in its error table and says providers do not return diary entries to
    /// patients, so the record may hold none.
    pub fn include_diary_entries(mut self, up_to: Option<NaiveDate>) -> Self {
        self.diary_entries = Some(up_to);
        self
    }

    /// Checks the parameters with `today` as today (spec §1.1 error table): at least one
    /// clinical area, dates not in the future (the diary date not in the past), periods
    /// with start <= end, a positive number of recent consultations.
    pub fn validate_on(&self, today: NaiveDate) -> std::result::Result<(), InvalidInput> {
        if self.allergies.is_none()
            && self.medication.is_none()
            && self.consultations.is_none()
            && self.problems.is_none()
            && self.immunisations.is_none()
            && self.investigations.is_none()
            && self.diary_entries.is_none()
        {
            return Err(InvalidInput::parameter(
                "Parameters",
                "ask for at least one clinical area (an include_* setter)",
            ));
        }
        if let Some(since) = self.medication.and_then(|m| m.since) {
            not_future("medicationSearchFromDate", since, today)?;
        }
        if let Some(c) = self.consultations {
            c.check(today)?;
        }
        if let Some(Some(p)) = self.investigations {
            p.check("investigationSearchPeriod", today)?;
        }
        if self.diary_entries.flatten().is_some_and(|d| d < today) {
            return Err(InvalidInput::parameter("diaryEntriesSearchDate", "must not be in the past"));
        }
        Ok(())
    }

    /// The FHIR `Parameters` body for the patient `nhs_number`, without validation;
    /// parameters in the order of the spec's `fullRecordRequest` example.
    pub fn parameters(&self, nhs_number: &NhsNumber) -> Value {
        let mut body = ParametersBody::new(nhs_number);
        if let Some(r) = self.allergies {
            body.push(
                "includeAllergies",
                vec![part("includeResolvedAllergies", "valueBoolean", json!(r == Resolved::Include))],
            );
        }
        if let Some(c) = self.consultations {
            body.push("includeConsultations", c.parts());
        }
        if let Some(o) = self.problems {
            body.push("includeProblems", o.parts());
        }
        if let Some(o) = self.immunisations {
            body.push("includeImmunizations", o.parts());
        }
        if let Some(p) = self.investigations {
            body.push(
                "includeInvestigations",
                p.map(|p| vec![part("investigationSearchPeriod", "valuePeriod", p.value())]).unwrap_or_default(),
            );
        }
        if let Some(m) = self.medication {
            let mut parts = Vec::new();
            if let Some(d) = m.since {
                parts.push(part("medicationSearchFromDate", "valueDate", date(d)));
            }
            if m.repeats_only {
                parts.push(part("prescriptionType", "valueCode", json!("repeat")));
            }
            body.push("includeMedication", parts);
        }
        if let Some(d) = self.diary_entries {
            body.push(
                "includeDiaryEntries",
                d.map(|d| vec![part("diaryEntriesSearchDate", "valueDate", date(d))]).unwrap_or_default(),
            );
        }
        body.build()
    }

    /// Validates and builds the wire request (nothing is sent).
    fn build(&self) -> Result<Request> {
        self.validate_on(chrono::Local::now().date_naive())?;
        let nhs = patient_nhs_number(self.call.transport())?;
        let body = serde_json::to_vec(&self.parameters(&nhs)).expect("a JSON value serializes");
        let request = Request::post(InteractionId::GetStructuredRecord, "Patient/$gpc.getstructuredrecord", body);
        Ok(request)
    }

    /// Reads the answer: a `collection` Bundle whose Patient must be the logged-in one. A
    /// record with no Patient, or a Patient without an NHS number, is refused as well as
    /// one naming another NHS number (`WrongPatient`): the spec says it always holds the
    /// requested patient. `NOPAT` resources are withheld before the view is made.
    fn read_answer(response: &Response, nhs_number: &NhsNumber) -> Result<PatientRecord> {
        check_answer(response, "Bundle")?;
        let mut value: Value = response.json()?;
        let withheld = withhold_not_for_patient(&mut value);
        let (bundle, raw): (Bundle, bytes::Bytes) = if withheld == 0 {
            (response.json()?, response.body.0.clone())
        } else {
            let raw = serde_json::to_vec(&value).expect("a JSON value serializes");
            let bundle = serde_json::from_slice(&raw)
                .map_err(|e| response.decode_error(gpconnect_core::error::DecodeProblem::json("", &e)))?;
            (bundle, raw.into())
        };
        let record = StructuredRecord::from_bundle(bundle, raw);
        PatientMismatch::check(nhs_number, record.patient().and_then(|p| p.nhs_number()))
            .map_err(|m| wrong_patient(response, m))?;
        Ok(PatientRecord { record, withheld })
    }
}

/// The patient's structured record as the patient may see it: the clinicians' view
/// ([`StructuredRecord`], through `Deref`) without the resources labelled `NOPAT`.
#[derive(Debug)]
pub struct PatientRecord {
    record: StructuredRecord,
    withheld: usize,
}

impl PatientRecord {
    /// How many resources labelled `NOPAT` (not for the patient) were withheld. Show the
    /// patient that something is held back ("some information is not available online")
    /// when it is not zero.
    pub fn withheld(&self) -> usize {
        self.withheld
    }

    /// The view.
    pub fn into_inner(self) -> StructuredRecord {
        self.record
    }
}

impl std::ops::Deref for PatientRecord {
    type Target = StructuredRecord;

    fn deref(&self) -> &StructuredRecord {
        &self.record
    }
}

/// Removes the entries whose resource is labelled `NOPAT` and the List entries that
/// point at them; returns how many resources were removed.
fn withhold_not_for_patient(bundle: &mut Value) -> usize {
    let nopat = |resource: &Value| {
        resource["meta"]["security"].as_array().is_some_and(|labels| {
            labels.iter().any(|l| {
                serde_json::from_value::<gpconnect_core::fhir::Coding>(l.clone()).is_ok_and(|c| c.is_not_for_patient())
            })
        })
    };
    let Some(entries) = bundle.get_mut("entry").and_then(Value::as_array_mut) else { return 0 };
    let mut withheld = std::collections::HashSet::new();
    entries.retain(|e| {
        let resource = &e["resource"];
        if !nopat(resource) {
            return true;
        }
        let (ty, id) = (resource["resourceType"].as_str().unwrap_or(""), resource["id"].as_str().unwrap_or(""));
        withheld.insert(format!("{ty}/{id}"));
        false
    });
    let removed = withheld.len();
    if removed > 0 {
        for entry in entries.iter_mut() {
            if entry["resource"]["resourceType"] != "List" {
                continue;
            }
            if let Some(items) = entry["resource"].get_mut("entry").and_then(Value::as_array_mut) {
                items.retain(|i| i["item"]["reference"].as_str().is_none_or(|r| !withheld.contains(r)));
            }
        }
    }
    removed
}
