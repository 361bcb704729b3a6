//! `GET /Task`: the status of the patient's requests.

use chrono::NaiveDate;
use gpconnect_core::foundations::logical_id;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{Call, InteractionId, NhsNumber, Operation, Request, Response, Result};

use super::view::{PrescriptionRequests, RequestStatus};
use super::{check_range, date_range, decoded, status_code};
use crate::answer::patient_nhs_number;

/// Lists the logged-in patient's repeat requests; from
/// [`Prescriptions::request_status`](crate::Prescriptions::request_status).
///
/// Sends `GET /Task?patient={NHS number}` (the spec makes `patient` required) with the
/// filters set; with [`include_medications`](Self::include_medications) the repeats the
/// requests name come too, so each request carries the medicine's name.
///
/// Sends the search.
///
/// # Errors
/// `InvalidInput` for a bad id or a reversed date range (nothing sent);
/// `ACCESS_DENIED` (403), `RESOURCE_NOT_FOUND` / `PATIENT_NOT_FOUND` (404),
/// `INVALID_PARAMETER` (422). Safe to retry: a read.
#[derive(Debug, Clone)]
#[must_use]
pub struct RequestStatusSearch {
    call: Call<PatientSession>,
    id: Option<String>,
    include_medications: bool,
    status: Option<RequestStatus>,
    authored_from: Option<NaiveDate>,
    authored_to: Option<NaiveDate>,
}

gpconnect_core::builder!(RequestStatusSearch);

impl Operation for RequestStatusSearch {
    type Answer = Response;
    type Output = PrescriptionRequests;

    fn interaction(&self) -> InteractionId {
        InteractionId::SearchPrescriptionRequests
    }

    fn request(&self) -> Result<Request> {
        self.build()
    }

    fn parse(&self, response: Response) -> Result<PrescriptionRequests> {
        let nhs = patient_nhs_number(self.call.transport())?;
        Self::read_answer(&response, &nhs)
    }
}

impl RequestStatusSearch {
    pub(crate) fn new(session: &PatientSession) -> Self {
        Self {
            call: Call::new(session),
            id: None,
            include_medications: false,
            status: None,
            authored_from: None,
            authored_to: None,
        }
    }

    /// Only the request with this Task id (`id=`); the answer is still a list.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Includes the repeats the requests name (`_include=Task:focus:MedicationRequest`).
    pub fn include_medications(mut self) -> Self {
        self.include_medications = true;
        self
    }

    /// Only requests with this status (`status=requested`, ...).
    pub fn status(mut self, status: RequestStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only requests made on or after `date` (`authored-on=ge{date}`).
    pub fn authored_from(mut self, date: NaiveDate) -> Self {
        self.authored_from = Some(date);
        self
    }

    /// Only requests made on or before `date` (`authored-on=le{date}`).
    pub fn authored_to(mut self, date: NaiveDate) -> Self {
        self.authored_to = Some(date);
        self
    }

    /// Validates and builds the wire request (nothing is sent).
    fn build(&self) -> Result<Request> {
        let nhs = patient_nhs_number(self.call.transport())?;
        let mut request =
            Request::get(InteractionId::SearchPrescriptionRequests, "Task").query("patient", nhs.expose());
        if let Some(id) = &self.id {
            request = request.query("id", logical_id(id)?);
        }
        if self.include_medications {
            request = request.query("_include", "Task:focus:MedicationRequest");
        }
        if let Some(status) = &self.status {
            request = request.query("status", status_code(status.as_str(), "not a Task status code")?);
        }
        check_range("authored-on", self.authored_from, self.authored_to)?;
        request = date_range(request, "authored-on", self.authored_from, self.authored_to);
        Ok(request)
    }

    /// Reads the searchset (FHIR R4, tolerantly) for the patient `nhs_number`.
    fn read_answer(response: &Response, nhs_number: &NhsNumber) -> Result<PrescriptionRequests> {
        decoded(response, PrescriptionRequests::from_slice(&response.body.0, nhs_number))
    }
}
