//! Read, list, amend and cancel appointments, and find out whether a booking happened:
//! one operation per file.

mod amend;
mod cancel;
mod find_booking;
mod patient_appointments;
mod read;

pub use amend::Amend;
pub use cancel::{Cancel, CancelError, TOO_LATE_TO_CANCEL};
#[cfg(test)]
pub(crate) use find_booking::matching_booking;
pub use find_booking::FindBooking;
pub use patient_appointments::{AppointmentList, PatientAppointments};
pub use read::ReadAppointment;

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::{AppointmentId, Result};
use http::HeaderValue;
use serde_json::Value;

use crate::model::Appointment;

/// Today's date, as the range checks of a patient's appointments see it (UTC; see
/// [`Appointments::patient_appointments`](crate::Appointments::patient_appointments)).
/// Today in the UK (Europe/London): the spec's "today" and "not in the past".
pub(crate) fn today() -> NaiveDate {
    gpconnect_core::uk::today()
}

pub(crate) fn if_match(appointment: &Appointment) -> Result<(AppointmentId, HeaderValue)> {
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

/// The appointment as read, as a JSON object: an answer of another shape (an array, a
/// string) is refused as input instead of indexed.
pub(crate) fn as_object(raw: &mut Value) -> Result<&mut serde_json::Map<String, Value>> {
    raw.as_object_mut()
        .ok_or_else(|| InvalidInput::parameter("appointment", "the appointment as read is not a JSON object").into())
}
