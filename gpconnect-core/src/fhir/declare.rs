//! The one way to declare an STU3 type: [`fhir_type!`](crate::fhir_type).
//!
//! From one declaration a type gets its struct (with doc comments), serde JSON reading and
//! writing with the SDK's leniency, XML reading (`xml::FromXml`) and writing
//! (`xml::ToXml`) with the `mesh` feature only, and a `Debug` by the SDK's one redaction
//! rule ([`crate::redact`]): the `id` screened, the other fields named when set, never
//! their values.
//!
//! This module holds the macro's support code; it is public (hidden) because
//! `gpconnect-structured` declares its resources with the same macro.
#![doc(hidden)]

/// The serde helpers a declaration names by default, under names no module uses for
/// anything else (every expansion glob-imports this module).
pub mod serde_paths {
    pub use crate::fhir::one_or_first as __fhir_one_or_first;
    pub use crate::fhir::one_or_many as __fhir_one_or_many;
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
/// Each field is `name: CARD [("deserialize_with path")] Type = "wire name"`; the wire
/// name is the JSON member and the XML element. The cardinality is `one` (`Option<T>`),
/// `many` (`Vec<T>`, read with `one_or_many` unless a path is given) or `first`
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
        $(#[$fm:meta])* $field:ident : one ($with:literal) $ty:ty = $wire:literal $(, $($rest:tt)*)?
    ) => {
        $crate::fhir_type!(@field [$ser $de $json $xml] $head
            [$($acc)* $(#[$fm])*
             #[cfg_attr($json(), serde(rename = $wire, deserialize_with = $with, skip_serializing_if = "Option::is_none"))]
             pub $field: Option<$ty>,]
            [$($list)* ($field $wire)] $($($rest)*)?);
    };
    (@field [$ser:ident $de:ident $json:ident $xml:ident] $head:tt [$($acc:tt)*] [$($list:tt)*]
        $(#[$fm:meta])* $field:ident : one $ty:ty = $wire:literal $(, $($rest:tt)*)?
    ) => {
        $crate::fhir_type!(@field [$ser $de $json $xml] $head
            [$($acc)* $(#[$fm])*
             #[cfg_attr($json(), serde(rename = $wire, skip_serializing_if = "Option::is_none"))]
             pub $field: Option<$ty>,]
            [$($list)* ($field $wire)] $($($rest)*)?);
    };
    (@field [$ser:ident $de:ident $json:ident $xml:ident] $head:tt [$($acc:tt)*] [$($list:tt)*]
        $(#[$fm:meta])* $field:ident : many ($with:literal) $ty:ty = $wire:literal $(, $($rest:tt)*)?
    ) => {
        $crate::fhir_type!(@field [$ser $de $json $xml] $head
            [$($acc)* $(#[$fm])*
             #[cfg_attr($json(), serde(rename = $wire, deserialize_with = $with, skip_serializing_if = "Vec::is_empty"))]
             pub $field: Vec<$ty>,]
            [$($list)* ($field $wire)] $($($rest)*)?);
    };
    (@field [$ser:ident $de:ident $json:ident $xml:ident] $head:tt [$($acc:tt)*] [$($list:tt)*]
        $(#[$fm:meta])* $field:ident : many $ty:ty = $wire:literal $(, $($rest:tt)*)?
    ) => {
        $crate::fhir_type!(@field [$ser $de $json $xml] $head
            [$($acc)* $(#[$fm])*
             #[cfg_attr($json(), serde(rename = $wire, deserialize_with = "__fhir_one_or_many", skip_serializing_if = "Vec::is_empty"))]
             pub $field: Vec<$ty>,]
            [$($list)* ($field $wire)] $($($rest)*)?);
    };
    (@field [$ser:ident $de:ident $json:ident $xml:ident] $head:tt [$($acc:tt)*] [$($list:tt)*]
        $(#[$fm:meta])* $field:ident : first $ty:ty = $wire:literal $(, $($rest:tt)*)?
    ) => {
        $crate::fhir_type!(@field [$ser $de $json $xml] $head
            [$($acc)* $(#[$fm])*
             #[cfg_attr($json(), serde(rename = $wire, deserialize_with = "__fhir_one_or_first", skip_serializing_if = "Option::is_none"))]
             pub $field: Option<$ty>,]
            [$($list)* ($field $wire)] $($($rest)*)?);
    };

    // All fields read: the struct and its impls.
    (@field [$ser:ident $de:ident $json:ident $xml:ident] { $(#[$m:meta])* $vis:vis $name:ident }
        [$($acc:tt)*] [$(($f:ident $w:literal))*]
    ) => {
        $(#[$m])*
        #[derive(Clone, Default)]
        #[cfg_attr($ser(), derive(serde::Serialize))]
        #[cfg_attr($de(), derive(serde::Deserialize))]
        #[cfg_attr($json(), serde(default))]
        $vis struct $name {
            $($acc)*
        }

        #[allow(unused_imports)]
        use $crate::fhir::declare::serde_paths::*;

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
    use crate::fhir::{Coding, Extension, Meta, Patient, Quantity};

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

    #[cfg(feature = "mesh")]
    #[test]
    fn xml_reads_and_writes_typed_primitives() {
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
