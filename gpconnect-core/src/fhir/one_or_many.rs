//! Lenient array deserialization: accept `[..]`, a single value, or `null`/absent.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer, StrDeserializer, StringDeserializer};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Deserialize an STU3 array element leniently.
///
/// Accepts a JSON array (the conformant form), a single object or scalar (which some
/// providers send where STU3 wants an array), or `null`. Use it together with
/// `#[serde(default)]` so an absent element becomes an empty `Vec`:
///
/// ```
/// use gpconnect_core::fhir::one_or_many;
/// #[derive(serde::Deserialize)]
/// struct Thing {
///     #[serde(default, deserialize_with = "one_or_many")]
///     given: Vec<String>,
/// }
/// let a: Thing = serde_json::from_str(r#"{"given": ["Jane", "Ann"]}"#).unwrap();
/// let b: Thing = serde_json::from_str(r#"{"given": "Jane"}"#).unwrap();
/// let c: Thing = serde_json::from_str(r#"{"given": null}"#).unwrap();
/// let d: Thing = serde_json::from_str(r#"{}"#).unwrap();
/// assert_eq!((a.given.len(), b.given.len(), c.given.len(), d.given.len()), (2, 1, 0, 0));
/// ```
///
/// Implemented with a hand-written visitor (no `untagged` buffering). One limitation:
/// an element type that captures its own raw JSON (`Box<RawValue>`, e.g.
/// [`RawResource`](super::RawResource)) can only be read from the array form, because a
/// lone object has already been opened by the time we know it is not an array.
pub fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(OneOrManyVisitor(PhantomData))
}

struct OneOrManyVisitor<T>(PhantomData<T>);

impl<T> OneOrManyVisitor<T> {
    /// A lone scalar, as the array of it (one copy per element type for every kind).
    fn lone<'de, E: serde::de::Error>(scalar: Scalar<'_, 'de, E>) -> Result<Vec<T>, E>
    where
        T: Deserialize<'de>,
    {
        T::deserialize(scalar).map(|v| vec![v])
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array, a single value, or null")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Most arrays of a resource hold one element: room for exactly that, and the usual
        // growth only once a second one comes (a `Vec` grown by a push starts at four).
        let mut out = Vec::new();
        while let Some(item) = seq.next_element()? {
            if out.is_empty() {
                out.reserve_exact(1);
            }
            out.push(item);
        }
        Ok(out)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|v| vec![v])
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Self::lone(Scalar::Str(v, PhantomData))
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Self::lone(Scalar::Borrowed(v))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Self::lone(Scalar::String(v))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::lone(Scalar::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::lone(Scalar::I64(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::lone(Scalar::U64(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::lone(Scalar::F64(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Deserialize a single STU3 element leniently: accepts the value, `null`/absent
/// (`None`), or an array (the first element is kept, the rest skipped), since some
/// providers send an array where STU3 has 0..1 (e.g. `Location.address`, or DSTU2-style
/// `HumanName.family`). Use with `#[serde(default, deserialize_with = "one_or_first")]`.
pub fn one_or_first<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(OneOrFirstVisitor(PhantomData))
}

struct OneOrFirstVisitor<T>(PhantomData<T>);

impl<T> OneOrFirstVisitor<T> {
    /// A lone scalar (one copy per element type for every kind).
    fn lone<'de, E: serde::de::Error>(scalar: Scalar<'_, 'de, E>) -> Result<Option<T>, E>
    where
        T: Deserialize<'de>,
    {
        T::deserialize(scalar).map(Some)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrFirstVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value, an array, or null")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element()?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(first)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Self::lone(Scalar::Str(v, PhantomData))
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Self::lone(Scalar::Borrowed(v))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Self::lone(Scalar::String(v))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::lone(Scalar::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::lone(Scalar::I64(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::lone(Scalar::U64(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::lone(Scalar::F64(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A lone scalar where an array (or its first element) belongs, handed to the element's
/// own `Deserialize` exactly as serde's value deserialisers would (`StrDeserializer` and
/// its kin: everything but enums forwarded to `deserialize_any`), as one deserialiser for
/// every kind of scalar: each element type compiles one copy of this path, not seven.
enum Scalar<'a, 'de, E> {
    Str(&'a str, PhantomData<E>),
    Borrowed(&'de str),
    String(String),
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
}

impl<'de, E: serde::de::Error> Deserializer<'de> for Scalar<'_, 'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self {
            Scalar::Str(v, _) => visitor.visit_str(v),
            Scalar::Borrowed(v) => visitor.visit_borrowed_str(v),
            Scalar::String(v) => visitor.visit_string(v),
            Scalar::Bool(v) => visitor.visit_bool(v),
            Scalar::I64(v) => visitor.visit_i64(v),
            Scalar::U64(v) => visitor.visit_u64(v),
            Scalar::F64(v) => visitor.visit_f64(v),
        }
    }

    /// A string names a unit variant, as with serde's string deserialisers.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        match self {
            Scalar::Str(v, _) => StrDeserializer::<E>::new(v).deserialize_enum(name, variants, visitor),
            Scalar::Borrowed(v) => BorrowedStrDeserializer::<E>::new(v).deserialize_enum(name, variants, visitor),
            Scalar::String(v) => StringDeserializer::<E>::new(v).deserialize_enum(name, variants, visitor),
            other => other.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Item {
        code: String,
    }

    #[derive(Deserialize, Debug)]
    struct Holder {
        #[serde(default, deserialize_with = "one_or_many")]
        items: Vec<Item>,
        #[serde(default, deserialize_with = "one_or_many")]
        names: Vec<String>,
        #[serde(default, deserialize_with = "one_or_many")]
        nums: Vec<i64>,
    }

    #[test]
    fn array_single_null_absent() {
        let h: Holder =
            serde_json::from_str(r#"{"items":[{"code":"a"},{"code":"b"}],"names":["x"],"nums":[1,2,3]}"#).unwrap();
        assert_eq!(h.items.len(), 2);
        assert_eq!(h.nums, vec![1, 2, 3]);
        let h: Holder = serde_json::from_str(r#"{"items":{"code":"a"},"names":"x","nums":7}"#).unwrap();
        assert_eq!(h.items, vec![Item { code: "a".into() }]);
        assert_eq!(h.names, vec!["x".to_string()]);
        assert_eq!(h.nums, vec![7]);
        let h: Holder = serde_json::from_str(r#"{"items":null,"names":null}"#).unwrap();
        assert!(h.items.is_empty() && h.names.is_empty() && h.nums.is_empty());
        let h: Holder = serde_json::from_str("{}").unwrap();
        assert!(h.items.is_empty());
        // escaped strings take the owned-string path
        let h: Holder = serde_json::from_str(r#"{"names":"a\"b"}"#).unwrap();
        assert_eq!(h.names, vec!["a\"b".to_string()]);
    }

    #[test]
    fn one_or_first_forms() {
        #[derive(Deserialize)]
        struct H {
            #[serde(default, deserialize_with = "one_or_first")]
            item: Option<Item>,
            #[serde(default, deserialize_with = "one_or_first")]
            family: Option<String>,
        }
        let h: H = serde_json::from_str(r#"{"item":[{"code":"a"},{"code":"b"}],"family":["Smith","X"]}"#).unwrap();
        assert_eq!(h.item.unwrap().code, "a");
        assert_eq!(h.family.as_deref(), Some("Smith"));
        let h: H = serde_json::from_str(r#"{"item":{"code":"c"},"family":"Jones"}"#).unwrap();
        assert_eq!(h.item.unwrap().code, "c");
        assert_eq!(h.family.as_deref(), Some("Jones"));
        let h: H = serde_json::from_str(r#"{"item":[],"family":null}"#).unwrap();
        assert!(h.item.is_none() && h.family.is_none());
    }

    #[test]
    fn lone_scalars_of_every_kind() {
        #[derive(Deserialize, Debug, PartialEq)]
        enum Kind {
            A,
            B,
        }
        #[derive(Deserialize)]
        struct H {
            #[serde(default, deserialize_with = "one_or_many")]
            b: Vec<bool>,
            #[serde(default, deserialize_with = "one_or_many")]
            u: Vec<u64>,
            #[serde(default, deserialize_with = "one_or_many")]
            i: Vec<i64>,
            #[serde(default, deserialize_with = "one_or_many")]
            k: Vec<Kind>,
            #[serde(default, deserialize_with = "one_or_first")]
            first: Option<Kind>,
            #[serde(default, deserialize_with = "one_or_many")]
            items: Vec<Item>,
        }
        // (No float here: with serde_json's `arbitrary_precision`, which a workspace build
        // turns on, a number reaches a visitor as a map.)
        let h: H = serde_json::from_str(r#"{"b":true,"u":7,"i":-2,"k":"B","first":"A"}"#).unwrap();
        assert_eq!((h.b, h.u, h.i), (vec![true], vec![7], vec![-2]));
        assert_eq!((h.k, h.first), (vec![Kind::B], Some(Kind::A)));
        // Owned strings (from a `Value`) and escaped ones name variants too.
        let h: H = serde_json::from_value(serde_json::json!({"k": "A", "first": "B"})).unwrap();
        assert_eq!((h.k, h.first), (vec![Kind::A], Some(Kind::B)));
        let h: H = serde_json::from_str(r#"{"k":"\u0041","items":{"code":"c"}}"#).unwrap();
        assert_eq!((h.k, h.items), (vec![Kind::A], vec![Item { code: "c".into() }]));
        // A scalar where an object belongs is still an error.
        assert!(serde_json::from_str::<H>(r#"{"items":"a"}"#).is_err());
        assert!(serde_json::from_str::<H>(r#"{"k":"C"}"#).is_err());
        assert!(serde_json::from_str::<H>(r#"{"b":"true"}"#).is_err());
    }

    #[test]
    fn from_value_also_works() {
        let v = serde_json::json!({"items": {"code": "z"}});
        let h: Holder = serde_json::from_value(v).unwrap();
        assert_eq!(h.items[0].code, "z");
    }
}
