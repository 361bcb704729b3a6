//! `POST Patient/$gpc.migratestructuredrecord`: the request builder and its `Parameters`
//! body.

use gpconnect_core::error::InvalidInput;
use gpconnect_core::jwt::Confidentiality;
use gpconnect_core::{Call, InteractionId, NhsNumber, Operation, Provider, Request, Response, Result};
use serde_json::{json, Value};

use crate::parameters::{part, ParametersBody};
use crate::view::StructuredRecord;

/// Whether sensitive information is migrated (`includeFullRecord.includeSensitiveInformation`).
///
/// The spec allows sensitive information only with the `conf/R` scope (else the provider
/// answers `400 CONFLICTING_VALUES`), so this one choice sets both: the conflicting
/// combination cannot be expressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sensitive {
    /// Sends `includeSensitiveInformation: true` with JWT scope `patient/*.read conf/R`.
    Include,
    /// Sends `includeSensitiveInformation: false` with JWT scope `patient/*.read conf/N`
    /// (the SDK's default; the provider's default when the part is missing is `true`).
    #[default]
    Exclude,
}

/// Migrates a patient's full structured record (GP2GP-style; only some providers support
/// it); from [`crate::Structured::migrate_record`].
///
/// Sends `POST Patient/$gpc.migratestructuredrecord` with a FHIR `Parameters` body
/// (`patientNHSNumber`, `includeFullRecord` with `includeSensitiveInformation`),
/// interaction `urn:nhs:names:services:gpconnect:fhir:operation:gpc.migratestructuredrecord-1`,
/// JWT `reason_for_request` `migration` and scope `patient/*.read conf/N`, or
/// `patient/*.read conf/R` with [`Sensitive::Include`].
///
/// The answer is a structured record Bundle, read into the same [`StructuredRecord`] view
/// as [`crate::GetRecord`]. Resources the patient must not see carry the `NOPAT` security
/// label (`meta.security`, system `http://hl7.org/fhir/v3/ActCode`); the spec says migrate
/// responses must honour it. The view keeps them (nothing is dropped) and lists them in
/// [`StructuredRecord::not_for_patient`]: keep them out of anything shown to the patient.
///
/// # Example
/// ```no_run
/// # use gpconnect_structured::{Sensitive, StructuredExt};
/// # async fn demo(p: gpconnect_core::Provider, nhs: gpconnect_core::NhsNumber) -> gpconnect_core::Result<()> {
/// let record = p.structured().migrate_record(&nhs).sensitive_information(Sensitive::Exclude).send().await?;
/// println!("{} resources not for the patient", record.not_for_patient().len());
/// # Ok(()) }
/// ```
///
/// # Errors
/// * `Error::Provider` with the spec's codes: `INVALID_NHS_NUMBER` /
///   `CONFLICTING_VALUES` (400; the latter cannot come from this builder's own
///   combinations), `NO_PATIENT_CONSENT` / `ACCESS DENIED` (403), `PATIENT_NOT_FOUND`
///   (404, kind `NotFound`), `INVALID_PARAMETER` / `INVALID_RESOURCE` (422), and
///   `NOT_IMPLEMENTED` (501) from providers without migration, with status,
///   OperationOutcome and raw body kept;
/// * `Error::Timeout`, `Error::Transport`; `Error::Decode` when the answer is not a
///   Bundle.
///
/// Safe to retry: a POST, but read-only (the transport retries it like a read).
#[derive(Debug, Clone)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct MigrateRecord {
    call: Call,
    nhs_number: NhsNumber,
    sensitive: Sensitive,
}

gpconnect_core::builder!(MigrateRecord);

impl MigrateRecord {
    pub(crate) fn new(provider: &Provider, nhs_number: &NhsNumber) -> Self {
        Self { call: Call::new(provider), nhs_number: nhs_number.clone(), sensitive: Sensitive::default() }
    }

    /// Whether sensitive information is migrated (default [`Sensitive::Exclude`]); also
    /// sets the JWT confidentiality scope (`conf/R` for [`Sensitive::Include`], else
    /// `conf/N`).
    pub fn sensitive_information(mut self, sensitive: Sensitive) -> Self {
        self.sensitive = sensitive;
        self
    }

    /// The JWT confidentiality scope this request sends.
    pub fn confidentiality(&self) -> Confidentiality {
        match self.sensitive {
            Sensitive::Include => Confidentiality::Restricted,
            Sensitive::Exclude => Confidentiality::Normal,
        }
    }

    /// The FHIR `Parameters` body this request sends, in the order of the spec's example.
    pub fn parameters(&self) -> Value {
        let mut body = ParametersBody::new(&self.nhs_number);
        let sensitive = json!(self.sensitive == Sensitive::Include);
        body.push("includeFullRecord", vec![part("includeSensitiveInformation", "valueBoolean", sensitive)]);
        body.build()
    }
}

impl Operation for MigrateRecord {
    type Answer = Response;
    type Output = StructuredRecord;

    fn interaction(&self) -> InteractionId {
        InteractionId::MigrateStructuredRecord
    }

    fn request(&self) -> Result<Request> {
        let body =
            serde_json::to_vec(&self.parameters()).map_err(|e| InvalidInput::parameter("Parameters", e.to_string()))?;
        Ok(Request::post(InteractionId::MigrateStructuredRecord, "Patient/$gpc.migratestructuredrecord", body)
            .confidentiality(self.confidentiality()))
    }

    fn parse(&self, response: Response) -> Result<StructuredRecord> {
        let record = StructuredRecord::from_response(&response)?;
        record
            .check_patient(&self.nhs_number)
            .map_err(|m| m.error(InteractionId::MigrateStructuredRecord, response.trace_id))?;
        Ok(record)
    }
}
