//! Error answers: provider `GPConnect-OperationOutcome-1` and SSP OperationOutcomes.

use serde_json::{json, Value};

/// The coding system of provider errors (1.5/1.6 text; see spec section 1.7).
pub const SPINE_ERROR_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1";
/// The coding system of SSP-generated errors.
pub const SSP_ERROR_SYSTEM: &str = "http://fhir.nhs.net/ValueSet/gpconnect-schedule-response-code-1-0";
const OPERATION_OUTCOME_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1";

/// A Spine error code a provider answers with (spec section 1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpineCode {
    /// 400 `INVALID_IDENTIFIER_SYSTEM`.
    InvalidIdentifierSystem,
    /// 400 `INVALID_PATIENT_DEMOGRAPHICS`.
    InvalidPatientDemographics,
    /// 400 `INVALID_IDENTIFIER_VALUE`.
    InvalidIdentifierValue,
    /// 400 `INVALID_NHS_NUMBER`.
    InvalidNhsNumber,
    /// 400 `BAD_REQUEST`.
    BadRequest,
    /// 400 `CONFLICTING_VALUES` (e.g. sensitive information migrated without `conf/R`).
    ConflictingValues,
    /// 403 `ACCESS_DENIED`.
    AccessDenied,
    /// 404 `ORGANISATION_NOT_FOUND`.
    OrganisationNotFound,
    /// 404 `PATIENT_NOT_FOUND`.
    PatientNotFound,
    /// 404 `PRACTITIONER_NOT_FOUND`.
    PractitionerNotFound,
    /// 404 `NO_RECORD_FOUND`.
    NoRecordFound,
    /// 409 `DUPLICATE_REJECTED`.
    DuplicateRejected,
    /// 422 `INVALID_RESOURCE`.
    InvalidResource,
    /// 422 `INVALID_PARAMETER`.
    InvalidParameter,
    /// 422 `REFERENCE_NOT_FOUND`.
    ReferenceNotFound,
    /// 500 `INTERNAL_SERVER_ERROR`.
    InternalServerError,
    /// 501 `NOT_IMPLEMENTED`.
    NotImplemented,
}

impl SpineCode {
    /// The code as written in `issue.details.coding.code`.
    pub fn as_str(self) -> &'static str {
        self.parts().0
    }

    /// The HTTP status a provider answers this code with.
    pub fn status(self) -> u16 {
        self.parts().1
    }

    fn parts(self) -> (&'static str, u16, &'static str, &'static str) {
        use SpineCode::*;
        match self {
            InvalidIdentifierSystem => ("INVALID_IDENTIFIER_SYSTEM", 400, "value", "Invalid identifier system"),
            InvalidPatientDemographics => {
                ("INVALID_PATIENT_DEMOGRAPHICS", 400, "business-rule", "Invalid patient demographics")
            }
            InvalidIdentifierValue => ("INVALID_IDENTIFIER_VALUE", 400, "value", "Invalid identifier value"),
            InvalidNhsNumber => ("INVALID_NHS_NUMBER", 400, "value", "Invalid NHS number"),
            BadRequest => ("BAD_REQUEST", 400, "invalid", "Bad request"),
            ConflictingValues => ("CONFLICTING_VALUES", 400, "invalid", "Conflicting values"),
            AccessDenied => ("ACCESS_DENIED", 403, "forbidden", "Access denied"),
            OrganisationNotFound => ("ORGANISATION_NOT_FOUND", 404, "not-found", "Organisation not found"),
            PatientNotFound => ("PATIENT_NOT_FOUND", 404, "not-found", "Patient not found"),
            PractitionerNotFound => ("PRACTITIONER_NOT_FOUND", 404, "not-found", "Practitioner not found"),
            NoRecordFound => ("NO_RECORD_FOUND", 404, "not-found", "No record found"),
            DuplicateRejected => {
                ("DUPLICATE_REJECTED", 409, "duplicate", "Create would lead to creation of a duplicate resource")
            }
            InvalidResource => ("INVALID_RESOURCE", 422, "invalid", "Invalid validation of resource"),
            InvalidParameter => ("INVALID_PARAMETER", 422, "invalid", "Invalid parameter"),
            ReferenceNotFound => ("REFERENCE_NOT_FOUND", 422, "invalid", "Reference not found"),
            InternalServerError => ("INTERNAL_SERVER_ERROR", 500, "exception", "Internal server error"),
            NotImplemented => ("NOT_IMPLEMENTED", 501, "not-supported", "Not implemented"),
        }
    }
}

/// An error answer: HTTP status, the code recorded in the request log, and the body.
#[derive(Clone, PartialEq)]
pub struct Rejection {
    /// HTTP status.
    pub status: u16,
    /// The Spine code (`BAD_REQUEST` ...) or, for SSP errors, the SSP's display token kind
    /// (`ASID_CHECK_FAILED_MESSAGESENDER` ...).
    pub code: String,
    /// The diagnostics text sent (never contains an NHS number).
    pub diagnostics: String,
    /// The OperationOutcome body.
    pub body: Value,
}

impl std::fmt::Debug for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rejection")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("diagnostics", &self.diagnostics)
            .finish_non_exhaustive()
    }
}

impl Rejection {
    /// A provider error in the `GPConnect-OperationOutcome-1` shape.
    pub fn provider(code: SpineCode, diagnostics: impl Into<String>) -> Rejection {
        let (text, status, issue_type, display) = code.parts();
        let diagnostics = diagnostics.into();
        let mut issue = json!({
            "severity": "error",
            "code": issue_type,
            "details": { "coding": [ { "system": SPINE_ERROR_SYSTEM, "code": text, "display": display } ] },
        });
        if !diagnostics.is_empty() {
            issue["diagnostics"] = Value::String(diagnostics.clone());
        }
        Rejection {
            status,
            code: text.to_string(),
            diagnostics,
            body: json!({
                "resourceType": "OperationOutcome",
                "meta": { "profile": [OPERATION_OUTCOME_PROFILE] },
                "issue": [issue],
            }),
        }
    }

    /// A `400 BAD_REQUEST` provider error.
    pub fn bad_request(diagnostics: impl Into<String>) -> Rejection {
        Rejection::provider(SpineCode::BadRequest, diagnostics)
    }

    /// A `422 INVALID_RESOURCE` provider error.
    pub fn invalid_resource(diagnostics: impl Into<String>) -> Rejection {
        Rejection::provider(SpineCode::InvalidResource, diagnostics)
    }

    /// An SSP-generated error in the shape of the spec's `ssp-error__*.json` examples.
    fn ssp(status: u16, issue_type: &str, kind: &str, token: String) -> Rejection {
        Rejection {
            status,
            code: kind.to_string(),
            diagnostics: token.clone(),
            body: json!({
                "resourceType": "OperationOutcome",
                "id": uuid::Uuid::new_v4().to_string(),
                "issue": [ {
                    "code": issue_type,
                    "severity": "error",
                    "details": { "coding": [ {
                        "code": status.to_string(),
                        "display": token,
                        "system": SSP_ERROR_SYSTEM,
                    } ] },
                    "diagnostics": token,
                } ],
            }),
        }
    }

    /// SSP 400: the target URL is not the endpoint registered in SDS.
    pub fn ssp_target_url_varies(registered: &str, cpa_id: &str, target: &str) -> Rejection {
        Rejection::ssp(
            400,
            "invalid",
            "VARIES_FROM_TARGETURL",
            format!("ENDPOINT_{registered}_CPAID_{cpa_id}_VARIES_FROM_TARGETURL_{target}"),
        )
    }

    /// SSP 403: the sender ASID is not authorised.
    pub fn ssp_sender_not_authorised(sender: &str) -> Rejection {
        Rejection::ssp(
            403,
            "forbidden",
            "ASID_CHECK_FAILED_MESSAGESENDER",
            format!("ASID_CHECK_FAILED_MESSAGESENDER_{sender}"),
        )
    }

    /// SSP 403: the receiver ASID is not authorised for the interaction.
    pub fn ssp_receiver_not_authorised(receiver: &str) -> Rejection {
        Rejection::ssp(
            403,
            "forbidden",
            "PARTYKEY_INTERACTION_CHECK_FAILED_MESSAGERECEIVER",
            format!("PARTYKEY_INTERACTION_CHECK_FAILED_MESSAGERECEIVER_{receiver}"),
        )
    }

    /// SSP 415: unsupported media type.
    pub fn ssp_unsupported_media_type() -> Rejection {
        Rejection::ssp(415, "not-supported", "Unsupported_Media_Type", "Unsupported_Media_Type".into())
    }

    /// An SDS FHIR API error (R4 OperationOutcome).
    pub fn sds(status: u16, code: &str, diagnostics: impl Into<String>) -> Rejection {
        let diagnostics = diagnostics.into();
        let issue_type = match status {
            401 | 403 => "forbidden",
            404 => "not-found",
            _ => "invalid",
        };
        Rejection {
            status,
            code: code.to_string(),
            diagnostics: diagnostics.clone(),
            body: json!({
                "resourceType": "OperationOutcome",
                "issue": [ {
                    "severity": "error",
                    "code": issue_type,
                    "details": { "coding": [ {
                        "system": "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode",
                        "code": code,
                    } ] },
                    "diagnostics": diagnostics,
                } ],
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::fixture_json;

    #[test]
    fn provider_error_has_the_spec_shape() {
        let r = Rejection::provider(SpineCode::BadRequest, "Empty JWT aud claim");
        assert_eq!(r.body, fixture_json("error__bad-request-jwt__400.json"));
        let r = Rejection::provider(SpineCode::InvalidNhsNumber, "");
        assert_eq!(r.body, fixture_json("error__invalid-nhs-number__400.json"));
        assert_eq!(r.status, 400);
    }

    #[test]
    fn ssp_error_has_the_spec_shape() {
        let mut r = Rejection::ssp_sender_not_authorised("100000000001").body;
        let mut spec = fixture_json("ssp-error__sender-asid-not-authorised__403.json");
        r["id"] = Value::Null;
        spec["id"] = Value::Null;
        assert_eq!(r, spec);
    }
}
