//! GP Connect / Spine error codes: the table, their kinds and the fixes a person can act on.

use super::*;

macro_rules! gpc_codes {
    ($( $(#[$doc:meta])* $name:ident = $code:literal => $kind:expr; )*) => {
        /// A GP Connect / Spine error or warning code (`Spine-ErrorOrWarningCode-1`), or an
        /// SSP error recognised from its display token.
        ///
        /// `Debug` and `Display` never quote an unknown code (it is provider-supplied text);
        /// [`GpcCode::as_str`] gives it.
        #[derive(Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum GpcCode {
            $( $(#[$doc])* $name, )*
            /// A code this SDK does not know, kept as sent.
            Other(String),
        }

        impl GpcCode {
            /// Maps a code as sent by a provider. Both `ACCESS_DENIED` and the
            /// `ACCESS DENIED` spelling of the 1.6 pages are accepted.
            pub fn from_code(code: &str) -> Self {
                match code.trim() {
                    $( $code => GpcCode::$name, )*
                    "ACCESS DENIED" => GpcCode::AccessDenied,
                    // Spellings of the patient-facing API specs' error tables.
                    "INVALID_IDENTIFIER_VA" => GpcCode::InvalidIdentifierValue,
                    "INVALID RESOURCE" => GpcCode::InvalidResource,
                    "INVALID PARAMETER" | "INVALID PARAMERER" => GpcCode::InvalidParameter,
                    other => GpcCode::Other(other.to_owned()),
                }
            }

            /// The code as the spec writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( GpcCode::$name => $code, )*
                    GpcCode::Other(s) => s,
                }
            }

            pub(super) fn kind(&self) -> Option<ErrorKind> {
                match self {
                    $( GpcCode::$name => $kind, )*
                    GpcCode::Other(_) => None,
                }
            }
        }
    };
}

gpc_codes! {
    /// 400: invalid identifier system.
    InvalidIdentifierSystem = "INVALID_IDENTIFIER_SYSTEM" => Some(ErrorKind::InvalidInput);
    /// 400: invalid identifier value.
    InvalidIdentifierValue = "INVALID_IDENTIFIER_VALUE" => Some(ErrorKind::InvalidInput);
    /// 400: the NHS number is invalid.
    InvalidNhsNumber = "INVALID_NHS_NUMBER" => Some(ErrorKind::InvalidInput);
    /// 400: invalid patient demographics (PDS trace failed).
    InvalidPatientDemographics = "INVALID_PATIENT_DEMOGRAPHICS" => Some(ErrorKind::ProviderRejected);
    /// 400: the request is malformed (headers, JWT claims, body, verb).
    BadRequest = "BAD_REQUEST" => Some(ErrorKind::ProviderRejected);
    /// 400: conflicting values in different fields.
    ConflictingValues = "CONFLICTING_VALUES" => Some(ErrorKind::ProviderRejected);
    /// 403: the patient has not consented to share (dissent).
    NoPatientConsent = "NO_PATIENT_CONSENT" => Some(ErrorKind::AccessDenied);
    /// 403: the organisation has not consented to share.
    NoOrganisationConsent = "NO_ORGANISATION_CONSENT" => Some(ErrorKind::AccessDenied);
    /// 403: access denied (for example the capability is disabled at the practice).
    AccessDenied = "ACCESS_DENIED" => Some(ErrorKind::AccessDenied);
    /// 403: no legitimate relationship with the patient.
    NoRelationship = "NO_RELATIONSHIP" => Some(ErrorKind::AccessDenied);
    /// 404: organisation not found.
    OrganisationNotFound = "ORGANISATION_NOT_FOUND" => Some(ErrorKind::NotFound);
    /// 404: patient not found (or not shareable).
    PatientNotFound = "PATIENT_NOT_FOUND" => Some(ErrorKind::NotFound);
    /// 404: practitioner not found.
    PractitionerNotFound = "PRACTITIONER_NOT_FOUND" => Some(ErrorKind::NotFound);
    /// 404: no record found for the id.
    NoRecordFound = "NO_RECORD_FOUND" => Some(ErrorKind::NotFound);
    /// 409: the create would duplicate a resource (for example a slot already booked).
    DuplicateRejected = "DUPLICATE_REJECTED" => Some(ErrorKind::Conflict);
    /// 422: a resource failed validation.
    InvalidResource = "INVALID_RESOURCE" => Some(ErrorKind::ProviderRejected);
    /// 422: an operation parameter is invalid.
    InvalidParameter = "INVALID_PARAMETER" => Some(ErrorKind::ProviderRejected);
    /// 422: a referenced resource does not exist.
    ReferenceNotFound = "REFERENCE_NOT_FOUND" => Some(ErrorKind::ProviderRejected);
    /// 500: unexpected internal server error.
    InternalServerError = "INTERNAL_SERVER_ERROR" => Some(ErrorKind::ProviderRejected);
    /// 501 (or an in-bundle warning): not implemented.
    NotImplemented = "NOT_IMPLEMENTED" => Some(ErrorKind::ProviderRejected);
    /// SSP 400: the target URL differs from the endpoint registered in SDS.
    SspTargetUrlVaries = "SSP_TARGET_URL_VARIES" => Some(ErrorKind::ProviderRejected);
    /// SSP 403: the sender ASID is not authorised for the interaction.
    SspSenderNotAuthorised = "SSP_SENDER_NOT_AUTHORISED" => Some(ErrorKind::AccessDenied);
    /// SSP 403: the receiver ASID is not authorised for the interaction.
    SspReceiverNotAuthorised = "SSP_RECEIVER_NOT_AUTHORISED" => Some(ErrorKind::AccessDenied);
    /// SSP 403: the sender may not send this interaction to the receiver.
    SspSenderToReceiverNotAuthorised = "SSP_SENDER_TO_RECEIVER_NOT_AUTHORISED" => Some(ErrorKind::AccessDenied);
    /// SSP 405: method not allowed.
    SspMethodNotAllowed = "SSP_METHOD_NOT_ALLOWED" => Some(ErrorKind::ProviderRejected);
    /// SSP 415: unsupported media type.
    SspUnsupportedMediaType = "SSP_UNSUPPORTED_MEDIA_TYPE" => Some(ErrorKind::ProviderRejected);
    /// 400 (API platform): the request failed validation.
    ValidationError = "VALIDATION_ERROR" => Some(ErrorKind::ProviderRejected);
    /// 400 (API platform): a value is not supported.
    UnsupportedValue = "UNSUPPORTED_VALUE" => Some(ErrorKind::ProviderRejected);
    /// 404 (API platform, prescriptions): the resource does not exist.
    ResourceNotFound = "RESOURCE_NOT_FOUND" => Some(ErrorKind::NotFound);
    /// 400 (API platform proxy): the provider's answer exceeded the platform's 10 MB limit.
    BadGatewayBufferOverflow = "BAD_GATEWAY_BUFFER_OVERFLOW" => Some(ErrorKind::ProviderRejected);
    /// SSP 502: the SSP could not reach the provider.
    SspErrorCommunicating = "SSP_ERROR_COMMUNICATING" => Some(ErrorKind::Transport);
}

impl GpcCode {
    /// Recognises an SSP-generated error from its display/diagnostics token
    /// (coding system `http://fhir.nhs.net/ValueSet/gpconnect-schedule-response-code-1-0`).
    pub fn from_ssp_token(token: &str) -> Option<Self> {
        let t = token.trim();
        Some(if t.starts_with("ENDPOINT_") && t.contains("_VARIES_FROM_TARGETURL_") {
            GpcCode::SspTargetUrlVaries
        } else if t.starts_with("ASID_CHECK_FAILED_MESSAGESENDER") {
            GpcCode::SspSenderNotAuthorised
        } else if t.starts_with("PARTYKEY_INTERACTION_CHECK_FAILED") {
            GpcCode::SspReceiverNotAuthorised
        } else if t.starts_with("FOT_CHECK_FAILED") {
            GpcCode::SspSenderToReceiverNotAuthorised
        } else if t.starts_with("405") {
            GpcCode::SspMethodNotAllowed
        } else if t.eq_ignore_ascii_case("Unsupported_Media_Type") {
            GpcCode::SspUnsupportedMediaType
        } else if t.starts_with("ERROR_COMMUNICATING_TO_ENDPOINT") {
            GpcCode::SspErrorCommunicating
        } else {
            return None;
        })
    }

    /// Finds the first error code in an OperationOutcome: a Spine code, or an SSP token.
    pub fn from_outcome(outcome: &OperationOutcome) -> Option<Self> {
        for issue in &outcome.issue {
            let Some(details) = &issue.details else { continue };
            for coding in &details.coding {
                let system = coding.system.as_deref().unwrap_or_default();
                let code = coding.code.as_deref().unwrap_or_default();
                if system.contains("gpconnect-schedule-response-code") || code.parse::<u16>().is_ok() {
                    let token = coding.display.as_deref().or(issue.diagnostics.as_deref());
                    // An unknown token is not kept: diagnostics may echo request values.
                    return Some(
                        token.and_then(Self::from_ssp_token).unwrap_or_else(|| GpcCode::Other(code.to_owned())),
                    );
                } else if !code.is_empty() {
                    return Some(Self::from_code(code));
                }
            }
            if let Some(c) = issue.diagnostics.as_deref().and_then(Self::from_ssp_token) {
                return Some(c);
            }
        }
        None
    }
}

impl fmt::Display for GpcCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpcCode::Other(_) => f.write_str("an error code this SDK does not know"),
            known => f.write_str(known.as_str()),
        }
    }
}

impl fmt::Debug for GpcCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpcCode::Other(code) => write!(f, "Other({} chars)", code.chars().count()),
            known => f.write_str(known.as_str()),
        }
    }
}

impl GpcCode {
    /// What to do about this code, where the fix is known.
    pub(super) fn fix(&self) -> Option<&'static str> {
        Some(match self {
            GpcCode::InvalidNhsNumber => "the provider refused the NHS number: check it",
            GpcCode::PatientNotFound => "the provider has no record it can share for this patient",
            GpcCode::NoRelationship => "the provider sees no legitimate relationship between this user and the patient",
            GpcCode::NoPatientConsent => "the patient has dissented from sharing their record",
            GpcCode::AccessDenied | GpcCode::NoOrganisationConsent => {
                "the practice has not enabled this capability for your organisation"
            }
            GpcCode::BadRequest => "the provider refused the request's form: report it with the trace id",
            GpcCode::SspSenderNotAuthorised => {
                "the SSP does not let the consumer ASID send this interaction: check the ASID and its endorsement"
            }
            GpcCode::SspReceiverNotAuthorised => {
                "the provider's ASID does not accept this interaction: check the provider's ASID (or let SDS find it)"
            }
            GpcCode::SspSenderToReceiverNotAuthorised => {
                "the consumer ASID may not send this interaction to this provider"
            }
            GpcCode::SspTargetUrlVaries => {
                "the service root differs from the one registered in SDS: use the one SDS gives"
            }
            GpcCode::SspErrorCommunicating => "the SSP could not reach the provider: try again later",
            GpcCode::DuplicateRejected => "it already exists: look before trying again",
            _ => return None,
        })
    }
}
