//! `POST /Appointment`: book slots for the patient, with Appointment Management's booking
//! ([`gpconnect_appointments::Book`]) sent through the platform.

use gpconnect_appointments::{Appointment, BookingOrganisation, FreeSlot};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{Call, InteractionId, Operation, PatientId, Request, Response, Result};

use super::appointment;
use crate::answer::patient_nhs_number;

/// Books one or more adjacent slots for the logged-in patient; from
/// [`Appointments::book`](crate::Appointments::book). `Debug` leaves out the free texts.
///
/// Appointment Management's own booking ([`gpconnect_appointments::Book`]) sent through the
/// platform: `POST /Appointment` with the slots, their start and end, the patient
/// (`Patient/{NHS number}`) and location as participants, and the booking organisation
/// (the app's organisation, which must name its ODS code here: the platform has no
/// requesting organisation) contained and referenced by its extension.
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
    book: std::result::Result<gpconnect_appointments::Book<PatientSession>, InvalidInput>,
}

gpconnect_core::builder!(Book);

impl std::fmt::Debug for Book {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Book").field("book", &self.book).field("options", &self.call.options).finish_non_exhaustive()
    }
}

impl Book {
    pub(crate) fn new(session: &PatientSession, slots: &[FreeSlot]) -> Self {
        // The platform names the patient by NHS number (`Patient/{NHS number}`).
        let book = patient_nhs_number(session).and_then(|nhs| {
            let id =
                PatientId::parse(nhs.expose()).map_err(|e| InvalidInput::parameter("participant", e.to_string()))?;
            Ok(gpconnect_appointments::Book::new(session, slots, &id))
        });
        Self { call: Call::new(session), book }
    }

    fn map(
        mut self,
        f: impl FnOnce(gpconnect_appointments::Book<PatientSession>) -> gpconnect_appointments::Book<PatientSession>,
    ) -> Self {
        self.book = self.book.map(f);
        self
    }

    /// Why the patient wants the appointment, shown to the practice (required; at most
    /// 100 characters).
    pub fn description(self, text: impl Into<String>) -> Self {
        let text = text.into();
        self.map(|b| b.description(text))
    }

    /// Anything else the patient wants the practice to know (optional; at most 500 characters).
    pub fn comment(self, text: impl Into<String>) -> Self {
        let text = text.into();
        self.map(|b| b.comment(text))
    }

    /// The organisation making the booking: the app's organisation, with its name, a
    /// phone number and its ODS code ([`BookingOrganisation::ods`], required here).
    pub fn booking_organisation(self, organisation: BookingOrganisation) -> Self {
        self.map(|b| b.booking_organisation(organisation))
    }
}

impl Operation for Book {
    type Answer = Response;
    type Output = Appointment;

    fn interaction(&self) -> InteractionId {
        InteractionId::BookAppointment
    }

    fn request(&self) -> Result<Request> {
        self.book.as_ref().map_err(Clone::clone)?.request()
    }

    /// The platform's checks (an Appointment, bounded depth, the logged-in patient), then
    /// Appointment Management's reading.
    fn parse(&self, response: Response) -> Result<Appointment> {
        let nhs = patient_nhs_number(self.call.transport())?;
        appointment(&response, &nhs)?;
        self.book.as_ref().map_err(Clone::clone)?.parse(response)
    }
}
