//! Prescriptions Management (FHIR R4, UK Core): the patient's repeat medications,
//! requesting an issue, and the status of their requests.
//!
//! Answers are read with fhirbolt into `fhirbolt::model::r4::Resource`: strictly when they
//! are strict FHIR R4, else element by element, an unknown or malformed element costing
//! that element only and reported in the view's `problems()`; then turned into views
//! a patient app can show directly: [`Medications`], [`PrescriptionRequest`],
//! [`PrescriptionRequests`].

mod medications;
mod request_issue;
mod request_status;
mod view;

pub use medications::{Intent, SearchMedications};
pub use request_issue::RequestIssue;
pub use request_status::RequestStatusSearch;
pub use view::{
    MedicationDetails, MedicationStatus, Medications, PrescriptionIssue, PrescriptionRequest, PrescriptionRequests,
    RepeatMedication, RequestStatus, ViewError, ORDERING_PARAMETER_SYSTEM, ORDER_ITEM_NUMBER_SYSTEM,
    ORDER_NUMBER_SYSTEM, REPEAT_INFORMATION_URL, UUID_SYSTEM,
};

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::Request;

/// The Prescriptions Management operations for the logged-in patient; from
/// [`PatientExt::prescriptions`](crate::PatientExt::prescriptions).
#[derive(Debug, Clone)]
pub struct Prescriptions {
    pub(crate) session: PatientSession,
}

impl Prescriptions {
    /// The patient's medication requests: repeats and their issues
    /// (`GET /Patient/{nhs}/MedicationRequest`); see [`SearchMedications`].
    pub fn medications(&self) -> SearchMedications {
        SearchMedications::new(&self.session)
    }

    /// Asks the practice to issue a repeat again (`POST /Task`); see [`RequestIssue`].
    pub fn request_issue(&self, repeat: &RepeatMedication) -> RequestIssue {
        RequestIssue::new(&self.session, repeat)
    }

    /// The status of the patient's requests (`GET /Task?patient={nhs}`); see
    /// [`RequestStatusSearch`].
    pub fn request_status(&self) -> RequestStatusSearch {
        RequestStatusSearch::new(&self.session)
    }
}

/// Turns a view's decode problem into the error of `response`.
pub(crate) fn decoded<T>(response: &gpconnect_core::Response, view: Result<T, ViewError>) -> gpconnect_core::Result<T> {
    view.map_err(|e| match e {
        ViewError::Decode(p) => response.decode_error(p),
        ViewError::WrongPatient(m) => crate::answer::wrong_patient(response, m),
    })
}

/// A status search value: lower-case letters and `-` only, so that it cannot change the
/// query; otherwise `problem`.
pub(crate) fn status_code<'a>(code: &'a str, problem: &'static str) -> Result<&'a str, InvalidInput> {
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
        return Err(InvalidInput::parameter("status", problem));
    }
    Ok(code)
}

/// Checks that the date search `name` does not start after it ends.
pub(crate) fn check_range(
    name: &'static str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(), InvalidInput> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => Err(InvalidInput::parameter(name, "the start is after the end")),
        _ => Ok(()),
    }
}

/// Adds the date search `name`: `ge{from}` and `le{to}` for the ends given.
pub(crate) fn date_range(mut request: Request, name: &str, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Request {
    if let Some(d) = from {
        request = request.query(name, format!("ge{}", d.format("%Y-%m-%d")));
    }
    if let Some(d) = to {
        request = request.query(name, format!("le{}", d.format("%Y-%m-%d")));
    }
    request
}
