//! `GET /Appointment/{id}`: one appointment, with Appointment Management's read
//! ([`gpconnect_appointments::ReadAppointment`]) sent through the platform.

use gpconnect_appointments::Appointment;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{AppointmentId, Call, InteractionId, Operation, Request, Response, Result};

use super::appointment;
use crate::answer::patient_nhs_number;

/// Reads one appointment; from [`Appointments::read`](crate::Appointments::read).
///
/// Appointment Management's own read ([`gpconnect_appointments::ReadAppointment`]) sent
/// through the platform: `GET /Appointment/{id}`; the answer is a bare Appointment (with
/// its contained booking organisation), checked as the platform's answers are (an
/// Appointment, bounded depth, the logged-in patient) and read with Appointment
/// Management's model.
///
/// # Errors
/// `NotFound` (`404 NO_RECORD_FOUND`); `ACCESS_DENIED` (403); `Error::Decode` for an
/// appointment of another patient. Safe to retry: a read.
#[derive(Debug)]
#[must_use]
pub struct ReadAppointment {
    call: Call<PatientSession>,
    read: gpconnect_appointments::ReadAppointment<PatientSession>,
    include_details: bool,
}

gpconnect_core::builder!(ReadAppointment);

impl ReadAppointment {
    pub(crate) fn new(session: &PatientSession, id: &AppointmentId) -> Self {
        Self {
            call: Call::new(session),
            read: gpconnect_appointments::ReadAppointment::new(session, id),
            include_details: false,
        }
    }

    /// Also sends `_include:recurse=Appointment:actor:Practitioner` and
    /// `_include:recurse=Appointment:actor:Location`, which the spec allows on a read (off
    /// by default). The spec's answer is a bare Appointment, which has no room for
    /// included resources, so the answer read is the Appointment alone either way; the
    /// parameters are there for a provider that needs them.
    pub fn include_details(mut self) -> Self {
        self.include_details = true;
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
        let request = self.read.request()?;
        Ok(if self.include_details {
            request
                .query("_include:recurse", "Appointment:actor:Practitioner")
                .query("_include:recurse", "Appointment:actor:Location")
        } else {
            request
        })
    }

    /// The platform's checks (an Appointment, bounded depth, the logged-in patient), then
    /// Appointment Management's reading (which also takes the version from the `ETag`).
    fn parse(&self, response: Response) -> Result<Appointment> {
        let nhs = patient_nhs_number(self.call.transport())?;
        appointment(&response, &nhs)?;
        self.read.parse(response)
    }
}
