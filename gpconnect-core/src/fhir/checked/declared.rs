//! The reading [`fhir_type!`](crate::fhir_type) writes for a declared type
//! ([`FromChecked`]), over the reader's own steps rather than serde's visitors: the same
//! values and error places as the type's `Deserialize` through the reader.

use std::borrow::Cow;

use super::{with_reader, Error, Jumps, Reader, Scalar, KIND};

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
    read_jumping(text, Jumps::NONE)
}
/// [`read`], passing over what it does not read where `jumps` (those of `text`) say.
pub fn read_jumping<'t, T: FromChecked>(text: &'t str, jumps: Jumps<'t>) -> Result<T, Error> {
    with_reader(text, jumps, T::from_checked)
}
/// [`read`] of a value that may be `null` (then `None`), as `Option<T>` reads.
pub fn read_nullable<T: FromChecked>(text: &str) -> Result<Option<T>, Error> {
    with_reader(text, Jumps::NONE, |r| r.nullable(T::from_checked))
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
