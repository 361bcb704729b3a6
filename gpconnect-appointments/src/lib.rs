//! # GP Connect Appointment Management (1.2.7, with the 1.2.8 service filtering)
//!
//! Search a practice's free slots, book one or more adjacent slots for a patient, read
//! an appointment, list a patient's future appointments, amend an appointment's
//! description or comment, and cancel it. Every call goes through the Spine Secure Proxy
//! with the headers, JWT scope and interaction ID of the spec; every argument is checked
//! before anything is sent.
//!
//! ```no_run
//! use chrono::{Duration, Utc};
//! use gpconnect_appointments::{AppointmentsExt, BookingOrganisation, OrganisationType};
//!
//! # async fn demo(practice: gpconnect_core::Provider, nhs: gpconnect_core::NhsNumber) -> Result<(), Box<dyn std::error::Error>> {
//! let patient = practice.foundations().find_patient(&nhs).send().await?.into_inner().ok_or("not registered")?;
//! let patient_id = patient.id;
//!
//! let today = Utc::now().date_naive();
//! let free = practice
//!     .appointments()
//!     .search_free_slots(today, today + Duration::days(14))   // at most 14 days
//!     .organisation_type(OrganisationType::UrgentCare)
//!     .send()
//!     .await?;
//! let slot = free.slots.first().ok_or("no free slot")?;
//!
//! let booking = practice
//!     .appointments()
//!     .book(std::slice::from_ref(slot), &patient_id)
//!     .description("Follow-up of a 111 call")
//!     .booking_organisation(BookingOrganisation::new("North Ambulance Service", "01111 222333"))
//!     .send()
//!     .await;
//! let booked = match booking {
//!     Ok(booked) => booked,
//!     // The request may have reached the practice: look before booking again.
//!     Err(e) if e.kind() == gpconnect_core::ErrorKind::OutcomeUnknown => practice
//!         .appointments()
//!         .find_booking(&patient_id, std::slice::from_ref(slot))
//!         .send()
//!         .await?
//!         .transpose()
//!         .ok_or("not booked")?,
//!     Err(e) => return Err(e.into()),
//! };
//!
//! let current = practice.appointments().read(&booked.id.as_deref().unwrap_or_default().parse()?).send().await?;
//! let amended = practice.appointments().amend(&current).comment("Prefers a morning call").send().await?;
//! practice.appointments().cancel(&amended, "Patient feels better").send().await?;
//! # Ok(()) }
//! ```
//!
//! ## Safety rules
//! * Book, amend and cancel are never retried by the SDK once they may have been sent.
//!   When the outcome is unknown (connection lost after sending, timeout, `500`/`502`/`504`)
//!   the error's kind is [`ErrorKind::OutcomeUnknown`](gpconnect_core::ErrorKind::OutcomeUnknown);
//!   [`Appointments::find_booking`] tells whether a booking happened.
//! * A slot taken by someone else gives kind `Conflict` (`409 DUPLICATE_REJECTED`); an
//!   amend or cancel of an appointment that changed since it was read gives `Conflict` (`409`).
//! * Amend and cancel send back the appointment **as read** (unknown elements included)
//!   with only the allowed elements changed, and `If-Match: W/"<version>"`.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod book;
mod manage;
mod model;
mod search;

use chrono::NaiveDate;
use gpconnect_core::error::DecodeProblem;
use gpconnect_core::{AppointmentId, Call, PatientId, Provider, Response, Result};

pub use book::{Book, Booking, BookingOrganisation};
pub use manage::{
    Amend, AppointmentList, Cancel, CancelError, FindBooking, PatientAppointments, ReadAppointment, TOO_LATE_TO_CANCEL,
};
pub use model::{
    Appointment, AppointmentStatus, DeliveryChannel, PractitionerRole, ServiceFilteringStatus, APPOINTMENT_PROFILE,
    BOOKING_ORGANISATION_URL, CANCELLATION_REASON_URL, DELIVERY_CHANNEL_URL, DOS_SERVICE_ID_SYSTEM,
    ORGANISATION_TYPE_SYSTEM, ORGANIZATION_PROFILE, PRACTITIONER_ROLE_URL, SERVICE_FILTERING_STATUS_URL,
};
pub use search::{
    check_window, split_window, FreeSlot, FreeSlots, Includes, OrganisationType, SearchFreeSlots, SlotLocation,
    SlotPractitioner, SlotTime, MAX_WINDOW_DAYS,
};

/// The longest description a consumer may send (spec 4.2).
pub const MAX_DESCRIPTION_CHARS: usize = 100;
/// The longest comment a consumer may send (spec 4.2).
pub const MAX_COMMENT_CHARS: usize = 500;

/// Adds [`appointments`](AppointmentsExt::appointments) to a provider handle.
pub trait AppointmentsExt {
    /// The Appointment Management operations of this provider.
    fn appointments(&self) -> Appointments;
}

impl AppointmentsExt for Provider {
    fn appointments(&self) -> Appointments {
        Appointments { provider: self.clone() }
    }
}

/// The Appointment Management operations of one provider; from [`AppointmentsExt::appointments`].
#[derive(Debug, Clone)]
pub struct Appointments {
    provider: Provider,
}

impl Appointments {
    /// Searches free slots between `start` and `end` (dates or date-times with offset;
    /// at most 14 days apart, see [`split_window`] for longer ranges).
    ///
    /// Always sends `status=free` and `_include=Slot:schedule`, by default the recommended
    /// `_include:recurse` parameters and `searchFilter` with the client's consumer ODS code.
    /// See [`SearchFreeSlots::send`].
    pub fn search_free_slots(&self, start: impl Into<SlotTime>, end: impl Into<SlotTime>) -> SearchFreeSlots {
        SearchFreeSlots {
            call: Call::new(&self.provider),
            start: start.into(),
            end: end.into(),
            consumer_ods: None,
            organisation_type: None,
            dos_service_id: None,
            includes: Includes::Recommended,
        }
    }

    /// Books `slots` (one, or several adjacent slots of one schedule with the same
    /// delivery channel and service type) for the patient with logical id `patient_id`
    /// (from `foundations().find_patient`). Set the description and booking
    /// organisation, then [`Book::send`].
    pub fn book(&self, slots: &[FreeSlot], patient_id: &PatientId) -> Book {
        Book::new(&self.provider, slots, patient_id)
    }

    /// Reads an appointment by logical id; see [`ReadAppointment::send`].
    pub fn read(&self, id: &AppointmentId) -> ReadAppointment {
        ReadAppointment::new(&self.provider, id)
    }

    /// A patient's appointments starting between the dates `from` and `to` (inclusive);
    /// `from` must not be before today. Today is taken in UTC, so for the first hour of
    /// a BST day the SDK still allows yesterday's UK date and the provider refuses it
    /// (`422 INVALID_PARAMETER`). See [`PatientAppointments::send`].
    pub fn patient_appointments(&self, patient_id: &PatientId, from: NaiveDate, to: NaiveDate) -> PatientAppointments {
        PatientAppointments { call: Call::new(&self.provider), patient_id: patient_id.clone(), from, to }
    }

    /// Changes an appointment's description and/or comment, starting from the
    /// appointment as read; see [`Amend::send`].
    pub fn amend(&self, appointment: &Appointment) -> Amend {
        Amend { call: Call::new(&self.provider), appointment: appointment.clone(), description: None, comment: None }
    }

    /// Cancels an appointment as read, giving a reason; see [`Cancel::send`].
    pub fn cancel(&self, appointment: &Appointment, reason: impl Into<String>) -> Cancel {
        Cancel { call: Call::new(&self.provider), appointment: appointment.clone(), reason: reason.into() }
    }

    /// After a booking whose outcome is unknown: finds the patient's appointment for
    /// these slots, if it was booked. See [`FindBooking::send`].
    pub fn find_booking(&self, patient_id: &PatientId, slots: &[FreeSlot]) -> FindBooking {
        FindBooking { call: Call::new(&self.provider), patient_id: patient_id.clone(), slots: slots.to_vec() }
    }
}

/// An Appointment answer, with its version from the `ETag` (else `meta.versionId`),
/// checked to be for the patient with logical id `patient` (when one was asked for): an
/// appointment for another patient, or naming none, is [`Error::WrongPatient`](gpconnect_core::Error::WrongPatient).
pub(crate) fn appointment_from_response(response: &Response, patient: Option<&str>) -> Result<Appointment> {
    /// The resource type, checked without reading the rest.
    #[derive(serde::Deserialize)]
    struct AnyAppointment {}
    impl gpconnect_core::fhir::FhirResource for AnyAppointment {
        const TYPE: &'static str = "Appointment";
    }
    response.resource::<AnyAppointment>()?;
    let text = std::str::from_utf8(&response.body.0)
        .map_err(|_| response.decode_error(DecodeProblem::Json { path: String::new(), message: "not UTF-8".into() }))?;
    let mut appointment = Appointment::read(text, None, &mut Vec::new())
        .map_err(|e| response.decode_error(DecodeProblem::json("", &e)))?;
    appointment.check_patient(patient).map_err(|m| m.error(response.interaction, response.trace_id))?;
    if let Some(version) = response.etag_version().filter(|v| !v.is_empty()) {
        appointment.version_id = Some(version.to_owned());
    }
    Ok(appointment)
}

#[cfg(test)]
mod tests;

/// The README's example, compiled and run as a doctest (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
