//! What the patient-facing operations add to the operations they share with the SSP: the
//! logged-in patient's NHS number and the platform's answer checks.

use gpconnect_core::error::{DecodeProblem, InvalidInput};
use gpconnect_core::fhir::lenient::{depth_exceeds, MAX_DEPTH};
use gpconnect_core::fhir::{Bundle, FhirResource};
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{NhsNumber, PatientMismatch, Response, Result};

/// Checks that `body` never nests deeper than [`MAX_DEPTH`] (core's one limit and check).
pub(crate) fn check_depth(body: &[u8]) -> Result<(), DecodeProblem> {
    if depth_exceeds(body, MAX_DEPTH) {
        return Err(DecodeProblem::Json {
            path: String::new(),
            message: format!("nested deeper than {MAX_DEPTH} levels"),
        });
    }
    Ok(())
}

/// The logged-in patient's NHS number (the verified ID token's `nhs_number` claim): the
/// platform binds every call to it, so paths and bodies name it.
pub(crate) fn patient_nhs_number(session: &PatientSession) -> Result<NhsNumber, InvalidInput> {
    Ok(session.nhs_number().clone())
}

/// Checks an answer before parsing: not empty, nested at most [`MAX_DEPTH`](crate::MAX_DEPTH)
/// deep, and a resource of type `expected`.
pub(crate) fn check_answer(response: &Response, expected: &'static str) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Peek {
        #[serde(rename = "resourceType")]
        resource_type: Option<String>,
    }
    let body = &response.body.0;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(response.decode_error(DecodeProblem::Empty));
    }
    check_depth(body).map_err(|p| response.decode_error(p))?;
    let peek: Peek = response.json()?;
    match peek.resource_type.as_deref() {
        Some(t) if t == expected => Ok(()),
        other => {
            let found = other
                .filter(|t| t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphabetic()))
                .unwrap_or("(unknown)")
                .to_owned();
            Err(response.decode_error(DecodeProblem::ResourceType { expected, found }))
        }
    }
}

/// A checked STU3 Bundle.
pub(crate) fn bundle(response: &Response) -> Result<Bundle> {
    check_answer(response, Bundle::TYPE)?;
    response.json()
}

/// The error for an answer about another patient than the logged-in one (or naming none
/// where it must): [`gpconnect_core::Error::WrongPatient`], with the request id.
pub(crate) fn wrong_patient(response: &Response, problem: PatientMismatch) -> gpconnect_core::Error {
    problem.error(response.interaction, response.trace_id)
}
