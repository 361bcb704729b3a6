//! Book an appointment: `POST /Appointment`.

use chrono::{DateTime, FixedOffset};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::foundations::logical_id;
use gpconnect_core::{
    Call, InteractionId, OdsCode, Operation, PatientId, Provider, Request, Response, Result, Transport,
};
use serde_json::{json, Value};

use crate::model::{
    Appointment, APPOINTMENT_PROFILE, BOOKING_ORGANISATION_URL, ORGANISATION_TYPE_SYSTEM, ORGANIZATION_PROFILE,
};
use crate::search::FreeSlot;
use crate::{appointment_from_response, MAX_COMMENT_CHARS, MAX_DESCRIPTION_CHARS};

/// The organisation making the booking: the contained `Organization` of a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingOrganisation {
    ods: Option<OdsCode>,
    name: String,
    phone: String,
}

impl BookingOrganisation {
    /// The booking organisation's name and a phone number the practice can call back
    /// on; its ODS code is the one the slots were searched with (see
    /// [`FreeSlot::searched_ods`]), which is the requesting organisation unless the search
    /// said otherwise.
    pub fn new(name: impl Into<String>, phone: impl Into<String>) -> Self {
        Self { ods: None, name: name.into(), phone: phone.into() }
    }

    /// The booking organisation's ODS code. It must be the one the slots were searched
    /// with, or nothing is sent: slots restricted to an ODS code are bookable only by it.
    pub fn ods(mut self, ods: &OdsCode) -> Self {
        self.ods = Some(ods.clone());
        self
    }

    /// The ODS code given with [`ods`](Self::ods), if any.
    pub fn ods_code(&self) -> Option<&OdsCode> {
        self.ods.as_ref()
    }
}

/// Books one or more adjacent slots; see [`Appointments::book`](crate::Appointments::book).
/// `Debug` leaves out the patient and the free texts.
///
/// `POST /Appointment` (`urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1`,
/// `patient/*.write`).
///
/// # Example
/// ```no_run
/// # use gpconnect_appointments::{AppointmentsExt, BookingOrganisation, FreeSlot};
/// # async fn demo(p: gpconnect_core::Provider, slot: FreeSlot, patient: gpconnect_core::PatientId) -> gpconnect_core::Result<()> {
/// let booked = p
///     .appointments()
///     .book(std::slice::from_ref(&slot), &patient)
///     .description("Follow-up of a 111 call")
///     .booking_organisation(BookingOrganisation::new("North Ambulance Service", "01111 222333"))
///     .send()
///     .await?;
/// println!("booked {:?} (Ssp-TraceID {})", booked.id, booked.trace_id);
/// # Ok(()) }
/// ```
///
/// # Errors
/// `InvalidInput` for a bad slot combination, description or comment (nothing sent);
/// `Conflict` (`409 DUPLICATE_REJECTED`) when a slot was taken meanwhile;
/// `422 REFERENCE_NOT_FOUND` for an unknown slot; `422 INVALID_RESOURCE`.
///
/// Not retried, and **not safe to retry blindly**: after an error of kind
/// `OutcomeUnknown` (connection lost after sending, timeout, 500/502/504) call
/// [`Appointments::find_booking`](crate::Appointments::find_booking) to see whether it was booked.
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct Book<T = Provider> {
    pub(crate) call: Call<T>,
    pub(crate) slots: Vec<FreeSlot>,
    pub(crate) patient_id: PatientId,
    pub(crate) description: Option<String>,
    pub(crate) comment: Option<String>,
    pub(crate) booking_organisation: Option<BookingOrganisation>,
}

gpconnect_core::builder!(impl<T: Transport> Book<T>);

impl<T> std::fmt::Debug for Book<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Book").field("slots", &self.slots.len()).finish_non_exhaustive()
    }
}

fn instant(t: &gpconnect_core::fhir::FhirDateTime) -> Option<DateTime<FixedOffset>> {
    t.to_datetime()
}

impl<T: Transport> Book<T> {
    /// A booking of `slots` for the patient with logical id `patient_id` (on the API
    /// platform, the logged-in patient's NHS number), sent through `transport`.
    pub fn new(transport: &T, slots: &[FreeSlot], patient_id: &PatientId) -> Self {
        Self {
            call: Call::new(transport),
            slots: slots.to_vec(),
            patient_id: patient_id.clone(),
            description: None,
            comment: None,
            booking_organisation: None,
        }
    }

    /// The short description shown to the practice (required; at most 100 characters; not
    /// for clinical transfer-of-care information).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Patient-specific notes (optional; at most 500 characters).
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }

    /// The organisation making the booking (required).
    pub fn booking_organisation(mut self, organisation: BookingOrganisation) -> Self {
        self.booking_organisation = Some(organisation);
        self
    }

    /// Validates everything and builds the Appointment body.
    pub(crate) fn body(&self, created: DateTime<FixedOffset>) -> Result<Value> {
        let booking = Booking {
            slots: &self.slots,
            patient_id: self.patient_id.as_str(),
            description: self.description.as_deref(),
            comment: self.comment.as_deref(),
            booking_organisation: self.booking_organisation.as_ref(),
        };
        match self.call.transport().requesting_ods(&self.call.options) {
            Some(requesting) => booking.body(&requesting, created),
            // A transport without a requesting organisation (the API platform): the
            // booking organisation must name its own ODS code.
            None => {
                let ods =
                    self.booking_organisation.as_ref().and_then(BookingOrganisation::ods_code).ok_or_else(|| {
                        InvalidInput::parameter(
                            "contained",
                            "the booking organisation (name, phone and ODS code) is required",
                        )
                    })?;
                booking.body(ods, created)
            }
        }
    }
}

/// What a booking sends, without a transport: the checks and the Appointment body of
/// [`Book::send`], for other transports (the patient-facing API) to reuse.
#[derive(Clone, Copy)]
pub struct Booking<'a> {
    /// The slots (one, or several adjacent slots of one schedule).
    pub slots: &'a [FreeSlot],
    /// The patient's logical id, sent as `Patient/<id>` (the NHS number in the
    /// patient-facing API).
    pub patient_id: &'a str,
    /// The description (required, at most 100 characters).
    pub description: Option<&'a str>,
    /// The comment (optional, at most 500 characters).
    pub comment: Option<&'a str>,
    /// The booking organisation (required).
    pub booking_organisation: Option<&'a BookingOrganisation>,
}

impl std::fmt::Debug for Booking<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Booking").field("slots", &self.slots.len()).finish_non_exhaustive()
    }
}

impl Booking<'_> {
    /// Validates everything and builds the Appointment body; `default_ods` is the booking
    /// organisation's ODS code when it names none, `created` the booking time.
    ///
    /// # Errors
    /// `InvalidInput` naming the spec element (`slot`, `participant`, `description`,
    /// `comment`, `contained`, `end`).
    pub fn body(&self, default_ods: &OdsCode, created: DateTime<FixedOffset>) -> Result<Value> {
        let slots = self.slots;
        let Some(first) = slots.first() else {
            return Err(InvalidInput::parameter("slot", "at least one slot is required").into());
        };
        let last = slots.last().expect("non-empty");
        if first.schedule_id.is_none() {
            return Err(InvalidInput::parameter("slot", "the slot names no schedule").into());
        }
        for pair in slots.windows(2) {
            let (prev, next) = (&pair[0], &pair[1]);
            if next.schedule_id != first.schedule_id {
                return Err(InvalidInput::parameter("slot", "all slots must belong to the same schedule").into());
            }
            let adjacent = match (instant(&prev.end), instant(&next.start)) {
                (Some(a), Some(b)) => a == b,
                _ => prev.end.as_str() == next.start.as_str(),
            };
            if !adjacent {
                return Err(InvalidInput::parameter("slot", "each slot must start when the previous one ends").into());
            }
            if next.delivery_channel != first.delivery_channel {
                return Err(InvalidInput::parameter("slot", "all slots must have the same delivery channel").into());
            }
            if next.service_type != first.service_type {
                return Err(InvalidInput::parameter("slot", "all slots must have the same service type").into());
            }
            if next.searched_organisation_type != first.searched_organisation_type {
                return Err(InvalidInput::parameter(
                    "slot",
                    "all slots must come from searches with the same organisation type",
                )
                .into());
            }
            if next.searched_ods != first.searched_ods {
                return Err(InvalidInput::parameter(
                    "slot",
                    "all slots must come from searches with the same ODS code",
                )
                .into());
            }
        }
        if let (Some(s), Some(e)) = (instant(&first.start), instant(&last.end)) {
            if e <= s {
                return Err(InvalidInput::parameter("end", "the appointment ends before it starts").into());
            }
        }
        logical_id(self.patient_id)
            .map_err(|_| InvalidInput::parameter("participant", "the patient id is not a logical id"))?;
        let location_id = first
            .location
            .as_ref()
            .map(|l| l.id.as_str())
            .filter(|id| !id.is_empty())
            .ok_or_else(|| InvalidInput::parameter("participant", "the slot's schedule names no Location"))?;
        let description = self.description.map(str::trim).unwrap_or_default();
        if description.is_empty() {
            return Err(InvalidInput::parameter("description", "a description is required").into());
        }
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(
                InvalidInput::parameter("description", format!("at most {MAX_DESCRIPTION_CHARS} characters")).into()
            );
        }
        // A blank comment is left out (never sent as ""); a blank description is refused.
        let comment = self.comment.map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
            return Err(InvalidInput::parameter("comment", format!("at most {MAX_COMMENT_CHARS} characters")).into());
        }
        let org = self.booking_organisation.ok_or_else(|| {
            InvalidInput::parameter("contained", "the booking organisation (name, phone) is required")
        })?;
        if org.name.trim().is_empty() {
            return Err(InvalidInput::parameter("contained", "the booking organisation needs a name").into());
        }
        if org.phone.trim().is_empty() {
            return Err(InvalidInput::parameter("contained", "the booking organisation needs a telecom (phone)").into());
        }
        let ods = match (&org.ods, &first.searched_ods) {
            (Some(given), Some(searched)) if given != searched => {
                return Err(InvalidInput::parameter(
                    "contained",
                    "the booking organisation's ODS code differs from the one the slots were searched with",
                )
                .into())
            }
            (Some(ods), _) | (None, Some(ods)) => ods.clone(),
            (None, None) => default_ods.clone(),
        };

        let mut organisation = json!({
            "resourceType": "Organization",
            "id": "1",
            "meta": { "profile": [ORGANIZATION_PROFILE] },
            "identifier": [ { "system": OdsCode::SYSTEM, "value": ods.as_str() } ],
            "name": org.name.trim(),
            "telecom": [ { "system": "phone", "value": org.phone.trim() } ],
        });
        if let Some(kind) = &first.searched_organisation_type {
            organisation["type"] =
                json!([ { "coding": [ { "system": ORGANISATION_TYPE_SYSTEM, "code": kind.code() } ] } ]);
        }
        let mut participant = vec![
            json!({ "actor": { "reference": format!("Patient/{}", self.patient_id) }, "status": "accepted" }),
            json!({ "actor": { "reference": format!("Location/{location_id}") }, "status": "accepted" }),
        ];
        if let Some(p) = &first.practitioner {
            participant
                .push(json!({ "actor": { "reference": format!("Practitioner/{}", p.id) }, "status": "accepted" }));
        }
        if let Some(id) = &first.healthcare_service_id {
            participant
                .push(json!({ "actor": { "reference": format!("HealthcareService/{id}") }, "status": "accepted" }));
        }
        let mut body = json!({
            "resourceType": "Appointment",
            "meta": { "profile": [APPOINTMENT_PROFILE] },
            "contained": [organisation],
            "extension": [ { "url": BOOKING_ORGANISATION_URL, "valueReference": { "reference": "#1" } } ],
            "status": "booked",
            "description": description,
            "start": first.start.as_str(),
            "end": last.end.as_str(),
            "slot": slots.iter().map(|s| json!({ "reference": format!("Slot/{}", s.id) })).collect::<Vec<_>>(),
            "created": gpconnect_core::uk::fhir_date_time(created),
            "participant": participant,
        });
        if let Some(comment) = comment {
            body["comment"] = Value::String(comment.to_owned());
        }
        Ok(body)
    }
}

impl<T: Transport> Operation for Book<T> {
    type Answer = Response;
    type Output = Appointment;

    fn interaction(&self) -> InteractionId {
        InteractionId::BookAppointment
    }

    fn request(&self) -> Result<Request> {
        // `created` is written in UK local time with the UK offset of this instant.
        let now = gpconnect_core::uk::now();
        let body = self.body(now)?;
        let bytes = serde_json::to_vec(&body).expect("a JSON value serializes");
        Ok(Request::post(InteractionId::BookAppointment, "Appointment", bytes))
    }

    /// The booked appointment must be for the patient booked for (else `WrongPatient`).
    fn parse(&self, response: Response) -> Result<Appointment> {
        appointment_from_response(&response, Some(self.patient_id.as_str()))
    }
}
