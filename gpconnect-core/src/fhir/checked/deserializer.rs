//! The checked reader as a serde `Deserializer`: for types read through their
//! `Deserialize` (JSON trees, the leaf types, hand-written readers), with serde_json's
//! protocols for a raw value and a number as written.

use std::borrow::Cow;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::{with_reader, Error, Jumps, Reader, Scalar};

/// serde_json's name for its raw value (`Box<RawValue>`, `&RawValue`), which asks the
/// deserializer for the text of the next value as it is.
const RAW_VALUE: &str = "$serde_json::private::RawValue";

/// serde_json's name for a number as written (with its `arbitrary_precision` feature).
const NUMBER: &str = "$serde_json::private::Number";
/// Reads `T` from `text` through its `Deserialize`; `text` must be well-formed JSON, and
/// only whitespace may follow the value.
pub fn from_str<'de, T: de::Deserialize<'de>>(text: &'de str) -> Result<T, Error> {
    with_reader(text, Jumps::NONE, |r| T::deserialize(r))
}
impl<'de> Reader<'de> {
    /// The array at `self.at`, given to `visitor`.
    fn seq<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        self.container(b']', |r| visitor.visit_seq(Elements { reader: r, first: true }))
    }

    /// The object at `self.at`, given to `visitor`.
    fn map<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        self.container(b'}', |r| visitor.visit_map(Members::Object { reader: r, first: true }))
    }
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
