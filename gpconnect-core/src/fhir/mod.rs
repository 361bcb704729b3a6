//! FHIR STU3 model layer shared by every GP Connect API crate.
//!
//! Datatypes ([`Coding`], [`CodeableConcept`], [`Reference`], [`Extension`], ...), the
//! resources used by more than one API ([`Patient`], [`Organization`], [`List`],
//! [`OperationOutcome`], ...), and a [`Bundle`] whose entries stay raw until asked for.
//! API-specific resources (AllergyIntolerance, Appointment, ...) live in their API crates
//! and implement [`FhirResource`] themselves.
//!
//! # Leniency rules
//!
//! Real providers do not always send conformant STU3, so every type here reads leniently:
//!
//! - **Arrays**: every array element accepts a JSON array, a single value where STU3 wants
//!   an array, `null`, or absence (see [`one_or_many`]).
//! - **Single values**: a few 0..1 elements that providers are known to send as arrays
//!   (`Location.address`, `Location.type`, DSTU2-style `HumanName.family`) keep the first
//!   element (see [`one_or_first`]).
//! - **Absence**: every field is an `Option` or `Vec`; nothing is required.
//! - **Unknown elements** (newer spec versions, `_element` primitive extensions, the
//!   `text` narrative) are ignored.
//! - **Dates** ([`FhirDateTime`]) are kept exactly as written (`+00:00` is not rewritten to
//!   `Z`; milliseconds are kept). A malformed date never fails parsing; its typed
//!   accessors return `None`.
//! - **Decimals** ([`Decimal`]) keep the number text exactly (`10864` never becomes
//!   `10864.0`).
//! - **Bundles** keep each entry as a [`RawResource`]; one bad entry never loses the others
//!   ([`Bundle::parse_all`] returns one result per entry).
//! - **One bad field costs one field** in the views built on these types: [`lenient`]
//!   repairs or drops a field of the wrong shape and names its path as a [`lenient::Problem`].
//! - URL comparisons for code systems, identifier systems and extensions treat `http://`
//!   and `https://` as equal (see [`same_url`]).
//!
//! [`Decimal`] and [`RawResource`] capture raw JSON text, so these types must be
//! deserialized from JSON text with serde_json (`from_slice`, `from_str`, `from_reader`),
//! not from a `serde_json::Value`. That is how the SDK parses every response, and it keeps
//! parsing faster than building a `serde_json::Value`.
//!
//! # Example
//!
//! ```
//! use gpconnect_core::fhir::{Bundle, Organization, Patient};
//!
//! let json = br#"{
//!   "resourceType": "Bundle",
//!   "type": "searchset",
//!   "entry": [
//!     { "resource": { "resourceType": "Patient", "id": "1",
//!         "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9690937278" },
//!         "birthDate": "1950-02-01",
//!         "managingOrganization": { "reference": "Organization/7" } } },
//!     { "resource": { "resourceType": "Organization", "id": "7", "name": "The Practice" } }
//!   ]
//! }"#;
//! let bundle = Bundle::from_slice(json)?;
//! let patient: Patient = bundle.first::<Patient>().expect("a patient")?;
//! assert_eq!(patient.nhs_number(), Some("9690937278"));
//! assert_eq!(patient.birth_date.as_ref().map(|d| d.as_str()), Some("1950-02-01"));
//!
//! let index = bundle.index();
//! let practice: Organization = index
//!     .resolve_as(patient.managing_organization.as_ref().unwrap())
//!     .expect("reference resolves")?;
//! assert_eq!(practice.name.as_deref(), Some("The Practice"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod bundle;
#[doc(hidden)]
pub mod checked;
mod datatypes;
#[doc(hidden)]
pub mod declare;
pub mod lenient;
mod one_or_many;
pub mod outcome;
mod primitives;
mod resources;
mod scan;

use serde::Serialize;
use serde_json::value::RawValue;

pub use bundle::{
    Bundle, BundleEntry, BundleEntryRequest, BundleEntryResponse, BundleEntrySearch, BundleLink, RawResource,
    ResourceIndex,
};
pub use datatypes::{
    parse_reference, same_url, Address, Annotation, Attachment, CodeableConcept, Coding, ContactPoint, Dosage,
    Extension, Extensions, HumanName, Identifier, Identifiers, Meta, Period, Quantity, Range, Ratio, Reference,
    SimpleQuantity, Timing, TimingRepeat, NHS_NUMBER_SYSTEM, ODS_ORGANIZATION_CODE_SYSTEM, ODS_SITE_CODE_SYSTEM,
    SNOMED_SYSTEM, UCUM_SYSTEM,
};
pub use one_or_many::{one_or_first, one_or_many};
pub use outcome::{OperationOutcome, OperationOutcomeIssue, OutcomeCode};
pub use primitives::{Decimal, FhirDateTime, Precision};
pub use resources::{
    Binary, CapabilityImplementation, CapabilityInteraction, CapabilityOperation, CapabilityResource, CapabilityRest,
    CapabilitySearchParam, CapabilitySoftware, CapabilityStatement, DocumentReference, DocumentReferenceContent,
    DocumentReferenceContext, HealthcareService, List, ListEntry, Location, Organization, Patient, Practitioner,
    PractitionerRole, REGISTRATION_DETAILS_URL,
};

/// A FHIR resource type, so [`Bundle::parse_all`] and [`ResourceIndex::resolve_as`] know
/// which entries to pick.
///
/// Implement it for API-specific resources in their own crates:
///
/// ```
/// # use gpconnect_core::fhir::FhirResource;
/// #[derive(serde::Deserialize)]
/// struct Slot { id: Option<String> }
/// impl FhirResource for Slot { const TYPE: &'static str = "Slot"; }
/// ```
pub trait FhirResource {
    /// The `resourceType` value, e.g. `"Patient"`.
    const TYPE: &'static str;
}

/// Parses JSON bytes as `T` through serde_json's text reader, the one the lenient readers
/// use, so each type's deserialiser is compiled once rather than once for bytes and once
/// for text. JSON exchanged between systems must be UTF-8 (RFC 8259, and FHIR's JSON
/// format): bytes that are not are refused as a whole, with serde_json's error for the
/// first string that is not (its position, never a value).
pub fn from_json_slice<T: serde::de::DeserializeOwned>(json: &[u8]) -> Result<T, serde_json::Error> {
    match std::str::from_utf8(json) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => Err(not_utf8(json)),
    }
}

/// serde_json's error for bytes that are not UTF-8 (one copy, whatever the `T`).
#[cold]
#[inline(never)]
fn not_utf8(json: &[u8]) -> serde_json::Error {
    match serde_json::from_slice::<serde_json::Value>(json) {
        Err(e) => e,
        Ok(_) => <serde_json::Error as serde::de::Error>::custom("not UTF-8"),
    }
}

/// Serialize a resource to JSON with `"resourceType"` as its first member.
///
/// The resource structs do not carry `resourceType` as a field; use this (or [`Typed`])
/// when sending one.
pub fn to_json<T: FhirResource + Serialize>(resource: &T) -> Result<String, serde_json::Error> {
    let body = serde_json::to_string(resource)?;
    let ty = serde_json::to_string(T::TYPE)?;
    Ok(match body.strip_prefix('{') {
        Some("}") => format!("{{\"resourceType\":{ty}}}"),
        Some(rest) => format!("{{\"resourceType\":{ty},{rest}"),
        None => body,
    })
}

/// Serialize wrapper that adds `"resourceType"` (see [`to_json`]); use it to nest a
/// resource inside another serialized value (e.g. a `Parameters` body). Works with the
/// serde_json serializer only.
#[derive(Debug, Clone, Copy)]
pub struct Typed<'a, T>(pub &'a T);

impl<T: FhirResource + Serialize> Serialize for Typed<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let json = to_json(self.0).map_err(S::Error::custom)?;
        RawValue::from_string(json).map_err(S::Error::custom)?.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bytes_parse_as_text_and_must_be_utf8() {
        let p: Patient = from_json_slice(br#"{"id":"p1","active":true}"#).unwrap();
        assert_eq!((p.id.as_deref(), p.active), (Some("p1"), Some(true)));
        // A Latin-1 byte in a string: serde_json's syntax error at that string.
        let e = from_json_slice::<Patient>(b"{\"id\":\"p1\",\n\"gender\":\"caf\xe9\"}").unwrap_err();
        assert_eq!((e.classify(), e.line()), (serde_json::error::Category::Syntax, 2));
        assert!(from_json_slice::<Patient>(b"{\"id\":\"p1\"} \xff").is_err());
        assert_eq!(from_json_slice::<Patient>(b"[1]").unwrap_err().classify(), serde_json::error::Category::Data);
    }

    #[test]
    fn to_json_adds_resource_type() {
        let mut p = Patient::default();
        assert_eq!(to_json(&p).unwrap(), r#"{"resourceType":"Patient"}"#);
        p.id = Some("1".into());
        p.birth_date = Some("2017-02-01T10:00:00+00:00".into());
        assert_eq!(
            to_json(&p).unwrap(),
            r#"{"resourceType":"Patient","id":"1","birthDate":"2017-02-01T10:00:00+00:00"}"#
        );
        let v = serde_json::to_string(&serde_json::json!({"x": 1})).unwrap();
        assert_eq!(v, r#"{"x":1}"#);
        #[derive(Serialize)]
        struct Param<'a> {
            resource: Typed<'a, Patient>,
        }
        assert_eq!(
            serde_json::to_string(&Param { resource: Typed(&p) }).unwrap(),
            r#"{"resource":{"resourceType":"Patient","id":"1","birthDate":"2017-02-01T10:00:00+00:00"}}"#
        );
    }
}
