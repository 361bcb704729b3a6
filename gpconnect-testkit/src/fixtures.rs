//! The specification's example payloads, compiled in.
//!
//! Every file is an unchanged copy of a file in the spec's `examples/` folder (files ending
//! `.fixed.json` are strict-JSON corrections of examples the spec prints with a syntax slip).
//!
//! ```
//! let bundle = gpconnect_testkit::fixtures::fixture("foundations__find-patient-response.json");
//! assert!(bundle.contains("searchset"));
//! ```

macro_rules! fixtures {
    ($($name:literal),* $(,)?) => {
        /// The names of every compiled-in fixture.
        pub const NAMES: &[&str] = &[$($name),*];

        fn lookup(name: &str) -> Option<&'static str> {
            match name {
                $($name => Some(include_str!(concat!("../fixtures/", $name))),)*
                _ => None,
            }
        }
    };
}

fixtures! {
    "access-record__GET_Patient-id-DocumentReference__response-200__example.json",
    "access-record__GET_Patient-id-DocumentReference__response-4XX__example.json",
    "access-record__GET_documents-Binary-id__response-200__example.json",
    "access-record__GET_documents-Binary-id__response-4XX__example.json",
    "access-record__GET_documents-Patient-id__response-200__example.json",
    "access-record__GET_documents-Patient-id__response-4XX__example.json",
    "access-record__POST_Patient-gpc-getstructuredrecord__request__fullRecordRequest.json",
    "access-record__POST_Patient-gpc-getstructuredrecord__request__repeatOnlyRequest.json",
    "access-record__POST_Patient-gpc-getstructuredrecord__response-200__allergies.json",
    "access-record__POST_Patient-gpc-getstructuredrecord__response-200__fullRecordResponse.json",
    "access-record__POST_Patient-gpc-getstructuredrecord__response-200__immunizations.json",
    "access-record__POST_Patient-gpc-getstructuredrecord__response-200__repeatOnlyResponse.json",
    "access-record__POST_Patient-gpc-getstructuredrecord__response-4XX__example.json",
    "appointments-1.2.8__amend-appt-request-payload-1.json",
    "appointments-1.2.8__amend-appt-response-payload-1.json",
    "appointments-1.2.8__book-appt-request-payload-1.json",
    "appointments-1.2.8__book-appt-response-payload-1.json",
    "appointments-1.2.8__cancel-appt-request-payload-1.json",
    "appointments-1.2.8__cancel-appt-response-payload-1.json",
    "appointments-1.2.8__read-appt-response-payload-1.json",
    "appointments-1.2.8__retrieve-patient-appts-response-payload-1a.json",
    "appointments-1.2.8__retrieve-patient-appts-response-payload-1b.json",
    "appointments-1.2.8__search-for-free-slots-response-payload-1.json",
    "appointments-1.2.8__search-for-free-slots-response-payload-2.json",
    "appointments-1.2.8__search-for-free-slots-response-payload-3.json",
    "appointments-1.2.8__search-for-free-slots-response-payload-4.json",
    "appointments__GET_Appointment-id__response-200__example.json",
    "appointments__GET_Appointment-id__response-4XX__example.json",
    "appointments__GET_Patient-id-Appointment__response-200__example.json",
    "appointments__GET_Patient-id-Appointment__response-4XX__example.json",
    "appointments__GET_Slot__response-200__example.json",
    "appointments__GET_Slot__response-4XX__example.json",
    "appointments__POST_Appointment__request__example.json",
    "appointments__POST_Appointment__response-201__example.json",
    "appointments__POST_Appointment__response-4XX__example.json",
    "appointments__PUT_Appointment-id__request__example.json",
    "appointments__PUT_Appointment-id__response-200__example.json",
    "appointments__PUT_Appointment-id__response-4XX__example.json",
    "appointments__amend-appt-request.json",
    "appointments__amend-appt-response.json",
    "appointments__book-appt-request.json",
    "appointments__book-appt-response.json",
    "appointments__cancel-appt-request.json",
    "appointments__cancel-appt-response.json",
    "appointments__read-appt-response.json",
    "appointments__retrieve-patients-appts-response.json",
    "appointments__search-for-free-slots-response.json",
    "documents__retrieve-binary__response.fixed.json",
    "documents__retrieve-binary__response.json",
    "documents__search-documentreference__response-bundle.json",
    "error-1.2.8__access-denied__403.json",
    "error-1.2.8__bad-request-jwt__400.json",
    "error-1.2.8__duplicate-rejected__409.json",
    "error-1.2.8__internal-server-error__500.json",
    "error-1.2.8__invalid-nhs-number__400.json",
    "error-1.2.8__no-patient-consent__403.json",
    "error-1.2.8__no-record-found__404.json",
    "error-1.2.8__patient-not-found__404.json",
    "error-1.2.8__reference-not-found__422.json",
    "error__access-denied__403.json",
    "error__bad-request-jwt__400.json",
    "error__duplicate-rejected__409.json",
    "error__internal-server-error__500.json",
    "error__invalid-nhs-number__400.json",
    "error__no-patient-consent__403.json",
    "error__no-record-found__404.json",
    "error__patient-not-found__404.json",
    "error__reference-not-found__422.json",
    "foundations-1.2.8__find-healthcareservice-response-payload-1a.json",
    "foundations-1.2.8__find-healthcareservice-response-payload-1b.json",
    "foundations-1.2.8__find-healthcareservice-response-payload-2.json",
    "foundations-1.2.8__read-healthcareservice-response-payload-1.json",
    "foundations__find-organization-response.json",
    "foundations__find-patient-response.json",
    "foundations__find-practitioner-response.json",
    "foundations__get-capability-statement-response.json",
    "foundations__read-location-response.json",
    "foundations__read-organization-response.json",
    "foundations__read-patient-response.json",
    "foundations__read-practitioner-response.json",
    "foundations__register-patient-request.json",
    "foundations__register-patient-response.json",
    "jwt__header__example.json",
    "jwt__payload__example.json",
    "ssp-error__error-communicating__502.json",
    "ssp-error__method-not-allowed__405.json",
    "ssp-error__receiver-asid-not-authorised__403.json",
    "ssp-error__sender-asid-not-authorised__403.json",
    "ssp-error__sender-to-receiver-not-authorised__403.json",
    "ssp-error__target-url-varies__400.fixed.json",
    "ssp-error__target-url-varies__400.json",
    "ssp-error__unsupported-media-type__415.json",
    "structured__operationoutcome__clinical-area-disabled__bundle-entry.json",
    "structured__operationoutcome__forwards-compatibility-warning__bundle-entry.fixed.json",
    "structured__operationoutcome__forwards-compatibility-warning__bundle-entry.json",
    "structured__request__all-parameters.json",
    "structured__request__all-parameters__1.6.0.json",
    "structured__request__allergies1.json",
    "structured__request__allergies2.json",
    "structured__request__allergies3.json",
    "structured__request__consultations-forwards1.json",
    "structured__request__consultations1.json",
    "structured__request__diaryentries1.json",
    "structured__request__immunizations1.json",
    "structured__request__immunizations2.json",
    "structured__request__immunizations3.json",
    "structured__request__meds.json",
    "structured__request__migrate-structured-record.json",
    "structured__request__pathology1.json",
    "structured__request__pathology2.json",
    "structured__request__predefined-search-1.json",
    "structured__request__predefined-search-2.json",
    "structured__request__problems1.json",
    "structured__request__referrals1.json",
    "structured__request__uncategorised1.json",
    "structured__response__allergies1.json",
    "structured__response__allergies2.json",
    "structured__response__consultations-forwards1.json",
    "structured__response__consultations1.fixed.json",
    "structured__response__consultations1.json",
    "structured__response__diaryentries1.json",
    "structured__response__immunizations1.json",
    "structured__response__immunizations2.json",
    "structured__response__meds.json",
    "structured__response__pathology1.json",
    "structured__response__problems1.json",
    "structured__response__problems2.json",
    "structured__response__referrals1.json",
    "structured__response__skeleton-full-record.json",
    "structured__response__split-plan.json",
    "structured__response__uncategorised1.json",
}

/// The text of the fixture `name` (a file name from the spec's `examples/` folder).
///
/// # Panics
/// If no fixture of that name is compiled in; see [`NAMES`].
pub fn fixture(name: &str) -> &'static str {
    lookup(name).unwrap_or_else(|| panic!("no testkit fixture named {name}"))
}

/// The fixture `name` parsed as JSON.
///
/// # Panics
/// If no fixture of that name exists or it is not strict JSON (use the `.fixed.json`
/// variant where the spec's example has a syntax slip).
pub fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_str(fixture(name)).unwrap_or_else(|e| panic!("testkit fixture {name} is not strict JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_resolves() {
        for name in NAMES {
            assert!(!fixture(name).is_empty());
        }
    }
}
