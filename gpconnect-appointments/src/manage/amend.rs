//! `PUT /Appointment/{id}` (update): amend an appointment's description and comment.

use gpconnect_core::error::InvalidInput;
use gpconnect_core::{AppointmentId, Call, InteractionId, Operation, Request, Response, Result};
use http::header::IF_MATCH;
use http::HeaderValue;
use serde_json::Value;

use super::{as_object, if_match};
use crate::model::Appointment;
use crate::{appointment_from_response, MAX_COMMENT_CHARS, MAX_DESCRIPTION_CHARS};

/// Amends an appointment's description and/or comment; see
/// [`Appointments::amend`](crate::Appointments::amend). `Debug` leaves out the free texts.
///
/// Sends the appointment as read, with only description and/or comment changed, and
/// `If-Match: W/"<version>"`: `PUT /Appointment/{id}`
/// (`urn:nhs:names:services:gpconnect:fhir:rest:update:appointment-1`, `patient/*.write`).
///
/// # Example
/// ```no_run
/// # use gpconnect_appointments::AppointmentsExt;
/// # async fn demo(p: gpconnect_core::Provider) -> gpconnect_core::Result<()> {
/// let current = p.appointments().read(&"148".parse()?).send().await?;
/// let amended = p.appointments().amend(&current).comment("Prefers a morning call").send().await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// `InvalidInput` (nothing sent); `Conflict` (`409`) when the appointment changed since
/// it was read (read it again); `422 INVALID_RESOURCE`. Not retried; after
/// `OutcomeUnknown` read the appointment to see whether it changed.
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct Amend {
    pub(crate) call: Call,
    pub(crate) appointment: Appointment,
    pub(crate) description: Option<String>,
    pub(crate) comment: Option<String>,
}

gpconnect_core::builder!(Amend);

impl std::fmt::Debug for Amend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Amend").field("appointment", &self.appointment).finish_non_exhaustive()
    }
}

impl Amend {
    /// The new description (at most 100 characters).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// The new comment (at most 500 characters). A blank comment removes the comment:
    /// nothing is ever sent as `""`.
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }

    /// The id, `If-Match` value and body, validated.
    pub(crate) fn prepared(&self) -> Result<(AppointmentId, HeaderValue, Value)> {
        let (id, version) = if_match(&self.appointment)?;
        if self.appointment.is_cancelled() {
            return Err(InvalidInput::parameter("status", "a cancelled appointment cannot be amended").into());
        }
        if self.description.is_none() && self.comment.is_none() {
            return Err(InvalidInput::parameter(
                "description",
                "nothing to amend: give a description and/or a comment",
            )
            .into());
        }
        let mut raw = self.appointment.raw_json();
        let body = as_object(&mut raw)?;
        if let Some(d) = &self.description {
            let d = d.trim();
            if d.is_empty() {
                return Err(InvalidInput::parameter("description", "the description must not be empty").into());
            }
            if d.chars().count() > MAX_DESCRIPTION_CHARS {
                return Err(InvalidInput::parameter(
                    "description",
                    format!("at most {MAX_DESCRIPTION_CHARS} characters"),
                )
                .into());
            }
            body.insert("description".into(), Value::String(d.to_owned()));
        }
        match self.comment.as_deref().map(str::trim) {
            Some("") => {
                body.remove("comment");
            }
            Some(c) if c.chars().count() > MAX_COMMENT_CHARS => {
                return Err(
                    InvalidInput::parameter("comment", format!("at most {MAX_COMMENT_CHARS} characters")).into()
                );
            }
            Some(c) => {
                body.insert("comment".into(), Value::String(c.to_owned()));
            }
            None => {}
        }
        Ok((id, version, raw))
    }
}

impl Operation for Amend {
    type Answer = Response;
    type Output = Appointment;

    fn interaction(&self) -> InteractionId {
        InteractionId::AmendAppointment
    }

    fn request(&self) -> Result<Request> {
        let (id, version, body) = self.prepared()?;
        let bytes = serde_json::to_vec(&body).expect("a JSON value serializes");
        Ok(Request::put(InteractionId::AmendAppointment, format!("Appointment/{id}"), bytes).header(IF_MATCH, version))
    }

    /// The answer must be for the patient of the appointment as read.
    fn parse(&self, response: Response) -> Result<Appointment> {
        appointment_from_response(&response, self.appointment.patient_id.as_deref())
    }
}
