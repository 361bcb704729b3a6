//! `GET /Appointment/{id}`: one appointment.

use gpconnect_core::{
    AppointmentId, Call, InteractionId, Operation, PatientId, Provider, Request, Response, Result, Transport,
};

use crate::appointment_from_response;
use crate::model::Appointment;

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
pub struct ReadAppointment<T = Provider> {
    pub(crate) call: Call<T>,
    pub(crate) id: AppointmentId,
    pub(crate) patient_id: Option<PatientId>,
}

gpconnect_core::builder!(impl<T: Transport> ReadAppointment<T>);

impl<T: Transport> ReadAppointment<T> {
    /// A read of the appointment `id` sent through `transport` (the SSP's
    /// [`Appointments::read`](crate::Appointments::read) or the API platform's).
    pub fn new(transport: &T, id: &AppointmentId) -> Self {
        Self { call: Call::new(transport), id: id.clone(), patient_id: None }
    }

    /// The logical id of the patient the appointment must be for: an answer for another
    /// patient is [`Error::WrongPatient`](gpconnect_core::Error::WrongPatient), never data.
    /// Without it, the answer must still name exactly one patient.
    pub fn for_patient(mut self, patient_id: &PatientId) -> Self {
        self.patient_id = Some(patient_id.clone());
        self
    }
}

impl<T: Transport> Operation for ReadAppointment<T> {
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
