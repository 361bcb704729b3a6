//! `GET /Patient/{nhs}/MedicationRequest`: repeat medications and their issues.

use chrono::NaiveDate;
use gpconnect_core::error::InvalidInput;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{Call, InteractionId, NhsNumber, Operation, Request, Response, Result};

use super::view::{MedicationStatus, Medications, ORDER_NUMBER_SYSTEM};
use super::{check_range, date_range, decoded, status_code};
use crate::answer::patient_nhs_number;

/// Which medication requests to ask for (`intent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// `plan`: the repeat templates, which the patient can request.
    Plan,
    /// `order`: the issues.
    Order,
}

/// Lists the logged-in patient's medication requests; from
/// [`Prescriptions::medications`](crate::Prescriptions::medications).
///
/// Sends `GET /Patient/{NHS number}/MedicationRequest` with the filters set (none by
/// default: repeats and issues, so each repeat knows when it was last issued).
///
/// Sends the search.
///
/// # Errors
/// `InvalidInput` for a future or reversed date range, or a malformed prescription
/// number (nothing sent); `RESOURCE_NOT_FOUND` (404), `INVALID_PARAMETER` (422);
/// `Error::Decode` for an answer that is not a FHIR R4 Bundle (an element of an entry
/// that is not FHIR R4 costs that element only: see [`Medications::problems`]);
/// `Error::WrongPatient` for one about another patient. Safe to retry: a read.
#[derive(Debug, Clone)]
#[must_use]
pub struct SearchMedications {
    call: Call<PatientSession>,
    intent: Option<Intent>,
    status: Option<MedicationStatus>,
    authored_from: Option<NaiveDate>,
    authored_to: Option<NaiveDate>,
    order_number: Option<String>,
    request_uuid: Option<uuid::Uuid>,
    authored_on: Option<NaiveDate>,
}

gpconnect_core::builder!(SearchMedications);

impl Operation for SearchMedications {
    type Answer = Response;
    type Output = Medications;

    fn interaction(&self) -> InteractionId {
        InteractionId::ReadMedicationRequests
    }

    fn request(&self) -> Result<Request> {
        self.build()
    }

    fn parse(&self, response: Response) -> Result<Medications> {
        let nhs = patient_nhs_number(self.call.transport())?;
        Self::read_answer(&response, &nhs)
    }
}

impl SearchMedications {
    pub(crate) fn new(session: &PatientSession) -> Self {
        Self {
            call: Call::new(session),
            intent: None,
            status: None,
            authored_from: None,
            authored_to: None,
            order_number: None,
            request_uuid: None,
            authored_on: None,
        }
    }

    /// Only repeats (`intent=plan`) or only issues (`intent=order`).
    pub fn intent(mut self, intent: Intent) -> Self {
        self.intent = Some(intent);
        self
    }

    /// Only requests with this status (`status=active`, ...).
    pub fn status(mut self, status: MedicationStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only requests authored on or after `date` (`authoredon=ge{date}`; not in the future).
    pub fn authored_from(mut self, date: NaiveDate) -> Self {
        self.authored_from = Some(date);
        self
    }

    /// Only requests authored on or before `date` (`authoredon=le{date}`).
    pub fn authored_to(mut self, date: NaiveDate) -> Self {
        self.authored_to = Some(date);
        self
    }

    /// Only the issues of one EPS prescription
    /// (`identifier=https://fhir.nhs.uk/Id/prescription-order-number|{number}`).
    pub fn order_number(mut self, number: impl Into<String>) -> Self {
        self.order_number = Some(number.into());
        self
    }

    /// Only the request with this UUID identifier (`identifier={uuid}`); not with
    /// [`order_number`](Self::order_number), which is the same parameter.
    pub fn identifier(mut self, uuid: uuid::Uuid) -> Self {
        self.request_uuid = Some(uuid);
        self
    }

    /// Only requests authored on `date` (`authoredon=eq{date}`; not in the future); not
    /// with a range.
    pub fn authored_on(mut self, date: NaiveDate) -> Self {
        self.authored_on = Some(date);
        self
    }

    /// Validates and builds the wire request with `today` as today (nothing is sent).
    pub fn request_on(&self, today: NaiveDate) -> Result<Request> {
        let nhs = patient_nhs_number(self.call.transport())?;
        let invalid = |p: &'static str, m: &str| -> gpconnect_core::Error { InvalidInput::parameter(p, m).into() };
        if self.authored_from.is_some_and(|d| d > today) {
            return Err(invalid("authoredon", "the date must not be in the future"));
        }
        check_range("authoredon", self.authored_from, self.authored_to)?;
        if let Some(on) = self.authored_on {
            if self.authored_from.is_some() || self.authored_to.is_some() {
                return Err(invalid("authoredon", "one date (eq) or a range (ge/le), not both"));
            }
            if on > today {
                return Err(invalid("authoredon", "the date must not be in the future"));
            }
        }
        if self.order_number.is_some() && self.request_uuid.is_some() {
            return Err(invalid("identifier", "a UUID or an EPS prescription number, not both"));
        }
        let mut request =
            Request::get(InteractionId::ReadMedicationRequests, format!("Patient/{}/MedicationRequest", nhs.expose()));
        if let Some(intent) = self.intent {
            request = request.query("intent", if intent == Intent::Plan { "plan" } else { "order" });
        }
        if let Some(status) = &self.status {
            request = request.query("status", status_code(status.as_str(), "not a MedicationRequest status code")?);
        }
        request = date_range(request, "authoredon", self.authored_from, self.authored_to);
        if let Some(on) = self.authored_on {
            request = request.query("authoredon", format!("eq{}", on.format("%Y-%m-%d")));
        }
        if let Some(uuid) = self.request_uuid {
            request = request.query("identifier", uuid.to_string());
        }
        if let Some(number) = &self.order_number {
            let number = number.trim();
            if number.is_empty() || number.contains(['|', ',']) || number.contains(char::is_whitespace) {
                return Err(invalid("identifier", "an EPS prescription number has no spaces, '|' or ','"));
            }
            request = request.query("identifier", format!("{ORDER_NUMBER_SYSTEM}|{number}"));
        }
        Ok(request)
    }

    /// [`request_on`](Self::request_on) with today's local date.
    fn build(&self) -> Result<Request> {
        self.request_on(chrono::Local::now().date_naive())
    }

    /// Reads the searchset (FHIR R4, tolerantly) for the patient `nhs_number`.
    fn read_answer(response: &Response, nhs_number: &NhsNumber) -> Result<Medications> {
        decoded(response, Medications::from_slice(&response.body.0, nhs_number))
    }
}
