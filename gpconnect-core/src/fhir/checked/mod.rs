//! Reading a typed value from JSON text already known to be well-formed (a resource of a
//! Bundle, or a part of one): the one deserializer behind [`Repairer`](super::lenient::Repairer).
//!
//! It gives what serde_json gives for the same text, value for value and error place for
//! error place (an error lies just after the scalar it concerns, or at the bracket of the
//! array or object it did not expect), so that the repair (`lenient/locate.rs`) finds the field
//! that failed. Because the syntax was checked when the text was first read, it checks
//! none again: a skipped value is passed over eight bytes at a time (or in one step, where
//! the Bundle's split noted where it ends: a [`Jump`]), a string without escapes is lent,
//! not copied. Its generic methods only hand values to the visitor: the
//! reading itself is not generic, one copy for every type read.
//!
//! A type declared with [`fhir_type!`](crate::fhir_type) is also read without serde's
//! visitors, by [`FromChecked`] (the declaration writes it over the reader's
//! [`object`](Reader::object), [`nullable`](Reader::nullable), [`many`](Reader::many) and
//! [`first_of`](Reader::first_of)): the same values and error places, for less work.
//!
//! Here: the reader's steps (whitespace, strings, numbers, skipping, brackets) and its
//! error; `declared.rs`: [`FromChecked`] and the steps it reads with; `deserializer.rs`:
//! the reader as a serde `Deserializer`.
//!
//! Give it only checked text: on anything else it returns an error or a value, never
//! panics, but which is not defined. Public (hidden) for `gpconnect-structured` and for
//! the test that holds it to serde_json (`tests/core/checked_reader.rs`).

use std::fmt;

use crate::fhir::scan;

use serde::de::{self, Expected, Unexpected};

mod declared;
mod deserializer;

pub use declared::{read, read_jumping, read_nullable, FromChecked};
pub use deserializer::from_str;

/// How deep values may nest (serde_json's limit).
const RECURSION_LIMIT: u8 = 128;

/// A failed typed read: where, and whether the value had the wrong kind or length. One
/// word, never a message (serde's would quote the value), so a failure costs no
/// allocation and a `Result` of it stays small.
#[derive(Clone, Copy)]
pub struct Error(u64);

/// The bit of [`Error`] set for a kind error, and the one set once it has a place.
const KIND: u64 = 1 << 63;
const PLACED: u64 = 1 << 62;

impl Error {
    /// The byte offset of the error (as serde_json's column on one line of text).
    pub fn offset(&self) -> usize {
        (self.0 & !(KIND | PLACED)) as usize
    }

    /// The line and column of the error in `text`, as serde_json counts them.
    pub fn line_column(&self, text: &str) -> (usize, usize) {
        let at = self.offset().min(text.len());
        let before = &text.as_bytes()[..at];
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        (1 + before[..line_start].iter().filter(|&&b| b == b'\n').count(), at - line_start)
    }

    /// Whether the value had the wrong kind or length (not the wrong content): serde's
    /// `invalid type` and `invalid length`.
    pub fn is_kind_error(&self) -> bool {
        self.0 & KIND != 0
    }

    fn at(at: usize) -> Self {
        Error(PLACED | (at as u64 & !(KIND | PLACED)))
    }

    /// Places an error that has no place yet (a visitor's) at `at`.
    fn placed(self, at: usize) -> Self {
        if self.0 & PLACED != 0 {
            return self;
        }
        Error(self.0 | Error::at(at).0)
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Error(0)
    }

    fn invalid_type(_: Unexpected<'_>, _: &dyn Expected) -> Self {
        Error(KIND)
    }

    fn invalid_length(_: usize, _: &dyn Expected) -> Self {
        Error(KIND)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The message can quote a value (serde's `invalid type: string "..."`): it is
        // never shown, only asked whether it is a kind error.
        write!(f, "typed read failed at byte {}", self.offset())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}
/// Runs `read` over `text`, which must be well-formed JSON; only whitespace may follow
/// what it reads. For a reading of its own (one that lends strings from the text, or stops
/// early) over the steps [`fhir_type!`](crate::fhir_type) uses. `jumps` are those the
/// Bundle's split noted for this text ([`RawResource::jumps`](crate::fhir::RawResource::jumps)),
/// or none.
pub fn with_reader<'de, T>(
    text: &'de str,
    jumps: Jumps<'de>,
    read: impl FnOnce(&mut Reader<'de>) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut reader = Reader { jumps, ..Reader::new(text) };
    let value = read(&mut reader)?;
    reader.end().map(|()| value)
}

/// Where an array or object of a Bundle's text ends: `start` is the place of its opening
/// bracket in the body, `end` the place just past its closing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Jump {
    /// Where it opens.
    pub start: u32,
    /// Just past where it closes.
    pub end: u32,
}

/// The [`Jump`]s inside one text, in order, and where that text starts in the body they
/// count places in: the reader passes over a value it skips in one step when it finds
/// the value's jump, else byte by byte.
#[derive(Clone, Copy, Debug)]
pub struct Jumps<'a> {
    /// The jumps, by `start`.
    pub table: &'a [Jump],
    /// Where the text starts in the body.
    pub base: usize,
}

impl Jumps<'_> {
    /// No jumps: every skipped value is passed over byte by byte.
    pub const NONE: Jumps<'static> = Jumps { table: &[], base: 0 };
}

/// Where reading is in the text. Public (hidden) for the readers
/// [`fhir_type!`](crate::fhir_type) writes: [`object`](Reader::object),
/// [`nullable`](Reader::nullable), [`many`](Reader::many) and [`first_of`](Reader::first_of).
pub struct Reader<'de> {
    text: &'de str,
    at: usize,
    depth: u8,
    /// A string to give as the next value instead of reading one (serde_json's protocols
    /// for a raw value and a number as written, in `deserializer.rs`).
    pending: Option<&'de str>,
    /// Jumps over the text's arrays and objects; those before `jumps_passed` lie behind
    /// the reader (it only goes forward).
    jumps: Jumps<'de>,
    jumps_passed: usize,
}

/// A scalar read by [`Reader::scalar`].
enum Scalar<'de> {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    /// A number as written (serde_json's `arbitrary_precision`).
    Number(&'de str),
    Borrowed(&'de str),
    Copied(String),
}

impl<'de> Reader<'de> {
    /// A reader at the start of `text`.
    fn new(text: &'de str) -> Self {
        Reader { text, at: 0, depth: RECURSION_LIMIT, pending: None, jumps: Jumps::NONE, jumps_passed: 0 }
    }

    fn bytes(&self) -> &'de [u8] {
        self.text.as_bytes()
    }

    /// Skips whitespace; the next byte, if any. Small enough to inline everywhere: no
    /// whitespace or one space is seen here ([`scan::short_whitespace_end`]), any other
    /// run by [`Reader::peek_past_whitespace`].
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        match scan::short_whitespace_end(self.bytes(), self.at) {
            Some(end) => {
                self.at = end;
                self.bytes().get(end).copied()
            }
            None => self.peek_past_whitespace(),
        }
    }

    /// [`Reader::peek`] at whitespace: a line break and its indentation, or any other run
    /// (`#[inline]`: pretty-printed JSON has one before every member, so it is no rare path).
    #[inline]
    fn peek_past_whitespace(&mut self) -> Option<u8> {
        self.at = scan::whitespace_end(self.bytes(), self.at);
        self.bytes().get(self.at).copied()
    }

    /// After the value: nothing but whitespace.
    #[inline(never)]
    fn end(&mut self) -> Result<(), Error> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.peek_error()),
        }
    }

    /// An error at the byte after the next one (serde_json's `peek_error`).
    #[inline(never)]
    fn peek_error(&self) -> Error {
        Error::at((self.at + 1).min(self.text.len()))
    }

    /// Reads the string whose opening quote is at `self.at` (or the pending one).
    fn string(&mut self) -> Result<Scalar<'de>, Error> {
        if let Some(pending) = self.pending.take() {
            return Ok(Scalar::Borrowed(pending));
        }
        let b = self.bytes();
        let start = self.at + 1;
        let mut i = start;
        let mut copied: Option<String> = None;
        loop {
            let Some(p) = scan::next_that_matters(b, i, true) else {
                return Err(Error::at(b.len()));
            };
            if b[p] == b'"' {
                self.at = p + 1;
                let tail = &self.text[i..p];
                return Ok(match copied {
                    None => Scalar::Borrowed(tail),
                    Some(mut s) => {
                        s.push_str(tail);
                        Scalar::Copied(s)
                    }
                });
            }
            let s = copied.get_or_insert_with(String::new);
            s.push_str(&self.text[i..p]);
            i = self.escape(p, s)?;
        }
    }

    /// Decodes the escape at `p` (a backslash) into `out`; where reading goes on.
    #[inline(never)]
    fn escape(&self, p: usize, out: &mut String) -> Result<usize, Error> {
        let b = self.bytes();
        let invalid = || Error::at(p + 2);
        let c = match b.get(p + 1).ok_or_else(invalid)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hex = |at: usize| {
                    self.text.get(at..at + 4).and_then(|h| u16::from_str_radix(h, 16).ok()).ok_or_else(invalid)
                };
                let first = hex(p + 2)?;
                let (code, next) = match first {
                    0xD800..=0xDBFF => {
                        // A leading surrogate must be followed by its trailing one.
                        if b.get(p + 6..p + 8) != Some(b"\\u") {
                            return Err(Error::at(p + 6));
                        }
                        let second = hex(p + 8)?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(Error::at(p + 12));
                        }
                        (0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00), p + 12)
                    }
                    0xDC00..=0xDFFF => return Err(Error::at(p + 6)),
                    _ => (u32::from(first), p + 6),
                };
                out.push(char::from_u32(code).ok_or_else(invalid)?);
                return Ok(next);
            }
            _ => return Err(invalid()),
        };
        out.push(c);
        Ok(p + 2)
    }

    /// Where the number starting at `self.at` ends.
    fn number_end(&self) -> usize {
        let b = &self.bytes()[self.at..];
        self.at + b.iter().position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')).unwrap_or(b.len())
    }

    /// Reads the number starting at `self.at` as serde_json does: an integer as `u64`
    /// (or `i64` when negative) while it fits, anything else as `f64`.
    #[inline(never)]
    fn number(&mut self) -> Result<Scalar<'de>, Error> {
        let (start, end) = (self.at, self.number_end());
        self.at = end;
        let text = &self.text[start..end];
        match integer(text) {
            Some(n) => Ok(n),
            // serde_json's own float reading (not always the nearest float): the same value.
            None => serde_json::from_str::<f64>(text).map(Scalar::Float).map_err(|_| Error::at(end)),
        }
    }

    /// Reads the scalar at `self.at` (whose first byte is `first`); `None` at a bracket.
    fn scalar(&mut self, first: u8) -> Result<Option<Scalar<'de>>, Error> {
        let word = |r: &mut Self, w: &str, s: Scalar<'de>| {
            if r.text[r.at..].starts_with(w) {
                r.at += w.len();
                Ok(Some(s))
            } else {
                Err(r.peek_error())
            }
        };
        match first {
            b'"' => self.string().map(Some),
            b'-' | b'0'..=b'9' => self.number().map(Some),
            b'n' => word(self, "null", Scalar::Null),
            b't' => word(self, "true", Scalar::Bool(true)),
            b'f' => word(self, "false", Scalar::Bool(false)),
            b'[' | b'{' => Ok(None),
            _ => Err(self.peek_error()),
        }
    }

    /// [`scalar`](Self::scalar), but a number that is not a 64-bit integer as its text
    /// when serde_json's `arbitrary_precision` feature is on (it reads such a number's
    /// value only when asked for one, as `deserialize_any` does not).
    fn scalar_or_number_text(&mut self, first: u8) -> Result<Option<Scalar<'de>>, Error> {
        if !matches!(first, b'-' | b'0'..=b'9') || !arbitrary_precision() {
            return self.scalar(first);
        }
        let (start, end) = (self.at, self.number_end());
        self.at = end;
        let text = &self.text[start..end];
        Ok(Some(integer(text).unwrap_or(Scalar::Number(text))))
    }

    /// Passes over the value at `self.at` (whose first byte is `first`).
    fn skip(&mut self, first: u8) -> Result<(), Error> {
        if self.pending.take().is_some() {
            return Ok(());
        }
        if matches!(first, b'-' | b'0'..=b'9') {
            // Passed over, not read: serde_json takes `1e400` where its value is not asked for.
            self.at = self.number_end();
            return Ok(());
        }
        if !matches!(first, b'"' | b'[' | b'{') {
            return self.scalar(first).map(drop);
        }
        if first != b'"' {
            if let Some(end) = self.jump() {
                self.at = end;
                return Ok(());
            }
        }
        let b = self.bytes();
        let eof = || Error::at(b.len());
        let mut depth = 0usize;
        let mut i = self.at;
        loop {
            let p = scan::next_that_matters(b, i, false).ok_or_else(eof)?;
            i = p + 1;
            match b[p] {
                b'"' => loop {
                    let q = scan::next_that_matters(b, i, true).ok_or_else(eof)?;
                    i = q + if b[q] == b'\\' { 2 } else { 1 };
                    if b[q] == b'"' {
                        break;
                    }
                },
                b'[' | b'{' => depth += 1,
                _ => depth = depth.checked_sub(1).ok_or_else(eof)?,
            }
            if depth == 0 {
                self.at = i;
                return Ok(());
            }
        }
    }

    /// Where the array or object at `self.at` ends, if it has a jump (only ever forward).
    #[inline]
    fn jump(&mut self) -> Option<usize> {
        let at = self.jumps.base + self.at;
        while let Some(jump) = self.jumps.table.get(self.jumps_passed) {
            if jump.start as usize >= at {
                let end = (jump.end as usize).checked_sub(self.jumps.base)?.min(self.text.len());
                return (jump.start as usize == at && end > self.at).then_some(end);
            }
            self.jumps_passed += 1;
        }
        None
    }

    /// The error for a value of the wrong kind, placed as serde_json places it: after a
    /// scalar (which is read), at a bracket.
    #[inline(never)]
    fn invalid_type(&mut self, first: u8) -> Error {
        match self.scalar_or_number_text(first) {
            Err(e) => e,
            Ok(_) => Error(KIND).placed(self.at),
        }
    }

    /// The next value's first byte (an error at the end of the text); a quote for a
    /// pending string.
    fn first(&mut self) -> Result<u8, Error> {
        if self.pending.is_some() {
            return Ok(b'"');
        }
        self.peek().ok_or_else(|| self.peek_error())
    }

    /// Steps into the array or object at `self.at` (past its bracket).
    fn enter(&mut self) -> Result<(), Error> {
        self.depth = match self.depth.checked_sub(1) {
            Some(d) => d,
            None => return Err(self.peek_error()),
        };
        self.at += 1;
        Ok(())
    }

    /// Steps out of an array (`close` is `]`) or object after a visitor read it: past
    /// its closing bracket.
    fn leave(&mut self, close: u8) -> Result<(), Error> {
        self.depth += 1;
        if close == b']' {
            self.end_seq()
        } else {
            self.end_map()
        }
    }

    /// After an array a visitor read: its closing bracket.
    #[inline(never)]
    fn end_seq(&mut self) -> Result<(), Error> {
        match self.peek() {
            Some(b']') => {
                self.at += 1;
                Ok(())
            }
            Some(b',') => {
                self.at += 1;
                self.peek();
                Err(self.peek_error())
            }
            _ => Err(self.peek_error()),
        }
    }

    /// After an object a visitor read: its closing brace.
    #[inline(never)]
    fn end_map(&mut self) -> Result<(), Error> {
        match self.peek() {
            Some(b'}') => {
                self.at += 1;
                Ok(())
            }
            _ => Err(self.peek_error()),
        }
    }

    /// The array or object at `self.at` (`close` is its closing bracket), read by
    /// `inside`, then past its closing bracket. serde_json looks for the bracket even after
    /// the reading inside failed; that failure wins.
    fn container<T>(&mut self, close: u8, inside: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        self.enter()?;
        let visited = inside(self);
        let end = self.leave(close);
        visited.and_then(|v| end.map(|()| v))
    }

    /// The colon after a key.
    fn colon(&mut self) -> Result<(), Error> {
        if self.peek() != Some(b':') {
            return Err(self.peek_error());
        }
        self.at += 1;
        Ok(())
    }

    /// Before an element or member: `false` at the closing bracket `close`, else past the
    /// comma that must come before any but the first.
    fn next_item(&mut self, close: u8, first: &mut bool) -> Result<bool, Error> {
        match self.peek() {
            Some(c) if c == close => return Ok(false),
            Some(b',') if !*first => {
                self.at += 1;
                self.peek();
            }
            _ if *first => {}
            _ => return Err(self.peek_error()),
        }
        *first = false;
        Ok(true)
    }
}
/// A number's text as the integer serde_json reads it as (`u64`, or `i64` when negative);
/// `None` for one it reads as a float (a fraction, an exponent, `-0`, or out of range).
fn integer(text: &str) -> Option<Scalar<'static>> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = digits.parse::<u64>().ok()?;
    if !negative {
        return Some(Scalar::Unsigned(n));
    }
    let neg = (n as i64).wrapping_neg();
    (neg < 0).then_some(Scalar::Signed(neg))
}
/// Whether serde_json's `arbitrary_precision` feature is on in this build (a crate of the
/// build may turn it on): then it hands a number that is not a 64-bit integer to
/// `deserialize_any` as its text.
fn arbitrary_precision() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| serde_json::from_str::<serde_json::Number>("0.10").is_ok_and(|n| n.to_string() == "0.10"))
}
