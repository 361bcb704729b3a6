//! `GET /Patient/{id}/Appointment`: a patient's appointments.

use std::collections::HashSet;

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::fhir::lenient::{Problem, ProblemKind};
use gpconnect_core::fhir::Bundle;
use gpconnect_core::{Call, InteractionId, Operation, PatientId, PatientMismatch, Request, Response, Result};

use super::today;
use crate::model::Appointment;

/// Lists a patient's appointments; see
/// [`Appointments::patient_appointments`](crate::Appointments::patient_appointments).
/// The answer includes cancelled appointments.
///
/// `GET /Patient/{id}/Appointment?start=geYYYY-MM-DD&start=leYYYY-MM-DD`
/// (`urn:nhs:names:services:gpconnect:fhir:rest:search:patient_appointments-1`, `patient/*.read`).
///
/// # Example
/// ```no_run
/// # use gpconnect_appointments::AppointmentsExt;
/// # async fn demo(p: gpconnect_core::Provider) -> gpconnect_core::Result<()> {
/// let today = chrono::Utc::now().date_naive();
/// let patient = "2".parse()?;
/// let list = p.appointments().patient_appointments(&patient, today, today + chrono::Duration::days(30)).send().await?;
/// println!("{} appointments (Ssp-TraceID {})", list.len(), list.trace_id);
/// # Ok(()) }
/// ```
///
/// # Errors
/// `InvalidInput` naming `start` for a range starting before today or reversed (nothing
/// sent); `422 INVALID_PARAMETER`; `PATIENT_NOT_FOUND`; `WrongPatient` when any
/// appointment listed is for another patient (or names none); transport errors. Safe to
/// retry: a read.
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct PatientAppointments {
    pub(crate) call: Call,
    pub(crate) patient_id: PatientId,
    pub(crate) from: NaiveDate,
    pub(crate) to: NaiveDate,
}

gpconnect_core::builder!(PatientAppointments);

impl PatientAppointments {
    pub(crate) fn request_on(&self, today: NaiveDate) -> Result<Request> {
        let id = &self.patient_id;
        if self.from < today {
            return Err(
                InvalidInput::parameter("start", "the range must not start in the past (today is allowed)").into()
            );
        }
        if self.to < self.from {
            return Err(InvalidInput::parameter("start", "the range ends before it starts").into());
        }
        let request = Request::get(InteractionId::SearchPatientAppointments, format!("Patient/{id}/Appointment"))
            .query("start", format!("ge{}", self.from.format("%Y-%m-%d")))
            .query("start", format!("le{}", self.to.format("%Y-%m-%d")));
        Ok(request)
    }
}

impl Operation for PatientAppointments {
    type Answer = Response;
    type Output = AppointmentList;

    fn interaction(&self) -> InteractionId {
        InteractionId::SearchPatientAppointments
    }

    fn request(&self) -> Result<Request> {
        self.request_on(today())
    }

    fn parse(&self, response: Response) -> Result<AppointmentList> {
        let bundle: Bundle = response.resource()?;
        let list = AppointmentList::read(&bundle, Some(self.patient_id.as_str()))
            .map_err(|m| m.error(self.interaction(), response.trace_id))?;
        Ok(list)
    }
}

/// A patient's appointments, in the order the provider sent them; derefs to a slice of
/// [`Appointment`].
///
/// One malformed field costs only that field (named in the appointment's and the list's
/// [`problems`](Self::problems)); an appointment is left out only when it has no id (it
/// could be neither amended nor cancelled), cannot be read, or repeats an id already
/// listed, and that is reported too.
#[derive(Debug, Clone, Default)]
pub struct AppointmentList {
    /// The appointments.
    pub appointments: Vec<Appointment>,
    problems: Vec<Problem>,
}

impl AppointmentList {
    /// Reads the Appointments of a searchset, each checked to be for the patient with
    /// logical id `patient` (when given) and to name exactly one patient.
    pub(crate) fn read(bundle: &Bundle, patient: Option<&str>) -> std::result::Result<Self, PatientMismatch> {
        let mut list = AppointmentList::default();
        let mut seen = HashSet::new();
        let appointments = bundle.entry.iter().enumerate().filter_map(|(i, e)| Some((i, e.resource.as_ref()?)));
        for (entry, raw) in appointments.filter(|(_, r)| r.resource_type() == "Appointment") {
            let mut own = Vec::new();
            let Ok(appointment) = Appointment::read(raw.raw(), Some(entry), &mut own) else {
                list.problems.push(Problem::new(Some(entry), "Appointment", ProblemKind::Unreadable));
                continue;
            };
            // Every appointment is checked, kept or not: one for someone else is never data.
            appointment.check_patient(patient)?;
            let kind = match appointment.id.as_deref() {
                None => Some(ProblemKind::NoIdentity),
                Some(id) if !seen.insert(id.to_owned()) => Some(ProblemKind::Duplicate),
                Some(_) => None,
            };
            match kind {
                Some(kind) => list.problems.push(Problem::new(Some(entry), "Appointment", kind)),
                None => {
                    list.problems.append(&mut own);
                    list.appointments.push(appointment);
                }
            }
        }
        Ok(list)
    }

    /// Everything in the answer that could not be read as the spec says: malformed fields
    /// of the appointments kept (also on each [`Appointment::problems`]) and appointments
    /// left out. Names paths, never values.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl std::ops::Deref for AppointmentList {
    type Target = [Appointment];

    fn deref(&self) -> &[Appointment] {
        &self.appointments
    }
}

impl IntoIterator for AppointmentList {
    type Item = Appointment;
    type IntoIter = std::vec::IntoIter<Appointment>;

    fn into_iter(self) -> Self::IntoIter {
        self.appointments.into_iter()
    }
}

impl<'a> IntoIterator for &'a AppointmentList {
    type Item = &'a Appointment;
    type IntoIter = std::slice::Iter<'a, Appointment>;

    fn into_iter(self) -> Self::IntoIter {
        self.appointments.iter()
    }
}
