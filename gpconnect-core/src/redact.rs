//! Keeping personal data out of `Debug`: [`Screened`] for anything a provider wrote, and
//! the one `redacted_debug!` macro every crate of the SDK uses for its types' `Debug`.
//!
//! A leaf: it names nothing else in the crate.

use std::fmt;

/// `Debug` of a value a provider wrote (an id, a code, a type name) with every run of ten
/// or more digits (spaces allowed between them) shown as `<redacted>`: such a run could be
/// an NHS number, which never reaches `Debug`, whatever field a provider put it in.
///
/// ```
/// use gpconnect_core::ids::Screened;
/// assert_eq!(format!("{:?}", Screened("Patient/9690937286")), r#""Patient/<redacted>""#);
/// assert_eq!(format!("{:?}", Screened("2026-03-02")), r#""2026-03-02""#);
/// ```
pub struct Screened<T>(pub T);

impl<T: fmt::Debug> fmt::Debug for Screened<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{:?}", self.0);
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

/// Implements `Debug` for a type as its name and the named fields only, each shown through
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
/// Several types without fields at once: `redacted_debug!(HumanName; Address)`.
#[macro_export]
#[doc(hidden)]
macro_rules! redacted_debug {
    ($ty:ident $(, $field:ident)* $(,)?) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &$crate::redact::Screened(&self.$field)))*
                    .finish_non_exhaustive()
            }
        }
    };
    ($($ty:ident $(, $field:ident)*);+ $(;)?) => {
        $($crate::redacted_debug!($ty $(, $field)*);)+
    };
}
