//! Reading a typed value from JSON text already known to be well-formed (a resource of a
//! Bundle, or a part of one): the one deserializer behind [`Repairer`](super::lenient::Repairer).
//!
//! It gives what serde_json gives for the same text, value for value and error place for
//! error place (an error lies just after the scalar it concerns, or at the bracket of the
//! array or object it did not expect), so that the repair (`lenient/locate.rs`) finds the field
//! that failed. Because the syntax was checked when the text was first read, it checks
//! none again: a skipped value is passed over eight bytes at a time, a string without
//! escapes is lent, not copied. Its generic methods only hand values to the visitor: the
//! reading itself is not generic, one copy for every type read.
//!
//! A type declared with [`fhir_type!`](crate::fhir_type) is also read without serde's
//! visitors, by [`FromChecked`] (the declaration writes it over the reader's
//! [`object`](Reader::object), [`nullable`](Reader::nullable), [`many`](Reader::many) and
//! [`first_of`](Reader::first_of)): the same values and error places, for less work.
//!
//! Give it only checked text: on anything else it returns an error or a value, never
//! panics, but which is not defined. Public (hidden) for `gpconnect-structured` and for
//! the test that holds it to serde_json (`tests/core/checked_reader.rs`).

use std::borrow::Cow;
use std::fmt;

use crate::fhir::scan;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Expected, IntoDeserializer, Unexpected, Visitor};

/// serde_json's name for its raw value (`Box<RawValue>`, `&RawValue`), which asks the
/// deserializer for the text of the next value as it is.
const RAW_VALUE: &str = "$serde_json::private::RawValue";

/// serde_json's name for a number as written (with its `arbitrary_precision` feature).
const NUMBER: &str = "$serde_json::private::Number";

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

/// Reads `T` from `text` through its `Deserialize`; `text` must be well-formed JSON, and
/// only whitespace may follow the value.
pub fn from_str<'de, T: de::Deserialize<'de>>(text: &'de str) -> Result<T, Error> {
    with_reader(text, |r| T::deserialize(r))
}

/// A type read from checked text by functions of its own over the reader's steps, not
/// through serde's visitors.
/// [`fhir_type!`](crate::fhir_type) writes it for every declared type, reading exactly as
/// the type's `Deserialize` does through this reader (values and error places alike);
/// [`via_serde!`](crate::__checked_via_serde) writes it for a type read by its
/// `Deserialize` (strings, numbers, hand-written readers).
pub trait FromChecked: Sized {
    /// Reads the value at the reader.
    ///
    /// # Errors
    /// As the type's `Deserialize` through this reader.
    fn from_checked(r: &mut Reader<'_>) -> Result<Self, Error>;

    /// Reads an array of values, a lone value, or `null`, as
    /// [`one_or_many`](crate::fhir::one_or_many) does.
    ///
    /// # Errors
    /// As [`one_or_many`](crate::fhir::one_or_many) through this reader.
    fn many_from_checked(r: &mut Reader<'_>) -> Result<Vec<Self>, Error> {
        r.many(Self::from_checked)
    }

    /// Reads a value, the first of an array, or `null`, as
    /// [`one_or_first`](crate::fhir::one_or_first) does.
    ///
    /// # Errors
    /// As [`one_or_first`](crate::fhir::one_or_first) through this reader.
    fn first_from_checked(r: &mut Reader<'_>) -> Result<Option<Self>, Error> {
        r.first_of(Self::from_checked)
    }
}

/// Reads `T` from `text` by [`FromChecked`], which must be well-formed JSON; only
/// whitespace may follow the value.
pub fn read<T: FromChecked>(text: &str) -> Result<T, Error> {
    with_reader(text, T::from_checked)
}

/// Runs `read` over `text`, which must be well-formed JSON; only whitespace may follow
/// what it reads. For a reading of its own (one that lends strings from the text, or stops
/// early) over the steps [`fhir_type!`](crate::fhir_type) uses.
pub fn with_reader<'de, T>(
    text: &'de str,
    read: impl FnOnce(&mut Reader<'de>) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut reader = Reader::new(text);
    let value = read(&mut reader)?;
    reader.end().map(|()| value)
}

/// [`read`] of a value that may be `null` (then `None`), as `Option<T>` reads.
pub fn read_nullable<T: FromChecked>(text: &str) -> Result<Option<T>, Error> {
    with_reader(text, |r| r.nullable(T::from_checked))
}

impl<T: FromChecked> FromChecked for Box<T> {
    fn from_checked(r: &mut Reader<'_>) -> Result<Self, Error> {
        T::from_checked(r).map(Box::new)
    }
}

/// [`FromChecked`] for types read by their `Deserialize` through this reader
/// (`#[inline]`: compiled where a field of the type is read):
/// `$crate::__checked_via_serde!(String, bool);`.
#[macro_export]
#[doc(hidden)]
macro_rules! __checked_via_serde {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::fhir::checked::FromChecked for $t {
            #[inline]
            fn from_checked(
                r: &mut $crate::fhir::checked::Reader<'_>,
            ) -> ::core::result::Result<Self, $crate::fhir::checked::Error> {
                <$t as ::serde::Deserialize>::deserialize(r)
            }

            #[inline]
            fn many_from_checked(
                r: &mut $crate::fhir::checked::Reader<'_>,
            ) -> ::core::result::Result<::std::vec::Vec<Self>, $crate::fhir::checked::Error> {
                $crate::fhir::one_or_many(r)
            }

            #[inline]
            fn first_from_checked(
                r: &mut $crate::fhir::checked::Reader<'_>,
            ) -> ::core::result::Result<::core::option::Option<Self>, $crate::fhir::checked::Error> {
                $crate::fhir::one_or_first(r)
            }
        }
    )*};
}

crate::__checked_via_serde!(String, bool, u32, u64, i64);

/// Where reading is in the text. Public (hidden) for the readers
/// [`fhir_type!`](crate::fhir_type) writes: [`object`](Reader::object),
/// [`nullable`](Reader::nullable), [`many`](Reader::many) and [`first_of`](Reader::first_of).
pub struct Reader<'de> {
    text: &'de str,
    at: usize,
    depth: u8,
    /// A string to give as the next value instead of reading one (see [`Members`]).
    pending: Option<&'de str>,
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
        Reader { text, at: 0, depth: RECURSION_LIMIT, pending: None }
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

    /// [`Reader::peek`] at whitespace: a line break and its indentation, or any other run.
    #[inline(never)]
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

    /// The array at `self.at`, given to `visitor`.
    fn seq<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        self.container(b']', |r| visitor.visit_seq(Elements { reader: r, first: true }))
    }

    /// The object at `self.at`, given to `visitor`.
    fn map<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        self.container(b'}', |r| visitor.visit_map(Members::Object { reader: r, first: true }))
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

/// The reading [`fhir_type!`](crate::fhir_type) writes for a declared type, one step at a
/// time, each as its `Deserialize` does it through this reader (the same values, the
/// same error places).
impl<'de> Reader<'de> {
    /// A JSON object (as `deserialize_map` with the declared type's visitor): each member
    /// whose key is in `names` (at most 128) is given to `field` with its index, past the
    /// colon; any other is skipped; a repeated key is serde's `duplicate_field` error,
    /// placed after the key.
    ///
    /// # Errors
    /// Anything but an object (a kind error), or what `field` returns.
    pub fn object(
        &mut self,
        names: &'static [&'static str],
        field: &mut dyn FnMut(&mut Self, usize) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let first = self.first()?;
        if first != b'{' {
            return Err(self.invalid_type(first));
        }
        self.container(b'}', |r| r.members(names, field)).map_err(|e| e.placed(self.at))
    }

    /// The members of the object just entered (see [`object`](Self::object)).
    fn members(
        &mut self,
        names: &'static [&'static str],
        field: &mut dyn FnMut(&mut Self, usize) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let (mut first, mut seen) = (true, 0u128);
        while self.next_item(b'}', &mut first)? {
            if self.peek() != Some(b'"') {
                return Err(self.peek_error());
            }
            let index = match self.string()? {
                Scalar::Borrowed(key) => names.iter().position(|n| *n == key),
                Scalar::Copied(key) => names.iter().position(|n| *n == key),
                _ => return Err(self.peek_error()),
            };
            if let Some(i) = index {
                let bit = 1u128 << i;
                if seen & bit != 0 {
                    return Err(Error(0).placed(self.at));
                }
                seen |= bit;
            }
            self.colon()?;
            match index {
                Some(i) => field(self, i)?,
                None => {
                    let first = self.first()?;
                    self.skip(first)?;
                }
            }
        }
        Ok(())
    }

    /// A string (as `String` reads one: anything else is a kind error), lent from the text
    /// when it has no escapes.
    ///
    /// # Errors
    /// Anything but a string.
    pub fn text(&mut self) -> Result<Cow<'de, str>, Error> {
        let first = self.first()?;
        let value = match first {
            b'"' => match self.string()? {
                Scalar::Borrowed(s) => Ok(s.into()),
                Scalar::Copied(s) => Ok(s.into()),
                _ => Err(self.peek_error()),
            },
            _ => Err(self.invalid_type(first)),
        };
        value.map_err(|e| e.placed(self.at))
    }

    /// A value that may be `null` (then `None`, passed over), else read by `read`: as
    /// `Option<T>` reads (a `one` field).
    ///
    /// # Errors
    /// A word that starts as `null` but is not, or what `read` returns.
    pub fn nullable<T>(&mut self, read: fn(&mut Self) -> Result<T, Error>) -> Result<Option<T>, Error> {
        if self.first()? != b'n' {
            return read(self).map(Some);
        }
        self.scalar(b'n')?;
        Ok(None)
    }

    /// [`one_or_many`](crate::fhir::one_or_many) of a declared type, read by `read`: an
    /// array, a lone object, or `null`; a lone scalar is a kind error (a number as written,
    /// with serde_json's `arbitrary_precision`, reads as an empty object, as serde's
    /// protocol for it hands the declared type no member it knows).
    ///
    /// # Errors
    /// A scalar, or what `read` returns.
    pub fn many<T>(&mut self, read: fn(&mut Self) -> Result<T, Error>) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        self.items(false, &mut |r| {
            let item = read(r)?;
            if out.is_empty() {
                out.reserve_exact(1);
            }
            out.push(item);
            Ok(())
        })?;
        Ok(out)
    }

    /// [`one_or_first`](crate::fhir::one_or_first) of a declared type, read by `read`: an
    /// object, the first element of an array (the rest skipped), or `null`; a lone scalar as
    /// in [`many`](Self::many).
    ///
    /// # Errors
    /// A scalar, or what `read` returns.
    pub fn first_of<T>(&mut self, read: fn(&mut Self) -> Result<T, Error>) -> Result<Option<T>, Error> {
        let mut out = None;
        self.items(true, &mut |r| {
            out = Some(read(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The reading behind [`many`](Self::many) and [`first_of`](Self::first_of), for every
    /// type: `item` reads a value from the reader it is given (for a number as written, a
    /// reader over `{}`); only the first element of an array when `first_only`.
    fn items(&mut self, first_only: bool, item: &mut dyn FnMut(&mut Self) -> Result<(), Error>) -> Result<(), Error> {
        let first = self.first()?;
        match first {
            b'[' => {}
            b'{' => return item(self),
            _ => {
                return match self.scalar_or_number_text(first)? {
                    Some(Scalar::Null) => Ok(()),
                    Some(Scalar::Number(_)) => item(&mut Reader::new("{}")),
                    _ => Err(Error(KIND).placed(self.at)),
                }
            }
        }
        let read = self.container(b']', |r| {
            let (mut first, mut read) = (true, true);
            while r.next_item(b']', &mut first)? {
                if read {
                    read = !first_only;
                    item(r)?;
                } else {
                    let first = r.first()?;
                    r.skip(first)?;
                }
            }
            Ok(())
        });
        read.map_err(|e| e.placed(self.at))
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

/// Hands a scalar to a visitor.
fn visit_scalar<'de, V: Visitor<'de>>(s: Scalar<'de>, visitor: V) -> Result<V::Value, Error> {
    match s {
        Scalar::Null => visitor.visit_unit(),
        Scalar::Bool(v) => visitor.visit_bool(v),
        Scalar::Unsigned(v) => visitor.visit_u64(v),
        Scalar::Signed(v) => visitor.visit_i64(v),
        Scalar::Float(v) => visitor.visit_f64(v),
        // Only `deserialize_any` meets one, and hands it on itself.
        Scalar::Number(_) => Err(Error(0)),
        Scalar::Borrowed(v) => visitor.visit_borrowed_str(v),
        Scalar::Copied(v) => visitor.visit_str(&v),
    }
}

/// Deserializer methods that read as another does (as serde_json's do: every number kind
/// as a number, every string kind as a string).
macro_rules! forward {
    ($($to:ident: $($method:ident)*;)*) => {$($(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.$to(visitor)
        }
    )*)*};
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let first = self.first()?;
        let value = match self.scalar_or_number_text(first)? {
            // As serde_json hands a number that is not a 64-bit integer on when a crate in
            // the build turns on its `arbitrary_precision` feature: as written.
            Some(Scalar::Number(text)) => {
                visitor.visit_map(Members::One { reader: self, key: NUMBER, value: Some(text) })
            }
            Some(s) => visit_scalar(s, visitor),
            None if first == b'[' => self.seq(visitor),
            None => self.map(visitor),
        };
        value.map_err(|e| e.placed(self.at))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let first = self.first()?;
        let value = match first {
            b't' | b'f' => match self.scalar(first)? {
                Some(Scalar::Bool(v)) => visitor.visit_bool(v),
                _ => Err(self.peek_error()),
            },
            _ => Err(self.invalid_type(first)),
        };
        value.map_err(|e| e.placed(self.at))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let first = self.first()?;
        let value = match first {
            b'-' | b'0'..=b'9' => match self.number()? {
                s @ (Scalar::Unsigned(_) | Scalar::Signed(_) | Scalar::Float(_)) => visit_scalar(s, visitor),
                _ => Err(self.peek_error()),
            },
            _ => Err(self.invalid_type(first)),
        };
        value.map_err(|e| e.placed(self.at))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.text()? {
            Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
            Cow::Owned(s) => visitor.visit_str(&s),
        };
        value.map_err(|e: Error| e.placed(self.at))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let first = self.first()?;
        let value = match first {
            // serde_json gives a string's bytes as they are written, escapes undecoded.
            b'"' => match self.pending.take() {
                Some(pending) => visitor.visit_borrowed_bytes(pending.as_bytes()),
                None => {
                    let start = self.at + 1;
                    self.skip(first)?;
                    visitor.visit_borrowed_bytes(&self.bytes()[start..self.at - 1])
                }
            },
            b'[' => self.seq(visitor),
            _ => Err(self.invalid_type(first)),
        };
        value.map_err(|e| e.placed(self.at))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.first()? {
            b'n' => {
                self.scalar(b'n')?;
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let first = self.first()?;
        let value = match first {
            b'n' => {
                self.scalar(first)?;
                visitor.visit_unit()
            }
            _ => Err(self.invalid_type(first)),
        };
        value.map_err(|e| e.placed(self.at))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Error> {
        if name != RAW_VALUE {
            return visitor.visit_newtype_struct(self);
        }
        // The text of the next value, as written.
        let first = self.first()?;
        let start = self.at;
        self.skip(first)?;
        let value = Some(&self.text[start..self.at]);
        visitor.visit_map(Members::One { reader: self, key: RAW_VALUE, value })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let first = self.first()?;
        let value = match first {
            b'[' => self.seq(visitor),
            _ => Err(self.invalid_type(first)),
        };
        value.map_err(|e| e.placed(self.at))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let first = self.first()?;
        let value = match first {
            b'{' => self.map(visitor),
            _ => Err(self.invalid_type(first)),
        };
        value.map_err(|e| e.placed(self.at))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let first = self.first()?;
        let value = match first {
            b'[' => self.seq(visitor),
            b'{' => self.map(visitor),
            _ => Err(self.invalid_type(first)),
        };
        value.map_err(|e| e.placed(self.at))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let first = self.first()?;
        let value = match first {
            b'"' => match self.string()? {
                Scalar::Borrowed(s) => visitor.visit_enum(BorrowedStrDeserializer::new(s)),
                Scalar::Copied(s) => visitor.visit_enum(s.into_deserializer()),
                _ => Err(self.peek_error()),
            },
            b'{' => {
                // `{"Variant": value}`: the one member, then the brace.
                self.container(b'}', |r| {
                    visitor
                        .visit_enum(de::value::MapAccessDeserializer::new(Members::Object { reader: r, first: true }))
                })
            }
            _ => Err(self.peek_error()),
        };
        value.map_err(|e| e.placed(self.at))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let first = self.first()?;
        self.skip(first)?;
        visitor.visit_unit()
    }

    forward! {
        deserialize_f64: deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
            deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128 deserialize_f32;
        deserialize_str: deserialize_string deserialize_char deserialize_identifier;
        deserialize_bytes: deserialize_byte_buf;
    }
}

/// The elements of an array.
struct Elements<'r, 'de> {
    reader: &'r mut Reader<'de>,
    first: bool,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.reader.next_item(b']', &mut self.first)? {
            true => seed.deserialize(&mut *self.reader).map(Some),
            false => Ok(None),
        }
    }
}

/// The members of an object; or, in serde_json's protocol for a raw value or a number as
/// written, one member named `key` whose value is the text. Keys and values are read by
/// the reader itself (the protocol's texts handed to it as [`Reader::pending`]), so that a
/// visitor's `visit_map`, and each field's reading, is compiled once.
enum Members<'r, 'de> {
    Object { reader: &'r mut Reader<'de>, first: bool },
    One { reader: &'r mut Reader<'de>, key: &'static str, value: Option<&'de str> },
}

impl<'r, 'de> Members<'r, 'de> {
    /// The reader, before the next key (`None` after the last member).
    #[inline(never)]
    fn before_key(&mut self) -> Result<Option<&mut Reader<'de>>, Error> {
        Ok(Some(match self {
            Members::Object { reader, first } => {
                if !reader.next_item(b'}', first)? {
                    return Ok(None);
                }
                if reader.peek() != Some(b'"') {
                    return Err(reader.peek_error());
                }
                reader
            }
            Members::One { value: None, .. } => return Ok(None),
            Members::One { reader, key, .. } => {
                reader.pending = Some(key);
                reader
            }
        }))
    }

    /// The reader, before the value of the key just read.
    #[inline(never)]
    fn before_value(&mut self) -> Result<&mut Reader<'de>, Error> {
        Ok(match self {
            Members::Object { reader, .. } => {
                reader.colon()?;
                reader
            }
            Members::One { reader, value, .. } => {
                reader.pending = Some(value.take().ok_or(Error(0))?);
                reader
            }
        })
    }
}

impl<'de> de::MapAccess<'de> for Members<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        match self.before_key()? {
            Some(reader) => seed.deserialize(reader).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(self.before_value()?)
    }
}

/// Whether serde_json's `arbitrary_precision` feature is on in this build (a crate of the
/// build may turn it on): then it hands a number that is not a 64-bit integer to
/// `deserialize_any` as its text.
fn arbitrary_precision() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| serde_json::from_str::<serde_json::Number>("0.10").is_ok_and(|n| n.to_string() == "0.10"))
}
