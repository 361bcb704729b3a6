//! `GET /Patient/{nhs}/Appointment`: the patient's appointments.

use chrono::NaiveDate;
use gpconnect_appointments::Appointment;
use gpconnect_core::error::{DecodeProblem, InvalidInput};
use gpconnect_core::fhir::{FhirResource, Location, Practitioner};
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{Call, InteractionId, NhsNumber, Operation, Request, Response, Result};

use super::appointment_from;
use crate::answer::{bundle, patient_nhs_number};

/// The patient's appointments, with the practitioners and locations they name.
#[derive(Debug, Clone)]
pub struct AppointmentList {
    /// The appointments (booked and cancelled), in the provider's order.
    pub appointments: Vec<Appointment>,
    /// The included practitioners. `Debug` leaves out names.
    pub practitioners: Vec<Practitioner>,
    /// The included locations. `Debug` leaves out addresses.
    pub locations: Vec<Location>,
}

impl AppointmentList {
    /// The booked (not cancelled) appointments.
    pub fn booked(&self) -> impl Iterator<Item = &Appointment> {
        self.appointments.iter().filter(|a| !a.is_cancelled())
    }

    /// The location of an appointment, when it was included.
    pub fn location_of(&self, appointment: &Appointment) -> Option<&Location> {
        let id = appointment.location_id.as_deref()?;
        self.locations.iter().find(|l| l.id.as_deref() == Some(id))
    }

    /// The practitioner of an appointment, when one takes part and was included.
    pub fn practitioner_of(&self, appointment: &Appointment) -> Option<&Practitioner> {
        let id = appointment.practitioner_id.as_deref()?;
        self.practitioners.iter().find(|p| p.id.as_deref() == Some(id))
    }
}

/// Lists the logged-in patient's appointments; from
/// [`Appointments::list`](crate::Appointments::list).
///
/// Sends `GET /Patient/{NHS number}/Appointment?start=ge{from}&start=le{to}` with
/// `_include:recurse` for the practitioners and locations (unless turned off), and
/// `past-appt-limit` when set. The spec says all future appointments come back,
/// whoever booked them.
///
/// Sends the search.
///
/// # Errors
/// `InvalidInput` for a reversed range (nothing sent); `VALIDATION_ERROR`,
/// `INVALID_IDENTIFIER_VALUE` (400), `ACCESS_DENIED` (403), `NO_RECORD_FOUND` (404).
/// Safe to retry: a read.
#[derive(Debug, Clone)]
#[must_use]
pub struct ListAppointments {
    call: Call<PatientSession>,
    from: NaiveDate,
    to: NaiveDate,
    include_details: bool,
    past_limit: Option<u32>,
    status: Option<String>,
}

/// The STU3 appointment status codes the `status` search takes.
const STATUS_CODES: [&str; 8] =
    ["proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow", "entered-in-error"];

gpconnect_core::builder!(ListAppointments);

impl Operation for ListAppointments {
    type Answer = Response;
    type Output = AppointmentList;

    fn interaction(&self) -> InteractionId {
        InteractionId::SearchPatientAppointments
    }

    fn request(&self) -> Result<Request> {
        self.build()
    }

    fn parse(&self, response: Response) -> Result<AppointmentList> {
        let nhs = patient_nhs_number(self.call.transport())?;
        Self::read_answer(&response, &nhs)
    }
}

impl ListAppointments {
    pub(crate) fn new(session: &PatientSession, from: NaiveDate, to: NaiveDate) -> Self {
        Self { call: Call::new(session), from, to, include_details: true, past_limit: None, status: None }
    }

    /// Leaves out `_include:recurse=Appointment:actor:Practitioner` and
    /// `Appointment:actor:Location` (sent by default).
    pub fn without_details(mut self) -> Self {
        self.include_details = false;
        self
    }

    /// At most `count` past appointments, counting back from `to` (`past-appt-limit`).
    pub fn past_limit(mut self, count: u32) -> Self {
        self.past_limit = Some(count);
        self
    }

    /// Only appointments with this FHIR STU3 status (`status=booked`, ...; one of
    /// `proposed`, `pending`, `booked`, `arrived`, `fulfilled`, `cancelled`, `noshow`,
    /// `entered-in-error`, else `InvalidInput` before sending).
    pub fn status(mut self, code: impl Into<String>) -> Self {
        self.status = Some(code.into());
        self
    }

    /// Validates (`to` not before `from`) and builds the wire request (nothing is sent).
    fn build(&self) -> Result<Request> {
        let nhs = patient_nhs_number(self.call.transport())?;
        if self.to < self.from {
            return Err(InvalidInput::parameter("start", "the range ends before it starts").into());
        }
        let mut request =
            Request::get(InteractionId::SearchPatientAppointments, format!("Patient/{}/Appointment", nhs.expose()))
                .query("start", format!("ge{}", self.from.format("%Y-%m-%d")))
                .query("start", format!("le{}", self.to.format("%Y-%m-%d")));
        if self.include_details {
            request = request
                .query("_include:recurse", "Appointment:actor:Practitioner")
                .query("_include:recurse", "Appointment:actor:Location");
        }
        if let Some(n) = self.past_limit {
            request = request.query("past-appt-limit", n.to_string());
        }
        if let Some(code) = &self.status {
            if !STATUS_CODES.contains(&code.as_str()) {
                return Err(InvalidInput::parameter("status", "not an STU3 appointment status code").into());
            }
            request = request.query("status", code.as_str());
        }
        Ok(request)
    }

    /// Reads the searchset; an appointment of another patient is an error.
    fn read_answer(response: &Response, nhs_number: &NhsNumber) -> Result<AppointmentList> {
        let bundle = bundle(response)?;
        let json_error = |e: serde_json::Error| response.decode_error(DecodeProblem::json("entry.resource", &e));
        let mut appointments = Vec::new();
        for raw in bundle.resources_of("Appointment") {
            appointments.push(appointment_from(response, raw.raw(), "entry.resource", nhs_number)?);
        }
        let practitioners =
            bundle.resources_of(Practitioner::TYPE).map(|r| r.parse()).collect::<Result<_, _>>().map_err(json_error)?;
        let locations =
            bundle.resources_of(Location::TYPE).map(|r| r.parse()).collect::<Result<_, _>>().map_err(json_error)?;
        Ok(AppointmentList { appointments, practitioners, locations })
    }
}
