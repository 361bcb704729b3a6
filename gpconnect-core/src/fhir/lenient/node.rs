//! The JSON tree the repairs of [`Repairer`](super::Repairer) work on: objects keep their
//! members in one vector, in order. A `serde_json::Value` object is a hash map (an index
//! map once any crate in the build turns on `preserve_order`), several times the memory
//! of the text it came from; this tree costs about what the members do.

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;

/// Objects of more members than this find a repeated key through a hash map; smaller ones
/// by a scan.
const SCANNED_MEMBERS: usize = 16;

/// How serde_json hands a number to a visitor when a crate in the build turns on its
/// `arbitrary_precision` feature: a one-member map holding the number's text.
const ARBITRARY_PRECISION_NUMBER: &str = "$serde_json::private::Number";

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Node>),
    /// Members in the order sent; a repeated key keeps its first place and its last value
    /// (as serde_json reads it).
    Object(Vec<(String, Node)>),
}

impl Node {
    /// The member `key` of an object.
    pub(super) fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The member `key` of an object, to change.
    pub(super) fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match self {
            Node::Object(members) => members.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string.
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Node, E> {
        Ok(Number::from_f64(n).map_or(Node::Null, Node::Number))
    }
    fn visit_str<E>(self, s: &str) -> Result<Node, E> {
        Ok(Node::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Node, E> {
        Ok(Node::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members: Vec<(String, Node)> = Vec::new();
        let mut places: HashMap<String, usize> = HashMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.is_empty() && key == ARBITRARY_PRECISION_NUMBER {
                let text: String = map.next_value()?;
                return text.parse().map(Node::Number).map_err(serde::de::Error::custom);
            }
            let value: Node = map.next_value()?;
            let place = if members.len() < SCANNED_MEMBERS {
                members.iter().position(|(k, _)| *k == key)
            } else {
                if places.is_empty() {
                    places.extend(members.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)));
                }
                places.get(&key).copied()
            };
            match place {
                Some(i) => members[i].1 = value,
                None => {
                    if !places.is_empty() {
                        places.insert(key.clone(), members.len());
                    }
                    members.push((key, value));
                }
            }
        }
        members.shrink_to_fit();
        Ok(Node::Object(members))
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Number(n) => n.serialize(s),
            Node::String(text) => s.serialize_str(text),
            Node::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_json_as_serde_json_does() {
        let text = r#"{"b":[1,-2,2.5,true,null,"x"],"a":{"k":"v"},"b2":{}}"#;
        let node: Node = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&node).unwrap(), text);
        assert_eq!(node.get("a").and_then(|a| a.get("k")).and_then(Node::as_str), Some("v"));
    }

    #[test]
    fn a_repeated_key_keeps_its_first_place_and_last_value_in_any_object() {
        let small = r#"{"a": 1, "b": 2, "a": 3}"#;
        assert_eq!(serde_json::to_string(&serde_json::from_str::<Node>(small).unwrap()).unwrap(), r#"{"a":3,"b":2}"#);
        let many: Vec<String> = (0..40).map(|i| format!(r#""k{i}": {i}"#)).collect();
        let large = format!("{{{}, \"k3\": \"again\"}}", many.join(","));
        let node: Node = serde_json::from_str(&large).unwrap();
        let Node::Object(members) = &node else { panic!() };
        assert_eq!(members.len(), 40);
        assert_eq!(members[3], ("k3".to_owned(), Node::String("again".into())));
    }
}
