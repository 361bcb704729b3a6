//! Read, list, amend and cancel appointments, and find out whether a booking happened.

use chrono::{NaiveDate, Utc};
use gpconnect_core::error::DecodeProblem;
use gpconnect_core::fhir::Bundle;
use gpconnect_core::foundations::{logical_id, CallOptions};
use gpconnect_core::{InteractionId, Provider, Request, Result};
use http::header::IF_MATCH;
use http::HeaderValue;
use serde_json::{json, Value};

use crate::model::{Appointment, CANCELLATION_REASON_URL};
use crate::search::FreeSlot;
use crate::{appointment_from_response, invalid, MAX_COMMENT_CHARS, MAX_DESCRIPTION_CHARS};

/// Today's date, as the range checks of a patient's appointments see it (UTC; see
/// [`Appointments::patient_appointments`](crate::Appointments::patient_appointments)).
pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Reads one appointment; see [`Appointments::read`](crate::Appointments::read).
#[derive(Debug)]
pub struct ReadAppointment {
    pub(crate) provider: Provider,
    pub(crate) id: String,
    pub(crate) options: CallOptions,
}

gpconnect_core::call_options!(ReadAppointment);

impl ReadAppointment {
    pub(crate) fn request(&self) -> Result<Request> {
        let id = logical_id(&self.id)?;
        Ok(self.options.apply(Request::get(InteractionId::ReadAppointment, format!("Appointment/{id}"))))
    }

    /// Sends the read.
    ///
    /// `GET /Appointment/{id}` (`urn:nhs:names:services:gpconnect:fhir:rest:read:appointment-1`,
    /// `patient/*.read`).
    ///
    /// # Errors
    /// `NotFound` (`404 NO_RECORD_FOUND`) for an unknown id; an error for a past
    /// appointment; transport errors. Safe to retry: a read.
    pub async fn send(self) -> Result<Appointment> {
        let response = self.provider.send(self.request()?).await?;
        appointment_from_response(&response)
    }
}

/// Lists a patient's appointments; see
/// [`Appointments::patient_appointments`](crate::Appointments::patient_appointments).
#[derive(Debug)]
pub struct PatientAppointments {
    pub(crate) provider: Provider,
    pub(crate) patient_id: String,
    pub(crate) from: NaiveDate,
    pub(crate) to: NaiveDate,
    pub(crate) options: CallOptions,
}

gpconnect_core::call_options!(PatientAppointments);

impl PatientAppointments {
    pub(crate) fn request(&self, today: NaiveDate) -> Result<Request> {
        let id = logical_id(&self.patient_id)?;
        if self.from < today {
            return Err(invalid("start", "the range must not start in the past (today is allowed)"));
        }
        if self.to < self.from {
            return Err(invalid("start", "the range ends before it starts"));
        }
        let request = Request::get(InteractionId::SearchPatientAppointments, format!("Patient/{id}/Appointment"))
            .query("start", format!("ge{}", self.from.format("%Y-%m-%d")))
            .query("start", format!("le{}", self.to.format("%Y-%m-%d")));
        Ok(self.options.apply(request))
    }

    /// Sends the search. The answer includes cancelled appointments.
    ///
    /// `GET /Patient/{id}/Appointment?start=geYYYY-MM-DD&start=leYYYY-MM-DD`
    /// (`urn:nhs:names:services:gpconnect:fhir:rest:search:patient_appointments-1`, `patient/*.read`).
    ///
    /// # Errors
    /// `InvalidInput` naming `start` for a range starting before today or reversed (nothing
    /// sent); `422 INVALID_PARAMETER`; `PATIENT_NOT_FOUND`; transport errors. Safe to retry: a read.
    pub async fn send(self) -> Result<Vec<Appointment>> {
        let response = self.provider.send(self.request(today())?).await?;
        let bundle: Bundle = response.resource()?;
        let mut out = Vec::new();
        for raw in bundle.resources_of("Appointment") {
            let mut appointment = Appointment::from_json(raw.raw())
                .map_err(|e| response.decode_error(DecodeProblem::json("entry.resource", &e)))?;
            appointment.trace_id = Some(response.trace_id);
            out.push(appointment);
        }
        Ok(out)
    }
}

fn if_match(appointment: &Appointment) -> Result<(String, HeaderValue)> {
    let id = appointment.id.as_deref().ok_or_else(|| invalid("id", "the appointment has no id"))?;
    let id = logical_id(id)?.to_owned();
    let version = appointment
        .version_id
        .as_deref()
        .filter(|v| !v.is_empty() && !v.contains('"'))
        .ok_or_else(|| invalid("If-Match", "the appointment has no version: read it first"))?;
    let value = HeaderValue::from_str(&format!("W/\"{version}\""))
        .map_err(|_| invalid("If-Match", "the version is not a valid header value"))?;
    Ok((id, value))
}

/// Amends an appointment's description and/or comment; see
/// [`Appointments::amend`](crate::Appointments::amend). `Debug` leaves out the free texts.
pub struct Amend {
    pub(crate) provider: Provider,
    pub(crate) appointment: Appointment,
    pub(crate) description: Option<String>,
    pub(crate) comment: Option<String>,
    pub(crate) options: CallOptions,
}

gpconnect_core::call_options!(Amend);

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

    /// The new comment (at most 500 characters).
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }

    pub(crate) fn request(&self) -> Result<Request> {
        let (id, version, body) = self.prepared()?;
        let bytes = serde_json::to_vec(&body).expect("a JSON value serializes");
        let request =
            Request::put(InteractionId::AmendAppointment, format!("Appointment/{id}"), bytes).header(IF_MATCH, version);
        Ok(self.options.apply(request))
    }

    /// The id, `If-Match` value and body, validated.
    pub(crate) fn prepared(&self) -> Result<(String, HeaderValue, Value)> {
        let (id, version) = if_match(&self.appointment)?;
        if self.appointment.is_cancelled() {
            return Err(invalid("status", "a cancelled appointment cannot be amended"));
        }
        if self.description.is_none() && self.comment.is_none() {
            return Err(invalid("description", "nothing to amend: give a description and/or a comment"));
        }
        let mut body = self.appointment.raw.clone();
        if let Some(d) = &self.description {
            let d = d.trim();
            if d.is_empty() {
                return Err(invalid("description", "the description must not be empty"));
            }
            if d.chars().count() > MAX_DESCRIPTION_CHARS {
                return Err(invalid("description", format!("at most {MAX_DESCRIPTION_CHARS} characters")));
            }
            body["description"] = Value::String(d.to_owned());
        }
        if let Some(c) = &self.comment {
            if c.chars().count() > MAX_COMMENT_CHARS {
                return Err(invalid("comment", format!("at most {MAX_COMMENT_CHARS} characters")));
            }
            body["comment"] = Value::String(c.clone());
        }
        Ok((id, version, body))
    }

    /// Sends the amendment: the appointment as read, with only description and/or
    /// comment changed, and `If-Match: W/"<version>"`.
    ///
    /// `PUT /Appointment/{id}` (`urn:nhs:names:services:gpconnect:fhir:rest:update:appointment-1`,
    /// `patient/*.write`).
    ///
    /// # Errors
    /// `InvalidInput` (nothing sent); `Conflict` (`409`) when the appointment changed since
    /// it was read (read it again); `422 INVALID_RESOURCE`. Not retried; after
    /// `OutcomeUnknown` read the appointment to see whether it changed.
    pub async fn send(self) -> Result<Appointment> {
        let response = self.provider.send(self.request()?).await?;
        appointment_from_response(&response)
    }
}

/// Cancels an appointment; see [`Appointments::cancel`](crate::Appointments::cancel).
/// `Debug` leaves out the reason.
pub struct Cancel {
    pub(crate) provider: Provider,
    pub(crate) appointment: Appointment,
    pub(crate) reason: String,
    pub(crate) options: CallOptions,
}

gpconnect_core::call_options!(Cancel);

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel").field("appointment", &self.appointment).finish_non_exhaustive()
    }
}

impl Cancel {
    pub(crate) fn request(&self) -> Result<Request> {
        let (id, version, body) = self.prepared()?;
        let bytes = serde_json::to_vec(&body).expect("a JSON value serializes");
        let request = Request::put(InteractionId::CancelAppointment, format!("Appointment/{id}"), bytes)
            .header(IF_MATCH, version);
        Ok(self.options.apply(request))
    }

    /// The id, `If-Match` value and body, validated.
    pub(crate) fn prepared(&self) -> Result<(String, HeaderValue, Value)> {
        let (id, version) = if_match(&self.appointment)?;
        Ok((id, version, self.appointment.cancellation(&self.reason)?))
    }

    /// Sends the cancellation: the appointment as read, with only `status` set to
    /// `cancelled` and the cancellation reason extension added, and `If-Match`.
    ///
    /// `PUT /Appointment/{id}` (`urn:nhs:names:services:gpconnect:fhir:rest:cancel:appointment-1`,
    /// `patient/*.write`).
    ///
    /// # Errors
    /// `InvalidInput` (nothing sent); `Conflict` (`409`) when the appointment changed since
    /// it was read; `422 INVALID_RESOURCE`. Not retried; after `OutcomeUnknown` read the
    /// appointment to see whether it was cancelled.
    pub async fn send(self) -> Result<Appointment> {
        let response = self.provider.send(self.request()?).await?;
        appointment_from_response(&response)
    }
}

/// Looks for a booking of given slots among a patient's appointments; see
/// [`Appointments::find_booking`](crate::Appointments::find_booking).
#[derive(Debug)]
pub struct FindBooking {
    pub(crate) provider: Provider,
    pub(crate) patient_id: String,
    pub(crate) slots: Vec<FreeSlot>,
    pub(crate) options: CallOptions,
}

gpconnect_core::call_options!(FindBooking);

impl FindBooking {
    /// Lists the patient's appointments on the slots' days and returns the booked (not
    /// cancelled) one that references one of the slots, or else starts and ends when
    /// the slots do. `None` when there is none: the booking did not happen.
    ///
    /// Sends one `GET /Patient/{id}/Appointment` (see
    /// [`PatientAppointments::send`]). Safe to retry: a read.
    pub async fn send(self) -> Result<Option<Appointment>> {
        let (Some(first), Some(last)) = (self.slots.first(), self.slots.last()) else {
            return Err(invalid("slot", "at least one slot is required"));
        };
        let day = |t: &gpconnect_core::fhir::FhirDateTime| t.to_date();
        let (Some(from), Some(to)) = (day(&first.start), day(&last.end)) else {
            return Err(invalid("slot", "the slot has no valid start or end"));
        };
        let today = today();
        let from = from.max(today);
        if to < from {
            return Ok(None);
        }
        let list = PatientAppointments {
            provider: self.provider.clone(),
            patient_id: self.patient_id.clone(),
            from,
            to,
            options: self.options.clone(),
        };
        let appointments = list.send().await?;
        Ok(matching_booking(appointments, &self.slots))
    }
}

pub(crate) fn matching_booking(appointments: Vec<Appointment>, slots: &[FreeSlot]) -> Option<Appointment> {
    let (first, last) = (slots.first()?, slots.last()?);
    let live = || appointments.iter().filter(|a| !a.is_cancelled());
    let by_slot = live().find(|a| a.slot_ids.iter().any(|id| slots.iter().any(|s| &s.id == id)));
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

impl Appointment {
    /// The body that cancels this appointment: the appointment as read, with only `status`
    /// set to `cancelled` and the cancellation reason extension added (what
    /// [`Cancel::send`] puts, and what other transports such as the patient-facing API
    /// send). Refuses an appointment already cancelled and an empty reason.
    pub fn cancellation(&self, reason: &str) -> Result<Value> {
        if self.is_cancelled() {
            return Err(invalid("status", "the appointment is already cancelled"));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(invalid("extension", "a cancellation reason is required"));
        }
        let mut body = self.raw.clone();
        body["status"] = Value::String("cancelled".into());
        let ext = json!({ "url": CANCELLATION_REASON_URL, "valueString": reason });
        // Providers may send a single extension as an object: keep it, in an array.
        let mut list = match body.get_mut("extension").map(Value::take) {
            Some(Value::Array(list)) => list,
            Some(Value::Null) | None => Vec::new(),
            Some(single) => vec![single],
        };
        list.retain(|e| e.get("url").and_then(Value::as_str) != Some(CANCELLATION_REASON_URL));
        list.push(ext);
        body["extension"] = Value::Array(list);
        Ok(body)
    }
}
