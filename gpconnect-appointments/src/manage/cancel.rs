//! `PUT /Appointment/{id}` (cancel): cancel an appointment, and the one error type of a
//! cancellation for the SSP and the API platform.

use gpconnect_core::error::InvalidInput;
use gpconnect_core::{
    AppointmentId, Call, Error, ErrorKind, InteractionId, Operation, Request, Response, Result, Traced,
};
use http::header::IF_MATCH;
use http::HeaderValue;
use serde_json::{json, Value};

use super::{as_object, if_match};
use crate::appointment_from_response;
use crate::model::{Appointment, CANCELLATION_REASON_URL};

/// Cancels an appointment; see [`Appointments::cancel`](crate::Appointments::cancel).
/// `Debug` leaves out the reason.
///
/// Sends the appointment as read, with only `status` set to `cancelled` and the
/// cancellation reason extension added, and `If-Match`: `PUT /Appointment/{id}`
/// (`urn:nhs:names:services:gpconnect:fhir:rest:cancel:appointment-1`, `patient/*.write`).
///
/// # Example
/// ```no_run
/// # use gpconnect_appointments::AppointmentsExt;
/// # async fn demo(p: gpconnect_core::Provider) -> gpconnect_core::Result<()> {
/// let current = p.appointments().read(&"148".parse()?).send().await?;
/// p.appointments().cancel(&current, "Patient feels better").send().await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// `InvalidInput` (nothing sent); `Conflict` (`409`) when the appointment changed since
/// it was read; `422 INVALID_RESOURCE`. Not retried; after `OutcomeUnknown` read the
/// appointment to see whether it was cancelled.
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct Cancel {
    pub(crate) call: Call,
    pub(crate) appointment: Appointment,
    pub(crate) reason: String,
}

gpconnect_core::builder!(Cancel, no_send);

/// The non-standard HTTP status the patient-facing spec gives "Too late to cancel
/// appointment".
pub const TOO_LATE_TO_CANCEL: u16 = 461;

/// A failed cancellation, on the SSP ([`Cancel`]) and the API platform alike: too late to
/// cancel online, or any other error.
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

    /// The kind of the underlying error.
    pub fn kind(&self) -> ErrorKind {
        self.error().kind()
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.error().status()
    }

    /// Whether the cancellation may have reached the practice and taken effect: read the
    /// appointment before trying again.
    pub fn may_have_been_sent(&self) -> bool {
        self.error().may_have_been_sent()
    }

    /// Classifies the error of a cancellation: the provider's `461` is
    /// [`TooLate`](Self::TooLate), anything else [`Other`](Self::Other).
    pub fn from_send(error: Error) -> Self {
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

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel").field("appointment", &self.appointment).finish_non_exhaustive()
    }
}

impl Cancel {
    /// Validates (nothing is sent when it breaks a rule of the spec), sends the
    /// cancellation, once, and reads the answer, with the `Ssp-TraceID`.
    ///
    /// # Errors
    /// [`CancelError::TooLate`] for a `461` answer; otherwise [`CancelError::Other`]
    /// with the error as for every other call.
    pub async fn send(self) -> std::result::Result<Traced<Appointment>, CancelError> {
        self.call.send(&self).await.map_err(CancelError::from_send)
    }

    /// The id, `If-Match` value and body, validated.
    pub(crate) fn prepared(&self) -> Result<(AppointmentId, HeaderValue, Value)> {
        let (id, version) = if_match(&self.appointment)?;
        Ok((id, version, self.appointment.cancellation(&self.reason)?))
    }
}

impl Operation for Cancel {
    type Answer = Response;
    type Output = Appointment;

    fn interaction(&self) -> InteractionId {
        InteractionId::CancelAppointment
    }

    fn request(&self) -> Result<Request> {
        let (id, version, body) = self.prepared()?;
        let bytes = serde_json::to_vec(&body).expect("a JSON value serializes");
        Ok(Request::put(InteractionId::CancelAppointment, format!("Appointment/{id}"), bytes).header(IF_MATCH, version))
    }

    /// The answer must be for the patient of the appointment as read.
    fn parse(&self, response: Response) -> Result<Appointment> {
        appointment_from_response(&response, self.appointment.patient_id.as_deref())
    }
}

impl Appointment {
    /// The body that cancels this appointment: the appointment as read, with only `status`
    /// set to `cancelled` and the cancellation reason extension added (what
    /// [`Cancel::send`] puts, and what other transports such as the patient-facing API
    /// send). Refuses an appointment already cancelled and an empty reason.
    pub fn cancellation(&self, reason: &str) -> Result<Value> {
        if self.is_cancelled() {
            return Err(InvalidInput::parameter("status", "the appointment is already cancelled").into());
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(InvalidInput::parameter("extension", "a cancellation reason is required").into());
        }
        let mut raw = self.raw_json();
        let body = as_object(&mut raw)?;
        body.insert("status".into(), Value::String("cancelled".into()));
        let ext = json!({ "url": CANCELLATION_REASON_URL, "valueString": reason });
        // Providers may send a single extension as an object: keep it, in an array.
        let mut list = match body.remove("extension") {
            Some(Value::Array(list)) => list,
            Some(Value::Null) | None => Vec::new(),
            Some(single) => vec![single],
        };
        list.retain(|e| e.get("url").and_then(Value::as_str) != Some(CANCELLATION_REASON_URL));
        list.push(ext);
        body.insert("extension".into(), Value::Array(list));
        Ok(raw)
    }
}
