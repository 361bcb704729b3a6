//! Typed FHIR STU3 elements and resources of ITK3 messages, read from and written to
//! [`XmlNode`] trees.
//!
//! Every type reads leniently (an element it does not model is recorded in
//! [`ReadContext::unknown`], by name only, and skipped) and writes the elements it holds
//! in the FHIR order. Values stay as the wire strings; typed accessors (NHS number, codes)
//! live on the message types that use them. `Debug` never shows values.

use std::fmt;

use super::xml::XmlNode;

pub use crate::fhir::{
    Address, CodeableConcept, Coding, ContactPoint, Dosage, Extension, HumanName, Identifier, Meta, Period, Quantity,
    Ratio, Reference, Timing, TimingRepeat,
};
pub use crate::xml::{FromXml, ReadContext, ToXml};

/// The value of an [`Extension`].
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum ExtensionValue {
    /// `valueBoolean`.
    Boolean(String),
    /// `valueString`.
    String(String),
    /// `valueCode`.
    Code(String),
    /// `valueCoding`.
    Coding(Coding),
    /// `valueCodeableConcept`.
    CodeableConcept(CodeableConcept),
    /// `valueReference`.
    Reference(Reference),
}

impl fmt::Debug for ExtensionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExtensionValue::Boolean(_) => "Boolean",
            ExtensionValue::String(_) => "String",
            ExtensionValue::Code(_) => "Code",
            ExtensionValue::Coding(_) => "Coding",
            ExtensionValue::CodeableConcept(_) => "CodeableConcept",
            ExtensionValue::Reference(_) => "Reference",
        })
    }
}

impl ExtensionValue {
    fn into_extension(self, url: &str) -> Extension {
        let mut e = Extension { url: Some(url.into()), ..Default::default() };
        match self {
            ExtensionValue::Boolean(v) => e.value_boolean = v.trim().parse().ok(),
            ExtensionValue::String(v) => e.value_string = Some(v),
            ExtensionValue::Code(v) => e.value_code = Some(v),
            ExtensionValue::Coding(v) => e.value_coding = Some(Box::new(v)),
            ExtensionValue::CodeableConcept(v) => e.value_codeable_concept = Some(Box::new(v)),
            ExtensionValue::Reference(v) => e.value_reference = Some(Box::new(v)),
        }
        e
    }
}

/// The ITK3 helpers on [`Extension`].
impl Extension {
    /// An extension with a value.
    pub fn value(url: &str, value: ExtensionValue) -> Self {
        value.into_extension(url)
    }

    /// The nested extension with `url` (compared exactly).
    pub fn get(&self, url: &str) -> Option<&Extension> {
        self.extension.iter().find(|e| e.url.as_deref() == Some(url))
    }

    /// The value, as one of the kinds ITK3 messages carry (`None` for other kinds).
    pub fn value_of(&self) -> Option<ExtensionValue> {
        if let Some(v) = self.value_boolean {
            return Some(ExtensionValue::Boolean(v.to_string()));
        }
        if let Some(v) = &self.value_string {
            return Some(ExtensionValue::String(v.clone()));
        }
        if let Some(v) = &self.value_code {
            return Some(ExtensionValue::Code(v.clone()));
        }
        if let Some(v) = &self.value_coding {
            return Some(ExtensionValue::Coding((**v).clone()));
        }
        if let Some(v) = &self.value_codeable_concept {
            return Some(ExtensionValue::CodeableConcept((**v).clone()));
        }
        self.value_reference.as_deref().map(|v| ExtensionValue::Reference(v.clone()))
    }
}

/// A reference to `target` (for example `urn:uuid:...`), as ITK3 messages write them.
impl Reference {
    /// A reference whose `reference` is `target` as given.
    pub fn new(target: &str) -> Self {
        Reference { reference: Some(target.into()), ..Default::default() }
    }
}

/// The UCUM unit system.
pub const UCUM: &str = crate::fhir::UCUM_SYSTEM;

crate::fhir_type! {
    /// A FHIR `Narrative`.
    #[derive(PartialEq)]
    pub struct Narrative [no_json] {
        /// `generated`, `additional`, ...
        status: one String = "status",
        /// The XHTML `div`.
        div: one XmlNode = "div",
    }
}
