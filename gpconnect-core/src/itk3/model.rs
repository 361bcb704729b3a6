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

pub use crate::fhir::{Dosage, Address, CodeableConcept, Coding, ContactPoint, HumanName, Meta, Period, Quantity, Ratio, Timing, TimingRepeat};

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

/// A FHIR `Extension`: a url and either nested extensions or a value.
#[derive(Clone, Default, PartialEq)]
pub struct Extension {
    /// The `url` attribute.
    pub url: String,
    /// Nested extensions (complex extensions).
    pub extension: Vec<Extension>,
    /// The value.
    pub value: Option<ExtensionValue>,
}

impl fmt::Debug for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extension")
            .field("url", &self.url)
            .field("extension", &self.extension)
            .field("value", &self.value)
            .finish()
    }
}

impl Extension {
    /// An extension with a value.
    pub fn value(url: &str, value: ExtensionValue) -> Self {
        Extension { url: url.into(), extension: Vec::new(), value: Some(value) }
    }

    /// The nested extension with `url`.
    pub fn get(&self, url: &str) -> Option<&Extension> {
        self.extension.iter().find(|e| e.url == url)
    }
}

impl FromXml for Extension {
    fn from_xml(node: &XmlNode, cx: &mut ReadContext) -> Result<Self, Itk3Error> {
        let url =
            node.get_attr("url").ok_or(Itk3Error::Invalid { path: "extension".into(), problem: "no url attribute" })?;
        let mut out = Extension { url: url.to_owned(), ..Default::default() };
        for c in node.children() {
            let value = match c.name() {
                "extension" => {
                    out.extension.push(Extension::from_xml(c, cx)?);
                    continue;
                }
                "valueBoolean" => ExtensionValue::Boolean(String::from_xml(c, cx)?),
                "valueString" => ExtensionValue::String(String::from_xml(c, cx)?),
                "valueCode" => ExtensionValue::Code(String::from_xml(c, cx)?),
                "valueCoding" => ExtensionValue::Coding(Coding::from_xml(c, cx)?),
                "valueCodeableConcept" => ExtensionValue::CodeableConcept(CodeableConcept::from_xml(c, cx)?),
                "valueReference" => ExtensionValue::Reference(Reference::from_xml(c, cx)?),
                other => {
                    cx.note_unknown("extension", other);
                    continue;
                }
            };
            out.value = Some(value);
        }
        Ok(out)
    }
}

impl ToXml for Extension {
    fn to_xml(&self, name: &str) -> XmlNode {
        let mut n = XmlNode::new(name).attr("url", self.url.as_str());
        for e in &self.extension {
            n.push(e.to_xml("extension"));
        }
        match &self.value {
            Some(ExtensionValue::Boolean(v)) => n.push(v.to_xml("valueBoolean")),
            Some(ExtensionValue::String(v)) => n.push(v.to_xml("valueString")),
            Some(ExtensionValue::Code(v)) => n.push(v.to_xml("valueCode")),
            Some(ExtensionValue::Coding(v)) => n.push(v.to_xml("valueCoding")),
            Some(ExtensionValue::CodeableConcept(v)) => n.push(v.to_xml("valueCodeableConcept")),
            Some(ExtensionValue::Reference(v)) => n.push(v.to_xml("valueReference")),
            None => {}
        }
        n
    }
}

crate::fhir_type! {
    /// A FHIR `Identifier`.
    #[derive(PartialEq)]
    pub struct Identifier [no_json] {
        /// Extensions (for example the NHS number verification status).
        extension: many Extension = "extension",
        /// `usual`, `official`, ...
        use_: one String = "use",
        /// The identifier system URI.
        system: one String = "system",
        /// The identifier.
        value: one String = "value",
    }
}

impl Identifier {
    /// An identifier with system and value.
    pub fn new(system: &str, value: &str) -> Self {
        Identifier { system: Some(system.into()), value: Some(value.into()), ..Default::default() }
    }
}

crate::fhir_type! {
    /// A FHIR `Reference`.
    #[derive(PartialEq)]
    pub struct Reference [no_json] {
        /// The reference (a `urn:uuid:` in ITK3 messages).
        reference: one String = "reference",
        /// An identifier instead of a reference.
        identifier: one Identifier = "identifier",
        /// Its display text.
        display: one String = "display",
    }
}

impl Reference {
    /// A reference to `target` (for example `urn:uuid:...`).
    pub fn to(target: &str) -> Self {
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
