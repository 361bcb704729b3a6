//! Appointments Management (FHIR STU3): free slots, book, list, read, cancel, and cancel
//! and book again in one call.

mod book;
mod cancel;
mod list;
mod read;
mod rebook;
mod search_slots;

pub use book::Book;
pub use cancel::CancelAppointment;
pub use list::{AppointmentList, ListAppointments};
pub use read::ReadAppointment;
pub use rebook::{Held, Holding, Rebook, RebookOrder, RebookReport};
pub use search_slots::SearchFreeSlots;

use chrono::NaiveDate;
use gpconnect_appointments::{Appointment, FreeSlot, SlotTime};
use gpconnect_core::error::DecodeProblem;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{AppointmentId, NhsNumber, PatientMismatch, Response, Result};

use crate::answer::{check_answer, wrong_patient};

/// The Appointments Management operations for the logged-in patient; from
/// [`PatientExt::appointments`](crate::PatientExt::appointments).
///
/// There is no amend in this API: a patient changes an appointment by cancelling it and
/// booking another, which [`rebook`](Self::rebook) does as one call.
#[derive(Debug, Clone)]
pub struct Appointments {
    pub(crate) session: PatientSession,
}

impl Appointments {
    /// Free slots between `start` and `end` (dates or date-times with offset, at most 14
    /// days apart); see [`SearchFreeSlots`].
    pub fn search_free_slots(&self, start: impl Into<SlotTime>, end: impl Into<SlotTime>) -> SearchFreeSlots {
        SearchFreeSlots::new(&self.session, start.into(), end.into())
    }

    /// Books `slots` (one, or adjacent slots of one schedule) for the patient; see [`Book`].
    pub fn book(&self, slots: &[FreeSlot]) -> Book {
        Book::new(&self.session, slots)
    }

    /// The patient's appointments starting between the dates `from` and `to`
    /// (inclusive); see [`ListAppointments`].
    pub fn list(&self, from: NaiveDate, to: NaiveDate) -> ListAppointments {
        ListAppointments::new(&self.session, from, to)
    }

    /// One appointment by id; see [`ReadAppointment`].
    pub fn read(&self, id: &AppointmentId) -> ReadAppointment {
        ReadAppointment::new(&self.session, id)
    }

    /// Cancels an appointment as read, giving a reason; see [`CancelAppointment`].
    pub fn cancel(&self, appointment: &Appointment, reason: impl Into<String>) -> CancelAppointment {
        CancelAppointment::new(&self.session, appointment, reason.into())
    }

    /// Moves an appointment to `slots`: books the new one and cancels the old one (or the
    /// other way round), reporting each step; see [`Rebook`].
    pub fn rebook(&self, current: &Appointment, reason: impl Into<String>, slots: &[FreeSlot]) -> Rebook {
        Rebook::new(&self.session, current, reason.into(), slots)
    }
}

/// The appointment's patient against the logged-in one: this API names patients as
/// `Patient/{NHS number}`, so the participant must be exactly that; an appointment with
/// no patient participant, or any other id, is refused.
fn patient_of(appointment: &Appointment, nhs_number: &NhsNumber) -> std::result::Result<(), PatientMismatch> {
    match appointment.patient_id.as_deref() {
        None => Err(PatientMismatch::NoNhsNumber),
        Some(id) if id == nhs_number.expose() => Ok(()),
        Some(_) => Err(PatientMismatch::OtherPatient),
    }
}

/// Reads an Appointment from JSON text of an answer, checking its patient.
fn appointment_from(response: &Response, json: &str, path: &str, nhs_number: &NhsNumber) -> Result<Appointment> {
    let appointment = Appointment::from_json(json).map_err(|e| response.decode_error(DecodeProblem::json(path, &e)))?;
    patient_of(&appointment, nhs_number).map_err(|m| wrong_patient(response, m))?;
    Ok(appointment)
}

/// Reads an answer that is one Appointment (book, read, cancel).
pub(crate) fn appointment(response: &Response, nhs_number: &NhsNumber) -> Result<Appointment> {
    check_answer(response, "Appointment")?;
    let json = std::str::from_utf8(&response.body.0)
        .map_err(|_| response.decode_error(DecodeProblem::Json { path: String::new(), message: "not UTF-8".into() }))?;
    appointment_from(response, json, "", nhs_number)
}
