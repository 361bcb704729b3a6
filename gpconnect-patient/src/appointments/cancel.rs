//! `PUT /Appointment/{id}`: cancel an appointment (the only change this API allows).

use gpconnect_appointments::{Appointment, CancelError};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::foundations::logical_id;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{Call, InteractionId, NhsNumber, Operation, Request, Response, Traced};

use super::appointment;
use crate::answer::patient_nhs_number;

/// Cancels an appointment; from [`Appointments::cancel`](crate::Appointments::cancel).
/// `Debug` leaves out the reason.
///
/// Sends `PUT /Appointment/{id}` with the appointment as read (its `meta.versionId`
/// included), only `status` set to `cancelled` and the cancellation reason extension
/// added, as Appointment Management does ([`Appointment::cancellation`]). The spec asks
/// for no `If-Match` here (UNSURE: patient-facing README §5), so none is sent.
#[must_use]
pub struct CancelAppointment {
    call: Call<PatientSession>,
    appointment: Appointment,
    reason: String,
}

gpconnect_core::builder!(CancelAppointment, no_send);

impl std::fmt::Debug for CancelAppointment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelAppointment").field("appointment", &self.appointment).finish_non_exhaustive()
    }
}

impl CancelAppointment {
    pub(crate) fn new(session: &PatientSession, appointment: &Appointment, reason: String) -> Self {
        Self { call: Call::new(session), appointment: appointment.clone(), reason }
    }

    /// Validates (an id, not already cancelled, a reason) and builds the wire request
    /// (nothing is sent).
    fn build(&self) -> gpconnect_core::Result<Request> {
        let id =
            self.appointment.id.as_deref().ok_or_else(|| InvalidInput::parameter("id", "the appointment has no id"))?;
        let id = logical_id(id)?;
        let body = self.appointment.cancellation(&self.reason)?;
        let bytes = serde_json::to_vec(&body).expect("a JSON value serializes");
        let request = Request::put(InteractionId::CancelAppointment, format!("Appointment/{id}"), bytes);
        Ok(request)
    }

    /// Reads the cancelled Appointment (its patient must be the logged-in one).
    fn read_answer(response: &Response, nhs_number: &NhsNumber) -> gpconnect_core::Result<Appointment> {
        appointment(response, nhs_number)
    }

    /// Sends the cancellation, once.
    ///
    /// # Errors
    /// [`CancelError::TooLate`] for the spec's `461` (the one cancel error type of
    /// Appointment Management, [`gpconnect_appointments::CancelError`]); otherwise [`CancelError::Other`]:
    /// `InvalidInput` (nothing sent), `ACCESS_DENIED` (403, e.g. the practice disabled
    /// online cancellation; 409 "Cannot cancel appointment"), `NO_RECORD_FOUND` (404).
    /// Never retried: after an error whose `may_have_been_sent()` is true, read the
    /// appointment to see whether it was cancelled.
    pub async fn send(self) -> Result<Traced<Appointment>, CancelError> {
        self.call.send(&self).await.map_err(CancelError::from_send)
    }
}

impl Operation for CancelAppointment {
    type Answer = Response;
    type Output = Appointment;

    fn interaction(&self) -> InteractionId {
        InteractionId::CancelAppointment
    }

    fn request(&self) -> gpconnect_core::Result<Request> {
        self.build()
    }

    fn parse(&self, response: Response) -> gpconnect_core::Result<Appointment> {
        let nhs = patient_nhs_number(self.call.transport())?;
        Self::read_answer(&response, &nhs)
    }
}
