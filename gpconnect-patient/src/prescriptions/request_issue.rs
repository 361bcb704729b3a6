//! `POST /Task`: ask the practice to issue a repeat again.

use chrono::{SecondsFormat, Utc};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::foundations::logical_id;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{Call, InteractionId, NhsNumber, OdsCode, Operation, Request, Response, Result};
use serde_json::{json, Value};
use uuid::Uuid;

use super::decoded;
use super::view::{PrescriptionRequest, RepeatMedication, ORDERING_PARAMETER_SYSTEM, UUID_SYSTEM};
use crate::answer::patient_nhs_number;

/// The SNOMED CT code of a Task asking for a repeat: "Renewal of prescription".
pub const RENEWAL_OF_PRESCRIPTION: &str = "103742009";
/// The UK Core Task profile.
pub const TASK_PROFILE: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Task";
/// The longest note the SDK sends (the spec sets no limit; practices show it in a task list).
pub const MAX_NOTE_CHARS: usize = 1000;

/// Asks for a repeat to be issued; from
/// [`Prescriptions::request_issue`](crate::Prescriptions::request_issue). `Debug` leaves
/// out the note.
///
/// Sends `POST /Task` (UK Core Task, `status: requested`, `intent: order`, code
/// "Renewal of prescription") whose `focus` is the repeat, `for` and `requester` the
/// patient, with a business identifier (a UUID, see [`identifier`](Self::identifier)),
/// the patient's note and a one-off nominated pharmacy when chosen.
///
/// Sends the request, once.
///
/// # Errors
/// `InvalidInput` for a repeat that is not active or a bad note (nothing sent);
/// `ACCESS_DENIED` (403: the patient's access level does not allow it),
/// `DUPLICATE_REJECTED` (409), `INVALID_RESOURCE` / `REFERENCE_NOT_FOUND` (422).
///
/// Never retried: after an error whose `may_have_been_sent()` is true, look for the
/// [`identifier`](Self::identifier) in [`request_status`](crate::Prescriptions::request_status)
/// before asking again.
#[must_use]
pub struct RequestIssue {
    call: Call<PatientSession>,
    repeat_id: String,
    requestable: bool,
    identifier: Uuid,
    note: Option<String>,
    pharmacy: Option<OdsCode>,
}

gpconnect_core::builder!(RequestIssue);

impl Operation for RequestIssue {
    type Answer = Response;
    type Output = PrescriptionRequest;

    fn interaction(&self) -> InteractionId {
        InteractionId::RequestPrescription
    }

    fn request(&self) -> Result<Request> {
        self.build()
    }

    fn parse(&self, response: Response) -> Result<PrescriptionRequest> {
        let nhs = patient_nhs_number(self.call.transport())?;
        Self::read_answer(&response, &nhs)
    }
}

impl std::fmt::Debug for RequestIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestIssue")
            .field("repeat_id", &self.repeat_id)
            .field("identifier", &self.identifier)
            .field("pharmacy", &self.pharmacy)
            .finish_non_exhaustive()
    }
}

impl RequestIssue {
    pub(crate) fn new(session: &PatientSession, repeat: &RepeatMedication) -> Self {
        Self {
            call: Call::new(session),
            repeat_id: repeat.id.clone(),
            requestable: repeat.can_request(),
            identifier: Uuid::new_v4(),
            note: None,
            pharmacy: None,
        }
    }

    /// A note for the practice from the patient (`note.text`, author "Patient").
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.note = Some(text.into());
        self
    }

    /// Sends this issue to this pharmacy, once, instead of the patient's nominated one
    /// (`input` of type `preferred-performer` with the pharmacy's ODS code).
    pub fn pharmacy(mut self, ods: &OdsCode) -> Self {
        self.pharmacy = Some(ods.clone());
        self
    }

    /// The request's business identifier (`Task.identifier`, fresh by default): keep it
    /// to find the request in [`request_status`](crate::Prescriptions::request_status)
    /// after an unknown outcome.
    pub fn identifier(&self) -> Uuid {
        self.identifier
    }

    /// Uses this business identifier instead of a fresh one.
    pub fn with_identifier(mut self, id: Uuid) -> Self {
        self.identifier = id;
        self
    }

    /// The Task body for the patient `nhs_number`, validated.
    pub fn body(&self, nhs_number: &NhsNumber) -> Result<Value, InvalidInput> {
        if !self.requestable {
            return Err(InvalidInput::parameter("focus", "only an active repeat (intent plan) can be requested"));
        }
        let repeat_id = logical_id(&self.repeat_id)
            .map_err(|_| InvalidInput::parameter("focus", "the repeat's id is not a logical id"))?;
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let patient = json!({
            "reference": format!("Patient/{}", nhs_number.expose()),
            "identifier": { "system": NhsNumber::SYSTEM, "value": nhs_number.expose() },
        });
        let mut task = json!({
            "resourceType": "Task",
            "meta": { "profile": [TASK_PROFILE] },
            "identifier": [ { "system": UUID_SYSTEM, "value": self.identifier.to_string() } ],
            "status": "requested",
            "intent": "order",
            "code": { "coding": [ {
                "system": "http://snomed.info/sct",
                "code": RENEWAL_OF_PRESCRIPTION,
                "display": "Renewal of prescription",
            } ] },
            "focus": { "reference": format!("MedicationRequest/{repeat_id}") },
            "for": patient.clone(),
            "authoredOn": now,
            "lastModified": now,
            "requester": patient,
        });
        if let Some(note) = &self.note {
            let note = note.trim();
            if note.is_empty() {
                return Err(InvalidInput::parameter("note", "the note is empty"));
            }
            if note.chars().count() > MAX_NOTE_CHARS {
                return Err(InvalidInput::parameter("note", format!("at most {MAX_NOTE_CHARS} characters")));
            }
            task["note"] = json!([ { "authorString": "Patient", "text": note } ]);
        }
        if let Some(ods) = &self.pharmacy {
            task["input"] = json!([ {
                "type": { "coding": [ {
                    "system": ORDERING_PARAMETER_SYSTEM,
                    "code": "preferred-performer",
                    "display": "Preferred performer",
                } ] },
                "valueIdentifier": { "system": OdsCode::SYSTEM, "value": ods.as_str() },
            } ]);
        }
        Ok(task)
    }

    /// Validates and builds the wire request (nothing is sent).
    fn build(&self) -> Result<Request> {
        let nhs = patient_nhs_number(self.call.transport())?;
        let body = serde_json::to_vec(&self.body(&nhs)?).expect("a JSON value serializes");
        let request = Request::post(InteractionId::RequestPrescription, "Task", body);
        Ok(request)
    }

    /// Reads the created Task (FHIR R4, tolerantly, about the patient `nhs_number`).
    fn read_answer(response: &Response, nhs_number: &NhsNumber) -> Result<PrescriptionRequest> {
        decoded(response, PrescriptionRequest::from_slice(&response.body.0, nhs_number))
    }
}
