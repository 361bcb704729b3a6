//! The one way to declare an STU3 type: [`fhir_type!`](crate::fhir_type).
//!
//! From one declaration a type gets its struct (with doc comments), JSON reading (a
//! `Deserialize` through one shared key lookup, [`json`], not serde's derive, and the same
//! reading over checked text, [`FromChecked`](crate::fhir::checked::FromChecked)) and writing
//! (serde's `Serialize` derive) with the SDK's leniency, XML reading (`xml::FromXml`) and writing
//! (`xml::ToXml`) with the `mesh` feature only, and a `Debug` by the SDK's one redaction
//! rule ([`crate::redact`]): the `id` screened, the other fields named when set, never
//! their values.
//!
//! This module holds the macro's support code; it is public (hidden) because
//! `gpconnect-structured` declares its resources with the same macro.
#![doc(hidden)]

/// Reading a declared type from JSON, shared by every declaration: the key lookup (with
/// serde's duplicate-field check) and the lenient array readers are one copy each, not
/// a derive per type (which compiles a field enum, a positional sequence visitor and a
/// wrapper type per lenient field, for every type and deserialiser).
pub mod json {
    use std::fmt;

    use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
    use serde::Deserialize;

    /// Reads one key of a declared type's JSON object: its index in `names` (`None` for a
    /// key the type does not have), or serde's `duplicate_field` error for a key seen
    /// before (`seen` holds one bit per name).
    pub struct KeySeed<'a> {
        /// The wire names, in declaration order (at most 128).
        pub names: &'static [&'static str],
        /// The names read so far.
        pub seen: &'a mut u128,
    }

    impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
        type Value = Option<usize>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
            d.deserialize_identifier(self)
        }
    }

    impl<'de> Visitor<'de> for KeySeed<'_> {
        type Value = Option<usize>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a field name")
        }

        fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
            let Some(i) = self.names.iter().position(|n| *n == key) else { return Ok(None) };
            let bit = 1u128 << i;
            if *self.seen & bit != 0 {
                return Err(E::duplicate_field(self.names[i]));
            }
            *self.seen |= bit;
            Ok(Some(i))
        }
    }

    /// A `many` field: read with [`one_or_many`](crate::fhir::one_or_many).
    pub struct OneOrMany<T>(pub Vec<T>);

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            crate::fhir::one_or_many(d).map(OneOrMany)
        }
    }

    /// A `first` field: read with [`one_or_first`](crate::fhir::one_or_first).
    pub struct OneOrFirst<T>(pub Option<T>);

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrFirst<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            crate::fhir::one_or_first(d).map(OneOrFirst)
        }
    }
}

/// Whether a field is set, for `Debug`: the one rule's ([`crate::redact`]).
pub use crate::redact::IsSet;

/// One field of a declared type in its `Debug`, by [the one rule](crate::redact): `id`
/// screened, every other field by presence.
#[macro_export]
#[doc(hidden)]
macro_rules! __fhir_debug_field {
    ($d:ident, $this:ident, id) => {
        $d.screened("id", &$this.id);
    };
    ($d:ident, $this:ident, $f:ident) => {
        $d.present(stringify!($f), $crate::redact::IsSet::is_set(&$this.$f));
    };
}

#[cfg(feature = "mesh")]
pub use xml::XmlField;

#[cfg(feature = "mesh")]
mod xml {
    use crate::xml::{FromXml, Itk3Error, ReadContext, ToXml, XmlNode};

    /// A field of a declared type, read from and written to XML whatever its cardinality.
    pub trait XmlField {
        /// Reads one occurrence of the field's element.
        ///
        /// # Errors
        /// As [`FromXml::from_xml`].
        fn read(&mut self, node: &XmlNode, cx: &mut ReadContext) -> Result<(), Itk3Error>;
        /// Writes the field (nothing when unset) as elements `name` under `parent`.
        fn write(&self, parent: &mut XmlNode, name: &str);
    }

    impl<T: FromXml + ToXml> XmlField for Option<T> {
        fn read(&mut self, node: &XmlNode, cx: &mut ReadContext) -> Result<(), Itk3Error> {
            *self = Some(T::from_xml(node, cx)?);
            Ok(())
        }

        fn write(&self, parent: &mut XmlNode, name: &str) {
            if let Some(v) = self {
                parent.push(v.to_xml(name));
            }
        }
    }

    impl<T: FromXml + ToXml> XmlField for Vec<T> {
        fn read(&mut self, node: &XmlNode, cx: &mut ReadContext) -> Result<(), Itk3Error> {
            self.push(T::from_xml(node, cx)?);
            Ok(())
        }

        fn write(&self, parent: &mut XmlNode, name: &str) {
            for v in self {
                parent.push(v.to_xml(name));
            }
        }
    }
}

/// Declares an STU3 type: the struct, its JSON (serde) reading and writing, its XML
/// reading and writing (feature `mesh`), and a `Debug` by the one redaction rule.
///
/// ```ignore
/// gpconnect_core::fhir_type! {
///     /// A code from a code system.
///     #[derive(PartialEq)]
///     pub struct Coding {
///         /// Code system URI.
///         system: one String = "system",
///         /// Extensions.
///         extension: many Extension = "extension",
///     }
/// }
/// ```
///
/// Each field is `name: CARD [(reader path)] Type = "wire name"`; the wire name is the
/// JSON member and the XML element. The cardinality is `one` (`Option<T>`), `many`
/// (`Vec<T>`, read with `one_or_many` unless a reader, a `deserialize_with`-style
/// function, is given) or `first`
/// (`Option<T>`, read with `one_or_first`: an array keeps its first element). Fields are
/// written in the order declared, which is the FHIR order.
///
/// Options after the name, in brackets: `no_serialize` (read only), `custom_deserialize`
/// (a hand-written `Deserialize`), `no_json` (no serde at all), `custom_xml` (hand-written
/// `FromXml`/`ToXml`), `no_xml` (never written as XML: the type holds raw JSON).
#[macro_export]
#[doc(hidden)]
macro_rules! fhir_type {
    (
        $(#[$m:meta])*
        $vis:vis struct $name:ident $([$($opt:ident),* $(,)?])? {
            $($body:tt)*
        }
    ) => {
        $crate::fhir_type!(@opts [all all all gen] [$($($opt)*)?] { $(#[$m])* $vis $name } $($body)*);
    };

    // Options.
    (@opts [$ser:ident $de:ident $json:ident $xml:ident] [no_serialize $($o:ident)*] $($r:tt)*) => {
        $crate::fhir_type!(@opts [any $de $json $xml] [$($o)*] $($r)*);
    };
    (@opts [$ser:ident $de:ident $json:ident $xml:ident] [custom_deserialize $($o:ident)*] $($r:tt)*) => {
        $crate::fhir_type!(@opts [$ser any $json $xml] [$($o)*] $($r)*);
    };
    (@opts [$ser:ident $de:ident $json:ident $xml:ident] [no_json $($o:ident)*] $($r:tt)*) => {
        $crate::fhir_type!(@opts [any any any $xml] [$($o)*] $($r)*);
    };
    (@opts [$ser:ident $de:ident $json:ident $xml:ident] [custom_xml $($o:ident)*] $($r:tt)*) => {
        $crate::fhir_type!(@opts [$ser $de $json custom] [$($o)*] $($r)*);
    };
    (@opts [$ser:ident $de:ident $json:ident $xml:ident] [no_xml $($o:ident)*] $($r:tt)*) => {
        $crate::fhir_type!(@opts [$ser $de $json none] [$($o)*] $($r)*);
    };
    (@opts $flags:tt [] $head:tt $($r:tt)*) => {
        $crate::fhir_type!(@field $flags $head [] [] $($r)*);
    };

    // Fields, one at a time: the struct fields with their serde attributes, and the list
    // of (field, wire name) for Debug and XML.
    (@field [$ser:ident $de:ident $json:ident $xml:ident] $head:tt [$($acc:tt)*] [$($list:tt)*]
        $(#[$fm:meta])* $field:ident : one ($with:path) $ty:ty = $wire:literal $(, $($rest:tt)*)?
    ) => {
        $crate::fhir_type!(@field [$ser $de $json $xml] $head
            [$($acc)* $(#[$fm])*
             #[cfg_attr($ser(), serde(rename = $wire, skip_serializing_if = "Option::is_none"))]
             pub $field: Option<$ty>,]
            [$($list)* ($field $wire (one_with $with) $ty)] $($($rest)*)?);
    };
    (@field [$ser:ident $de:ident $json:ident $xml:ident] $head:tt [$($acc:tt)*] [$($list:tt)*]
        $(#[$fm:meta])* $field:ident : one $ty:ty = $wire:literal $(, $($rest:tt)*)?
    ) => {
        $crate::fhir_type!(@field [$ser $de $json $xml] $head
            [$($acc)* $(#[$fm])*
             #[cfg_attr($ser(), serde(rename = $wire, skip_serializing_if = "Option::is_none"))]
             pub $field: Option<$ty>,]
            [$($list)* ($field $wire (one) $ty)] $($($rest)*)?);
    };
    (@field [$ser:ident $de:ident $json:ident $xml:ident] $head:tt [$($acc:tt)*] [$($list:tt)*]
        $(#[$fm:meta])* $field:ident : many ($with:path) $ty:ty = $wire:literal $(, $($rest:tt)*)?
    ) => {
        $crate::fhir_type!(@field [$ser $de $json $xml] $head
            [$($acc)* $(#[$fm])*
             #[cfg_attr($ser(), serde(rename = $wire, skip_serializing_if = "Vec::is_empty"))]
             pub $field: Vec<$ty>,]
            [$($list)* ($field $wire (many_with $with) $ty)] $($($rest)*)?);
    };
    (@field [$ser:ident $de:ident $json:ident $xml:ident] $head:tt [$($acc:tt)*] [$($list:tt)*]
        $(#[$fm:meta])* $field:ident : many $ty:ty = $wire:literal $(, $($rest:tt)*)?
    ) => {
        $crate::fhir_type!(@field [$ser $de $json $xml] $head
            [$($acc)* $(#[$fm])*
             #[cfg_attr($ser(), serde(rename = $wire, skip_serializing_if = "Vec::is_empty"))]
             pub $field: Vec<$ty>,]
            [$($list)* ($field $wire (many) $ty)] $($($rest)*)?);
    };
    (@field [$ser:ident $de:ident $json:ident $xml:ident] $head:tt [$($acc:tt)*] [$($list:tt)*]
        $(#[$fm:meta])* $field:ident : first $ty:ty = $wire:literal $(, $($rest:tt)*)?
    ) => {
        $crate::fhir_type!(@field [$ser $de $json $xml] $head
            [$($acc)* $(#[$fm])*
             #[cfg_attr($ser(), serde(rename = $wire, skip_serializing_if = "Option::is_none"))]
             pub $field: Option<$ty>,]
            [$($list)* ($field $wire (first) $ty)] $($($rest)*)?);
    };

    // All fields read: the struct and its impls.
    (@field [$ser:ident $de:ident $json:ident $xml:ident] { $(#[$m:meta])* $vis:vis $name:ident }
        [$($acc:tt)*] [$(($f:ident $w:literal $k:tt $t:ty))*]
    ) => {
        $(#[$m])*
        #[derive(Clone, Default)]
        #[cfg_attr($ser(), derive(serde::Serialize))]
        $vis struct $name {
            $($acc)*
        }

        $crate::__fhir_json!($de $name $(($f $w $k $t))*);

        impl ::core::fmt::Debug for $name {
            /// By [the one rule](crate::redact): the type's name, its `id` screened and the
            /// names of the other fields set, never their values.
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let this = self;
                #[allow(unused_mut)]
                let mut d = $crate::redact::RedactedStruct::new(f, stringify!($name));
                $($crate::__fhir_debug_field!(d, this, $f);)*
                d.finish()
            }
        }

        $crate::__fhir_xml!($xml $name $(($f $w))*);
    };
}

/// The JSON reading half of [`fhir_type!`](crate::fhir_type): a `Deserialize` from a JSON
/// object only, through the shared key lookup ([`json::KeySeed`]); unknown keys skipped,
/// a repeated key serde's `duplicate_field` error, absent fields left empty.
#[macro_export]
#[doc(hidden)]
macro_rules! __fhir_json {
    (all $name:ident $(($f:ident $w:literal $k:tt $t:ty))*) => {
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                /// Only a JSON object reads as a declared type: serde's derive would also
                /// read an array by position, taking `[{"text": "x"}]` as a value of the
                /// first field and losing the rest silently (the lenient readers repair
                /// an array where one value belongs by reading its single element).
                struct Object;
                impl<'de> ::serde::de::Visitor<'de> for Object {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($name)))
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> ::core::result::Result<$name, A::Error> {
                        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
                        enum Field {
                            $($f,)*
                        }
                        const NAMES: &[&str] = &[$($w),*];
                        const _: () = assert!(NAMES.len() <= 128, "at most 128 fields");
                        let mut out = <$name as ::core::default::Default>::default();
                        let mut seen = 0u128;
                        while let Some(key) = ::serde::de::MapAccess::next_key_seed(
                            &mut map,
                            $crate::fhir::declare::json::KeySeed { names: NAMES, seen: &mut seen },
                        )? {
                            match key {
                                $(Some(i) if i == Field::$f as usize => out.$f = $crate::__fhir_read!(map $k $t),)*
                                _ => {
                                    ::serde::de::MapAccess::next_value::<::serde::de::IgnoredAny>(&mut map)?;
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(Object)
            }
        }

        $crate::__fhir_checked!($name $(($f $w $k $t))*);
    };
    (any $($t:tt)*) => {};
}

/// The checked half of [`__fhir_json!`](crate::__fhir_json): [`FromChecked`], reading as
/// the `Deserialize` does through the checked reader, step for step over its non-generic
/// methods, without serde's visitor layers. `#[inline]`: a crate compiles the readings of
/// the types it reads (measured: a copy of every declared type's in `gpconnect-core`
/// cost a default build more than it saved).
///
/// [`FromChecked`]: crate::fhir::checked::FromChecked
#[macro_export]
#[doc(hidden)]
macro_rules! __fhir_checked {
    ($name:ident $(($f:ident $w:literal $k:tt $t:ty))*) => {
        impl $crate::fhir::checked::FromChecked for $name {
            #[inline]
            fn from_checked(
                r: &mut $crate::fhir::checked::Reader<'_>,
            ) -> ::core::result::Result<Self, $crate::fhir::checked::Error> {
                #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
                enum Field {
                    $($f,)*
                }
                const NAMES: &[&str] = &[$($w),*];
                #[allow(unused_mut)]
                let mut out = <$name as ::core::default::Default>::default();
                r.object(NAMES, &mut |r, i| {
                    let _ = (&r, i);
                    match i {
                        $(i if i == Field::$f as usize => out.$f = $crate::__fhir_read_checked!(r $k $t),)*
                        _ => {}
                    }
                    Ok(())
                })?;
                Ok(out)
            }
        }
    };
}

/// One field's value in [`__fhir_checked!`](crate::__fhir_checked), by its cardinality.
#[macro_export]
#[doc(hidden)]
macro_rules! __fhir_read_checked {
    ($r:ident (one) $t:ty) => {
        $r.nullable(<$t as $crate::fhir::checked::FromChecked>::from_checked)?
    };
    ($r:ident (many) $t:ty) => {
        <$t as $crate::fhir::checked::FromChecked>::many_from_checked($r)?
    };
    ($r:ident (first) $t:ty) => {
        <$t as $crate::fhir::checked::FromChecked>::first_from_checked($r)?
    };
    ($r:ident (one_with $with:path) $t:ty) => {
        $with(&mut *$r)?
    };
    ($r:ident (many_with $with:path) $t:ty) => {
        $with(&mut *$r)?
    };
}

/// One field's value in [`__fhir_json!`](crate::__fhir_json), by its cardinality.
#[macro_export]
#[doc(hidden)]
macro_rules! __fhir_read {
    ($map:ident (one) $t:ty) => {
        ::serde::de::MapAccess::next_value::<::core::option::Option<$t>>(&mut $map)?
    };
    ($map:ident (many) $t:ty) => {
        ::serde::de::MapAccess::next_value::<$crate::fhir::declare::json::OneOrMany<$t>>(&mut $map)?.0
    };
    ($map:ident (first) $t:ty) => {
        ::serde::de::MapAccess::next_value::<$crate::fhir::declare::json::OneOrFirst<$t>>(&mut $map)?.0
    };
    ($map:ident (one_with $with:path) $t:ty) => {{
        struct With(::core::option::Option<$t>);
        impl<'de> ::serde::Deserialize<'de> for With {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                $with(d).map(With)
            }
        }
        ::serde::de::MapAccess::next_value::<With>(&mut $map)?.0
    }};
    ($map:ident (many_with $with:path) $t:ty) => {{
        struct With(::std::vec::Vec<$t>);
        impl<'de> ::serde::Deserialize<'de> for With {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                $with(d).map(With)
            }
        }
        ::serde::de::MapAccess::next_value::<With>(&mut $map)?.0
    }};
}

/// The XML half of [`fhir_type!`](crate::fhir_type): `FromXml` and `ToXml` from the field
/// list, with the `mesh` feature.
#[cfg(feature = "mesh")]
#[macro_export]
#[doc(hidden)]
macro_rules! __fhir_xml {
    (gen $name:ident $(($f:ident $w:literal))*) => {
        impl $crate::xml::FromXml for $name {
            fn from_xml(
                node: &$crate::xml::XmlNode,
                cx: &mut $crate::xml::ReadContext,
            ) -> ::core::result::Result<Self, $crate::xml::Itk3Error> {
                let mut out = Self::default();
                for c in node.children() {
                    match c.name() {
                        $($w => $crate::fhir::declare::XmlField::read(&mut out.$f, c, cx)?,)*
                        other => cx.note_unknown(node.name(), other),
                    }
                }
                Ok(out)
            }
        }

        impl $crate::xml::ToXml for $name {
            fn to_xml(&self, name: &str) -> $crate::xml::XmlNode {
                #[allow(unused_mut)]
                let mut n = $crate::xml::XmlNode::new(name);
                $($crate::fhir::declare::XmlField::write(&self.$f, &mut n, $w);)*
                n
            }
        }
    };
    (custom $($t:tt)*) => {};
    (none $($t:tt)*) => {};
}

/// Without the `mesh` feature a declaration compiles no XML code.
#[cfg(not(feature = "mesh"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __fhir_xml {
    ($($t:tt)*) => {};
}

#[cfg(test)]
mod tests {
    use crate::fhir::{Coding, Meta, Patient};

    #[test]
    fn debug_names_the_fields_set_and_no_value() {
        let c = Coding::new("http://snomed.info/sct", "9690937278", "Jane Smith");
        assert_eq!(format!("{c:?}"), "Coding { system, code, display, .. }");
        assert_eq!(format!("{:?}", Meta::default()), "Meta { .. }");
        let p = Patient { id: Some("9690937278".into()), active: Some(true), ..Patient::default() };
        assert_eq!(format!("{p:?}"), r#"Patient { id: Some("<redacted>"), active, .. }"#);
        let p = Patient { id: Some("p1".into()), ..Patient::default() };
        assert_eq!(format!("{p:?}"), r#"Patient { id: Some("p1"), .. }"#);
    }

    #[test]
    fn json_keeps_the_leniency_and_the_wire_names() {
        let p: Patient = serde_json::from_str(
            r#"{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9690937278"},
                "active":true,"birthDate":"1950-02-01","generalPractitioner":{"reference":"Organization/1"}}"#,
        )
        .unwrap();
        assert_eq!(p.nhs_number(), Some("9690937278"));
        assert_eq!(p.general_practitioner.len(), 1);
        let out = serde_json::to_string(&p).unwrap();
        assert!(out.contains(r#""birthDate":"1950-02-01""#) && out.contains(r#""generalPractitioner":[{"#), "{out}");
    }

    #[test]
    fn json_reads_objects_only_skips_unknown_keys_and_refuses_repeated_ones() {
        use crate::fhir::{CodeableConcept, Period};
        // Escaped keys are the same keys; unknown ones are skipped whatever their shape.
        let c: Coding =
            serde_json::from_str(r#"{"x":[{"y":1}],"sys\u0074em":"s","code":"c","extension":{"url":"u"}}"#).unwrap();
        assert_eq!((c.system.as_deref(), c.code.as_deref(), c.extension.len()), (Some("s"), Some("c"), 1));
        // From a `Value` too (the right-patient checks read references from one).
        let v = serde_json::json!({"coding": {"code": "c"}, "text": "t"});
        let cc: CodeableConcept = serde_json::from_value(v).unwrap();
        assert_eq!((cc.coding.len(), cc.text.as_deref()), (1, Some("t")));
        // An array where one value belongs is an error (never read by position), at its
        // bracket; a repeated key is serde's duplicate-field error, after the key.
        let e = serde_json::from_str::<Period>(r#"["2020","2021"]"#).unwrap_err();
        assert_eq!((e.classify(), e.column()), (serde_json::error::Category::Data, 0));
        let e = serde_json::from_str::<Period>(r#"{"start":"2020","start":"2021"}"#).unwrap_err();
        assert!(e.to_string().starts_with("duplicate field `start`"), "{e}");
        assert!(serde_json::from_str::<Patient>(r#""p""#).is_err());
        assert_eq!(serde_json::from_str::<Meta>("{}").unwrap().profile.len(), 0);
    }

    #[cfg(feature = "mesh")]
    #[test]
    fn xml_reads_and_writes_typed_primitives() {
        use crate::fhir::{Extension, Quantity};
        use crate::xml::{differences, FromXml, Limits, ReadContext, ToXml, XmlNode};
        let xml = br#"<Patient><id value="p1"/><meta><lastUpdated value="2023-08-01T10:00:00+00:00"/></meta><extension url="https://example.org/e"><valueBoolean value="true"/></extension><active value="true"/><birthDate value="1957-01-09"/></Patient>"#;
        let node = XmlNode::parse(xml, &Limits::RESPONSE).unwrap();
        let mut cx = ReadContext::default();
        let p = Patient::from_xml(&node, &mut cx).unwrap();
        assert!(cx.unknown.is_empty(), "{:?}", cx.unknown);
        assert_eq!(p.active, Some(true));
        assert_eq!(p.birth_date.as_deref(), Some("1957-01-09"));
        assert_eq!(p.meta.as_ref().and_then(|m| m.last_updated.as_deref()), Some("2023-08-01T10:00:00+00:00"));
        assert_eq!(p.extension[0].value_boolean, Some(true));
        assert!(differences(&node, &p.to_xml("Patient")).is_empty());
        let q = Quantity::ucum("1.50", "mg", "mg");
        assert_eq!(q.to_xml("doseQuantity").first("value").and_then(XmlNode::value), Some("1.50"));
        let bad = XmlNode::parse(br#"<extension url="x"><valueBoolean value="yes"/></extension>"#, &Limits::RESPONSE)
            .unwrap();
        assert!(Extension::from_xml(&bad, &mut cx).is_err());
    }
}
