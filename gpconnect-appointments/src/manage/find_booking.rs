//! Whether a booking of given slots happened.

use gpconnect_core::error::InvalidInput;
use gpconnect_core::{Call, PatientId, Result, Traced};

use super::{today, PatientAppointments};
use crate::model::Appointment;
use crate::search::FreeSlot;

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
