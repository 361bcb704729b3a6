//! A bounded FHIR XML element tree: the one parser and writer of ITK3 messages.
//!
//! Remote bytes are hostile: [`XmlNode::parse`] refuses input over a size limit, element
//! nesting over a depth limit, more elements than a count limit, DTDs (no entity
//! expansion), processing instructions and any text outside the root. Its work is linear in
//! the input. Nothing of the content reaches `Debug` or error messages: errors name
//! element paths and byte positions only.

use std::fmt;

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

use super::Itk3Error;

/// The FHIR namespace of every ITK3 message.
pub const FHIR_NS: &str = "http://hl7.org/fhir";
/// The XHTML namespace of narrative `div` elements.
pub const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// Bounds on the work a parse may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes accepted.
    pub max_bytes: usize,
    /// The deepest element nesting accepted (the root is depth 1).
    pub max_depth: usize,
    /// The most elements accepted, attributes counted as elements.
    pub max_elements: usize,
}

impl Limits {
    /// Limits for a whole message carrying documents: 150 MB (a 100 MB MESH message
    /// base64-encoded), depth 48, 2 million elements.
    pub const MESSAGE: Limits = Limits { max_bytes: 150 * 1024 * 1024, max_depth: 48, max_elements: 2_000_000 };
    /// Limits for acknowledgements and other small messages: 1 MB, depth 32, 20 000 elements.
    pub const RESPONSE: Limits = Limits { max_bytes: 1024 * 1024, max_depth: 32, max_elements: 20_000 };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::MESSAGE
    }
}

/// One XML element: its local name, attributes, text and child elements.
///
/// Text between child elements is joined (white-space-only text is dropped): FHIR elements
/// carry their values in attributes, and only XHTML narrative has text.
///
/// `Debug` shows the element name and the number of children only, never values.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct XmlNode {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<XmlNode>,
}

impl fmt::Debug for XmlNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "XmlNode({}, {} children)", self.name, self.children.len())
    }
}

impl XmlNode {
    /// A new element without attributes or children.
    pub fn new(name: impl Into<String>) -> Self {
        XmlNode { name: name.into(), ..Default::default() }
    }

    /// A FHIR primitive element: `<name value="..."/>`.
    pub fn primitive(name: impl Into<String>, value: impl Into<String>) -> Self {
        XmlNode::new(name).attr("value", value)
    }

    /// Adds an attribute.
    #[must_use]
    pub fn attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attrs.push((name.into(), value.into()));
        self
    }

    /// Adds a child element.
    pub fn push(&mut self, child: XmlNode) {
        self.children.push(child);
    }

    /// Adds a child element, builder style.
    #[must_use]
    pub fn child(mut self, child: XmlNode) -> Self {
        self.children.push(child);
        self
    }

    /// Takes over the children of `other`.
    #[must_use]
    pub fn children_from(mut self, other: XmlNode) -> Self {
        self.children.extend(other.children);
        self
    }

    /// Adds text content.
    pub fn push_text(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// The local name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value of attribute `name`.
    pub fn get_attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The FHIR `value` attribute.
    pub fn value(&self) -> Option<&str> {
        self.get_attr("value")
    }

    /// The text content (XHTML narrative only; FHIR elements carry values in attributes).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The child elements.
    pub fn children(&self) -> &[XmlNode] {
        &self.children
    }

    /// The first child named `name`.
    pub fn first(&self, name: &str) -> Option<&XmlNode> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Parses one XML document within `limits`.
    ///
    /// # Errors
    /// [`Itk3Error::TooLarge`], [`Itk3Error::TooDeep`], [`Itk3Error::TooManyElements`],
    /// [`Itk3Error::NotXml`] (with the byte position only) or [`Itk3Error::Forbidden`].
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<XmlNode, Itk3Error> {
        if bytes.len() > limits.max_bytes {
            return Err(Itk3Error::TooLarge { limit: limits.max_bytes });
        }
        let text = std::str::from_utf8(bytes).map_err(|e| Itk3Error::NotXml { position: e.valid_up_to() as u64 })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = Reader::from_str(text);
        let mut stack: Vec<XmlNode> = Vec::new();
        let mut root: Option<XmlNode> = None;
        let mut elements = 0usize;
        loop {
            let position = reader.buffer_position();
            let bad = |_| Itk3Error::NotXml { position };
            let event = reader.read_event().map_err(bad)?;
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    if root.is_some() {
                        return Err(Itk3Error::NotXml { position });
                    }
                    elements += 1;
                    if elements > limits.max_elements {
                        return Err(Itk3Error::TooManyElements { limit: limits.max_elements });
                    }
                    if stack.len() + 1 > limits.max_depth {
                        return Err(Itk3Error::TooDeep { limit: limits.max_depth });
                    }
                    let local = e.local_name();
                    let name: &str = local.as_ref();
                    let mut node = XmlNode::new(name);
                    for attr in e.attributes() {
                        // Attributes count toward the element limit: each is held as a node's worth.
                        elements += 1;
                        if elements > limits.max_elements {
                            return Err(Itk3Error::TooManyElements { limit: limits.max_elements });
                        }
                        let attr = attr.map_err(|_| Itk3Error::NotXml { position })?;
                        let key: &str = attr.key.as_ref();
                        let value = attr.normalized_value(XmlVersion::Implicit1_0).map_err(bad)?;
                        node.attrs.push((key.to_owned(), value.into_owned()));
                    }
                    if matches!(event, Event::Start(_)) {
                        stack.push(node);
                    } else {
                        close(node, &mut stack, &mut root);
                    }
                }
                Event::End(_) => {
                    let node = stack.pop().ok_or(Itk3Error::NotXml { position })?;
                    close(node, &mut stack, &mut root);
                }
                Event::Text(t) => {
                    let content = t.xml10_content();
                    match stack.last_mut() {
                        _ if content.trim().is_empty() => {}
                        Some(top) => top.text.push_str(&content),
                        None => return Err(Itk3Error::NotXml { position }),
                    }
                }
                Event::CData(t) => {
                    let top = stack.last_mut().ok_or(Itk3Error::NotXml { position })?;
                    top.text.push_str(&t.xml10_content());
                }
                Event::GeneralRef(r) => {
                    let top = stack.last_mut().ok_or(Itk3Error::NotXml { position })?;
                    let ch = match r.resolve_char_ref().map_err(bad)? {
                        Some(ch) => ch,
                        None => match &*r.xml10_content() {
                            "lt" => '<',
                            "gt" => '>',
                            "amp" => '&',
                            "apos" => '\'',
                            "quot" => '"',
                            _ => return Err(Itk3Error::Forbidden("entity reference")),
                        },
                    };
                    top.text.push(ch);
                }
                Event::Comment(_) => {}
                Event::Decl(_) if stack.is_empty() && root.is_none() => {}
                Event::Decl(_) | Event::PI(_) => return Err(Itk3Error::Forbidden("processing instruction")),
                Event::DocType(_) => return Err(Itk3Error::Forbidden("document type declaration")),
                Event::Eof => break,
            }
        }
        match (root, stack.is_empty()) {
            (Some(root), true) => Ok(root),
            _ => Err(Itk3Error::NotXml { position: reader.buffer_position() }),
        }
    }

    /// Writes this element as an XML document, adding the FHIR namespace to the root.
    pub fn to_document(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let mut root = self.clone();
        if root.get_attr("xmlns").is_none() {
            root.attrs.insert(0, ("xmlns".into(), FHIR_NS.into()));
        }
        root.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, indent: usize) {
        for _ in 0..indent {
            out.push_str("  ");
        }
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            out.push_str(&quick_xml::escape::escape(v.as_str()));
            out.push('"');
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>\n");
            return;
        }
        out.push('>');
        if !self.text.is_empty() {
            out.push_str(&quick_xml::escape::escape(self.text.as_str()));
        }
        if !self.children.is_empty() {
            out.push('\n');
            for c in &self.children {
                c.write(out, indent + 1);
            }
            for _ in 0..indent {
                out.push_str("  ");
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push_str(">\n");
    }
}

fn close(node: XmlNode, stack: &mut [XmlNode], root: &mut Option<XmlNode>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}

/// Compares two element trees element by element, as FHIR XML means them.
///
/// The order of differently named siblings is ignored (the FHIR schema fixes it, and
/// the spec's examples do not always follow it); the order of repeated elements of the
/// same name is kept. Attribute values and text are compared with surrounding white space
/// trimmed (some spec examples have a leading space in `meta.profile`). Returns the path
/// of every difference (element names and indexes only, never values); empty when equal.
pub fn differences(expected: &XmlNode, actual: &XmlNode) -> Vec<String> {
    let mut out = Vec::new();
    diff(expected, actual, &mut String::from(expected.name()), &mut out);
    out
}

fn diff(a: &XmlNode, b: &XmlNode, path: &mut String, out: &mut Vec<String>) {
    if a.name != b.name {
        out.push(format!("{path}: element name differs ({} vs {})", a.name, b.name));
        return;
    }
    let mut names: Vec<&str> = a.attrs.iter().chain(&b.attrs).map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for k in names {
        if a.get_attr(k).map(str::trim) != b.get_attr(k).map(str::trim) {
            out.push(format!("{path}@{k}: differs"));
        }
    }
    if a.text.trim() != b.text.trim() {
        out.push(format!("{path}: text differs"));
    }
    let mut seen: Vec<&str> = Vec::new();
    for name in a.children.iter().chain(&b.children).map(|c| c.name.as_str()) {
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let xs: Vec<&XmlNode> = a.children.iter().filter(|c| c.name == name).collect();
        let ys: Vec<&XmlNode> = b.children.iter().filter(|c| c.name == name).collect();
        if xs.len() != ys.len() {
            out.push(format!("{path}/{name}: {} expected, {} found", xs.len(), ys.len()));
        }
        for (i, (x, y)) in xs.iter().zip(&ys).enumerate() {
            let len = path.len();
            path.push_str(&format!("/{name}[{i}]"));
            diff(x, y, path, out);
            path.truncate(len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values_text_and_entities() {
        let xml = br#"<?xml version="1.0"?><!-- c --><Bundle xmlns="http://hl7.org/fhir"><id value="a&amp;b"/><div xmlns="http://www.w3.org/1999/xhtml">x &lt; y&#33;</div></Bundle>"#;
        let n = XmlNode::parse(xml, &Limits::RESPONSE).unwrap();
        assert_eq!(n.name(), "Bundle");
        assert_eq!(n.first("id").unwrap().value(), Some("a&b"));
        assert_eq!(n.first("div").unwrap().text(), "x < y!");
        let again = XmlNode::parse(n.to_document().as_bytes(), &Limits::RESPONSE).unwrap();
        assert!(differences(&n, &again).is_empty());
    }

    #[test]
    fn refuses_dtd_deep_nesting_size_and_trailing_content() {
        let dtd = br#"<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>"#;
        assert!(matches!(XmlNode::parse(dtd, &Limits::RESPONSE), Err(Itk3Error::Forbidden(_))));
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(matches!(XmlNode::parse(deep.as_bytes(), &Limits::RESPONSE), Err(Itk3Error::TooDeep { limit: 32 })));
        let small = Limits { max_bytes: 10, ..Limits::RESPONSE };
        assert!(matches!(XmlNode::parse(b"<a>0123456789</a>", &small), Err(Itk3Error::TooLarge { .. })));
        assert!(matches!(XmlNode::parse(b"<a/><b/>", &Limits::RESPONSE), Err(Itk3Error::NotXml { .. })));
        assert!(matches!(XmlNode::parse(b"<a><b></a>", &Limits::RESPONSE), Err(Itk3Error::NotXml { .. })));
        assert!(matches!(XmlNode::parse(b"<a>", &Limits::RESPONSE), Err(Itk3Error::NotXml { .. })));
        assert!(matches!(XmlNode::parse(b"", &Limits::RESPONSE), Err(Itk3Error::NotXml { .. })));
    }

    #[test]
    fn differences_ignore_sibling_order_but_not_repeats() {
        let a = XmlNode::new("x").child(XmlNode::primitive("a", "1")).child(XmlNode::primitive("b", " 2"));
        let b = XmlNode::new("x").child(XmlNode::primitive("b", "2")).child(XmlNode::primitive("a", "1"));
        assert!(differences(&a, &b).is_empty());
        let c = XmlNode::new("x").child(XmlNode::primitive("a", "1")).child(XmlNode::primitive("a", "2"));
        let d = XmlNode::new("x").child(XmlNode::primitive("a", "2")).child(XmlNode::primitive("a", "1"));
        assert_eq!(differences(&c, &d).len(), 2);
    }
}
