//! `PUT /Appointment/{id}`: cancel an appointment (the only change this API allows).

use gpconnect_appointments::Appointment;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::foundations::logical_id;
use gpconnect_core::platform::{PatientSession, PlatformApi};
use gpconnect_core::{Error, InteractionId, NhsNumber, Operation, Request, Response, Traced};

use super::appointment;
use crate::options::{operation, patient_nhs_number, CallOptions};

/// The non-standard HTTP status the spec gives "Too late to cancel appointment".
pub const TOO_LATE_TO_CANCEL: u16 = 461;

/// A failed cancellation: too late to cancel online, or any other error.
///
/// Converts into [`gpconnect_core::Error`] (`?` works in functions returning
/// `gpconnect_core::Result`), which keeps the status, OperationOutcome and raw body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CancelError {
    /// `461 ACCESS_DENIED` "Too late to cancel appointment": the appointment is too close
    /// to cancel online; the patient must contact the practice. Nothing changed.
    #[error("too late to cancel this appointment online: the patient must contact the practice")]
    TooLate(#[source] Error),
    /// Any other failure, as for every other call.
    #[error(transparent)]
    Other(#[from] Error),
}

impl CancelError {
    /// The underlying error (for `TooLate`, the provider's 461 answer).
    pub fn error(&self) -> &Error {
        match self {
            CancelError::TooLate(e) | CancelError::Other(e) => e,
        }
    }

    /// Whether the cancellation may have reached the practice and taken effect: read the
    /// appointment before trying again.
    pub fn may_have_been_sent(&self) -> bool {
        self.error().may_have_been_sent()
    }

    /// Classifies the error of a sent cancellation.
    pub(crate) fn from_send(error: Error) -> Self {
        match &error {
            Error::Provider(p) if p.status == TOO_LATE_TO_CANCEL => CancelError::TooLate(error),
            _ => CancelError::Other(error),
        }
    }
}

impl From<CancelError> for Error {
    fn from(e: CancelError) -> Self {
        match e {
            CancelError::TooLate(e) | CancelError::Other(e) => e,
        }
    }
}

impl From<InvalidInput> for CancelError {
    fn from(e: InvalidInput) -> Self {
        CancelError::Other(e.into())
    }
}

/// Cancels an appointment; from [`Appointments::cancel`](crate::Appointments::cancel).
/// `Debug` leaves out the reason.
///
/// Sends `PUT /Appointment/{id}` with the appointment as read (its `meta.versionId`
/// included), only `status` set to `cancelled` and the cancellation reason extension
/// added, as Appointment Management does ([`Appointment::cancellation`]). The spec asks
/// for no `If-Match` here (UNSURE: patient-facing README §5), so none is sent.
#[must_use]
pub struct CancelAppointment {
    session: PatientSession,
    appointment: Appointment,
    reason: String,
    options: CallOptions,
}

operation!(CancelAppointment, PlatformApi::Appointments, no_send);

impl std::fmt::Debug for CancelAppointment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelAppointment").field("appointment", &self.appointment).finish_non_exhaustive()
    }
}

impl CancelAppointment {
    pub(crate) fn new(session: PatientSession, appointment: &Appointment, reason: String) -> Self {
        Self { session, appointment: appointment.clone(), reason, options: CallOptions::default() }
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
        self.options.apply(request)
    }

    /// Reads the cancelled Appointment (its patient must be the logged-in one).
    pub fn read_answer(response: &Response, nhs_number: &NhsNumber) -> gpconnect_core::Result<Appointment> {
        appointment(response, nhs_number)
    }

    /// Sends the cancellation, once.
    ///
    /// # Errors
    /// [`CancelError::TooLate`] for the spec's `461`; otherwise [`CancelError::Other`]:
    /// `InvalidInput` (nothing sent), `ACCESS_DENIED` (403, e.g. the practice disabled
    /// online cancellation; 409 "Cannot cancel appointment"), `NO_RECORD_FOUND` (404).
    /// Never retried: after an error whose `may_have_been_sent()` is true, read the
    /// appointment to see whether it was cancelled.
    pub async fn send(self) -> Result<Traced<Appointment>, CancelError> {
        Operation::request(&self)?;
        self.session.call(PlatformApi::Appointments, &self).await.map_err(CancelError::from_send)
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
        let nhs = patient_nhs_number(&self.session)?;
        Self::read_answer(&response, &nhs)
    }
}
