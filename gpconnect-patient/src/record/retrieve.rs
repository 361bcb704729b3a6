//! `GET /documents/Binary/{id}`: one document, streamed into any `AsyncWrite`.

use std::fmt;

use gpconnect_core::error::InvalidInput;
use gpconnect_core::fhir::Binary;
use gpconnect_core::foundations::logical_id;
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{Call, Id, InteractionId, Operation, Request, Result, StreamingResponse, Traced};
use gpconnect_documents::{Document, Retrieved};
use tokio::io::AsyncWrite;

use crate::answer::patient_nhs_number;

/// The id of a document's `Binary` (the end of its `attachment.url`, `.../Binary/{id}`).
pub type BinaryId = Id<Binary>;

/// The document id of an `attachment.url` (`.../Binary/{id}`), or of a bare id.
fn document_id(reference: &str) -> std::result::Result<BinaryId, InvalidInput> {
    let reference = reference.trim();
    let id = match reference.rfind("Binary/") {
        Some(at) => &reference[at + "Binary/".len()..],
        None => reference,
    };
    let id = id.split(['?', '#']).next().unwrap_or_default().trim_end_matches('/');
    logical_id(id).ok().and_then(|id| BinaryId::parse(id).ok()).ok_or_else(|| {
        InvalidInput::parameter(
            "id",
            "the document id (the end of attachment.url, `.../Binary/{id}`) is not a logical id",
        )
    })
}

/// Retrieves one of the logged-in patient's documents; from
/// [`AccessRecord::retrieve`](crate::AccessRecord::retrieve).
///
/// Sends `GET /documents/Binary/{id}?patientNHSNumber=..` to the Access Record API and
/// streams the FHIR `Binary` into the output, decoding its base64 as it arrives (Access
/// Document's streaming: memory stays flat however large the document).
#[must_use]
pub struct RetrieveDocument {
    call: Call<PatientSession>,
    id: std::result::Result<BinaryId, InvalidInput>,
    progress: Option<Box<dyn FnMut(u64) + Send>>,
}

gpconnect_core::builder!(RetrieveDocument, no_send);

impl fmt::Debug for RetrieveDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetrieveDocument")
            .field("id", &self.id)
            .field("options", &self.call.options)
            .finish_non_exhaustive()
    }
}

impl RetrieveDocument {
    pub(crate) fn for_document(session: &PatientSession, document: &Document) -> Self {
        let id = match document.url.as_deref() {
            Some(url) => document_id(url),
            None => Err(InvalidInput::parameter(
                "attachment.url",
                "the document has no attachment URL (a placeholder: see Document::placeholder_reason)",
            )),
        };
        Self { call: Call::new(session), id, progress: None }
    }

    pub(crate) fn for_id(session: &PatientSession, id: &BinaryId) -> Self {
        Self { call: Call::new(session), id: Ok(id.clone()), progress: None }
    }

    pub(crate) fn for_url(session: &PatientSession, url: &str) -> Self {
        Self { call: Call::new(session), id: document_id(url), progress: None }
    }

    /// Called after each piece is written with the number of document bytes written so far.
    pub fn on_progress(mut self, progress: impl FnMut(u64) + Send + 'static) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    fn build(&self) -> Result<Request> {
        let id = self.id.as_ref().map_err(Clone::clone)?.as_str();
        let nhs = patient_nhs_number(self.call.transport())?;
        let request = Request::get(InteractionId::RetrieveDocument, format!("documents/Binary/{id}"))
            .query("patientNHSNumber", nhs.expose());
        Ok(request)
    }

    /// Streams the document into `output` (flushed on success); the result carries the
    /// request's `X-Request-ID`.
    ///
    /// # Errors
    /// `InvalidInput` (nothing sent) for a placeholder or an unusable id; `NotFound`
    /// (`NO_RECORD_FOUND`: unknown, or over the size limit), `INVALID_NHS_NUMBER`; the
    /// platform's 400 `BAD_GATEWAY_BUFFER_OVERFLOW` for answers over 10 MB; a broken or
    /// corrupt transfer is `Error::Decode` (`DecodeProblem::Incomplete`); a failed write
    /// `Error::Output`. After an error `output` may hold part of the document: discard it.
    /// Safe to retry: a read.
    pub async fn write_to<W: AsyncWrite + Unpin + ?Sized>(mut self, output: &mut W) -> Result<Traced<Retrieved>> {
        let response = self.call.send(&self).await?;
        let (trace_id, version_id) = (response.trace_id, response.version_id);
        let retrieved = gpconnect_documents::stream_into(response.value, output, self.progress.as_mut()).await?;
        Ok(Traced { value: retrieved, trace_id, version_id })
    }
}

impl Operation for RetrieveDocument {
    type Answer = StreamingResponse;
    type Output = StreamingResponse;

    fn interaction(&self) -> InteractionId {
        InteractionId::RetrieveDocument
    }

    fn request(&self) -> Result<Request> {
        self.build()
    }

    /// The answer as it comes: [`RetrieveDocument::write_to`] streams it.
    fn parse(&self, response: StreamingResponse) -> Result<StreamingResponse> {
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_ids_come_from_attachment_urls() {
        let url = "http://exampleGPSystem.co.uk/GP0001/STU3/1/gpconnect-documents/Binary/07a6483f-732b-461e-86b6-edb665c45510";
        assert_eq!(document_id(url).unwrap().as_str(), "07a6483f-732b-461e-86b6-edb665c45510");
        assert_eq!(document_id("abc-1").unwrap().as_str(), "abc-1");
        assert!(document_id("https://x/Binary/").is_err());
        assert!(document_id("../../etc").is_err());
    }
}
