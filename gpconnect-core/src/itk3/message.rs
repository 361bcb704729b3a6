//! The ITK3 message bundle: MessageHeader (ITK-MessageHeader-2), its handling
//! specification (Extension-ITK-MessageHandling-2), the sender organisation and the payload.

use std::fmt;

use super::codes::{MessageEvent, RecipientType, EVENT_SYSTEM, RECIPIENT_TYPE_SYSTEM};
use super::model::{Coding, Extension, ExtensionValue, FromXml, Identifier, Meta, ReadContext, Reference, ToXml};
use super::resources::{Bundle, Composition, MessageHeader, MessageResponse, MessageSource, Organization, Resource};
use super::xml::{Limits, XmlNode, FHIR_NS};
use super::Itk3Error;

/// Profile of the message bundle.
pub const MESSAGE_BUNDLE_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Message-Bundle-1";
/// Profile of the message header.
pub const MESSAGE_HEADER_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-MessageHeader-2";
/// Profile of the header organisation.
pub const HEADER_ORGANIZATION_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-ITK-Header-Organization-1";
/// Profile of the document bundle.
pub const DOCUMENT_BUNDLE_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Document-Bundle-1";
/// URL of the handling-specification extension.
pub const HANDLING_EXTENSION: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-ITK-MessageHandling-2";
/// The identifier system of v1 bundle identifiers (a UUID).
pub const RFC4122: &str = "https://tools.ietf.org/html/rfc4122";
/// The ODS organisation code system.
pub const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// An instant as FHIR writes it (`2023-08-08T09:12:14.2593592+01:00`): seconds, and the
/// fraction only as long as needed.
pub fn fhir_instant(at: &chrono::DateTime<chrono::FixedOffset>) -> String {
    use chrono::{SecondsFormat, Timelike};
    if at.nanosecond() == 0 {
        return at.to_rfc3339_opts(SecondsFormat::Secs, false);
    }
    let full = at.to_rfc3339_opts(SecondsFormat::Nanos, false);
    let (head, offset) = full.split_at(full.len() - 6);
    format!("{}{offset}", head.trim_end_matches('0'))
}

/// The handling specification of a message (Extension-ITK-MessageHandling-2).
#[derive(Clone, PartialEq, Eq)]
pub struct HandlingSpec {
    /// `BusAckRequested`: the sender wants a business acknowledgement.
    pub bus_ack_requested: bool,
    /// `InfAckRequested`: the sender wants an infrastructure acknowledgement.
    pub inf_ack_requested: bool,
    /// `RecipientType`.
    pub recipient_type: RecipientType,
    /// `MessageDefinition`: the payload's MessageDefinition URL.
    pub message_definition: String,
    /// `SenderReference`: echoed in responses (at most 255 characters; `None` if unused).
    pub sender_reference: String,
    /// `LocalExtension` (`None` in GP Connect v2 and Update Record).
    pub local_extension: String,
}

impl fmt::Debug for HandlingSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlingSpec")
            .field("bus_ack_requested", &self.bus_ack_requested)
            .field("inf_ack_requested", &self.inf_ack_requested)
            .field("recipient_type", &self.recipient_type)
            .finish_non_exhaustive()
    }
}

impl HandlingSpec {
    /// Both acknowledgements requested (`BusAckRequested`, `InfAckRequested`), as Send
    /// Document and Update Record ask.
    pub fn acknowledged(
        recipient_type: RecipientType,
        message_definition: &str,
        sender_reference: String,
        local_extension: &str,
    ) -> Self {
        HandlingSpec {
            bus_ack_requested: true,
            inf_ack_requested: true,
            recipient_type,
            message_definition: message_definition.into(),
            sender_reference,
            local_extension: local_extension.into(),
        }
    }

    /// Reads the extension; every key but `LocalExtension` is mandatory in GP Connect.
    ///
    /// # Errors
    /// [`Itk3Error::Invalid`] naming the missing or malformed key.
    pub fn from_extension(ext: &Extension) -> Result<Self, Itk3Error> {
        let path = |key: &str| format!("MessageHeader.extension(MessageHandling).{key}");
        let value = |key: &str| ext.get(key).and_then(Extension::value_of);
        let flag = |key: &str| match value(key) {
            Some(ExtensionValue::Boolean(b)) if b == "true" => Ok(true),
            Some(ExtensionValue::Boolean(b)) if b == "false" => Ok(false),
            _ => Err(Itk3Error::Invalid { path: path(key), problem: "missing or not a boolean" }),
        };
        let string = |key: &str| match value(key) {
            Some(ExtensionValue::String(s)) => Ok(s.clone()),
            _ => Err(Itk3Error::Invalid { path: path(key), problem: "missing or not a string" }),
        };
        let recipient_type = match value("RecipientType") {
            Some(ExtensionValue::Coding(c)) => c.code.as_deref().and_then(RecipientType::from_code),
            _ => None,
        }
        .ok_or_else(|| Itk3Error::Invalid { path: path("RecipientType"), problem: "missing or not FA/FI" })?;
        let message_definition = match value("MessageDefinition") {
            Some(ExtensionValue::Reference(r)) => r.reference.clone(),
            _ => None,
        }
        .ok_or_else(|| Itk3Error::Invalid { path: path("MessageDefinition"), problem: "missing reference" })?;
        let sender_reference = string("SenderReference")?;
        if sender_reference.chars().count() > 255 {
            return Err(Itk3Error::Invalid { path: path("SenderReference"), problem: "longer than 255 characters" });
        }
        Ok(HandlingSpec {
            bus_ack_requested: flag("BusAckRequested")?,
            inf_ack_requested: flag("InfAckRequested")?,
            recipient_type,
            message_definition,
            sender_reference,
            // ITK3 2.1 made `LocalExtension` optional: absent reads as `None`.
            local_extension: match ext.get("LocalExtension") {
                None => "None".to_owned(),
                Some(_) => string("LocalExtension")?,
            },
        })
    }

    /// The extension, with its keys in the spec's order.
    pub fn to_extension(&self) -> Extension {
        let sub = |url: &str, v: ExtensionValue| Extension::value(url, v);
        let b = |v: bool| ExtensionValue::Boolean(v.to_string());
        Extension {
            url: Some(HANDLING_EXTENSION.into()),
            extension: vec![
                sub("BusAckRequested", b(self.bus_ack_requested)),
                sub("InfAckRequested", b(self.inf_ack_requested)),
                sub(
                    "RecipientType",
                    ExtensionValue::Coding(Coding::new(
                        RECIPIENT_TYPE_SYSTEM,
                        self.recipient_type.code(),
                        self.recipient_type.display(),
                    )),
                ),
                sub("MessageDefinition", ExtensionValue::Reference(Reference::new(&self.message_definition))),
                sub("SenderReference", ExtensionValue::String(self.sender_reference.clone())),
                sub("LocalExtension", ExtensionValue::String(self.local_extension.clone())),
            ],
            ..Default::default()
        }
    }
}

/// Everything of a message outside its payload: the envelope a builder fills in.
///
/// Ids default to fresh UUIDs; metas default to the ITK3 profiles.
#[derive(Clone)]
pub struct Envelope {
    /// `Bundle.id` of the message bundle.
    pub bundle_id: String,
    /// `Bundle.meta`.
    pub bundle_meta: Meta,
    /// `Bundle.identifier` (v1: `https://tools.ietf.org/html/rfc4122` + a UUID).
    pub bundle_identifier: Identifier,
    /// `MessageHeader.id` (the id a response names in `response.identifier`).
    pub header_id: String,
    /// `MessageHeader.meta`.
    pub header_meta: Meta,
    /// The event.
    pub event: MessageEvent,
    /// The handling specification.
    pub handling: HandlingSpec,
    /// The sender's MESH mailbox ID (`source.endpoint`).
    pub source_mailbox: String,
    /// When the message was generated (`timestamp`), an instant with offset.
    pub timestamp: String,
    /// The id of the header Organization.
    pub sender_id: String,
    /// `meta` of the header Organization.
    pub sender_meta: Meta,
    /// The sender's ODS code (the header Organization's only identifier).
    pub sender_ods: String,
    /// Set on responses: the message answered and how.
    pub response: Option<MessageResponse>,
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope").field("event", &self.event).field("handling", &self.handling).finish_non_exhaustive()
    }
}

impl Envelope {
    /// An envelope with fresh ids, the ITK3 profiles and the current time.
    pub fn new(event: MessageEvent, handling: HandlingSpec, source_mailbox: &str, sender_ods: &str) -> Self {
        let bundle_id = uuid::Uuid::new_v4().to_string();
        Envelope {
            bundle_identifier: Identifier::new(RFC4122, &bundle_id),
            bundle_id,
            bundle_meta: Meta::profile(MESSAGE_BUNDLE_PROFILE),
            header_id: uuid::Uuid::new_v4().to_string(),
            header_meta: Meta::profile(MESSAGE_HEADER_PROFILE),
            event,
            handling,
            source_mailbox: source_mailbox.into(),
            timestamp: fhir_instant(&chrono::Utc::now().fixed_offset()),
            sender_id: uuid::Uuid::new_v4().to_string(),
            sender_meta: Meta::profile(HEADER_ORGANIZATION_PROFILE),
            sender_ods: sender_ods.into(),
            response: None,
        }
    }

    /// The ids and the time a builder chose instead of fresh UUIDs and now: `Bundle.id`
    /// and `Bundle.identifier` of the message bundle, `MessageHeader.id`, the header
    /// Organization's id, `MessageHeader.timestamp`.
    pub fn with_ids(
        mut self,
        bundle_id: &str,
        bundle_identifier: Identifier,
        header_id: &str,
        sender_id: &str,
        timestamp: String,
    ) -> Self {
        self.bundle_id = bundle_id.into();
        self.bundle_identifier = bundle_identifier;
        self.header_id = header_id.into();
        self.sender_id = sender_id.into();
        self.timestamp = timestamp;
        self
    }

    /// The message: this envelope around `payload` (entry 3, the header's `focus`), whose
    /// `fullUrl` is `urn:uuid:{payload_id}`.
    pub fn wrap(&self, payload_id: &str, payload: Resource) -> Itk3Message {
        let sender_url = format!("urn:uuid:{}", self.sender_id);
        let header = MessageHeader {
            id: Some(self.header_id.clone()),
            meta: Some(self.header_meta.clone()),
            extension: vec![self.handling.to_extension()],
            event: Some(Coding::new(EVENT_SYSTEM, self.event.code(), self.event.display())),
            receiver: None,
            sender: Some(Reference::new(&sender_url)),
            timestamp: Some(self.timestamp.clone()),
            source: Some(MessageSource { endpoint: Some(self.source_mailbox.clone()) }),
            response: self.response.clone(),
            focus: vec![Reference::new(&format!("urn:uuid:{payload_id}"))],
        };
        let sender = Organization {
            id: Some(self.sender_id.clone()),
            meta: Some(self.sender_meta.clone()),
            identifier: vec![Identifier::new(ODS_SYSTEM, &self.sender_ods)],
            ..Default::default()
        };
        let mut bundle = Bundle {
            id: Some(self.bundle_id.clone()),
            meta: Some(self.bundle_meta.clone()),
            identifier: Some(self.bundle_identifier.clone()),
            type_: Some("message".into()),
            entry: Vec::new(),
        };
        bundle.push(&self.header_id, Resource::MessageHeader(header));
        bundle.push(&self.sender_id, Resource::Organization(sender));
        bundle.push(payload_id, payload);
        Itk3Message::from_bundle(bundle).expect("a built envelope is a valid message")
    }
}

/// A parsed or built ITK3 message: the message bundle with its header checked.
#[derive(Clone, PartialEq)]
pub struct Itk3Message {
    bundle: Bundle,
    event: MessageEvent,
    handling: HandlingSpec,
    unknown: Vec<String>,
}

impl fmt::Debug for Itk3Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Itk3Message")
            .field("event", &self.event)
            .field("handling", &self.handling)
            .field("entries", &self.bundle.entry.len())
            .finish_non_exhaustive()
    }
}

impl Itk3Message {
    /// Parses a message within `limits`.
    ///
    /// # Errors
    /// A bounded-parse error ([`XmlNode::parse`]) or [`Itk3Error::Invalid`] where the
    /// message breaks an ITK-MessageHeader-2 rule the SDK relies on (first entry a
    /// MessageHeader, event, handling specification, sender organisation, focus).
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, Itk3Error> {
        let root = XmlNode::parse(bytes, limits)?;
        if root.name() != "Bundle" || root.get_attr("xmlns") != Some(FHIR_NS) {
            return Err(Itk3Error::Invalid { path: root.name().to_owned(), problem: "not a FHIR Bundle" });
        }
        let mut cx = ReadContext::default();
        let bundle = Bundle::from_xml(&root, &mut cx)?;
        let mut message = Self::from_bundle(bundle)?;
        message.unknown = cx.unknown;
        Ok(message)
    }

    /// Checks a message bundle.
    ///
    /// # Errors
    /// As [`Itk3Message::parse`].
    pub fn from_bundle(bundle: Bundle) -> Result<Self, Itk3Error> {
        let invalid = Itk3Error::invalid;
        if bundle.type_.as_deref() != Some("message") {
            return Err(invalid("Bundle.type", "not `message`"));
        }
        let Some(Resource::MessageHeader(header)) = bundle.entry.first().and_then(|e| e.resource.as_ref()) else {
            return Err(invalid("Bundle.entry[0]", "not a MessageHeader"));
        };
        let event = header.event.as_ref().ok_or_else(|| invalid("MessageHeader.event", "missing"))?;
        if event.system.as_deref() != Some(EVENT_SYSTEM) {
            return Err(invalid("MessageHeader.event.system", "not ITK-MessageEvent-2"));
        }
        let event = event
            .code
            .as_deref()
            .and_then(MessageEvent::from_code)
            .ok_or_else(|| invalid("MessageHeader.event.code", "not an event the SDK handles"))?;
        let ext = header
            .extension
            .iter()
            .find(|e| e.url.as_deref() == Some(HANDLING_EXTENSION))
            .ok_or_else(|| invalid("MessageHeader.extension(MessageHandling)", "missing"))?;
        let handling = HandlingSpec::from_extension(ext)?;
        let sender = header.sender.as_ref().and_then(|r| r.reference.as_deref());
        if !matches!(sender.and_then(|s| bundle.resolve(s)), Some(Resource::Organization(_))) {
            return Err(invalid("MessageHeader.sender", "does not resolve to an Organization in the bundle"));
        }
        if header.source.as_ref().and_then(|s| s.endpoint.as_ref()).is_none() {
            return Err(invalid("MessageHeader.source.endpoint", "missing"));
        }
        if header.timestamp.is_none() {
            return Err(invalid("MessageHeader.timestamp", "missing"));
        }
        Ok(Itk3Message { bundle, event, handling, unknown: Vec::new() })
    }

    /// The message bundle.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The MessageHeader.
    pub fn header(&self) -> &MessageHeader {
        match self.bundle.entry.first().and_then(|e| e.resource.as_ref()) {
            Some(Resource::MessageHeader(h)) => h,
            _ => unreachable!("checked on construction"),
        }
    }

    /// `MessageHeader.id`, which responses name in `response.identifier`.
    pub fn header_id(&self) -> Option<&str> {
        self.header().id.as_deref()
    }

    /// `Bundle.id` of the message bundle.
    pub fn bundle_id(&self) -> Option<&str> {
        self.bundle.id.as_deref()
    }

    /// The event.
    pub fn event(&self) -> MessageEvent {
        self.event
    }

    /// The handling specification.
    pub fn handling(&self) -> &HandlingSpec {
        &self.handling
    }

    /// The sender's MESH mailbox (`source.endpoint`).
    pub fn source_mailbox(&self) -> &str {
        self.header().source.as_ref().and_then(|s| s.endpoint.as_deref()).unwrap_or_default()
    }

    /// The header Organization's ODS code.
    pub fn sender_ods(&self) -> Option<&str> {
        let url = self.header().sender.as_ref()?.reference.as_deref()?;
        match self.bundle.resolve(url)? {
            Resource::Organization(o) => {
                o.identifier.iter().find(|i| i.system.as_deref() == Some(ODS_SYSTEM)).and_then(|i| i.value.as_deref())
            }
            _ => None,
        }
    }

    /// The payload the header's `focus` points to (document bundle or OperationOutcome).
    pub fn focus(&self) -> Option<&Resource> {
        let url = self.header().focus.first()?.reference.as_deref()?;
        self.bundle.resolve(url)
    }

    /// The document bundle (Send Document, Update Record), when the focus is one.
    pub fn document(&self) -> Option<&Bundle> {
        match self.focus()? {
            Resource::Bundle(b) => Some(b),
            _ => None,
        }
    }

    /// The document bundle of a Send Document or Update Record message and its
    /// Composition, the bundle's first entry.
    ///
    /// # Errors
    /// [`Itk3Error::Invalid`] when the focus is not a document bundle or the bundle does
    /// not start with a Composition.
    pub fn document_composition(&self) -> Result<(&Bundle, &Composition), Itk3Error> {
        let doc = self.document().ok_or_else(|| Itk3Error::invalid("MessageHeader.focus", "not a document bundle"))?;
        match doc.resources().next() {
            Some(Resource::Composition(c)) => Ok((doc, c)),
            _ => Err(Itk3Error::invalid("Bundle(document).entry[0]", "not a Composition")),
        }
    }

    /// Elements of the input the typed model does not hold (`Parent.child` names only);
    /// empty for a message built by the SDK.
    pub fn unknown_elements(&self) -> &[String] {
        &self.unknown
    }

    /// The element tree.
    pub fn to_node(&self) -> XmlNode {
        XmlNode::new("Bundle").attr("xmlns", FHIR_NS).children_from(self.bundle.to_xml("Bundle"))
    }

    /// The message as FHIR XML, ready to send.
    pub fn to_xml(&self) -> String {
        self.to_node().to_document()
    }
}
