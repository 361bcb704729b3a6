//! `OperationOutcome` and the Spine / GP Connect error code helpers.

use super::datatypes::{CodeableConcept, Extension, Meta};
use super::FhirResource;

/// Code systems whose codes are Spine / GP Connect error or warning codes.
pub const ERROR_CODE_SYSTEMS: &[&str] = &[
    "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
    "https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1",
    "http://fhir.nhs.net/ValueSet/gpconnect-schedule-response-code-1-0",
    "https://fhir.nhs.uk/StructureDefinition/spine-operationoutcome-1",
];

/// Whether `system` carries Spine / GP Connect error or warning codes: one of
/// [`ERROR_CODE_SYSTEMS`] (http/https insensitive) or any system containing `ErrorOrWarningCode`.
pub fn is_error_code_system(system: &str) -> bool {
    system.contains("ErrorOrWarningCode") || ERROR_CODE_SYSTEMS.iter().any(|s| super::datatypes::same_url(s, system))
}

crate::fhir_type! {
    /// Outcome of an operation: errors and warnings.
    #[derive(PartialEq)]
    pub struct OperationOutcome {
        /// Logical id.
        id: one String = "id",
        /// Metadata.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// Issues.
        issue: many OperationOutcomeIssue = "issue",
    }
}

impl FhirResource for OperationOutcome {
    const TYPE: &'static str = "OperationOutcome";
}

crate::fhir_type! {
    /// One issue in an [`OperationOutcome`].
    #[derive(PartialEq)]
    pub struct OperationOutcomeIssue {
        /// `fatal | error | warning | information`.
        severity: one String = "severity",
        /// FHIR issue type (`invalid`, `not-found`, `forbidden`, ...).
        code: one String = "code",
        /// Details: the Spine / GP Connect code lives here.
        details: one CodeableConcept = "details",
        /// Free-text diagnostics.
        diagnostics: one String = "diagnostics",
        /// XPath locations.
        location: many String = "location",
        /// FHIRPath expressions.
        expression: many String = "expression",
    }
}

/// A Spine / GP Connect error or warning code found in an [`OperationOutcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeCode<'a> {
    /// The code, e.g. `PATIENT_NOT_FOUND`.
    pub code: &'a str,
    /// The code system it was found in.
    pub system: &'a str,
    /// The coding's display, if any.
    pub display: Option<&'a str>,
    /// Severity of the issue it came from.
    pub severity: Option<&'a str>,
}

impl OperationOutcomeIssue {
    /// Spine / GP Connect codes on this issue (see [`is_error_code_system`]).
    pub fn codes(&self) -> impl Iterator<Item = OutcomeCode<'_>> + '_ {
        self.details.iter().flat_map(|d| d.coding.iter()).filter_map(move |c| {
            let system = c.system.as_deref()?;
            let code = c.code.as_deref()?;
            is_error_code_system(system).then_some(OutcomeCode {
                code,
                system,
                display: c.display.as_deref(),
                severity: self.severity.as_deref(),
            })
        })
    }

    /// Whether the severity is `error` or `fatal`.
    pub fn is_error(&self) -> bool {
        matches!(self.severity.as_deref(), Some("error" | "fatal"))
    }
}

impl OperationOutcome {
    /// Every Spine / GP Connect code (`issue[].details.coding[]` in a known system), in order.
    pub fn codes(&self) -> Vec<OutcomeCode<'_>> {
        self.issue.iter().flat_map(|i| i.codes()).collect()
    }

    /// The first Spine / GP Connect code, if any.
    pub fn code(&self) -> Option<&str> {
        self.issue.iter().flat_map(|i| i.codes()).map(|c| c.code).next()
    }

    /// Every issue's `diagnostics` text, in order.
    pub fn diagnostics(&self) -> Vec<&str> {
        self.issue.iter().filter_map(|i| i.diagnostics.as_deref()).collect()
    }

    /// Whether any issue is an `error` or `fatal`.
    pub fn has_errors(&self) -> bool {
        self.issue.iter().any(|i| i.is_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_known_systems() {
        let oo: OperationOutcome = serde_json::from_str(
            r#"{"resourceType":"OperationOutcome","issue":[
                {"severity":"error","code":"not-found","details":{"coding":[
                    {"system":"https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1","code":"PATIENT_NOT_FOUND"},
                    {"system":"http://example.org/other","code":"IGNORED"}]},
                 "diagnostics":"no such patient"},
                {"severity":"warning","code":"invalid","details":{"coding":
                    {"system":"http://fhir.nhs.net/ValueSet/gpconnect-schedule-response-code-1-0","code":"400"}}},
                {"severity":"error","code":"x","details":{"coding":[
                    {"system":"https://example.org/Future-ErrorOrWarningCode-2","code":"NEW"}]}}
            ]}"#,
        )
        .unwrap();
        let codes: Vec<_> = oo.codes().iter().map(|c| c.code).collect();
        assert_eq!(codes, ["PATIENT_NOT_FOUND", "400", "NEW"]);
        assert_eq!(oo.code(), Some("PATIENT_NOT_FOUND"));
        assert_eq!(oo.codes()[1].severity, Some("warning"));
        assert_eq!(oo.diagnostics(), ["no such patient"]);
        assert!(oo.has_errors());
    }
}
