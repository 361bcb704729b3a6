//! Keeping personal data out of `Debug`: the one redaction rule of the SDK.
//!
//! **The rule.** A type holding what a patient, provider or sender wrote shows in `Debug`
//! its name, then its fields in order:
//! - ids, codes and statuses (chosen by the type, never free text): their value through
//!   [`Screened`], so a run of digits that could be an NHS number is masked;
//! - everything else (names, addresses, free text, document content, URLs, identifiers'
//!   values, dates of birth): the field's name alone when it is set (presence), never its
//!   value;
//!
//! and ends with `..`: `Allergy { id: Some("a1"), code, note, .. }`.
//!
//! [`RedactedStruct`] writes that shape; the two macros that generate `Debug` impls both
//! use it: `redacted_debug!` (the named fields screened, the rest left out) and
//! `fhir_type!` (`id` screened, every other field by presence). Hand-written `Debug` impls
//! of types holding remote text use it too.
//!
//! A leaf: it names nothing else in the crate.

use std::fmt;

/// `Debug` of an id, code or status a provider wrote, by [the rule](self): every run of
/// ten or more digits (spaces allowed between them) is shown as `<redacted>`, since it
/// could be an NHS number; and every string in it that is not shaped like an id or a code
/// (1 to 64 of letters, digits and `- . _ : / | # + = @`: no spaces, no query, no long
/// token) is shown by its length only, since it could be a name or free text put where an
/// id belongs.
///
/// ```
/// use gpconnect_core::ids::Screened;
/// assert_eq!(format!("{:?}", Screened("Patient/9690937286")), r#""Patient/<redacted>""#);
/// assert_eq!(format!("{:?}", Screened("2026-03-02")), r#""2026-03-02""#);
/// assert_eq!(format!("{:?}", Screened(Some("Jane Smith"))), r#"Some("<10 chars>")"#);
/// ```
pub struct Screened<T>(pub T);

impl<T: fmt::Debug> fmt::Debug for Screened<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = shaped_strings_only(&format!("{:?}", self.0));
        let mut out = String::with_capacity(text.len());
        let mut run = String::new();
        let mut digits = 0;
        for c in text.chars() {
            if c.is_ascii_digit() || (c == ' ' && digits > 0) {
                digits += usize::from(c.is_ascii_digit());
                run.push(c);
                continue;
            }
            flush(&mut out, &mut run, &mut digits);
            out.push(c);
        }
        flush(&mut out, &mut run, &mut digits);
        f.write_str(&out)
    }
}

/// Whether a string (as `Debug` escapes it) is shaped like an id or a code.
fn id_shaped(escaped: &str) -> bool {
    (1..=64).contains(&escaped.len())
        && escaped.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._:/|#+=@".contains(&b))
}

/// `Debug` text with every string literal not [`id_shaped`] replaced by `"<N chars>"`.
fn shaped_strings_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..open]);
        let body = &rest[open + 1..];
        // The literal ends at the first quote not escaped by a backslash.
        let mut end = None;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let Some(end) = end else {
            // Unbalanced: show nothing of the rest.
            out.push_str("\"<redacted>\"");
            return out;
        };
        let literal = &body[..end];
        if id_shaped(literal) || literal.is_empty() {
            out.push('"');
            out.push_str(literal);
            out.push('"');
        } else {
            out.push_str(&format!("\"<{} chars>\"", literal.chars().count()));
        }
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Ends a run of digits: kept when shorter than an NHS number, else `<redacted>`.
fn flush(out: &mut String, run: &mut String, digits: &mut usize) {
    if *digits >= 10 {
        out.push_str("<redacted>");
        out.extend(run.chars().rev().take_while(|&c| c == ' '));
    } else {
        out.push_str(run);
    }
    run.clear();
    *digits = 0;
}

/// Writes a `Debug` by [the rule](self): `Name { a: <screened>, b, .. }`.
///
/// ```
/// use gpconnect_core::redact::RedactedStruct;
/// struct Note { id: String, text: Option<String> }
/// impl std::fmt::Debug for Note {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         RedactedStruct::new(f, "Note").screened("id", &self.id).present("text", self.text.is_some()).finish()
///     }
/// }
/// let n = Note { id: "9690937286".into(), text: Some("Mr Smith".into()) };
/// assert_eq!(format!("{n:?}"), r#"Note { id: "<redacted>", text, .. }"#);
/// ```
pub struct RedactedStruct<'a, 'b> {
    f: &'a mut fmt::Formatter<'b>,
    result: fmt::Result,
}

impl<'a, 'b> RedactedStruct<'a, 'b> {
    /// Starts `Name {`.
    pub fn new(f: &'a mut fmt::Formatter<'b>, name: &str) -> Self {
        let result = f.write_str(name).and_then(|()| f.write_str(" { "));
        Self { f, result }
    }

    /// An id, code or status: `name: <value through Screened>, `.
    pub fn screened(&mut self, name: &str, value: &dyn fmt::Debug) -> &mut Self {
        if self.result.is_ok() {
            self.result = write!(self.f, "{name}: {:?}, ", Screened(value));
        }
        self
    }

    /// Anything else: `name, ` when set, nothing when not.
    pub fn present(&mut self, name: &str, set: bool) -> &mut Self {
        if set && self.result.is_ok() {
            self.result = write!(self.f, "{name}, ");
        }
        self
    }

    /// Ends with `.. }`.
    pub fn finish(&mut self) -> fmt::Result {
        self.result.and_then(|()| self.f.write_str(".. }"))
    }
}

/// Implements `Debug` for a type by [the rule](self): its name and the named fields only, each shown through
/// [`Screened`] (a run of digits that could be an NHS number is masked); every other field
/// (names, free texts, identifiers' values, addresses) is left out, and the output ends
/// with `..`. The one such macro of the SDK, for every crate's types:
///
/// ```
/// pub struct Allergy { id: Option<String>, code: String, note: String }
/// gpconnect_core::redacted_debug!(Allergy, id, code);
/// let a = Allergy { id: Some("9690937286".into()), code: "C1".into(), note: "private".into() };
/// assert_eq!(format!("{a:?}"), r#"Allergy { id: Some("<redacted>"), code: "C1", .. }"#);
/// ```
///
/// Fields shown by presence only follow a `;` inside brackets:
///
/// ```
/// pub struct Note { id: String, text: Option<String> }
/// gpconnect_core::redacted_debug!(Note, id [text]);
/// let n = Note { id: "n1".into(), text: Some("private".into()) };
/// assert_eq!(format!("{n:?}"), r#"Note { id: "n1", text, .. }"#);
/// ```
///
/// Several types without fields at once: `redacted_debug!(HumanName; Address)`.
#[macro_export]
#[doc(hidden)]
macro_rules! redacted_debug {
    ($ty:ident $(, $field:ident)* $([$($present:ident),* $(,)?])? $(,)?) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                $crate::redact::RedactedStruct::new(f, stringify!($ty))
                    $(.screened(stringify!($field), &self.$field))*
                    $($(.present(stringify!($present), $crate::redact::IsSet::is_set(&self.$present)))*)?
                    .finish()
            }
        }
    };
    ($($ty:ident $(, $field:ident)* $([$($present:ident),* $(,)?])?);+ $(;)?) => {
        $($crate::redacted_debug!($ty $(, $field)* $([$($present),*])?);)+
    };
}

/// Whether a field holds anything, for [`RedactedStruct::present`]: `Some`, a non-empty
/// `Vec` or string, `true`.
pub trait IsSet {
    /// Whether the field is set.
    fn is_set(&self) -> bool;
}

impl<T> IsSet for Option<T> {
    fn is_set(&self) -> bool {
        self.is_some()
    }
}

impl<T> IsSet for Vec<T> {
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl IsSet for String {
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl IsSet for bool {
    fn is_set(&self) -> bool {
        *self
    }
}
