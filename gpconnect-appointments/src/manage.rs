//! Read, list, amend and cancel appointments, and find out whether a booking happened.

use chrono::NaiveDate;
use std::collections::HashSet;

use gpconnect_core::error::InvalidInput;
use gpconnect_core::fhir::lenient::{Problem, ProblemKind};
use gpconnect_core::fhir::Bundle;
use gpconnect_core::{
    AppointmentId, Call, InteractionId, Operation, PatientId, PatientMismatch, Request, Response, Result, Traced,
};
use http::header::IF_MATCH;
use http::HeaderValue;
use serde_json::{json, Value};

use crate::model::{Appointment, CANCELLATION_REASON_URL};
use crate::search::FreeSlot;
use crate::{appointment_from_response, MAX_COMMENT_CHARS, MAX_DESCRIPTION_CHARS};

/// Today's date, as the range checks of a patient's appointments see it (UTC; see
/// [`Appointments::patient_appointments`](crate::Appointments::patient_appointments)).
/// Today in the UK (Europe/London): the spec's "today" and "not in the past".
pub(crate) fn today() -> NaiveDate {
    gpconnect_core::uk::today()
}

/// Reads one appointment; see [`Appointments::read`](crate::Appointments::read).
///
/// `GET /Appointment/{id}` (`urn:nhs:names:services:gpconnect:fhir:rest:read:appointment-1`,
/// `patient/*.read`).
///
/// # Example
/// ```no_run
/// # use gpconnect_appointments::AppointmentsExt;
/// # async fn demo(p: gpconnect_core::Provider) -> gpconnect_core::Result<()> {
/// let appointment = p.appointments().read(&"148".parse()?).send().await?;
/// println!("{:?} version {:?}", appointment.status, appointment.version_id);
/// # Ok(()) }
/// ```
///
/// # Errors
/// `NotFound` (`404 NO_RECORD_FOUND`) for an unknown id; an error for a past
/// appointment; `WrongPatient` for an appointment naming no patient, several, or
/// another than [`for_patient`](Self::for_patient); transport errors. Safe to retry: a read.
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct ReadAppointment {
    pub(crate) call: Call,
    pub(crate) id: AppointmentId,
    pub(crate) patient_id: Option<PatientId>,
}

gpconnect_core::builder!(ReadAppointment);

impl ReadAppointment {
    /// The logical id of the patient the appointment must be for: an answer for another
    /// patient is [`Error::WrongPatient`](gpconnect_core::Error::WrongPatient), never data.
    /// Without it, the answer must still name exactly one patient.
    pub fn for_patient(mut self, patient_id: &PatientId) -> Self {
        self.patient_id = Some(patient_id.clone());
        self
    }
}

impl Operation for ReadAppointment {
    type Answer = Response;
    type Output = Appointment;

    fn interaction(&self) -> InteractionId {
        InteractionId::ReadAppointment
    }

    fn request(&self) -> Result<Request> {
        Ok(Request::get(InteractionId::ReadAppointment, self.id.reference()))
    }

    fn parse(&self, response: Response) -> Result<Appointment> {
        appointment_from_response(&response, self.patient_id.as_ref().map(PatientId::as_str))
    }
}

/// Lists a patient's appointments; see
/// [`Appointments::patient_appointments`](crate::Appointments::patient_appointments).
/// The answer includes cancelled appointments.
///
/// `GET /Patient/{id}/Appointment?start=geYYYY-MM-DD&start=leYYYY-MM-DD`
/// (`urn:nhs:names:services:gpconnect:fhir:rest:search:patient_appointments-1`, `patient/*.read`).
///
/// # Example
/// ```no_run
/// # use gpconnect_appointments::AppointmentsExt;
/// # async fn demo(p: gpconnect_core::Provider) -> gpconnect_core::Result<()> {
/// let today = chrono::Utc::now().date_naive();
/// let patient = "2".parse()?;
/// let list = p.appointments().patient_appointments(&patient, today, today + chrono::Duration::days(30)).send().await?;
/// println!("{} appointments (Ssp-TraceID {})", list.len(), list.trace_id);
/// # Ok(()) }
/// ```
///
/// # Errors
/// `InvalidInput` naming `start` for a range starting before today or reversed (nothing
/// sent); `422 INVALID_PARAMETER`; `PATIENT_NOT_FOUND`; `WrongPatient` when any
/// appointment listed is for another patient (or names none); transport errors. Safe to
/// retry: a read.
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct PatientAppointments {
    pub(crate) call: Call,
    pub(crate) patient_id: PatientId,
    pub(crate) from: NaiveDate,
    pub(crate) to: NaiveDate,
}

gpconnect_core::builder!(PatientAppointments);

impl PatientAppointments {
    pub(crate) fn request_on(&self, today: NaiveDate) -> Result<Request> {
        let id = &self.patient_id;
        if self.from < today {
            return Err(
                InvalidInput::parameter("start", "the range must not start in the past (today is allowed)").into()
            );
        }
        if self.to < self.from {
            return Err(InvalidInput::parameter("start", "the range ends before it starts").into());
        }
        let request = Request::get(InteractionId::SearchPatientAppointments, format!("Patient/{id}/Appointment"))
            .query("start", format!("ge{}", self.from.format("%Y-%m-%d")))
            .query("start", format!("le{}", self.to.format("%Y-%m-%d")));
        Ok(request)
    }
}

impl Operation for PatientAppointments {
    type Answer = Response;
    type Output = AppointmentList;

    fn interaction(&self) -> InteractionId {
        InteractionId::SearchPatientAppointments
    }

    fn request(&self) -> Result<Request> {
        self.request_on(today())
    }

    fn parse(&self, response: Response) -> Result<AppointmentList> {
        let bundle: Bundle = response.resource()?;
        let list = AppointmentList::read(&bundle, Some(self.patient_id.as_str()))
            .map_err(|m| m.error(self.interaction(), response.trace_id))?;
        Ok(list)
    }
}

/// A patient's appointments, in the order the provider sent them; derefs to a slice of
/// [`Appointment`].
///
/// One malformed field costs only that field (named in the appointment's and the list's
/// [`problems`](Self::problems)); an appointment is left out only when it has no id (it
/// could be neither amended nor cancelled), cannot be read, or repeats an id already
/// listed, and that is reported too.
#[derive(Debug, Clone, Default)]
pub struct AppointmentList {
    /// The appointments.
    pub appointments: Vec<Appointment>,
    problems: Vec<Problem>,
}

impl AppointmentList {
    /// Reads the Appointments of a searchset, each checked to be for the patient with
    /// logical id `patient` (when given) and to name exactly one patient.
    pub(crate) fn read(bundle: &Bundle, patient: Option<&str>) -> std::result::Result<Self, PatientMismatch> {
        let mut list = AppointmentList::default();
        let mut seen = HashSet::new();
        let appointments = bundle.entry.iter().enumerate().filter_map(|(i, e)| Some((i, e.resource.as_ref()?)));
        for (entry, raw) in appointments.filter(|(_, r)| r.resource_type() == "Appointment") {
            let mut own = Vec::new();
            let Ok(appointment) = Appointment::read(raw.raw(), Some(entry), &mut own) else {
                list.problems.push(Problem::new(Some(entry), "Appointment", ProblemKind::Unreadable));
                continue;
            };
            // Every appointment is checked, kept or not: one for someone else is never data.
            appointment.check_patient(patient)?;
            let kind = match appointment.id.as_deref() {
                None => Some(ProblemKind::NoIdentity),
                Some(id) if !seen.insert(id.to_owned()) => Some(ProblemKind::Duplicate),
                Some(_) => None,
            };
            match kind {
                Some(kind) => list.problems.push(Problem::new(Some(entry), "Appointment", kind)),
                None => {
                    list.problems.append(&mut own);
                    list.appointments.push(appointment);
                }
            }
        }
        Ok(list)
    }

    /// Everything in the answer that could not be read as the spec says: malformed fields
    /// of the appointments kept (also on each [`Appointment::problems`]) and appointments
    /// left out. Names paths, never values.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl std::ops::Deref for AppointmentList {
    type Target = [Appointment];

    fn deref(&self) -> &[Appointment] {
        &self.appointments
    }
}

impl IntoIterator for AppointmentList {
    type Item = Appointment;
    type IntoIter = std::vec::IntoIter<Appointment>;

    fn into_iter(self) -> Self::IntoIter {
        self.appointments.into_iter()
    }
}

impl<'a> IntoIterator for &'a AppointmentList {
    type Item = &'a Appointment;
    type IntoIter = std::slice::Iter<'a, Appointment>;

    fn into_iter(self) -> Self::IntoIter {
        self.appointments.iter()
    }
}

fn if_match(appointment: &Appointment) -> Result<(AppointmentId, HeaderValue)> {
    let id = appointment.id.as_deref().ok_or_else(|| InvalidInput::parameter("id", "the appointment has no id"))?;
    let id = AppointmentId::parse(id).map_err(|e| InvalidInput::parameter("id", e.to_string()))?;
    let version = appointment
        .version_id
        .as_deref()
        .filter(|v| !v.is_empty() && !v.contains('"'))
        .ok_or_else(|| InvalidInput::parameter("If-Match", "the appointment has no version: read it first"))?;
    let value = HeaderValue::from_str(&format!("W/\"{version}\""))
        .map_err(|_| InvalidInput::parameter("If-Match", "the version is not a valid header value"))?;
    Ok((id, value))
}

/// Amends an appointment's description and/or comment; see
/// [`Appointments::amend`](crate::Appointments::amend). `Debug` leaves out the free texts.
///
/// Sends the appointment as read, with only description and/or comment changed, and
/// `If-Match: W/"<version>"`: `PUT /Appointment/{id}`
/// (`urn:nhs:names:services:gpconnect:fhir:rest:update:appointment-1`, `patient/*.write`).
///
/// # Example
/// ```no_run
/// # use gpconnect_appointments::AppointmentsExt;
/// # async fn demo(p: gpconnect_core::Provider) -> gpconnect_core::Result<()> {
/// let current = p.appointments().read(&"148".parse()?).send().await?;
/// let amended = p.appointments().amend(&current).comment("Prefers a morning call").send().await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// `InvalidInput` (nothing sent); `Conflict` (`409`) when the appointment changed since
/// it was read (read it again); `422 INVALID_RESOURCE`. Not retried; after
/// `OutcomeUnknown` read the appointment to see whether it changed.
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct Amend {
    pub(crate) call: Call,
    pub(crate) appointment: Appointment,
    pub(crate) description: Option<String>,
    pub(crate) comment: Option<String>,
}

gpconnect_core::builder!(Amend);

impl std::fmt::Debug for Amend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Amend").field("appointment", &self.appointment).finish_non_exhaustive()
    }
}

impl Amend {
    /// The new description (at most 100 characters).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// The new comment (at most 500 characters). A blank comment removes the comment:
    /// nothing is ever sent as `""`.
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }

    /// The id, `If-Match` value and body, validated.
    pub(crate) fn prepared(&self) -> Result<(AppointmentId, HeaderValue, Value)> {
        let (id, version) = if_match(&self.appointment)?;
        if self.appointment.is_cancelled() {
            return Err(InvalidInput::parameter("status", "a cancelled appointment cannot be amended").into());
        }
        if self.description.is_none() && self.comment.is_none() {
            return Err(InvalidInput::parameter(
                "description",
                "nothing to amend: give a description and/or a comment",
            )
            .into());
        }
        let mut raw = self.appointment.raw_json();
        let body = as_object(&mut raw)?;
        if let Some(d) = &self.description {
            let d = d.trim();
            if d.is_empty() {
                return Err(InvalidInput::parameter("description", "the description must not be empty").into());
            }
            if d.chars().count() > MAX_DESCRIPTION_CHARS {
                return Err(InvalidInput::parameter(
                    "description",
                    format!("at most {MAX_DESCRIPTION_CHARS} characters"),
                )
                .into());
            }
            body.insert("description".into(), Value::String(d.to_owned()));
        }
        match self.comment.as_deref().map(str::trim) {
            Some("") => {
                body.remove("comment");
            }
            Some(c) if c.chars().count() > MAX_COMMENT_CHARS => {
                return Err(
                    InvalidInput::parameter("comment", format!("at most {MAX_COMMENT_CHARS} characters")).into()
                );
            }
            Some(c) => {
                body.insert("comment".into(), Value::String(c.to_owned()));
            }
            None => {}
        }
        Ok((id, version, raw))
    }
}

impl Operation for Amend {
    type Answer = Response;
    type Output = Appointment;

    fn interaction(&self) -> InteractionId {
        InteractionId::AmendAppointment
    }

    fn request(&self) -> Result<Request> {
        let (id, version, body) = self.prepared()?;
        let bytes = serde_json::to_vec(&body).expect("a JSON value serializes");
        Ok(Request::put(InteractionId::AmendAppointment, format!("Appointment/{id}"), bytes).header(IF_MATCH, version))
    }

    /// The answer must be for the patient of the appointment as read.
    fn parse(&self, response: Response) -> Result<Appointment> {
        appointment_from_response(&response, self.appointment.patient_id.as_deref())
    }
}

/// Cancels an appointment; see [`Appointments::cancel`](crate::Appointments::cancel).
/// `Debug` leaves out the reason.
///
/// Sends the appointment as read, with only `status` set to `cancelled` and the
/// cancellation reason extension added, and `If-Match`: `PUT /Appointment/{id}`
/// (`urn:nhs:names:services:gpconnect:fhir:rest:cancel:appointment-1`, `patient/*.write`).
///
/// # Example
/// ```no_run
/// # use gpconnect_appointments::AppointmentsExt;
/// # async fn demo(p: gpconnect_core::Provider) -> gpconnect_core::Result<()> {
/// let current = p.appointments().read(&"148".parse()?).send().await?;
/// p.appointments().cancel(&current, "Patient feels better").send().await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// `InvalidInput` (nothing sent); `Conflict` (`409`) when the appointment changed since
/// it was read; `422 INVALID_RESOURCE`. Not retried; after `OutcomeUnknown` read the
/// appointment to see whether it was cancelled.
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct Cancel {
    pub(crate) call: Call,
    pub(crate) appointment: Appointment,
    pub(crate) reason: String,
}

gpconnect_core::builder!(Cancel);

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel").field("appointment", &self.appointment).finish_non_exhaustive()
    }
}

impl Cancel {
    /// The id, `If-Match` value and body, validated.
    pub(crate) fn prepared(&self) -> Result<(AppointmentId, HeaderValue, Value)> {
        let (id, version) = if_match(&self.appointment)?;
        Ok((id, version, self.appointment.cancellation(&self.reason)?))
    }
}

impl Operation for Cancel {
    type Answer = Response;
    type Output = Appointment;

    fn interaction(&self) -> InteractionId {
        InteractionId::CancelAppointment
    }

    fn request(&self) -> Result<Request> {
        let (id, version, body) = self.prepared()?;
        let bytes = serde_json::to_vec(&body).expect("a JSON value serializes");
        Ok(Request::put(InteractionId::CancelAppointment, format!("Appointment/{id}"), bytes).header(IF_MATCH, version))
    }

    /// The answer must be for the patient of the appointment as read.
    fn parse(&self, response: Response) -> Result<Appointment> {
        appointment_from_response(&response, self.appointment.patient_id.as_deref())
    }
}

/// Looks for a booking of given slots among a patient's appointments; see
/// [`Appointments::find_booking`](crate::Appointments::find_booking).
///
/// # Example
/// ```no_run
/// # use gpconnect_appointments::{AppointmentsExt, FreeSlot};
/// # async fn demo(p: gpconnect_core::Provider, slot: FreeSlot) -> gpconnect_core::Result<()> {
/// match p.appointments().find_booking(&"2".parse()?, std::slice::from_ref(&slot)).send().await?.transpose() {
///     Some(booked) => println!("it was booked: {:?}", booked.id),
///     None => println!("not booked"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct FindBooking {
    pub(crate) call: Call,
    pub(crate) patient_id: PatientId,
    pub(crate) slots: Vec<FreeSlot>,
}

gpconnect_core::builder!(FindBooking, no_send);

impl FindBooking {
    /// Lists the patient's appointments on the slots' days and returns the booked (not
    /// cancelled) one that references one of the slots, or else starts and ends when
    /// the slots do. `None` when there is none: the booking did not happen.
    ///
    /// Sends one `GET /Patient/{id}/Appointment` (see [`PatientAppointments`]). Safe
    /// to retry: a read.
    ///
    /// # Errors
    /// `InvalidInput` (nothing sent) when no slot is given, or when the slots ended
    /// before today: the provider lists no past appointments, so whether they were
    /// booked cannot be shown (an answer of "not booked" could be wrong).
    pub async fn send(self) -> Result<Traced<Option<Appointment>>> {
        let (Some(first), Some(last)) = (self.slots.first(), self.slots.last()) else {
            return Err(InvalidInput::parameter("slot", "at least one slot is required").into());
        };
        let day = |t: &gpconnect_core::fhir::FhirDateTime| t.to_date();
        let (Some(from), Some(to)) = (day(&first.start), day(&last.end)) else {
            return Err(InvalidInput::parameter("slot", "the slot has no valid start or end").into());
        };
        let from = from.max(today());
        if to < from {
            return Err(InvalidInput::parameter(
                "slot",
                "the slots ended before today: a booking can no longer be listed",
            )
            .into());
        }
        let list = PatientAppointments { call: self.call.clone(), patient_id: self.patient_id.clone(), from, to };
        let appointments = list.send().await?;
        Ok(appointments.map(|list| matching_booking(list.appointments, &self.slots)))
    }
}

pub(crate) fn matching_booking(appointments: Vec<Appointment>, slots: &[FreeSlot]) -> Option<Appointment> {
    let (first, last) = (slots.first()?, slots.last()?);
    let live = || appointments.iter().filter(|a| !a.is_cancelled());
    let by_slot = live().find(|a| a.slot_ids.iter().any(|id| slots.iter().any(|s| s.id.as_str() == id)));
    let same_time = |a: &&Appointment| {
        let eq = |x: Option<&gpconnect_core::fhir::FhirDateTime>, y: &gpconnect_core::fhir::FhirDateTime| {
            x.is_some_and(|x| match (x.to_datetime(), y.to_datetime()) {
                (Some(a), Some(b)) => a == b,
                _ => x.as_str() == y.as_str(),
            })
        };
        eq(a.start.as_ref(), &first.start) && eq(a.end.as_ref(), &last.end)
    };
    by_slot.or_else(|| live().find(same_time)).cloned()
}

/// The appointment as read, as a JSON object: an answer of another shape (an array, a
/// string) is refused as input instead of indexed.
fn as_object(raw: &mut Value) -> Result<&mut serde_json::Map<String, Value>> {
    raw.as_object_mut()
        .ok_or_else(|| InvalidInput::parameter("appointment", "the appointment as read is not a JSON object").into())
}

impl Appointment {
    /// The body that cancels this appointment: the appointment as read, with only `status`
    /// set to `cancelled` and the cancellation reason extension added (what
    /// [`Cancel::send`] puts, and what other transports such as the patient-facing API
    /// send). Refuses an appointment already cancelled and an empty reason.
    pub fn cancellation(&self, reason: &str) -> Result<Value> {
        if self.is_cancelled() {
            return Err(InvalidInput::parameter("status", "the appointment is already cancelled").into());
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(InvalidInput::parameter("extension", "a cancellation reason is required").into());
        }
        let mut raw = self.raw_json();
        let body = as_object(&mut raw)?;
        body.insert("status".into(), Value::String("cancelled".into()));
        let ext = json!({ "url": CANCELLATION_REASON_URL, "valueString": reason });
        // Providers may send a single extension as an object: keep it, in an array.
        let mut list = match body.remove("extension") {
            Some(Value::Array(list)) => list,
            Some(Value::Null) | None => Vec::new(),
            Some(single) => vec![single],
        };
        list.retain(|e| e.get("url").and_then(Value::as_str) != Some(CANCELLATION_REASON_URL));
        list.push(ext);
        body.insert("extension".into(), Value::Array(list));
        Ok(raw)
    }
}
