//! `GET /Slot`: free slots at the patient's practice.

use gpconnect_appointments::{check_window, FreeSlots, Includes, OrganisationType, SlotTime, ORGANISATION_TYPE_SYSTEM};
use gpconnect_core::error::{DecodeProblem, InvalidInput};
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{Call, InteractionId, OdsCode, Operation, Request, Response, Result};

use crate::answer::bundle;

/// Searches free slots; from [`Appointments::search_free_slots`](crate::Appointments::search_free_slots).
///
/// Sends `GET /Slot?start=ge..&end=le..&status=free&_include=Slot:schedule`, by default
/// with the three `_include:recurse` parameters (practitioner, location, managing
/// organisation) so each slot says who and where. Only slots the practice offers to
/// patients online come back; an empty answer means none are free.
///
/// Sends the search.
///
/// # Errors
/// `InvalidInput` naming `end` for a reversed or over-long window (nothing sent);
/// `VALIDATION_ERROR`, `BAD_REQUEST`, `INVALID_PARAMETER` (400 / 422),
/// `NO_ORGANISATION_CONSENT`, `ACCESS_DENIED` (403). Safe to retry: a read.
#[derive(Debug, Clone)]
#[must_use]
pub struct SearchFreeSlots {
    call: Call<PatientSession>,
    start: SlotTime,
    end: SlotTime,
    includes: Includes,
    filter_ods: Option<OdsCode>,
    organisation_type: Option<OrganisationType>,
}

gpconnect_core::builder!(SearchFreeSlots);

impl SearchFreeSlots {
    pub(crate) fn new(session: &PatientSession, start: SlotTime, end: SlotTime) -> Self {
        Self {
            call: Call::new(session),
            start,
            end,
            includes: Includes::Recommended,
            filter_ods: None,
            organisation_type: None,
        }
    }

    /// Which resources to include (default [`Includes::Recommended`]).
    pub fn includes(mut self, includes: Includes) -> Self {
        self.includes = includes;
        self
    }

    /// Sends `searchFilter=https://fhir.nhs.uk/Id/ods-organization-code|{ods}` (the
    /// booking organisation's ODS code; optional in this API).
    pub fn search_filter_ods(mut self, ods: &OdsCode) -> Self {
        self.filter_ods = Some(ods.clone());
        self
    }

    /// Sends `searchFilter=https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1|{code}`
    /// (the spec lists `gp-practice`); a booking from these slots names the same type.
    pub fn organisation_type(mut self, kind: OrganisationType) -> Self {
        self.organisation_type = Some(kind);
        self
    }

    /// Validates (a window of at most 14 days, end not before start) and builds the wire
    /// request (nothing is sent).
    fn build(&self) -> Result<Request> {
        check_window(self.start, self.end)?;
        let mut request = Request::get(InteractionId::SearchFreeSlots, "Slot")
            .query("start", format!("ge{}", self.start))
            .query("end", format!("le{}", self.end))
            .query("status", "free")
            .query("_include", "Slot:schedule");
        if self.includes == Includes::Recommended {
            for include in ["Schedule:actor:Practitioner", "Schedule:actor:Location", "Location:managingOrganization"] {
                request = request.query("_include:recurse", include);
            }
        }
        if let Some(kind) = &self.organisation_type {
            let code = kind.code();
            if code.trim().is_empty() || code.contains('|') {
                return Err(
                    InvalidInput::parameter("searchFilter", "the organisation type code is empty or has '|'").into()
                );
            }
            request = request.query("searchFilter", format!("{ORGANISATION_TYPE_SYSTEM}|{code}"));
        }
        if let Some(ods) = &self.filter_ods {
            request = request.query("searchFilter", format!("{}|{}", OdsCode::SYSTEM, ods.as_str()));
        }
        Ok(request)
    }

    /// Reads the searchset with Appointment Management's slot view.
    fn read_answer(response: &Response, organisation_type: Option<&OrganisationType>) -> Result<FreeSlots> {
        let bundle = bundle(response)?;
        let mut slots = FreeSlots::from_bundle(&bundle)
            .map_err(|e| response.decode_error(DecodeProblem::json("entry.resource", &e)))?;
        for slot in &mut slots.slots {
            slot.searched_organisation_type = organisation_type.cloned();
        }
        Ok(slots)
    }
}

impl Operation for SearchFreeSlots {
    type Answer = Response;
    type Output = FreeSlots;

    fn interaction(&self) -> InteractionId {
        InteractionId::SearchFreeSlots
    }

    fn request(&self) -> Result<Request> {
        self.build()
    }

    fn parse(&self, response: Response) -> Result<FreeSlots> {
        Self::read_answer(&response, self.organisation_type.as_ref())
    }
}
