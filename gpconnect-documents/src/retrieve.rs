//! Step 3: retrieve a document (`GET {attachment.url}`), decoded as it arrives.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gpconnect_core::error::{DecodeError, DecodeProblem, InvalidInput, RawBody, Sent};
use gpconnect_core::{Call, Error, InteractionId, Operation, Provider, Request, Result, StreamingResponse, Traced};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use uuid::Uuid;

use crate::model::Document;
use crate::scanner::BinaryScanner;

/// The most body bytes looked at to tell a FHIR Binary from a raw document when the
/// answer has no `Content-Type`.
const SNIFF_LIMIT: usize = 64;
/// Body bytes scanned (and their decoded content written) at a time: 16 KiB of base64
/// and the 12 KiB it decodes to fit in a core's L1 data cache together.
const DECODE_STEP: usize = 16 * 1024;
/// Buffer size of the file writer of [`RetrieveDocument::download_to_file`].
const FILE_BUFFER: usize = 256 * 1024;

/// A retrieved document: what was written, never the bytes themselves. `Debug` by the
/// SDK's one rule (the content type and id screened).
#[derive(Clone, PartialEq, Eq)]
pub struct Retrieved {
    /// The document's MIME type (`Binary.contentType`, or the answer's `Content-Type`
    /// when the provider sent the raw bytes).
    pub content_type: Option<String>,
    /// Document bytes written to the output (decoded, not base64).
    pub bytes: u64,
    /// The `Binary.id`, when the answer was a FHIR Binary that had one.
    pub binary_id: Option<String>,
    /// How the provider sent the document.
    pub format: BodyFormat,
}

gpconnect_core::redacted_debug!(Retrieved, content_type, bytes, binary_id, format);

/// How a provider sent a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyFormat {
    /// A FHIR `Binary` in JSON with base64 `content` (what the spec says).
    FhirBinary,
    /// The raw document bytes with their own `Content-Type`.
    Raw,
}

/// Retrieves one document; see [`Documents::retrieve`](crate::Documents::retrieve).
///
/// # Example
/// ```no_run
/// # use gpconnect_documents::DocumentsExt;
/// # async fn demo(p: gpconnect_core::Provider, doc: gpconnect_documents::Document) -> gpconnect_core::Result<()> {
/// let saved = p.documents().retrieve(&doc).download_to_file("letter.pdf").await?;
/// println!("{} bytes (Ssp-TraceID {})", saved.bytes, saved.trace_id);
/// # Ok(()) }
/// ```
#[must_use = "an operation does nothing until `write_to` or `download_to_file` is awaited"]
pub struct RetrieveDocument {
    call: Call,
    interaction: InteractionId,
    url: Result<String, InvalidInput>,
    progress: Option<Box<dyn FnMut(u64) + Send>>,
    limits: Limits,
}

gpconnect_core::builder!(RetrieveDocument, no_send);

impl fmt::Debug for RetrieveDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetrieveDocument")
            .field("interaction", &self.interaction)
            .field("url", &self.url.as_ref().map(|_| "..."))
            .field("options", &self.call.options)
            .field("progress", &self.progress.is_some())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The default time allowed for a whole migration download: the spec sets no size limit
/// on `migrate:binary-1` (files over 100 MB, rarely about 250 MB), so the client's
/// per-request default would cut them off. `.timeout()` overrides it.
pub const MIGRATION_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The default time allowed for a whole retrieval (`read:binary-1`, documents of at most
/// 5 MB): ten minutes, enough for 5 MB at under 10 KB/s, so a slow link completes while
/// [`DEFAULT_IDLE_TIMEOUT`] catches a stalled one. `.timeout()` overrides it.
pub const RETRIEVAL_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The default longest wait for the answer's headers or for the next piece of its body.
/// Longer than the SSP's own wait for a provider (which then answers 504 itself).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The default most body bytes a retrieval reads: 5 MB (the spec's retrieval limit) as
/// base64 is 6.7 MB; 8 MiB leaves room for the JSON around it.
pub const DEFAULT_RETRIEVAL_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// The default most body bytes a migration reads: the spec knows of documents of about
/// 250 MB, 333 MB as base64; 512 MiB leaves room.
pub const DEFAULT_MIGRATION_MAX_BYTES: u64 = 512 * 1024 * 1024;

/// How long a download may be idle and how much it may read.
#[derive(Debug, Clone, Copy)]
struct Limits {
    idle: Duration,
    max_bytes: u64,
}

/// The wire operation of a retrieval or migration: `GET {attachment.url}`, answer streamed.
struct ReadBinary<'a> {
    interaction: InteractionId,
    url: &'a str,
}

impl Operation for ReadBinary<'_> {
    type Answer = StreamingResponse;
    type Output = StreamingResponse;

    fn interaction(&self) -> InteractionId {
        self.interaction
    }

    fn request(&self) -> Result<Request> {
        let whole =
            if self.interaction == InteractionId::MigrateDocument { MIGRATION_TIMEOUT } else { RETRIEVAL_TIMEOUT };
        Ok(Request::get(self.interaction, self.url).timeout(whole))
    }

    fn parse(&self, answer: StreamingResponse) -> Result<StreamingResponse> {
        Ok(answer)
    }
}

/// Checks an `attachment.url`: an absolute http(s) URL (opaque otherwise, per spec 3.3).
fn attachment_url(url: Option<&str>) -> Result<String, InvalidInput> {
    let problem = |p: &str| InvalidInput::Parameter { parameter: "attachment.url", problem: p.into() };
    let url = url.map(str::trim).filter(|u| !u.is_empty()).ok_or_else(|| {
        problem("the document has no attachment URL: it is a placeholder (its placeholder_reason says why)")
    })?;
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !url.contains(char::is_whitespace) => {
            Ok(url.to_owned())
        }
        _ => Err(problem("not an absolute http(s) URL")),
    }
}

impl RetrieveDocument {
    pub(crate) fn for_document(provider: &Provider, interaction: InteractionId, document: &Document) -> Self {
        Self::new(provider, interaction, attachment_url(document.url.as_deref()))
    }

    pub(crate) fn for_url(provider: &Provider, interaction: InteractionId, url: &str) -> Self {
        Self::new(provider, interaction, attachment_url(Some(url)))
    }

    fn new(provider: &Provider, interaction: InteractionId, url: Result<String, InvalidInput>) -> Self {
        let max_bytes = if interaction == InteractionId::MigrateDocument {
            DEFAULT_MIGRATION_MAX_BYTES
        } else {
            DEFAULT_RETRIEVAL_MAX_BYTES
        };
        Self {
            call: Call::new(provider),
            interaction,
            url,
            progress: None,
            limits: Limits { idle: DEFAULT_IDLE_TIMEOUT, max_bytes },
        }
    }

    /// The longest wait for the answer's headers or for the next piece of its body
    /// (default [`DEFAULT_IDLE_TIMEOUT`]): a slow transfer that keeps moving completes
    /// (up to the whole-call `.timeout()`, by default [`RETRIEVAL_TIMEOUT`] or
    /// [`MIGRATION_TIMEOUT`]), a stalled one fails with `Error::Timeout`.
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.limits.idle = idle;
        self
    }

    /// The most body bytes read (as received, so base64 for a FHIR Binary: 4/3 of the
    /// document); more is `DecodeProblem::TooLarge`. Default [`DEFAULT_RETRIEVAL_MAX_BYTES`],
    /// or [`DEFAULT_MIGRATION_MAX_BYTES`] for a migration.
    pub fn max_bytes(mut self, max_bytes: u64) -> Self {
        self.limits.max_bytes = max_bytes;
        self
    }

    /// Called after each piece is written with the number of document bytes written so
    /// far (for a progress bar; compare with [`Document::size`]).
    pub fn on_progress(mut self, progress: impl FnMut(u64) + Send + 'static) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Streams the document into `output`, decoding the base64 as it arrives: memory
    /// use does not grow with the size of the document.
    ///
    /// Sends `GET {ssp}/{attachment.url}` (`urn:nhs:names:services:gpconnect:documents:fhir:rest:read:binary-1`,
    /// scope `patient/*.read`). `output` is flushed on success.
    ///
    /// # Errors
    /// Nothing is sent for a missing or relative URL (`InvalidInput`). `NotFound`
    /// (`NO_RECORD_FOUND`: unknown id, or a document over the 5 MB limit), `PATIENT_NOT_FOUND`,
    /// `ACCESS DENIED`; a transfer that broke off, fewer bytes than `Content-Length`, a
    /// Binary that never closed or corrupt base64 are `Error::Decode` with
    /// `DecodeProblem::Incomplete`; a Binary without `content` is `DecodeProblem::Json`
    /// at path `content`; a failed write is `Error::Output`. No headers or no next piece
    /// of the body within the [idle timeout](Self::idle_timeout) is `Error::Timeout`; a
    /// body over [`max_bytes`](Self::max_bytes) is `DecodeProblem::TooLarge`. After any error `output`
    /// may hold part of the document: discard it ([`download_to_file`](Self::download_to_file)
    /// does this for you).
    ///
    /// Safe to retry: a read.
    pub async fn write_to<W: AsyncWrite + Unpin + ?Sized>(mut self, output: &mut W) -> Result<Traced<Retrieved>> {
        let url = self.url?;
        let (interaction, limits) = (self.interaction, self.limits);
        let started = Instant::now();
        let response = tokio::time::timeout(limits.idle, self.call.send(&ReadBinary { interaction, url: &url }))
            .await
            .map_err(|_| Error::Timeout {
                elapsed: started.elapsed(),
                sent: Sent::Maybe,
                interaction: Some(interaction),
                trace_id: None,
                status: None,
            })??;
        let (trace_id, version_id) = (response.trace_id, response.version_id);
        let retrieved = stream_limited(response.value, output, self.progress.as_mut(), limits).await?;
        Ok(Traced { value: retrieved, trace_id, version_id })
    }

    /// Downloads the document to `path`: writes a temporary file next to it and renames
    /// it to `path` only once the whole document arrived and checked out; on any error
    /// (or if the future is dropped) the temporary file is removed and `path` is left as
    /// it was.
    ///
    /// # Errors
    /// As [`write_to`](Self::write_to); failing to create, write, sync or rename the file
    /// is `Error::Output`.
    pub async fn download_to_file(self, path: impl AsRef<Path>) -> Result<Traced<Retrieved>> {
        let path = path.as_ref();
        if let Err(invalid) = &self.url {
            return Err(invalid.clone().into());
        }
        let interaction = self.interaction;
        let output_error =
            |e: std::io::Error| Error::Output { source: e, interaction: Some(interaction), trace_id: None };
        let temp = TempFile::new(path);
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        // Private to the user (the final file keeps the mode through the rename).
        #[cfg(unix)]
        options.mode(0o600);
        let file = options.open(&temp.path).await.map_err(output_error)?;
        let mut writer = tokio::io::BufWriter::with_capacity(FILE_BUFFER, file);
        let retrieved = self.write_to(&mut writer).await?;
        let with_trace = |e: std::io::Error| Error::Output {
            source: e,
            interaction: Some(interaction),
            trace_id: Some(retrieved.trace_id),
        };
        writer.flush().await.map_err(with_trace)?;
        let file = writer.into_inner();
        file.sync_all().await.map_err(with_trace)?;
        drop(file);
        tokio::fs::rename(&temp.path, path).await.map_err(with_trace)?;
        temp.keep();
        Ok(retrieved)
    }
}

/// A temporary file beside the target, removed on drop unless kept.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    fn new(target: &Path) -> Self {
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "document".into());
        let temp_name = format!(".{name}.{}.part", Uuid::new_v4().simple());
        let path = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(temp_name),
            _ => PathBuf::from(temp_name),
        };
        Self { path, keep: false }
    }

    fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

enum Mode {
    Sniff(Vec<u8>),
    Json(BinaryScanner),
    Raw,
}

/// FHIR JSON in any of the labels providers use (`application/fhir+json`,
/// `application/json+fhir`, `application/json`, with parameters), or another `+json` type.
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    gpconnect_core::is_fhir_json(content_type) || essence.ends_with("+json")
}

/// Decides from the first body bytes when there is no `Content-Type`: `{` then `"` (after
/// optional whitespace) is JSON; anything else (RTF starts `{\rtf`) is a raw document.
fn sniff(start: &[u8]) -> Option<bool> {
    let mut rest = start.iter().copied().filter(|b| !b.is_ascii_whitespace());
    match (rest.next(), rest.next()) {
        (Some(b'{'), Some(b'"' | b'}')) => Some(true),
        (Some(b'{'), None) if start.len() < SNIFF_LIMIT => None,
        (None, _) if start.len() < SNIFF_LIMIT => None,
        _ => Some(false),
    }
}

struct Sink<'a, W: ?Sized> {
    output: &'a mut W,
    interaction: InteractionId,
    trace_id: Uuid,
}

impl<W: AsyncWrite + Unpin + ?Sized> Sink<'_, W> {
    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.output.write_all(bytes).await.map_err(|e| Error::Output {
            source: e,
            interaction: Some(self.interaction),
            trace_id: Some(self.trace_id),
        })
    }
}

impl Retrieved {
    fn from_binary(scanned: crate::scanner::Scanned) -> Self {
        Retrieved {
            content_type: scanned.content_type,
            bytes: scanned.bytes,
            binary_id: scanned.id,
            format: BodyFormat::FhirBinary,
        }
    }
}

/// Streams a document retrieval answer whose headers are in into `output`, as
/// [`RetrieveDocument::write_to`] does: a FHIR `Binary` decoded from base64 as it arrives,
/// or the raw bytes with their own `Content-Type`. For other transports that retrieve
/// documents (the patient-facing API); `progress` gets the document bytes written so far.
///
/// Waits at most [`DEFAULT_IDLE_TIMEOUT`] for each piece and reads at most
/// [`DEFAULT_MIGRATION_MAX_BYTES`] (other transports set no smaller document limit).
///
/// # Errors
/// As [`RetrieveDocument::write_to`], after the request was answered.
pub async fn stream_into<W: AsyncWrite + Unpin + ?Sized>(
    response: StreamingResponse,
    output: &mut W,
    progress: Option<&mut Box<dyn FnMut(u64) + Send>>,
) -> Result<Retrieved> {
    let limits = Limits { idle: DEFAULT_IDLE_TIMEOUT, max_bytes: DEFAULT_MIGRATION_MAX_BYTES };
    stream_limited(response, output, progress, limits).await
}

async fn stream_limited<W: AsyncWrite + Unpin + ?Sized>(
    mut response: StreamingResponse,
    output: &mut W,
    mut progress: Option<&mut Box<dyn FnMut(u64) + Send>>,
    limits: Limits,
) -> Result<Retrieved> {
    let trace_id = response.trace_id();
    let interaction = response.interaction();
    let status = response.status();
    let declared_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let content_length = response.content_length();
    let decode_error = |problem: DecodeProblem| {
        Error::Decode(Box::new(DecodeError { problem, status, interaction, trace_id, body: RawBody::default() }))
    };
    // An HTML page is an error page from something in between (a proxy, a portal), never
    // a document the spec's Binary interaction returns.
    if declared_type.as_deref().is_some_and(|t| t.to_ascii_lowercase().starts_with("text/html")) {
        return Err(decode_error(DecodeProblem::ContentType(declared_type.unwrap_or_default())));
    }
    let mut mode = match declared_type.as_deref() {
        Some(t) if is_json(t) => Mode::Json(BinaryScanner::new()),
        Some(_) => Mode::Raw,
        None => Mode::Sniff(Vec::new()),
    };
    if content_length.is_some_and(|n| n > limits.max_bytes) {
        let limit = usize::try_from(limits.max_bytes).unwrap_or(usize::MAX);
        return Err(decode_error(DecodeProblem::TooLarge { limit }));
    }
    let mut sink = Sink { output, interaction, trace_id };
    let mut received: u64 = 0;
    let mut raw_written: u64 = 0;
    loop {
        let waited = Instant::now();
        let next = tokio::time::timeout(limits.idle, response.chunk()).await.map_err(|_| Error::Timeout {
            elapsed: waited.elapsed(),
            sent: Sent::Maybe,
            interaction: Some(interaction),
            trace_id: Some(trace_id),
            status: None,
        })?;
        let Some(chunk) = next? else { break };
        received += chunk.len() as u64;
        if received > limits.max_bytes {
            let limit = usize::try_from(limits.max_bytes).unwrap_or(usize::MAX);
            return Err(decode_error(DecodeProblem::TooLarge { limit }));
        }
        let owned: Option<Vec<u8>>;
        if let Mode::Sniff(buffer) = &mut mode {
            buffer.extend_from_slice(&chunk);
            match sniff(buffer) {
                None => continue,
                Some(json) => {
                    owned = Some(std::mem::take(buffer));
                    mode = if json { Mode::Json(BinaryScanner::new()) } else { Mode::Raw };
                }
            }
        } else {
            owned = None;
        }
        let piece: &[u8] = owned.as_deref().unwrap_or(&chunk);
        let written = match &mut mode {
            Mode::Json(scanner) => {
                // In steps small enough that the text and what it decodes to stay in the L1
                // cache: this is faster than whole chunks, and bounds the decode buffer.
                for step in piece.chunks(DECODE_STEP) {
                    let decoded = scanner.feed_slice(step).map_err(decode_error)?;
                    sink.write(decoded).await?;
                }
                scanner.decoded()
            }
            Mode::Raw => {
                sink.write(piece).await?;
                raw_written += piece.len() as u64;
                raw_written
            }
            Mode::Sniff(_) => unreachable!("decided above"),
        };
        if let Some(progress) = progress.as_mut() {
            progress(written);
        }
    }
    if let Some(expected) = content_length {
        if received < expected {
            return Err(decode_error(DecodeProblem::Incomplete(format!(
                "received {received} of the {expected} bytes of Content-Length"
            ))));
        }
    }
    let retrieved = match mode {
        Mode::Json(scanner) => finish_binary(scanner).map_err(decode_error)?,
        Mode::Sniff(buffer) if buffer.iter().all(u8::is_ascii_whitespace) => {
            return Err(decode_error(DecodeProblem::Empty));
        }
        Mode::Sniff(buffer) => {
            // A short body that never decided: a JSON-looking start that ended.
            let mut scanner = BinaryScanner::new();
            let decoded = scanner.feed_slice(&buffer).map_err(decode_error)?;
            sink.write(decoded).await?;
            finish_binary(scanner).map_err(decode_error)?
        }
        Mode::Raw if raw_written == 0 => return Err(decode_error(DecodeProblem::Empty)),
        Mode::Raw => {
            Retrieved { content_type: declared_type, bytes: raw_written, binary_id: None, format: BodyFormat::Raw }
        }
    };
    sink.output.flush().await.map_err(|e| Error::Output {
        source: e,
        interaction: Some(interaction),
        trace_id: Some(trace_id),
    })?;
    Ok(retrieved)
}

/// Checks a scanned body was a whole `Binary` with content.
fn finish_binary(scanner: BinaryScanner) -> Result<Retrieved, DecodeProblem> {
    if let Some(found) = scanner.resource_type().filter(|t| *t != "Binary") {
        return Err(DecodeProblem::ResourceType { expected: "Binary", found: found.to_owned() });
    }
    Ok(Retrieved::from_binary(scanner.finish()?))
}

/// Decodes a FHIR `Binary` answer that arrives in pieces, with the streaming scanner
/// [`RetrieveDocument::write_to`] uses, appending the document bytes to `output`: for
/// answers received by other means, and for tests (the result does not depend on where
/// the pieces are split).
///
/// # Errors
/// As [`RetrieveDocument::write_to`] for a FHIR Binary: the problem found in the body.
pub fn decode_binary<'a>(
    pieces: impl IntoIterator<Item = &'a [u8]>,
    output: &mut Vec<u8>,
) -> Result<Retrieved, DecodeProblem> {
    let mut scanner = BinaryScanner::new();
    for piece in pieces {
        for step in piece.chunks(DECODE_STEP) {
            output.extend_from_slice(scanner.feed_slice(step)?);
        }
    }
    finish_binary(scanner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_urls_must_be_absolute() {
        assert!(attachment_url(Some("https://p.example/A1/STU3/1/gpconnect/documents/Binary/1")).is_ok());
        assert!(attachment_url(Some("http://p.example/Binary/1")).is_ok());
        for bad in [None, Some(""), Some("Binary/1"), Some("https://"), Some("https:///x"), Some("https://a b/c")] {
            assert!(
                matches!(attachment_url(bad), Err(InvalidInput::Parameter { parameter: "attachment.url", .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn json_content_types_and_sniffing() {
        assert!(is_json("application/fhir+json;charset=utf-8"));
        assert!(is_json("Application/JSON"));
        assert!(is_json("application/json+fhir; charset=UTF-8"));
        assert!(is_json("application/fhir+json; fhirVersion=3.0"));
        assert!(!is_json("application/pdf"));
        assert_eq!(sniff(b"  {\"resourceType\""), Some(true));
        assert_eq!(sniff(b"{\\rtf1\\ansi"), Some(false));
        assert_eq!(sniff(b"%PDF"), Some(false));
        assert_eq!(sniff(b"  {"), None);
    }
}
