//! A streaming scanner for a FHIR `Binary` in JSON: finds `contentType` and the
//! base64 `content` string and decodes the content chunk by chunk, so memory stays flat
//! whatever the size of the document.
//!
//! It accepts keys in any order, any other members (skipped, nested or not), whitespace
//! anywhere JSON allows it, JSON escapes inside the base64 string (`\/`, `\n`, `\r`,
//! `\t`, `\uXXXX`), whitespace inside the base64 text, and a trailing comma before the
//! closing brace (the spec's own example has one). Padding is optional at the very end.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use gpconnect_core::error::DecodeProblem;

/// Standard alphabet, canonical trailing bits, padding optional (FHIR `base64Binary`).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Longest key or small string value kept; longer ones are skipped, not stored.
const MAX_SMALL: usize = 1024;
/// Deepest nesting accepted inside skipped values.
const MAX_DEPTH: u32 = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `{`.
    Start,
    /// After `{` or `,`: a key, or `}` (empty object or trailing comma).
    KeyOrEnd,
    /// Inside a key string.
    Key,
    /// After a key, before `:`.
    Colon,
    /// After `:`, before the value.
    Value,
    /// Inside a short string value we keep (`contentType`, `resourceType`, `id`).
    Small,
    /// Inside the `content` string.
    Content,
    /// Inside any other value.
    Skip,
    /// After a value: `,` or `}`.
    AfterValue,
    /// After the closing `}`.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    ContentType,
    ResourceType,
    Id,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContentEscape {
    None,
    /// After a backslash.
    Backslash,
    /// Inside `\uXXXX`: digits read so far and the value.
    Unicode(u8, u32),
}

#[derive(Debug, Default)]
struct Skip {
    depth: u32,
    in_string: bool,
    escape: bool,
    /// A number, `true`, `false` or `null` at depth 0.
    scalar: bool,
}

/// What the scanner found once the Binary closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// `Binary.contentType`.
    pub content_type: Option<String>,
    /// `Binary.id`.
    pub id: Option<String>,
    /// Decoded bytes produced.
    pub bytes: u64,
}

/// The scanner. Feed it body chunks; it appends decoded bytes to an output buffer.
#[derive(Debug)]
pub(crate) struct BinaryScanner {
    state: State,
    /// Raw bytes of the current key or small value, escapes kept.
    small: Vec<u8>,
    small_overflow: bool,
    small_escape: bool,
    field: Option<Field>,
    key_is_content: bool,
    skip: Skip,
    escape: ContentEscape,
    /// Base64 characters not yet decoded (fewer than 4 between calls).
    pending: Vec<u8>,
    /// Decoded bytes of the current `feed` call (`buf[..used]`); only grows, never shrinks,
    /// so it is not zero-filled again for every chunk.
    buf: Vec<u8>,
    used: usize,
    padded: bool,
    content_seen: bool,
    content_type: Option<String>,
    resource_type: Option<String>,
    id: Option<String>,
    decoded: u64,
    /// Base64 characters of the content decoded so far (whitespace left out): positions in
    /// corrupt-base64 errors count these, so they do not depend on how the body was split.
    taken: u64,
    /// Body bytes consumed, for error positions.
    offset: u64,
}

fn json_error(offset: u64, message: impl Into<String>) -> DecodeProblem {
    DecodeProblem::Json { path: "$".into(), message: format!("{} at byte {offset}", message.into()) }
}

fn corrupt(offset: u64, message: &str) -> DecodeProblem {
    corrupt_content(&format!("{message} at byte {offset}"))
}

fn corrupt_content(message: &str) -> DecodeProblem {
    DecodeProblem::Incomplete(format!("Binary.content is not valid base64 ({message})"))
}

/// What is wrong with base64 text whose first character is content character `start`.
fn base64_problem(e: &base64::DecodeSliceError, start: u64) -> String {
    use base64::{DecodeError, DecodeSliceError};
    match e {
        DecodeSliceError::DecodeError(DecodeError::InvalidByte(at, _)) => {
            format!("an invalid character at content character {}", start + *at as u64)
        }
        DecodeSliceError::DecodeError(DecodeError::InvalidLastSymbol(at, _)) => {
            format!("unused bits set in the last character, content character {}", start + *at as u64)
        }
        DecodeSliceError::DecodeError(DecodeError::InvalidLength(_)) => "a character left over".into(),
        DecodeSliceError::DecodeError(DecodeError::InvalidPadding) => "wrong padding".into(),
        DecodeSliceError::OutputSliceTooSmall => "more bytes than its length allows".into(),
    }
}

impl Default for BinaryScanner {
    fn default() -> Self {
        Self::new()
    }
}

impl BinaryScanner {
    /// A scanner at the start of a body.
    pub fn new() -> Self {
        Self {
            state: State::Start,
            small: Vec::new(),
            small_overflow: false,
            small_escape: false,
            field: None,
            key_is_content: false,
            skip: Skip::default(),
            escape: ContentEscape::None,
            pending: Vec::with_capacity(64),
            buf: Vec::new(),
            used: 0,
            padded: false,
            content_seen: false,
            content_type: None,
            resource_type: None,
            id: None,
            decoded: 0,
            taken: 0,
            offset: 0,
        }
    }

    /// Decoded bytes produced so far.
    pub fn decoded(&self) -> u64 {
        self.decoded
    }

    /// Scans one chunk, appending decoded content to `out`.
    #[cfg(test)]
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeProblem> {
        out.extend_from_slice(self.feed_slice(chunk)?);
        Ok(())
    }

    /// Scans one chunk; returns the content it decoded.
    pub fn feed_slice(&mut self, chunk: &[u8]) -> Result<&[u8], DecodeProblem> {
        self.used = 0;
        let mut i = 0;
        while i < chunk.len() {
            i = self.step(chunk, i)?;
        }
        self.offset += chunk.len() as u64;
        Ok(&self.buf[..self.used])
    }

    /// Checks the body ended at the end of a complete Binary with content.
    pub fn finish(self) -> Result<Scanned, DecodeProblem> {
        if self.state != State::Done {
            return Err(DecodeProblem::Incomplete(format!(
                "the body ended after {} bytes, before the Binary closed",
                self.offset
            )));
        }
        if !self.content_seen {
            return Err(DecodeProblem::Json { path: "content".into(), message: "the Binary has no content".into() });
        }
        // The tail was decoded when the content string closed.
        debug_assert!(self.pending.is_empty());
        Ok(Scanned { content_type: self.content_type, id: self.id, bytes: self.decoded })
    }

    fn pos(&self, i: usize) -> u64 {
        self.offset + i as u64
    }

    /// Handles input from `chunk[i]`; returns the next index.
    fn step(&mut self, chunk: &[u8], i: usize) -> Result<usize, DecodeProblem> {
        let b = chunk[i];
        match self.state {
            State::Content => return self.content(chunk, i),
            State::Skip => return self.skip(chunk, i),
            State::Key | State::Small => return Ok(self.small_string(chunk, i)),
            _ => {}
        }
        if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            return Ok(i + 1);
        }
        match self.state {
            State::Start => {
                if b != b'{' {
                    return Err(json_error(self.pos(i), "the body is not a JSON object"));
                }
                self.state = State::KeyOrEnd;
            }
            State::KeyOrEnd => match b {
                b'"' => {
                    self.small.clear();
                    self.small_overflow = false;
                    self.small_escape = false;
                    self.state = State::Key;
                }
                b'}' => self.state = State::Done,
                _ => return Err(json_error(self.pos(i), "expected a member name")),
            },
            State::Colon => {
                if b != b':' {
                    return Err(json_error(self.pos(i), "expected `:`"));
                }
                self.state = State::Value;
            }
            State::Value => self.value(b, i)?,
            State::AfterValue => match b {
                b',' => self.state = State::KeyOrEnd,
                b'}' => self.state = State::Done,
                _ => return Err(json_error(self.pos(i), "expected `,` or `}`")),
            },
            State::Done => return Err(json_error(self.pos(i), "data after the end of the Binary")),
            State::Key | State::Small | State::Content | State::Skip => unreachable!(),
        }
        Ok(i + 1)
    }

    fn value(&mut self, b: u8, i: usize) -> Result<(), DecodeProblem> {
        if self.key_is_content {
            match b {
                b'"' => {
                    if self.content_seen {
                        return Err(json_error(self.pos(i), "`content` appears twice"));
                    }
                    self.content_seen = true;
                    self.escape = ContentEscape::None;
                    self.state = State::Content;
                    return Ok(());
                }
                b'n' => {} // `null`: no content; skipped below and reported at the end.
                _ => {
                    return Err(DecodeProblem::Json {
                        path: "content".into(),
                        message: "Binary.content is not a string".into(),
                    })
                }
            }
        }
        if b == b'"' && self.field.is_some() {
            self.small.clear();
            self.small_overflow = false;
            self.small_escape = false;
            self.state = State::Small;
            return Ok(());
        }
        self.skip = Skip::default();
        match b {
            b'"' => self.skip.in_string = true,
            b'{' | b'[' => self.skip.depth = 1,
            b'}' | b']' | b',' | b':' => return Err(json_error(self.pos(i), "expected a value")),
            _ => self.skip.scalar = true,
        }
        self.state = State::Skip;
        Ok(())
    }

    /// Collects a key or small string; returns the next index.
    fn small_string(&mut self, chunk: &[u8], mut i: usize) -> usize {
        while i < chunk.len() {
            let b = chunk[i];
            i += 1;
            if self.small_escape {
                self.small_escape = false;
            } else if b == b'\\' {
                self.small_escape = true;
            } else if b == b'"' {
                self.end_small();
                return i;
            }
            if self.small.len() < MAX_SMALL {
                self.small.push(b);
            } else {
                self.small_overflow = true;
            }
        }
        i
    }

    fn end_small(&mut self) {
        let text = if self.small_overflow {
            None
        } else {
            let mut quoted = Vec::with_capacity(self.small.len() + 2);
            quoted.push(b'"');
            quoted.extend_from_slice(&self.small);
            quoted.push(b'"');
            serde_json::from_slice::<String>(&quoted).ok()
        };
        if self.state == State::Key {
            self.key_is_content = text.as_deref() == Some("content");
            self.field = match text.as_deref() {
                Some("contentType") => Some(Field::ContentType),
                Some("resourceType") => Some(Field::ResourceType),
                Some("id") => Some(Field::Id),
                _ => None,
            };
            self.state = State::Colon;
        } else {
            match self.field {
                Some(Field::ContentType) => self.content_type = text,
                Some(Field::ResourceType) => self.resource_type = text,
                Some(Field::Id) => self.id = text,
                None => {}
            }
            self.field = None;
            self.state = State::AfterValue;
        }
    }

    /// Skips any other value; returns the next index.
    fn skip(&mut self, chunk: &[u8], mut i: usize) -> Result<usize, DecodeProblem> {
        let s = &mut self.skip;
        while i < chunk.len() {
            let b = chunk[i];
            if s.in_string {
                i += 1;
                if s.escape {
                    s.escape = false;
                } else if b == b'\\' {
                    s.escape = true;
                } else if b == b'"' {
                    s.in_string = false;
                    if s.depth == 0 {
                        self.after_skipped();
                        return Ok(i);
                    }
                }
                continue;
            }
            if s.scalar {
                if matches!(b, b',' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                    // Not consumed: AfterValue reads it.
                    self.after_skipped();
                    return Ok(i);
                }
                if !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')) {
                    return Err(json_error(self.offset + i as u64, "unexpected character in a value"));
                }
                i += 1;
                continue;
            }
            i += 1;
            match b {
                b'"' => s.in_string = true,
                b'{' | b'[' => {
                    s.depth += 1;
                    if s.depth > MAX_DEPTH {
                        return Err(json_error(self.offset + i as u64, "nesting too deep"));
                    }
                }
                b'}' | b']' => {
                    s.depth -= 1;
                    if s.depth == 0 {
                        self.after_skipped();
                        return Ok(i);
                    }
                }
                _ => {}
            }
        }
        Ok(i)
    }

    fn after_skipped(&mut self) {
        self.field = None;
        self.key_is_content = false;
        self.state = State::AfterValue;
    }

    /// Inside the content string; returns the next index.
    fn content(&mut self, chunk: &[u8], mut i: usize) -> Result<usize, DecodeProblem> {
        while i < chunk.len() {
            match self.escape {
                ContentEscape::None => {}
                ContentEscape::Backslash => {
                    let b = chunk[i];
                    i += 1;
                    self.escape = ContentEscape::None;
                    match b {
                        b'/' => self.push_char(b'/', i)?,
                        b'n' | b'r' | b't' => {}
                        b'u' => self.escape = ContentEscape::Unicode(0, 0),
                        _ => return Err(corrupt(self.pos(i - 1), "unexpected escape")),
                    }
                    continue;
                }
                ContentEscape::Unicode(n, value) => {
                    let b = chunk[i];
                    i += 1;
                    let digit = (b as char).to_digit(16).ok_or_else(|| corrupt(self.pos(i - 1), "bad \\u escape"))?;
                    let value = value * 16 + digit;
                    if n + 1 < 4 {
                        self.escape = ContentEscape::Unicode(n + 1, value);
                        continue;
                    }
                    self.escape = ContentEscape::None;
                    match u8::try_from(value) {
                        Ok(c) if c.is_ascii_whitespace() => {}
                        Ok(c) if c.is_ascii() => self.push_char(c, i)?,
                        _ => return Err(corrupt(self.pos(i - 1), "non-ASCII character")),
                    }
                    continue;
                }
            }
            // Fast path: plain base64 up to the end of the chunk, the bulk of any document,
            // decodes in one pass. A quote, escape, whitespace or padding makes the decoder
            // refuse, and the text is then split at the first quote or backslash.
            if self.pending.is_empty() && !self.padded {
                let whole = (chunk.len() - i) / 4 * 4;
                if self.decode_plain(&chunk[i..i + whole]) {
                    i += whole;
                    if i == chunk.len() {
                        break;
                    }
                }
            }
            // Otherwise the text up to the next quote or backslash; but a quad begun in an
            // earlier chunk or before an escape is completed on its own first, so that the
            // text after it can take the fast path.
            let limit = match self.pending.len() {
                0 => chunk.len(),
                n => chunk.len().min(i + 4 - n),
            };
            let rest = &chunk[i..limit];
            let end = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
            self.take_segment(&rest[..end], i)?;
            i += end;
            if end == rest.len() {
                continue;
            }
            let b = chunk[i];
            i += 1;
            if b == b'\\' {
                self.escape = ContentEscape::Backslash;
            } else {
                // The closing quote.
                self.decode_pending(true, i)?;
                self.state = State::AfterValue;
                self.key_is_content = false;
                self.field = None;
                return Ok(i);
            }
        }
        self.decode_pending(false, i)?;
        Ok(i)
    }

    fn push_char(&mut self, c: u8, i: usize) -> Result<(), DecodeProblem> {
        self.push_pending(&[c])?;
        if self.pending.len() >= 4 {
            self.decode_pending(false, i)?;
        }
        Ok(())
    }

    /// Adds characters to `pending`, leaving out whitespace.
    fn push_pending(&mut self, bytes: &[u8]) -> Result<(), DecodeProblem> {
        let before = self.pending.len();
        self.pending.extend(bytes.iter().copied().filter(|b| !b.is_ascii_whitespace()));
        if self.padded && self.pending.len() > before {
            let at = self.taken + before as u64;
            return Err(corrupt_content(&format!("data after padding at content character {at}")));
        }
        Ok(())
    }

    /// Takes a run of base64 text: whole quads are decoded straight from the input,
    /// without a copy; whitespace, leftovers and quads split across chunks go through
    /// `pending`.
    fn take_segment(&mut self, mut segment: &[u8], i: usize) -> Result<(), DecodeProblem> {
        // Complete a quad begun in an earlier chunk or before an escape.
        while !self.pending.is_empty() && self.pending.len() < 4 && !segment.is_empty() {
            let (head, rest) = segment.split_at(1);
            self.push_pending(head)?;
            segment = rest;
        }
        if self.pending.len() >= 4 {
            self.decode_pending(false, i)?;
        }
        if !self.pending.is_empty() || segment.is_empty() {
            return Ok(());
        }
        let whole = segment.len() / 4 * 4;
        if whole > 0 {
            if self.padded {
                return self.push_pending(segment);
            }
            if self.decode_block(&segment[..whole]).is_err() {
                // Whitespace inside the text, or corrupt: decide on the filtered text.
                self.push_pending(&segment[..whole])?;
                self.decode_pending(false, i)?;
            }
        }
        self.push_pending(&segment[whole..])?;
        if self.pending.len() >= 4 {
            self.decode_pending(false, i)?;
        }
        Ok(())
    }

    /// Room for `decoded` more bytes at `buf[used..]`.
    fn reserve(&mut self, decoded: usize) -> &mut [u8] {
        let need = self.used + decoded;
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        }
        &mut self.buf[self.used..need]
    }

    /// Decodes `input` if it is whole quads of plain base64 (no padding) into
    /// `buf[used..]`, with SIMD; returns false, having decoded nothing, otherwise. Such
    /// quads have no trailing bits to check, so the answer is exactly the `base64`
    /// crate's, several times faster.
    fn decode_plain(&mut self, input: &[u8]) -> bool {
        if input.is_empty() || !input.len().is_multiple_of(4) || input.last() == Some(&b'=') {
            return false;
        }
        let out = self.reserve(input.len() / 4 * 3);
        let Ok(decoded) = base64_simd::STANDARD.decode(input, base64_simd::Out::from_slice(out)) else {
            return false;
        };
        let n = decoded.len();
        self.used += n;
        self.decoded += n as u64;
        self.taken += input.len() as u64;
        true
    }

    /// Decodes `input` (whole quads, or the final tail) into `buf[used..]`: plain quads
    /// with [`decode_plain`](Self::decode_plain); anything else (the last group when it is
    /// padded or short, or input the SIMD decoder refuses) with the `base64` crate, which
    /// has the last word and says what is wrong (the position counted in content
    /// characters). On error nothing counts as decoded.
    fn decode_block(&mut self, input: &[u8]) -> Result<(), String> {
        let before_last = input.len().saturating_sub(1) / 4 * 4;
        let (used, decoded, taken) = (self.used, self.decoded, self.taken);
        let rest = if self.decode_plain(&input[..before_last]) { &input[before_last..] } else { input };
        if self.decode_plain(rest) {
            return Ok(());
        }
        let n = match BASE64.decode_slice(rest, self.reserve(rest.len().div_ceil(4) * 3)) {
            Ok(n) => n,
            Err(e) => {
                (self.used, self.decoded, self.taken) = (used, decoded, taken);
                return Err(base64_problem(&e, taken + (input.len() - rest.len()) as u64));
            }
        };
        self.used += n;
        self.decoded += n as u64;
        self.taken += rest.len() as u64;
        if rest.last() == Some(&b'=') {
            self.padded = true;
        }
        Ok(())
    }

    /// Decodes every complete quad of `pending` (and, at the end, the tail).
    fn decode_pending(&mut self, end: bool, i: usize) -> Result<(), DecodeProblem> {
        let whole = if end { self.pending.len() } else { self.pending.len() / 4 * 4 };
        if whole == 0 {
            return Ok(());
        }
        if end && whole % 4 == 1 {
            return Err(corrupt(self.pos(i), "a single character left over"));
        }
        let pending = std::mem::take(&mut self.pending);
        let result = self.decode_block(&pending[..whole]);
        self.pending = pending;
        if let Err(problem) = result {
            return Err(corrupt_content(&problem));
        }
        self.pending.drain(..whole);
        Ok(())
    }

    /// The `resourceType` read, if any.
    pub fn resource_type(&self) -> Option<&str> {
        self.resource_type.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    fn scan_in_chunks(body: &[u8], size: usize) -> Result<(Scanned, Vec<u8>), DecodeProblem> {
        let mut s = BinaryScanner::new();
        let mut out = Vec::new();
        for chunk in body.chunks(size.max(1)) {
            s.feed(chunk, &mut out)?;
        }
        let scanned = s.finish()?;
        Ok((scanned, out))
    }

    fn payload(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + i / 13) as u8).collect()
    }

    #[test]
    fn decodes_the_same_bytes_whatever_the_chunk_size() {
        for len in [0, 1, 2, 3, 4, 5, 57, 300] {
            let data = payload(len);
            let b64 = STANDARD.encode(&data);
            let body = format!(
                r#"{{"resourceType":"Binary","id":"x","meta":{{"a":[1,{{"b":"}}"}}]}},"contentType":"application/pdf","content":"{b64}"}}"#
            );
            for size in 1..=9 {
                let (scanned, out) = scan_in_chunks(body.as_bytes(), size).unwrap();
                assert_eq!(out, data, "len {len} chunk {size}");
                assert_eq!(scanned.bytes, len as u64);
                assert_eq!(scanned.content_type.as_deref(), Some("application/pdf"));
                assert_eq!(scanned.id.as_deref(), Some("x"));
            }
        }
    }

    #[test]
    fn decodes_long_content_in_any_chunking() {
        // Long enough for the SIMD decoder's vector loop, in chunks that split quads anywhere.
        let data = payload(20_000);
        let b64 = STANDARD.encode(&data);
        let body = format!(r#"{{"resourceType":"Binary","contentType":"application/pdf","content":"{b64}"}}"#);
        for size in [1, 3, 5, 64, 1000, 4093, 4096, body.len()] {
            let (scanned, out) = scan_in_chunks(body.as_bytes(), size).unwrap();
            assert_eq!(out, data, "chunk {size}");
            assert_eq!(scanned.bytes, data.len() as u64);
        }
    }

    #[test]
    fn handles_escapes_and_whitespace_in_long_content_in_large_chunks() {
        let data = payload(5_000);
        let b64 = STANDARD.encode(&data);
        // MIME-style lines ending in escaped CRLF or raw whitespace, and escaped slashes.
        let mut escaped = String::new();
        for (k, c) in b64.chars().enumerate() {
            match c {
                '/' => escaped.push_str("\\/"),
                _ => escaped.push(c),
            }
            if k % 76 == 75 {
                escaped.push_str(if k % 3 == 0 { "\\r\\n" } else { " " });
            }
        }
        let body = format!(r#"{{"content":"{escaped}","contentType":"text/plain"}}"#);
        for size in [1, 9, 100, 4096, body.len()] {
            let (_, out) = scan_in_chunks(body.as_bytes(), size).unwrap();
            assert_eq!(out, data, "chunk {size}");
        }
    }

    #[test]
    fn handles_escapes_whitespace_and_key_order_in_one_byte_chunks() {
        let data = payload(200);
        let b64 = STANDARD.encode(&data);
        // Escape every '/', break lines with \n and \r\n escapes, add \u0041-style escapes
        // for letters, and put content before contentType.
        let mut escaped = String::new();
        for (k, c) in b64.chars().enumerate() {
            match c {
                '/' => escaped.push_str("\\/"),
                'A' => escaped.push_str("\\u0041"),
                _ => escaped.push(c),
            }
            if k % 19 == 18 {
                escaped.push_str("\\r\\n");
            }
        }
        let body = format!(
            "\n {{ \"content\" : \"{escaped}\" ,\n\t\"contentType\" : \"text\\/plain\" , \"size\" : 12.5e3, \"ok\": true, \"n\": null }} \n"
        );
        let (scanned, out) = scan_in_chunks(body.as_bytes(), 1).unwrap();
        assert_eq!(out, data);
        assert_eq!(scanned.content_type.as_deref(), Some("text/plain"));
    }

    #[test]
    fn accepts_the_trailing_comma_of_the_specs_example() {
        let body = br#"{"resourceType":"Binary","contentType":"text/plain","content":"aGk=",}"#;
        let (_, out) = scan_in_chunks(body, 3).unwrap();
        assert_eq!(out, b"hi");
    }

    #[test]
    fn accepts_unpadded_content() {
        let (_, out) = scan_in_chunks(br#"{"content":"aGk"}"#, 1).unwrap();
        assert_eq!(out, b"hi");
    }

    #[test]
    fn a_body_that_stops_early_is_incomplete() {
        let body = br#"{"resourceType":"Binary","contentType":"text/plain","content":"aGVsbG8gd29y"#;
        for size in [1, 5, 100] {
            let err = scan_in_chunks(body, size).unwrap_err();
            assert!(matches!(err, DecodeProblem::Incomplete(_)), "{err:?}");
        }
        let err = scan_in_chunks(br#"{"content":"aGk=""#, 4).unwrap_err();
        assert!(matches!(err, DecodeProblem::Incomplete(_)), "{err:?}");
    }

    #[test]
    fn corrupt_base64_is_an_error() {
        for body in [
            &br#"{"content":"aGk*aGk="}"#[..],
            br#"{"content":"aGk=aGk="}"#,
            br#"{"content":"aGVsbG8gd29ybGQ=a"}"#,
            br#"{"content":"a"}"#,
            br#"{"content":"aGk\b"}"#,
            br#"{"content":"aGl="}"#, // non-canonical trailing bits
        ] {
            let err = scan_in_chunks(body, 1).unwrap_err();
            assert!(matches!(err, DecodeProblem::Incomplete(ref m) if m.contains("base64")), "{err:?}");
        }
        // The same faults after a long valid run, in one chunk (the SIMD path) and in many.
        let long = STANDARD.encode(payload(3_000));
        for fault in ["aGk*", "aGk=aGk=", "aGk=", "aGl=", "a", "\\b", "aGk=\\/AAA", "a\\u00e9AA"] {
            let (before, after) = if fault == "aGk=" { (fault, long.as_str()) } else { (long.as_str(), fault) };
            let body = format!(r#"{{"content":"{before}{after}"}}"#);
            for size in [1, 7, 4096, body.len()] {
                let err = scan_in_chunks(body.as_bytes(), size).unwrap_err();
                assert!(
                    matches!(err, DecodeProblem::Incomplete(ref m) if m.contains("base64")),
                    "{fault} in {size}-byte chunks: {err:?}"
                );
            }
        }
    }

    #[test]
    fn a_corrupt_character_is_named_at_the_same_place_however_the_body_is_split() {
        let long = STANDARD.encode(payload(300));
        for content in ["aGk*aGk=", "aGVs bG8\n*29y", &format!("{long}Q*QQ"), &format!("{long}aGl=")] {
            let body = format!(r#"{{"content":"{content}"}}"#);
            let whole = scan_in_chunks(body.as_bytes(), body.len()).unwrap_err();
            assert!(format!("{whole:?}").contains("content character"), "{whole:?}");
            for size in 1..body.len() {
                assert_eq!(
                    scan_in_chunks(body.as_bytes(), size).unwrap_err(),
                    whole,
                    "{content} in {size}-byte chunks"
                );
            }
        }
    }

    #[test]
    fn missing_or_duplicate_content_is_an_error() {
        let err = scan_in_chunks(br#"{"resourceType":"Binary","contentType":"text/plain"}"#, 2).unwrap_err();
        assert_eq!(err, DecodeProblem::Json { path: "content".into(), message: "the Binary has no content".into() });
        let err = scan_in_chunks(br#"{"content":null}"#, 2).unwrap_err();
        assert!(matches!(err, DecodeProblem::Json { ref path, .. } if path == "content"));
        let err = scan_in_chunks(br#"{"content":"aGk=","content":"aGk="}"#, 2).unwrap_err();
        assert!(matches!(err, DecodeProblem::Json { .. }));
        let err = scan_in_chunks(br#"{"content":5}"#, 2).unwrap_err();
        assert!(matches!(err, DecodeProblem::Json { .. }));
    }

    #[test]
    fn not_json_is_an_error() {
        assert!(matches!(scan_in_chunks(b"%PDF-1.4", 3), Err(DecodeProblem::Json { .. })));
        assert!(matches!(scan_in_chunks(br#"{"content":"aGk="} x"#, 3), Err(DecodeProblem::Json { .. })));
    }

    /// A spec example, copied into this crate's `tests/fixtures` so the packaged crate tests alone.
    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
    }

    #[test]
    fn reads_the_specs_binary_examples() {
        for name in ["documents__retrieve-binary__response.json", "documents__retrieve-binary__response.fixed.json"] {
            let text = fixture(name);
            let fixed: serde_json::Value =
                serde_json::from_str(&fixture("documents__retrieve-binary__response.fixed.json")).unwrap();
            let want = STANDARD.decode(fixed["content"].as_str().unwrap()).unwrap();
            for size in [1, 2, 3, 4, 7, 4096] {
                let (scanned, out) = scan_in_chunks(text.as_bytes(), size).unwrap();
                assert_eq!(out, want, "{name} in {size}-byte chunks");
                assert_eq!(scanned.content_type.as_deref(), Some("application/msword"));
                assert_eq!(scanned.id.as_deref(), Some("07a6483f-732b-461e-86b6-edb665c45510"));
            }
        }
    }
}
