//! Right patient: a structured record is about the patient asked for, entry by entry.
//!
//! Every Patient in the Bundle must carry the NHS number asked for (and there must be one),
//! and every clinical item whose `subject` or `patient` names a patient (contained items
//! included) must name that one: a `Patient/{id}` reference to an id of those Patients, a
//! reference resolving to one of them, or an NHS number identifier equal to the one asked
//! for. One item about another patient refuses the whole record (`WrongPatient`): the spec
//! returns one patient's record per Bundle, so an item about someone else means the
//! provider mixed records, and no other item of that answer can be trusted either. An item
//! whose subject is absent or names no Patient (a `Group`, an unresolved `urn:uuid:`) is
//! not about another patient and is kept.

use gpconnect_core::fhir::checked::FromChecked;
use gpconnect_core::fhir::lenient::{self, Repairer};
use gpconnect_core::fhir::{Bundle, FhirResource, Identifier, Patient, Reference, ResourceIndex, NHS_NUMBER_SYSTEM};
use gpconnect_core::{NhsNumber, PatientMismatch};
use serde_json::value::RawValue;

/// Checks that the record in `bundle` is about `asked` (see the module documentation).
pub(crate) fn check_patient(bundle: &Bundle, asked: &NhsNumber) -> Result<(), PatientMismatch> {
    gpconnect_core::fhir_type! {
        /// What identifies a Patient.
        struct Identified [no_serialize, no_xml] {
            /// Its identifiers.
            identifier: many Identifier = "identifier",
        }
    }
    let mut ids = Vec::new();
    for raw in bundle.resources_of(Patient::TYPE) {
        let found: Identified = read(raw.raw()).unwrap_or_default();
        let nhs = found.identifier.iter().find(|i| i.system.as_deref() == Some(NHS_NUMBER_SYSTEM));
        PatientMismatch::check(asked, nhs.and_then(|i| i.value.as_deref()))?;
        ids.extend(raw.id().map(str::trim));
    }
    if ids.is_empty() && bundle.resources_of(Patient::TYPE).next().is_none() {
        return Err(PatientMismatch::NoNhsNumber);
    }
    let judge = Judge { asked, ids: &ids, index: bundle.index() };
    bundle.resources().filter(|raw| raw.resource_type() != Patient::TYPE).try_for_each(|raw| {
        match lenient::parse_read::<Subjects>(raw.raw()) {
            Ok((item, _)) => judge.item(&item, 0),
            // Unreadable: the view reports it and shows nothing of it.
            Err(_) => Ok(()),
        }
    })
}

/// Reads `text` (a resource's, or a part of one) leniently as a declared type, by its own
/// reading; `None` when it cannot be read.
fn read<T: FromChecked + 'static>(text: &str) -> Option<T> {
    Repairer::for_read_text(text.len()).read(text).ok().map(|(v, _)| v)
}

/// The members of a resource that name its patient, and its contained resources, kept as
/// their JSON text and read by the same typed readers as the rest of the view (no
/// `serde_json::Value`, whose deserialiser would be a second copy of each type's).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Subjects {
    subject: Option<Box<RawValue>>,
    patient: Option<Box<RawValue>>,
    contained: Option<Box<RawValue>>,
}

/// The elements of `raw` when it is a JSON array (whatever they are), `raw` itself when it
/// is an object, else nothing.
fn elements(raw: &RawValue) -> Vec<&RawValue> {
    match raw.get().as_bytes().first() {
        Some(b'[') => gpconnect_core::fhir::checked::from_str(raw.get()).unwrap_or_default(),
        Some(b'{') => vec![raw],
        _ => Vec::new(),
    }
}

/// Arrays nested in a `subject` or `patient` that are looked into (FHIR has one).
const MAX_ARRAYS: u8 = 4;

struct Judge<'a> {
    asked: &'a NhsNumber,
    ids: &'a [&'a str],
    index: ResourceIndex<'a>,
}

impl Judge<'_> {
    /// Checks an item's `subject` and `patient`, then its contained resources (one level
    /// deep, as STU3 allows).
    fn item(&self, item: &Subjects, depth: u8) -> Result<(), PatientMismatch> {
        item.subject.as_deref().map_or(Ok(()), |v| self.names(v, 0))?;
        item.patient.as_deref().map_or(Ok(()), |v| self.names(v, 0))?;
        if depth > 0 {
            return Ok(());
        }
        let contained = item.contained.as_deref().map(elements).unwrap_or_default();
        contained.into_iter().try_for_each(|c| match lenient::parse_read::<Subjects>(c.get()) {
            Ok((c, _)) => self.item(&c, depth + 1),
            Err(_) => Ok(()),
        })
    }

    /// Checks one `subject`/`patient` value: a reference, an array of them (arrays nested
    /// up to [`MAX_ARRAYS`] deep: each level is read again, so the work stays a small
    /// multiple of the text), or nothing.
    fn names(&self, value: &RawValue, arrays: u8) -> Result<(), PatientMismatch> {
        match value.get().as_bytes().first() {
            Some(b'[') if arrays < MAX_ARRAYS => {
                elements(value).into_iter().try_for_each(|v| self.names(v, arrays + 1))
            }
            Some(b'{') => match read::<Reference>(value.get()) {
                Some(r) => self.reference(&r),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    fn reference(&self, r: &Reference) -> Result<(), PatientMismatch> {
        match r.parse() {
            Some(("Patient", id)) if !self.ids.contains(&id.trim()) => return Err(PatientMismatch::OtherPatientId),
            Some(_) | None if r.reference.is_some() && !r.is_contained() => {
                if let Some(target) = self.index.resolve(r).filter(|t| t.is::<Patient>()) {
                    if !target.id().is_some_and(|id| self.ids.contains(&id.trim())) {
                        return Err(PatientMismatch::OtherPatientId);
                    }
                }
            }
            _ => {}
        }
        let by_nhs = r.identifier.as_ref().filter(|i| i.system.as_deref() == Some(NHS_NUMBER_SYSTEM));
        match by_nhs.and_then(|i| i.value.as_deref()) {
            Some(nhs) => PatientMismatch::check(self.asked, Some(nhs)),
            None => Ok(()),
        }
    }
}
