//! FHIR STU3 XML (feature `mesh`): the one bounded parser and writer ([`XmlNode`],
//! [`Limits`]), the element-by-element comparison ([`differences`]), the [`FromXml`] and
//! [`ToXml`] traits every STU3 type gets from its declaration, and [`Itk3Error`], why a
//! message could not be read.
//!
//! A leaf: it names no other module of the crate, so `fhir` (whose types read and write
//! XML) and `itk3` (the messages) both build on it. `gpconnect_core::itk3::xml` is this
//! module.

mod node;

pub use node::*;

/// Why an ITK3 message could not be read, or an answer could not be matched.
///
/// Messages name element paths and byte positions only, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Itk3Error {
    /// The input is larger than the limit.
    #[error("message larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Elements nest deeper than the limit.
    #[error("elements nested deeper than {limit}")]
    TooDeep {
        /// The depth limit.
        limit: usize,
    },
    /// More elements than the limit.
    #[error("more than {limit} elements")]
    TooManyElements {
        /// The element limit.
        limit: usize,
    },
    /// Not well-formed XML (or not UTF-8).
    #[error("not well-formed XML near byte {position}")]
    NotXml {
        /// The byte position.
        position: u64,
    },
    /// A construct ITK3 messages never use and the parser refuses (DTD, entities, PIs).
    #[error("{0} not allowed")]
    Forbidden(&'static str),
    /// The message breaks a rule of the spec.
    #[error("`{path}`: {problem}")]
    Invalid {
        /// The element path.
        path: String,
        /// The rule it breaks.
        problem: &'static str,
    },
    /// The acknowledgement or report answers another message.
    #[error("the answer is about another message")]
    Unmatched,
    /// An acknowledgement of this kind was already recorded for the message.
    #[error("a second acknowledgement of the same kind for one message")]
    DuplicateAck,
    /// A received message is not about exactly one patient: not exactly one Patient, or
    /// the Composition or an item names something else as its subject.
    #[error("`{path}`: {problem}: the message is not about one patient")]
    WrongPatient {
        /// The element path.
        path: String,
        /// What differed.
        problem: &'static str,
    },
}

impl Itk3Error {
    /// [`Itk3Error::Invalid`]: the element at `path` breaks the rule `problem`.
    pub fn invalid(path: &str, problem: &'static str) -> Self {
        Itk3Error::Invalid { path: path.into(), problem }
    }
}

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

/// A FHIR primitive's `value` attribute (for `FromXml` of primitive types), any child element noted as unknown.
pub fn primitive_value<'a>(node: &'a XmlNode, cx: &mut ReadContext) -> Result<&'a str, Itk3Error> {
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
