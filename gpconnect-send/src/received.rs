//! A Send Document message read back: what a receiving GP system (or a test) sees.

use std::fmt;

use base64::Engine;
use gpconnect_core::itk3::model::Coding;
use gpconnect_core::itk3::resources::{Bundle, Composition, Patient, Practitioner};
use gpconnect_core::itk3::{Itk3Error, Itk3Message, Limits, MessageEvent, Resource};

use crate::MediaType;

/// A parsed Send Document message with its document bundle resolved.
#[derive(Clone, PartialEq)]
pub struct ReceivedDocument {
    message: Itk3Message,
}

impl fmt::Debug for ReceivedDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedDocument").field("message", &self.message).finish()
    }
}

/// One attachment of the document (a Binary a Composition section points to).
#[derive(Clone, Copy)]
pub struct Attachment<'a> {
    /// `Binary.contentType`.
    pub mime: &'a str,
    /// The media type, when it is one the spec permits.
    pub media_type: Option<MediaType>,
    content: &'a str,
}

impl fmt::Debug for Attachment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Attachment({}, {} base64 characters)", self.mime, self.content.len())
    }
}

impl Attachment<'_> {
    /// The decoded bytes.
    ///
    /// # Errors
    /// [`Itk3Error::Invalid`] when the content is not base64.
    pub fn decode(&self) -> Result<Vec<u8>, Itk3Error> {
        let compact: String = self.content.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| Itk3Error::Invalid { path: "Binary.content".into(), problem: "not base64" })
    }
}

impl ReceivedDocument {
    /// Parses a Send Document message (within [`Limits::MESSAGE`]).
    ///
    /// # Errors
    /// The envelope's errors, [`Itk3Error::Invalid`] when it is not an `ITK007C`
    /// message whose focus is a document bundle starting with a Composition, or
    /// [`Itk3Error::WrongPatient`] when the bundle does not hold exactly one Patient that
    /// the Composition and every item are about.
    pub fn parse(bytes: &[u8]) -> Result<Self, Itk3Error> {
        Self::from_message(Itk3Message::parse(bytes, &Limits::MESSAGE)?)
    }

    /// Checks an already parsed message.
    ///
    /// # Errors
    /// As [`ReceivedDocument::parse`].
    pub fn from_message(message: Itk3Message) -> Result<Self, Itk3Error> {
        if message.event() != MessageEvent::SendDocument {
            return Err(Itk3Error::invalid("MessageHeader.event", "not ITK007C"));
        }
        if message.document().is_some_and(|doc| doc.type_.as_deref() != Some("document")) {
            return Err(Itk3Error::invalid("Bundle(document).type", "not `document`"));
        }
        let (doc, _) = message.document_composition()?;
        doc.the_patient()?;
        Ok(ReceivedDocument { message })
    }

    /// The whole message.
    pub fn message(&self) -> &Itk3Message {
        &self.message
    }

    fn bundle(&self) -> &Bundle {
        self.message.document().expect("checked on construction")
    }

    /// The Composition.
    pub fn composition(&self) -> &Composition {
        self.message.document_composition().expect("checked on construction").1
    }

    /// The patient.
    pub fn patient(&self) -> &Patient {
        self.bundle().the_patient().expect("checked on construction")
    }

    /// The patient's NHS number as written (not checked: the spec's examples carry
    /// numbers that fail the check digit). Keep it out of logs.
    pub fn nhs_number(&self) -> Option<&str> {
        self.patient().nhs_number()
    }

    /// The document type coding.
    pub fn document_type(&self) -> Option<&Coding> {
        self.composition().type_.as_ref()?.coding.first()
    }

    /// The title.
    pub fn title(&self) -> Option<&str> {
        self.composition().title.as_deref()
    }

    /// The author.
    pub fn author(&self) -> Option<&Practitioner> {
        let r = self.composition().author.first()?.reference.as_deref()?;
        match self.bundle().resolve(r)? {
            Resource::Practitioner(p) => Some(p),
            _ => None,
        }
    }

    /// The attachments, in section order (the primary document first). Each Binary is
    /// looked up once through an index, however many sections point to it.
    pub fn attachments(&self) -> Vec<Attachment<'_>> {
        let mut binaries = std::collections::HashMap::new();
        for e in &self.bundle().entry {
            if let (Some(url), Some(Resource::Binary(b))) = (e.full_url.as_deref(), e.resource.as_ref()) {
                binaries.entry(url).or_insert(b);
            }
        }
        let mut out = Vec::new();
        for section in &self.composition().section {
            for entry in &section.entry {
                let target = entry.reference.as_deref().unwrap_or_default();
                if let Some(b) = binaries.get(target) {
                    let mime = b.content_type.as_deref().unwrap_or_default();
                    out.push(Attachment {
                        mime,
                        media_type: MediaType::from_mime(mime),
                        content: b.content.as_deref().unwrap_or_default(),
                    });
                }
            }
        }
        out
    }
}
