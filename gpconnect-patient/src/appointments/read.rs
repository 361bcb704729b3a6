//! `GET /Appointment/{id}`: one of the patient's appointments.

use gpconnect_appointments::Appointment;
use gpconnect_core::foundations::logical_id;
use gpconnect_core::platform::{PatientSession, PlatformApi, PlatformRequest};
use gpconnect_core::{InteractionId, NhsNumber, Response, Result};

use super::appointment;
use crate::options::{call_options, patient_nhs_number, CallOptions};

/// Reads one appointment; from [`Appointments::read`](crate::Appointments::read).
///
/// Sends `GET /Appointment/{id}`; the answer is a bare Appointment (with its contained
/// booking organisation), read with Appointment Management's model.
#[derive(Debug, Clone)]
#[must_use]
pub struct ReadAppointment {
    session: PatientSession,
    id: String,
    options: CallOptions,
}

call_options!(ReadAppointment);

impl ReadAppointment {
    pub(crate) fn new(session: PatientSession, id: &str) -> Self {
        Self { session, id: id.to_owned(), options: CallOptions::default() }
    }

    /// Validates the id and builds the wire request (nothing is sent).
    pub fn request(&self) -> Result<PlatformRequest> {
        let id = logical_id(&self.id)?;
        let request = PlatformRequest::get(
            InteractionId::ReadAppointment,
            PlatformApi::Appointments,
            format!("Appointment/{id}"),
        );
        Ok(self.options.apply(request))
    }

    /// Reads the Appointment (its patient must be the logged-in one).
    pub fn parse(response: &Response, nhs_number: &NhsNumber) -> Result<Appointment> {
        appointment(response, nhs_number)
    }

    /// Sends the read.
    ///
    /// # Errors
    /// `InvalidInput` for an id that is not a logical id (nothing sent); `NotFound`
    /// (`404 NO_RECORD_FOUND`); `ACCESS_DENIED` (403). Safe to retry: a read.
    pub async fn send(self) -> Result<Appointment> {
        let request = self.request()?;
        let nhs = patient_nhs_number(&self.session)?;
        let response = self.session.send(request).await?;
        Self::parse(&response, &nhs)
    }
}
