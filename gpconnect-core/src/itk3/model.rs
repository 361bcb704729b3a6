//! Typed FHIR STU3 elements and resources of ITK3 messages, read from and written to
//! [`XmlNode`] trees.
//!
//! Every type reads leniently (an element it does not model is recorded in
//! [`ReadContext::unknown`], by name only, and skipped) and writes the elements it holds
//! in the FHIR order. Values stay as the wire strings; typed accessors (NHS number, codes)
//! live on the message types that use them. `Debug` never shows values.

use std::fmt;

use super::xml::XmlNode;
use super::Itk3Error;
use crate::fhir::{Decimal, FhirDateTime};

pub use crate::fhir::{
    Address, CodeableConcept, Coding, ContactPoint, Dosage, Extension, HumanName, Identifier, Meta, Period, Quantity,
    Ratio, Reference, Timing, TimingRepeat,
};

/// What a read noticed besides errors.
#[derive(Debug, Default)]
pub struct ReadContext {
    /// Elements present in the input that the typed model does not hold, as
    /// `Parent.child` names (at most 200 kept).
    pub unknown: Vec<String>,
}

impl ReadContext {
    /// Records `parent.child` as an element the model does not hold.
    #[doc(hidden)]
    pub fn note_unknown(&mut self, parent: &str, child: &str) {
        if self.unknown.len() < 200 {
            self.unknown.push(format!("{parent}.{child}"));
        }
    }
}

/// A typed element read from XML.
pub trait FromXml: Sized {
    /// Reads the element `node`.
    ///
    /// # Errors
    /// [`Itk3Error::Invalid`] when a mandatory part is missing.
    fn from_xml(node: &XmlNode, cx: &mut ReadContext) -> Result<Self, Itk3Error>;
}

/// A typed element written to XML.
pub trait ToXml {
    /// Writes the element under the name `name`.
    fn to_xml(&self, name: &str) -> XmlNode;
}

impl FromXml for String {
    fn from_xml(node: &XmlNode, cx: &mut ReadContext) -> Result<Self, Itk3Error> {
        primitive_value(node, cx).map(str::to_owned)
    }
}

impl ToXml for String {
    fn to_xml(&self, name: &str) -> XmlNode {
        XmlNode::primitive(name, self.as_str())
    }
}

/// A FHIR primitive's `value` attribute, any child element noted as unknown.
fn primitive_value<'a>(node: &'a XmlNode, cx: &mut ReadContext) -> Result<&'a str, Itk3Error> {
    for c in node.children() {
        cx.note_unknown(node.name(), c.name());
    }
    node.value().ok_or_else(|| Itk3Error::Invalid { path: node.name().to_owned(), problem: "no value attribute" })
}

impl FromXml for bool {
    fn from_xml(node: &XmlNode, cx: &mut ReadContext) -> Result<Self, Itk3Error> {
        match primitive_value(node, cx)?.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(Itk3Error::Invalid { path: node.name().to_owned(), problem: "not a boolean" }),
        }
    }
}

impl ToXml for bool {
    fn to_xml(&self, name: &str) -> XmlNode {
        XmlNode::primitive(name, if *self { "true" } else { "false" })
    }
}

macro_rules! integer_xml {
    ($($t:ty),*) => {$(
        impl FromXml for $t {
            fn from_xml(node: &XmlNode, cx: &mut ReadContext) -> Result<Self, Itk3Error> {
                primitive_value(node, cx)?
                    .trim()
                    .parse()
                    .map_err(|_| Itk3Error::Invalid { path: node.name().to_owned(), problem: "not an integer" })
            }
        }

        impl ToXml for $t {
            fn to_xml(&self, name: &str) -> XmlNode {
                XmlNode::primitive(name, self.to_string())
            }
        }
    )*};
}

integer_xml!(i32, i64, u32, u64);

impl FromXml for FhirDateTime {
    /// Kept as written, like the JSON reading: a malformed date is not an error.
    fn from_xml(node: &XmlNode, cx: &mut ReadContext) -> Result<Self, Itk3Error> {
        primitive_value(node, cx).map(FhirDateTime::from)
    }
}

impl ToXml for FhirDateTime {
    fn to_xml(&self, name: &str) -> XmlNode {
        XmlNode::primitive(name, self.as_str())
    }
}

impl FromXml for Decimal {
    /// The number text as written.
    fn from_xml(node: &XmlNode, cx: &mut ReadContext) -> Result<Self, Itk3Error> {
        Decimal::new(primitive_value(node, cx)?)
            .ok_or_else(|| Itk3Error::Invalid { path: node.name().to_owned(), problem: "not a decimal" })
    }
}

impl ToXml for Decimal {
    fn to_xml(&self, name: &str) -> XmlNode {
        XmlNode::primitive(name, self.as_str())
    }
}

impl FromXml for XmlNode {
    fn from_xml(node: &XmlNode, _: &mut ReadContext) -> Result<Self, Itk3Error> {
        Ok(node.clone())
    }
}

impl ToXml for XmlNode {
    fn to_xml(&self, _: &str) -> XmlNode {
        self.clone()
    }
}

impl<T: FromXml> FromXml for Box<T> {
    fn from_xml(node: &XmlNode, cx: &mut ReadContext) -> Result<Self, Itk3Error> {
        T::from_xml(node, cx).map(Box::new)
    }
}

impl<T: ToXml> ToXml for Box<T> {
    fn to_xml(&self, name: &str) -> XmlNode {
        (**self).to_xml(name)
    }
}

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
