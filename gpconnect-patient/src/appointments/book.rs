//! `POST /Appointment`: book slots for the patient.

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use gpconnect_appointments::{Appointment, Booking, BookingOrganisation, FreeSlot};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{InteractionId, NhsNumber, Request, Response, Result};
use serde_json::Value;

use super::appointment;
use crate::answer::patient_nhs_number;
use gpconnect_core::Call;

/// Books one or more adjacent slots for the logged-in patient; from
/// [`Appointments::book`](crate::Appointments::book). `Debug` leaves out the free texts.
///
/// Sends `POST /Appointment` with the Appointment built as Appointment Management builds
/// it ([`Booking`]): the slots, their start and end, the patient (`Patient/{NHS number}`)
/// and location as participants, and the booking organisation (the app's organisation)
/// contained and referenced by its extension.
///
/// Sends the booking, once.
///
/// # Errors
/// `InvalidInput` for a bad slot combination, description, comment or booking
/// organisation (nothing sent); `Conflict` (`409 DUPLICATE_REJECTED`) when a slot was
/// taken meanwhile; `INVALID_NHS_NUMBER`, `VALIDATION_ERROR` (400), `ACCESS_DENIED`
/// (403), `PATIENT_NOT_FOUND` / `NO_RECORD_FOUND` (404).
///
/// Never retried, and not safe to retry blindly: after an error whose
/// `may_have_been_sent()` is true, look at [`Appointments::list`](crate::Appointments::list)
/// for the slots' day before booking again.
#[must_use]
pub struct Book {
    call: Call<PatientSession>,
    slots: Vec<FreeSlot>,
    description: Option<String>,
    comment: Option<String>,
    booking_organisation: Option<BookingOrganisation>,
}

gpconnect_core::builder!(Book);

impl gpconnect_core::Operation for Book {
    type Answer = gpconnect_core::Response;
    type Output = Appointment;

    fn interaction(&self) -> gpconnect_core::InteractionId {
        InteractionId::BookAppointment
    }

    fn request(&self) -> gpconnect_core::Result<gpconnect_core::Request> {
        self.build()
    }

    fn parse(&self, response: gpconnect_core::Response) -> gpconnect_core::Result<Appointment> {
        let nhs = patient_nhs_number(self.call.transport())?;
        Self::read_answer(&response, &nhs)
    }
}

impl std::fmt::Debug for Book {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Book")
            .field("slots", &self.slots.len())
            .field("options", &self.call.options)
            .finish_non_exhaustive()
    }
}

impl Book {
    pub(crate) fn new(session: &PatientSession, slots: &[FreeSlot]) -> Self {
        Self {
            call: Call::new(session),
            slots: slots.to_vec(),
            description: None,
            comment: None,
            booking_organisation: None,
        }
    }

    /// Why the patient wants the appointment, shown to the practice (required; at most
    /// 100 characters).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Anything else the patient wants the practice to know (optional; at most 500 characters).
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }

    /// The organisation making the booking: the app's organisation, with its name, a
    /// phone number and its ODS code ([`BookingOrganisation::ods`], required here).
    pub fn booking_organisation(mut self, organisation: BookingOrganisation) -> Self {
        self.booking_organisation = Some(organisation);
        self
    }

    /// A copy of this booking (for [`Rebook`](crate::Rebook), which sends it as one step).
    pub(crate) fn clone_for_rebook(&self) -> Self {
        Self {
            call: self.call.clone(),
            slots: self.slots.clone(),
            description: self.description.clone(),
            comment: self.comment.clone(),
            booking_organisation: self.booking_organisation.clone(),
        }
    }

    /// The Appointment body for the patient `nhs_number`, booked at `created`; validated.
    pub(crate) fn body(&self, nhs_number: &NhsNumber, created: DateTime<FixedOffset>) -> Result<Value> {
        let organisation = self.booking_organisation.as_ref();
        let ods = organisation.and_then(BookingOrganisation::ods_code).ok_or_else(|| {
            InvalidInput::parameter("contained", "the booking organisation (name, phone and ODS code) is required")
        })?;
        Booking {
            slots: &self.slots,
            patient_id: nhs_number.expose(),
            description: self.description.as_deref(),
            comment: self.comment.as_deref(),
            booking_organisation: organisation,
        }
        .body(ods, created)
    }

    /// Validates and builds the wire request (nothing is sent).
    fn build(&self) -> Result<Request> {
        let nhs = patient_nhs_number(self.call.transport())?;
        let now = Utc::now().with_nanosecond(0).expect("zero nanoseconds").fixed_offset();
        let body = serde_json::to_vec(&self.body(&nhs, now)?).expect("a JSON value serializes");
        let request = Request::post(InteractionId::BookAppointment, "Appointment", body);
        Ok(request)
    }

    /// Reads the booked Appointment (its patient must be the logged-in one).
    fn read_answer(response: &Response, nhs_number: &NhsNumber) -> Result<Appointment> {
        appointment(response, nhs_number)
    }
}
