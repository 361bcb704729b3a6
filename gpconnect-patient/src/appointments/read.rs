//! `GET /Appointment/{id}`: one of the patient's appointments.

use gpconnect_appointments::Appointment;
use gpconnect_core::foundations::logical_id;
use gpconnect_core::platform::{PatientSession, PlatformApi};
use gpconnect_core::{InteractionId, NhsNumber, Request, Response, Result};

use super::appointment;
use crate::options::{operation, CallOptions};

/// Reads one appointment; from [`Appointments::read`](crate::Appointments::read).
///
/// Sends `GET /Appointment/{id}`; the answer is a bare Appointment (with its contained
/// booking organisation), read with Appointment Management's model.
///
/// Sends the read.
///
/// # Errors
/// `InvalidInput` for an id that is not a logical id (nothing sent); `NotFound`
/// (`404 NO_RECORD_FOUND`); `ACCESS_DENIED` (403). Safe to retry: a read.
#[derive(Debug, Clone)]
#[must_use]
pub struct ReadAppointment {
    session: PatientSession,
    id: String,
    options: CallOptions,
}

operation!(ReadAppointment, PlatformApi::Appointments, InteractionId::ReadAppointment => Appointment);

impl ReadAppointment {
    pub(crate) fn new(session: PatientSession, id: &str) -> Self {
        Self { session, id: id.to_owned(), options: CallOptions::default() }
    }

    /// Validates the id and builds the wire request (nothing is sent).
    fn build(&self) -> Result<Request> {
        let id = logical_id(&self.id)?;
        let request = Request::get(InteractionId::ReadAppointment, format!("Appointment/{id}"));
        self.options.apply(request)
    }

    /// Reads the Appointment (its patient must be the logged-in one).
    pub fn read_answer(response: &Response, nhs_number: &NhsNumber) -> Result<Appointment> {
        appointment(response, nhs_number)
    }
}
