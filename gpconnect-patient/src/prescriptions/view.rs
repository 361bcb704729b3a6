//! Typed views of the Prescriptions Management answers (FHIR R4, UK Core), read with
//! fhirbolt: strictly when the answer is strict FHIR R4, else element by element, each
//! element that is not costing itself only and reported as a [`Problem`] (as the SSP
//! views report theirs): what a patient app shows, with references resolved once.

use std::collections::HashMap;

use fhirbolt::model::r4::resources::{
    MedicationRequest, MedicationRequestMedication, Task, TaskInputValue, TaskOutputValue,
};
use fhirbolt::model::r4::types::{CodeableConcept, Extension, ExtensionValue, Quantity, Reference};
use fhirbolt::model::r4::Resource;
use fhirbolt::serde::{DeserializationConfig, DeserializationMode};
use gpconnect_core::error::DecodeProblem;
use gpconnect_core::fhir::lenient::{Problem, ProblemKind, Report};
use gpconnect_core::fhir::FhirDateTime;
use gpconnect_core::NhsNumber;
use gpconnect_core::PatientMismatch;
use serde_json::{Map, Value};

use crate::answer::check_depth;
use gpconnect_core::redacted_debug;

/// `Extension-UKCore-MedicationRepeatInformation` (on a repeat, `intent: plan`).
pub const REPEAT_INFORMATION_URL: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationRepeatInformation";
/// The code system of a Task's `input` / `output` types (`preferred-performer`, `sent-to-eps`).
pub const ORDERING_PARAMETER_SYSTEM: &str =
    "https://fhir.nhs.uk/England/CodeSystem/England-PFSPrescriptionOrderingParameter";
/// The EPS prescription (order) number system (`MedicationRequest.groupIdentifier`).
pub const ORDER_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/prescription-order-number";
/// The EPS line item number system (a completed request's `sent-to-eps` output).
pub const ORDER_ITEM_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/prescription-order-item-number";
/// The plain UUID identifier system.
pub const UUID_SYSTEM: &str = "https://tools.ietf.org/html/rfc4122";

/// A MedicationRequest's status (R4 `medicationrequest-status`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MedicationStatus {
    /// `active`: can be requested (a repeat) or is being dispensed (an issue).
    Active,
    /// `on-hold`.
    OnHold,
    /// `cancelled`.
    Cancelled,
    /// `completed`: an issue that was dispensed, or a finished course.
    Completed,
    /// `entered-in-error`.
    EnteredInError,
    /// `stopped`.
    Stopped,
    /// `draft`.
    Draft,
    /// `unknown`.
    Unknown,
    /// Any other code, kept as sent.
    Other(String),
}

impl MedicationStatus {
    fn from_code(code: &str) -> Self {
        match code {
            "active" => Self::Active,
            "on-hold" => Self::OnHold,
            "cancelled" => Self::Cancelled,
            "completed" => Self::Completed,
            "entered-in-error" => Self::EnteredInError,
            "stopped" => Self::Stopped,
            "draft" => Self::Draft,
            "unknown" => Self::Unknown,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The code as FHIR writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "active",
            Self::OnHold => "on-hold",
            Self::Cancelled => "cancelled",
            Self::Completed => "completed",
            Self::EnteredInError => "entered-in-error",
            Self::Stopped => "stopped",
            Self::Draft => "draft",
            Self::Unknown => "unknown",
            Self::Other(s) => s,
        }
    }
}

/// Where a repeat request is in the practice's workflow (R4 `task-status`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestStatus {
    /// `requested`: sent, waiting for the practice.
    Requested,
    /// `received`.
    Received,
    /// `accepted`.
    Accepted,
    /// `in-progress`: the practice is dealing with it.
    InProgress,
    /// `on-hold`.
    OnHold,
    /// `ready`.
    Ready,
    /// `completed`: issued (see [`PrescriptionRequest::sent_to_eps`]).
    Completed,
    /// `rejected`: see [`PrescriptionRequest::reason`] for what the practice said.
    Rejected,
    /// `cancelled`.
    Cancelled,
    /// `failed`.
    Failed,
    /// `entered-in-error`.
    EnteredInError,
    /// `draft`.
    Draft,
    /// Any other code, kept as sent.
    Other(String),
}

impl RequestStatus {
    fn from_code(code: &str) -> Self {
        match code {
            "requested" => Self::Requested,
            "received" => Self::Received,
            "accepted" => Self::Accepted,
            "in-progress" => Self::InProgress,
            "on-hold" => Self::OnHold,
            "ready" => Self::Ready,
            "completed" => Self::Completed,
            "rejected" => Self::Rejected,
            "cancelled" => Self::Cancelled,
            "failed" => Self::Failed,
            "entered-in-error" => Self::EnteredInError,
            "draft" => Self::Draft,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The code as FHIR writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Requested => "requested",
            Self::Received => "received",
            Self::Accepted => "accepted",
            Self::InProgress => "in-progress",
            Self::OnHold => "on-hold",
            Self::Ready => "ready",
            Self::Completed => "completed",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
            Self::EnteredInError => "entered-in-error",
            Self::Draft => "draft",
            Self::Other(s) => s,
        }
    }

    /// Whether the practice has finished with the request (completed, rejected,
    /// cancelled, failed or entered in error).
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Completed | Self::Rejected | Self::Cancelled | Self::Failed | Self::EnteredInError)
    }
}

/// What was prescribed and how to take it, shared by repeats and issues. `Debug` shows
/// only the dm+d code.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MedicationDetails {
    /// The medicine's name (`medicationCodeableConcept` text or display).
    pub name: Option<String>,
    /// Its dm+d (or other) code.
    pub code: Option<String>,
    /// How to take it (`dosageInstruction.text`, joined with `; `).
    pub dosage: Option<String>,
    /// How much is supplied per issue, e.g. `1 inhaler`.
    pub quantity: Option<String>,
    /// How long one issue lasts, e.g. `28 days`.
    pub supply_duration: Option<String>,
    /// Who authorised it (`requester.display`).
    pub prescriber: Option<String>,
}

redacted_debug!(MedicationDetails, code);

/// A repeat medication (a `MedicationRequest` with `intent: plan`): what the patient can
/// ask to have issued again with [`request_issue`](crate::Prescriptions::request_issue).
#[derive(Clone)]
pub struct RepeatMedication {
    /// The logical id, which a request names as its `focus`.
    pub id: String,
    /// Its status; only `active` repeats can be requested.
    pub status: MedicationStatus,
    /// What it is and how to take it.
    pub details: MedicationDetails,
    /// How many issues the authorisation allows (`dispenseRequest.numberOfRepeatsAllowed`).
    pub repeats_allowed: Option<u32>,
    /// How many have been issued (`MedicationRepeatInformation.numberOfPrescriptionsIssued`).
    pub issued: Option<u32>,
    /// When the authorisation ends and needs a review
    /// (`MedicationRepeatInformation.authorisationExpiryDate`).
    pub authorisation_expires: Option<FhirDateTime>,
    /// The course (`courseOfTherapyType`, e.g. "Continuous long term therapy").
    pub course: Option<String>,
    /// When it was authorised.
    pub authored_on: Option<FhirDateTime>,
    /// When it was last issued: the newest issue based on it in the same answer.
    pub last_issued: Option<FhirDateTime>,
}

redacted_debug!(
    RepeatMedication,
    id,
    status,
    details,
    repeats_allowed,
    issued,
    authorisation_expires,
    authored_on,
    last_issued
);

impl RepeatMedication {
    /// Whether the patient can ask for it to be issued: status `active` and issues left
    /// (fewer issued than the authorisation allows, when both are stated). Use
    /// [`can_request_on`](Self::can_request_on) to refuse an expired authorisation too.
    pub fn can_request(&self) -> bool {
        let used_up = matches!((self.issued, self.repeats_allowed), (Some(issued), Some(allowed)) if issued >= allowed);
        self.status == MedicationStatus::Active && !used_up
    }

    /// [`can_request`](Self::can_request), and the authorisation has not expired before
    /// `today` (the patient's local date): an expired repeat needs the practice's review
    /// first.
    pub fn can_request_on(&self, today: chrono::NaiveDate) -> bool {
        let end = self
            .authorisation_expires
            .as_ref()
            .and_then(|d| d.to_datetime().map(|t| t.date_naive()).or_else(|| d.to_date()));
        let expired = end.is_some_and(|end| end < today);
        self.can_request() && !expired
    }
}

/// One issue of a prescription (a `MedicationRequest` with `intent: order`).
#[derive(Clone)]
pub struct PrescriptionIssue {
    /// The logical id.
    pub id: Option<String>,
    /// Its status (`completed` once dispensed).
    pub status: MedicationStatus,
    /// What it is and how to take it.
    pub details: MedicationDetails,
    /// The repeat it was issued from (`basedOn`), when it names one.
    pub repeat_id: Option<String>,
    /// The EPS prescription number (`groupIdentifier`), e.g. `CDT38E-Y765968-4FG3BQ`.
    pub order_number: Option<String>,
    /// When it was issued.
    pub authored_on: Option<FhirDateTime>,
    /// The ODS code of the pharmacy it was sent to (`dispenseRequest.performer`).
    pub pharmacy_ods: Option<String>,
}

redacted_debug!(PrescriptionIssue, id, status, details, repeat_id, authored_on, pharmacy_ods);

/// The patient's medication requests: their repeats and the issues in the answer.
#[derive(Debug, Clone, Default)]
pub struct Medications {
    /// The repeat medications (`intent: plan`), in the provider's order.
    pub repeats: Vec<RepeatMedication>,
    /// The issues (`intent: order`), in the provider's order.
    pub issues: Vec<PrescriptionIssue>,
    problems: Vec<Problem>,
}

impl Medications {
    /// Reads a `GET /Patient/{id}/MedicationRequest` searchset for the patient `nhs_number`.
    ///
    /// An element that is not FHIR R4 (unknown, or of the wrong shape) costs that element
    /// (or its entry, when nothing of it can be read) and is reported in
    /// [`problems`](Self::problems).
    ///
    /// # Errors
    /// A body nested too deeply, not JSON, not a Bundle (or a Bundle whose own elements are
    /// not FHIR R4), or holding a MedicationRequest about another patient or naming none.
    pub fn from_slice(body: &[u8], nhs_number: &NhsNumber) -> Result<Self, ViewError> {
        let (resources, problems) = read_bundle(body)?;
        let mut requests = Vec::new();
        for resource in &resources {
            if let Resource::MedicationRequest(m) = resource {
                check_patient(&m.subject, nhs_number)?;
                requests.push(&**m);
            }
        }
        Ok(Self { problems, ..Self::from_requests(&requests) })
    }

    /// What could not be read as FHIR R4 (entry, resource type, element path; never a
    /// value); the rest of the answer is still read.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    fn from_requests(requests: &[&MedicationRequest]) -> Self {
        let mut out = Medications::default();
        for m in requests {
            match code(&m.intent).as_deref() {
                Some("plan") => out.repeats.extend(repeat(m)),
                _ => out.issues.push(issue(m)),
            }
        }
        // Each issue's plan is looked up once, by id.
        let by_id: HashMap<String, usize> = out.repeats.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
        for issue in &out.issues {
            let Some(i) = issue.repeat_id.as_ref().and_then(|id| by_id.get(id)) else { continue };
            let repeat = &mut out.repeats[*i];
            if later(issue.authored_on.as_ref(), repeat.last_issued.as_ref()) {
                repeat.last_issued = issue.authored_on.clone();
            }
        }
        out
    }

    /// The repeats that can be requested now.
    pub fn requestable(&self) -> impl Iterator<Item = &RepeatMedication> {
        self.repeats.iter().filter(|r| r.can_request())
    }

    /// The issues made from `repeat`, in the provider's order.
    pub fn issues_of<'a>(&'a self, repeat: &'a RepeatMedication) -> impl Iterator<Item = &'a PrescriptionIssue> + 'a {
        self.issues.iter().filter(move |i| i.repeat_id.as_deref() == Some(repeat.id.as_str()))
    }
}

/// One request for a repeat to be issued (a `Task`), as the practice sees it now.
#[derive(Clone)]
pub struct PrescriptionRequest {
    /// The Task's logical id (for [`request_status`](crate::Prescriptions::request_status) by id).
    pub id: Option<String>,
    /// The business identifier the app gave it when sending (a UUID).
    pub identifier: Option<String>,
    /// Where it is in the practice's workflow.
    pub status: RequestStatus,
    /// What the practice said, for a rejected request: patient-displayable text.
    pub reason: Option<String>,
    /// The repeat requested (`focus`).
    pub repeat_id: Option<String>,
    /// The medicine's name: from the included repeat, else the `focus.display`.
    pub medication_name: Option<String>,
    /// When it was sent (`authoredOn`).
    pub requested_at: Option<FhirDateTime>,
    /// When the practice last changed it (`lastModified`).
    pub updated_at: Option<FhirDateTime>,
    /// The patient's note.
    pub note: Option<String>,
    /// The one-off pharmacy chosen for this request (`input` `preferred-performer`).
    pub pharmacy_ods: Option<String>,
    /// The EPS line item numbers of the prescription it produced (`output` `sent-to-eps`).
    pub sent_to_eps: Vec<String>,
    problems: Vec<Problem>,
}

redacted_debug!(
    PrescriptionRequest,
    id,
    identifier,
    status,
    repeat_id,
    requested_at,
    updated_at,
    pharmacy_ods,
    sent_to_eps,
    problems
);

impl PrescriptionRequest {
    /// Reads one Task (the answer to [`request_issue`](crate::Prescriptions::request_issue)).
    ///
    /// An element that is not FHIR R4 costs that element and is reported in
    /// [`problems`](Self::problems).
    ///
    /// # Errors
    /// A body nested too deeply, not JSON, not a Task, or about another patient (or
    /// naming none).
    pub fn from_slice(body: &[u8], nhs_number: &NhsNumber) -> Result<Self, ViewError> {
        match read_one(body)? {
            (Resource::Task(task), problems) => {
                check_task_patient(&task, nhs_number)?;
                Ok(Self { problems, ..request(&task, &HashMap::new()) })
            }
            _ => Err(wrong_type("Task", body).into()),
        }
    }

    /// What of this Task could not be read as FHIR R4, when it was read alone (in a
    /// list, see [`PrescriptionRequests::problems`]).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

/// The patient's repeat requests, with the repeats they name when they were included.
#[derive(Debug, Clone, Default)]
pub struct PrescriptionRequests {
    /// The requests, in the provider's order.
    pub requests: Vec<PrescriptionRequest>,
    /// The repeats included with `_include=Task:focus:MedicationRequest`.
    pub repeats: Vec<RepeatMedication>,
    problems: Vec<Problem>,
}

impl PrescriptionRequests {
    /// Reads a `GET /Task` searchset for the patient `nhs_number`.
    ///
    /// Read as tolerantly as [`Medications::from_slice`].
    ///
    /// # Errors
    /// A body nested too deeply, not JSON, not a Bundle (or a Bundle whose own elements
    /// are not FHIR R4), or holding a Task or MedicationRequest about another patient or
    /// naming none.
    pub fn from_slice(body: &[u8], nhs_number: &NhsNumber) -> Result<Self, ViewError> {
        let (resources, problems) = read_bundle(body)?;
        let mut tasks = Vec::new();
        let mut medication_requests = Vec::new();
        for resource in &resources {
            match resource {
                Resource::Task(t) => {
                    check_task_patient(t, nhs_number)?;
                    tasks.push(&**t);
                }
                Resource::MedicationRequest(m) => {
                    check_patient(&m.subject, nhs_number)?;
                    medication_requests.push(&**m);
                }
                _ => {}
            }
        }
        let included = Medications::from_requests(&medication_requests);
        let names: HashMap<&str, &str> =
            included.repeats.iter().filter_map(|r| Some((r.id.as_str(), r.details.name.as_deref()?))).collect();
        let requests = tasks.iter().map(|t| request(t, &names)).collect();
        Ok(Self { requests, repeats: included.repeats, problems })
    }

    /// What could not be read as FHIR R4 (entry, resource type, element path; never a
    /// value); the rest of the answer is still read.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The requests the practice has not finished with.
    pub fn pending(&self) -> impl Iterator<Item = &PrescriptionRequest> {
        self.requests.iter().filter(|r| !r.status.is_final())
    }
}

// ---- reading -------------------------------------------------------------------------

/// Refuses an empty body, or one nested deeper than `MAX_DEPTH`, before any parsing
/// (strict or tolerant).
fn precheck(body: &[u8]) -> Result<(), DecodeProblem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeProblem::Empty);
    }
    check_depth(body)
}

fn strict(body: &[u8]) -> Result<Resource, DecodeProblem> {
    fhirbolt::json::from_slice::<Resource>(body, None).map_err(|e| DecodeProblem::json("", &e))
}

/// Reads a Bundle's resources: strict FHIR R4 when the whole answer is; otherwise the
/// envelope (everything but the entries' resources) strictly and each resource with
/// [`tolerant`], so one bad element costs that element (or one entry) and is reported.
fn read_bundle(body: &[u8]) -> Result<(Vec<Resource>, Vec<Problem>), DecodeProblem> {
    precheck(body)?;
    let first = strict(body);
    if let Ok(Resource::Bundle(bundle)) = first {
        return Ok((bundle.entry.into_iter().filter_map(|e| e.resource).collect(), Vec::new()));
    }
    let strict_error = match first {
        Ok(_) => return Err(wrong_type("Bundle", body)),
        Err(e) => e,
    };
    let Ok(Value::Object(mut bundle)) = serde_json::from_slice::<Value>(body) else { return Err(strict_error) };
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(wrong_type("Bundle", body));
    }
    // The envelope is read strictly: a malformed one is not the searchset the spec describes.
    let mut resources = Vec::new();
    if let Some(Value::Array(entries)) = bundle.get_mut("entry") {
        for entry in entries.iter_mut() {
            resources.push(entry.as_object_mut().and_then(|e| e.remove("resource")));
        }
    }
    fhirbolt::json::from_json_value::<Resource>(Value::Object(bundle), None).map_err(|_| strict_error)?;
    let mut problems = Vec::new();
    let read = resources.into_iter().enumerate().filter_map(|(i, r)| tolerant(r?, Some(i), &mut problems)).collect();
    Ok((read, problems))
}

/// A single resource (not a Bundle), read as [`tolerant`]ly as a Bundle's entries.
fn read_one(body: &[u8]) -> Result<(Resource, Vec<Problem>), DecodeProblem> {
    precheck(body)?;
    let strict_error = match strict(body) {
        Ok(resource) => return Ok((resource, Vec::new())),
        Err(e) => e,
    };
    let value = serde_json::from_slice::<Value>(body).map_err(|_| strict_error.clone())?;
    let mut problems = Vec::new();
    let resource = tolerant(value, None, &mut problems).ok_or(strict_error)?;
    Ok((resource, problems))
}

fn mode(mode: DeserializationMode) -> Option<DeserializationConfig> {
    Some(DeserializationConfig { mode })
}

/// The FHIR type name of a resource for a [`Problem`] (only the types this API reads are
/// named; any other is a `resource`).
fn type_name(value: &Map<String, Value>) -> &'static str {
    match value.get("resourceType").and_then(Value::as_str) {
        Some("MedicationRequest") => "MedicationRequest",
        Some("Task") => "Task",
        Some("OperationOutcome") => "OperationOutcome",
        _ => "resource",
    }
}

/// Reads one resource of an answer: strict FHIR R4 when it is; otherwise element by
/// element (each top-level element alone, an array's items one by one when the array
/// cannot be read whole), so an element of the wrong shape, or holding elements unknown to
/// FHIR R4, costs that element only. Each is recorded as a
/// [`ProblemKind::MalformedField`] (its path; never its value); a resource that cannot be
/// read at all as [`ProblemKind::Unreadable`]. Work is linear in the resource's size:
/// every element is read at most four times (strictly, alone, item by item, in the whole).
///
/// The patient checks run on what is read: a `subject` or `for` that cannot be read names
/// no patient, which refuses the answer.
fn tolerant(value: Value, entry: Option<usize>, problems: &mut Vec<Problem>) -> Option<Resource> {
    let Value::Object(members) = value else {
        problems.push(Problem::new(entry, "resource", ProblemKind::Unreadable));
        return None;
    };
    let resource_type = type_name(&members);
    let mut report = Report::new(resource_type, entry, problems);
    let Some(ty) = members.get("resourceType").cloned() else {
        report.push(ProblemKind::Unreadable);
        return None;
    };
    let members = match fhirbolt::json::from_json_value::<Resource>(Value::Object(members.clone()), None) {
        Ok(resource) => return Some(resource),
        Err(_) => members,
    };
    // The resource read leniently (missing required elements padded, unknown ones ignored).
    let lax = |members: Map<String, Value>| {
        fhirbolt::json::from_json_value::<Resource>(Value::Object(members), mode(DeserializationMode::Lax)).ok()
    };
    let base = || Map::from_iter([("resourceType".to_owned(), ty.clone())]);
    if lax(base()).is_none() {
        // Not a FHIR R4 resource type.
        report.push(ProblemKind::Unreadable);
        return None;
    }
    // Each element alone, leniently (missing required elements padded): an element that
    // cannot be read is left out, an array item by item.
    let readable = |name: &str, v: &Value| {
        let mut probe = base();
        probe.insert(name.to_owned(), v.clone());
        lax(probe).is_some()
    };
    let mut kept = base();
    for (name, v) in members {
        if name == "resourceType" {
            continue;
        }
        // A name no FHIR element has is left out unread (fhirbolt's lax mode is not given
        // names it cannot have).
        if element(&name) != name {
            report.push(ProblemKind::MalformedField { path: element(&name) });
            continue;
        }
        if readable(&name, &v) {
            kept.insert(name, v);
            continue;
        }
        let Value::Array(items) = v else {
            report.push(ProblemKind::MalformedField { path: element(&name) });
            continue;
        };
        let mut good = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let one = Value::Array(vec![item]);
            if !readable(&name, &one) {
                report.push(ProblemKind::MalformedField { path: format!("{}[{i}]", element(&name)) });
            } else if let Value::Array(one) = one {
                good.extend(one);
            }
        }
        if !good.is_empty() {
            kept.insert(name, Value::Array(good));
        }
    }
    let Some(read) = lax(kept.clone()) else {
        report.push(ProblemKind::Unreadable);
        return None;
    };
    // What was read, written back: an element that differs held something unknown to FHIR
    // R4, which was left out. (A resource missing a required element cannot be written
    // back; its left-out elements are already reported.)
    if let Ok(Value::Object(back)) = fhirbolt::json::to_json_value(read.clone(), None) {
        for (name, v) in &kept {
            match (back.get(name), v) {
                (Some(b), v) if b == v => {}
                (Some(Value::Array(b)), Value::Array(v)) if b.len() == v.len() => {
                    for i in (0..v.len()).filter(|&i| b[i] != v[i]) {
                        report.push(ProblemKind::MalformedField { path: format!("{}[{i}]", element(name)) });
                    }
                }
                _ => report.push(ProblemKind::MalformedField { path: element(name) }),
            }
        }
    }
    Some(read)
}

/// An element's name as a problem shows it: the name when it is shaped like a FHIR
/// element name (a letter or `_`, then letters and digits; at most 64), else
/// `(unknown element)`, so that a name a provider made up never carries what it wrote.
fn element(name: &str) -> String {
    let mut bytes = name.bytes();
    let shaped = name.len() <= 64
        && bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if shaped {
        name.to_owned()
    } else {
        "(unknown element)".to_owned()
    }
}

/// The error for a resource of another type, naming the type found (a FHIR type name,
/// never a value: anything else is reported as `(unknown)`).
fn wrong_type(expected: &'static str, body: &[u8]) -> DecodeProblem {
    #[derive(serde::Deserialize)]
    struct Peek {
        #[serde(rename = "resourceType")]
        resource_type: Option<String>,
    }
    let found = serde_json::from_slice::<Peek>(body)
        .ok()
        .and_then(|p| p.resource_type)
        .filter(|t| t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphabetic()))
        .unwrap_or_else(|| "(unknown)".into());
    DecodeProblem::ResourceType { expected, found }
}

fn text<T: AsRefValue>(v: &Option<T>) -> Option<String> {
    v.as_ref().and_then(AsRefValue::value).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The `value` of a fhirbolt primitive.
trait AsRefValue {
    fn value(&self) -> Option<&str>;
}

macro_rules! primitive {
    ($($t:ident),*) => {$(
        impl AsRefValue for fhirbolt::model::r4::types::$t {
            fn value(&self) -> Option<&str> {
                self.value.as_deref()
            }
        }
    )*};
}
primitive!(String, Code, Uri, DateTime, Markdown, Id, Decimal);

fn code(c: &fhirbolt::model::r4::types::Code) -> Option<String> {
    c.value.as_deref().map(str::to_owned)
}

fn concept_text(c: &CodeableConcept) -> Option<String> {
    text(&c.text).or_else(|| c.coding.iter().find_map(|coding| text(&coding.display)))
}

fn date(v: &Option<fhirbolt::model::r4::types::DateTime>) -> Option<FhirDateTime> {
    text(v).map(FhirDateTime::new)
}

fn later(a: Option<&FhirDateTime>, than: Option<&FhirDateTime>) -> bool {
    match (a, than) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(a), Some(b)) => match (a.to_datetime(), b.to_datetime()) {
            (Some(a), Some(b)) => a > b,
            _ => a.as_str() > b.as_str(),
        },
    }
}

fn amount(value: Option<&str>, unit: Option<String>) -> Option<String> {
    match (value, unit) {
        (Some(v), Some(u)) => Some(format!("{v} {u}")),
        (Some(v), None) => Some(v.to_owned()),
        (None, u) => u,
    }
}

fn quantity(q: &Quantity) -> Option<String> {
    amount(q.value.as_ref().and_then(AsRefValue::value), text(&q.unit))
}

/// The id of a `Type/id` reference, when it is one of `resource_type`.
fn reference_id(r: &Reference, resource_type: &str) -> Option<String> {
    let reference = text(&r.reference)?;
    let (ty, id) = reference.rsplit_once('/')?;
    (ty.rsplit('/').next() == Some(resource_type) && !id.is_empty()).then(|| id.to_owned())
}

/// An answer about another patient than the one asked for is an error, and so is one
/// that names no patient: this API names patients by NHS number (`Patient/<NHS number>`
/// and an `nhs-number` identifier), so at least one must be there and every one must
/// be the logged-in patient's; a `Patient/<id>` that is not the NHS number is another
/// patient.
fn check_patient(r: &Reference, nhs_number: &NhsNumber) -> Result<(), PatientMismatch> {
    let by_identifier = r
        .identifier
        .as_ref()
        .filter(|i| text(&i.system).as_deref() == Some(NhsNumber::SYSTEM))
        .and_then(|i| text(&i.value));
    let by_reference = reference_id(r, "Patient");
    let mut named = false;
    for found in [by_identifier, by_reference].into_iter().flatten() {
        PatientMismatch::check(nhs_number, Some(&found))?;
        named = true;
    }
    if named {
        Ok(())
    } else {
        Err(PatientMismatch::NoNhsNumber)
    }
}

/// A Task names its patient in `for` (required); a requester that is a Patient must be
/// the same one.
fn check_task_patient(task: &Task, nhs_number: &NhsNumber) -> Result<(), PatientMismatch> {
    check_patient(task.r#for.as_ref().ok_or(PatientMismatch::NoNhsNumber)?, nhs_number)?;
    if let Some(r) = task.requester.as_ref().filter(|r| reference_id(r, "Patient").is_some()) {
        check_patient(r, nhs_number)?;
    }
    Ok(())
}

/// Why a prescriptions answer could not be read into a view.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// The body is not what the spec describes.
    #[error("{0}")]
    Decode(#[from] DecodeProblem),
    /// A resource names another patient than the logged-in one, or none where one is
    /// required.
    #[error("{0}")]
    WrongPatient(#[from] PatientMismatch),
}

fn details(m: &MedicationRequest) -> MedicationDetails {
    let (name, code) = match &m.medication {
        MedicationRequestMedication::CodeableConcept(c) => {
            (concept_text(c), c.coding.iter().find_map(|coding| coding.code.as_ref().and_then(|c| c.value.clone())))
        }
        MedicationRequestMedication::Reference(r) => (text(&r.display), None),
        _ => (None, None),
    };
    let dosage: Vec<String> = m.dosage_instruction.iter().filter_map(|d| text(&d.text)).collect();
    let dispense = m.dispense_request.as_ref();
    MedicationDetails {
        name,
        code,
        dosage: (!dosage.is_empty()).then(|| dosage.join("; ")),
        quantity: dispense.and_then(|d| d.quantity.as_deref()).and_then(quantity),
        supply_duration: dispense
            .and_then(|d| d.expected_supply_duration.as_deref())
            .and_then(|d| amount(d.value.as_ref().and_then(AsRefValue::value), text(&d.unit))),
        prescriber: m.requester.as_ref().and_then(|r| text(&r.display)),
    }
}

fn sub_extension<'a>(ext: &'a Extension, url: &str) -> Option<&'a ExtensionValue> {
    ext.extension.iter().find(|e| e.url == url).and_then(|e| e.value.as_ref())
}

fn repeat(m: &MedicationRequest) -> Option<RepeatMedication> {
    let id = m.id.as_ref().and_then(|i| i.value.clone())?;
    let info = m.extension.iter().find(|e| e.url == REPEAT_INFORMATION_URL);
    let issued = info.and_then(|e| match sub_extension(e, "numberOfPrescriptionsIssued") {
        Some(ExtensionValue::UnsignedInt(n)) => n.value,
        Some(ExtensionValue::PositiveInt(n)) => n.value,
        Some(ExtensionValue::Integer(n)) => n.value.and_then(|v| u32::try_from(v).ok()),
        _ => None,
    });
    let authorisation_expires = info.and_then(|e| match sub_extension(e, "authorisationExpiryDate") {
        Some(ExtensionValue::DateTime(d)) => d.value.clone().map(FhirDateTime::new),
        Some(ExtensionValue::Date(d)) => d.value.clone().map(FhirDateTime::new),
        _ => None,
    });
    Some(RepeatMedication {
        id,
        status: MedicationStatus::from_code(&code(&m.status).unwrap_or_default()),
        details: details(m),
        repeats_allowed: m.dispense_request.as_ref().and_then(|d| d.number_of_repeats_allowed.as_ref()?.value),
        issued,
        authorisation_expires,
        course: m.course_of_therapy_type.as_deref().and_then(concept_text),
        authored_on: date(&m.authored_on),
        last_issued: None,
    })
}

fn issue(m: &MedicationRequest) -> PrescriptionIssue {
    PrescriptionIssue {
        id: m.id.as_ref().and_then(|i| i.value.clone()),
        status: MedicationStatus::from_code(&code(&m.status).unwrap_or_default()),
        details: details(m),
        repeat_id: m.based_on.iter().find_map(|r| reference_id(r, "MedicationRequest")),
        order_number: m
            .group_identifier
            .as_deref()
            .filter(|i| text(&i.system).as_deref() == Some(ORDER_NUMBER_SYSTEM))
            .and_then(|i| text(&i.value)),
        authored_on: date(&m.authored_on),
        pharmacy_ods: m
            .dispense_request
            .as_ref()
            .and_then(|d| d.performer.as_deref())
            .and_then(|r| r.identifier.as_deref())
            .filter(|i| text(&i.system).as_deref() == Some(gpconnect_core::OdsCode::SYSTEM))
            .and_then(|i| text(&i.value)),
    }
}

fn is_parameter(c: &CodeableConcept, wanted: &str) -> bool {
    c.coding.iter().any(|coding| {
        text(&coding.system).as_deref() == Some(ORDERING_PARAMETER_SYSTEM)
            && coding.code.as_ref().and_then(|c| c.value.as_deref()) == Some(wanted)
    })
}

fn request(task: &Task, names: &HashMap<&str, &str>) -> PrescriptionRequest {
    let repeat_id = task.focus.as_deref().and_then(|r| reference_id(r, "MedicationRequest"));
    let medication_name = repeat_id
        .as_deref()
        .and_then(|id| names.get(id))
        .map(|s| (*s).to_owned())
        .or_else(|| task.focus.as_deref().and_then(|r| text(&r.display)));
    let pharmacy_ods =
        task.input.iter().find(|i| is_parameter(&i.r#type, "preferred-performer")).and_then(|i| match &i.value {
            TaskInputValue::Identifier(id) => text(&id.value),
            TaskInputValue::String(s) => text(&Some(s.clone())),
            _ => None,
        });
    let sent_to_eps = task
        .output
        .iter()
        .filter(|o| is_parameter(&o.r#type, "sent-to-eps"))
        .filter_map(|o| match &o.value {
            TaskOutputValue::Identifier(id) => text(&id.value),
            TaskOutputValue::String(s) => text(&Some(s.clone())),
            _ => None,
        })
        .collect();
    let note: Vec<String> = task.note.iter().filter_map(|n| text(&Some(n.text.clone()))).collect();
    PrescriptionRequest {
        id: task.id.as_ref().and_then(|i| i.value.clone()),
        identifier: task.identifier.iter().find_map(|i| text(&i.value)),
        status: RequestStatus::from_code(&code(&task.status).unwrap_or_default()),
        reason: task.status_reason.as_deref().and_then(concept_text),
        repeat_id,
        medication_name,
        requested_at: date(&task.authored_on),
        updated_at: date(&task.last_modified),
        note: (!note.is_empty()).then(|| note.join("\n")),
        pharmacy_ods,
        sent_to_eps,
        problems: Vec::new(),
    }
}
