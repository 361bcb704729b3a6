//! The repairs of [`Repairer`]: a typed parse that fails on a field of the wrong shape is
//! retried on a [`Node`] tree with that field read as its single element, converted, or
//! dropped; repairs are learned per resource type and re-parses charged to a budget.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::locate::{self, Step};
use super::node::Node;
use super::{depth_exceeds, Unreadable, MAX_DEPTH, MAX_REPAIRS, REPARSE_FLOOR, REPARSE_PER_BYTE};
use crate::fhir::checked::{self, FromChecked, Jumps};
use crate::fhir::{Bundle, RawResource};

/// Learned repairs kept per resource type, at most.
const MAX_LEARNED: usize = 16;

/// Reads the resources of one body leniently, in work linear in the body.
///
/// A repair found by a failed typed parse is remembered for the resource type (where it
/// applies, array positions ignored, and the JSON kind it applied to): the next resource
/// of that type with a value of that kind there is repaired up front, so a field that a
/// provider sends wrongly in every item costs one extra parse per item, not one per wrong
/// field per item. Only kind errors (`invalid type`, `invalid length`) are learned: they
/// depend on the kind of value at the place, never on its content. Every parse after a
/// failed one is charged to a budget of bytes proportional to the body; once it is spent,
/// a resource that still fails keeps its identity only (path `*`).
pub struct Repairer {
    learned: HashMap<TypeId, Vec<Learned>>,
    budget: usize,
    /// Set by [`for_bundle`](Self::for_bundle) when none of the resources nests too
    /// deeply: a text taken from them needs no nesting check of its own.
    shallow: bool,
    /// Set when every text given comes from JSON already read (a Bundle's resources, a
    /// `RawResource`'s or a `RawValue`'s text): its syntax is not checked again.
    syntax_checked: bool,
}

/// A repair learned from one resource, for the next of its type.
struct Learned {
    at: Vec<Pattern>,
    kind: Kind,
    action: Action,
}

#[derive(Clone, PartialEq, Eq)]
enum Pattern {
    Key(Arc<str>),
    /// Any array position.
    Each,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    fn of(v: &Node) -> Self {
        match v {
            Node::Null => Kind::Null,
            Node::Bool(_) => Kind::Bool,
            Node::Number(_) => Kind::Number,
            Node::String(_) => Kind::String,
            Node::Array(_) => Kind::Array,
            Node::Object(_) => Kind::Object,
        }
    }
}

/// What a repair did.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    /// A one-element array read as its element.
    Unwrap,
    /// An array read as its first element; a string as the number or boolean it holds;
    /// a number or boolean as text.
    Convert,
    /// The field (or array element) dropped.
    Drop,
}

impl Repairer {
    /// A repairer whose parses after a failed one may read `budget` bytes in all.
    pub fn new(budget: usize) -> Self {
        Self { learned: HashMap::new(), budget, shallow: false, syntax_checked: false }
    }

    /// A repairer for a body of `bytes`: [`REPARSE_PER_BYTE`] times it plus [`REPARSE_FLOOR`].
    pub fn for_body(bytes: usize) -> Self {
        Self::new(bytes.saturating_mul(REPARSE_PER_BYTE).saturating_add(REPARSE_FLOOR))
    }

    /// [`for_body`](Self::for_body) for text taken from JSON already read: a
    /// `RawResource`'s or a `RawValue`'s (or a part of one). Its syntax is not checked
    /// again (its nesting is); give it no other text.
    pub fn for_read_text(bytes: usize) -> Self {
        Self { syntax_checked: true, ..Self::for_body(bytes) }
    }

    /// A repairer for a Bundle's resources: its budget is [`for_body`](Self::for_body) of
    /// their total size, and their nesting is checked here, once, so that when none nests
    /// deeper than [`MAX_DEPTH`], parsing one of them (or a part of one, such as a contained
    /// resource) costs no check of its own. A resource whose nesting was measured as the
    /// Bundle was read ([`Bundle::from_text`]) is not scanned again, and no text's syntax
    /// is checked again. Give it only those resources and parts of them; when one of them
    /// is too deep, every text is checked on its own, as with [`for_body`](Self::for_body).
    pub fn for_bundle(bundle: &Bundle) -> Self {
        let (mut bytes, mut shallow) = (0usize, true);
        for r in bundle.resources() {
            bytes = bytes.saturating_add(r.raw().len());
            shallow = shallow
                && match r.measured_depth() {
                    Some(depth) => depth <= MAX_DEPTH,
                    None => !depth_exceeds(r.raw().as_bytes(), MAX_DEPTH),
                };
        }
        Self { shallow, syntax_checked: true, ..Self::for_body(bytes) }
    }

    /// Whether `json` nests deeper than [`MAX_DEPTH`] (known without a look when it comes
    /// from resources [`for_bundle`](Self::for_bundle) found shallow).
    pub fn too_deep(&self, json: &str) -> bool {
        !self.shallow && depth_exceeds(json.as_bytes(), MAX_DEPTH)
    }

    /// Takes `bytes` from the budget; `false` when it is spent.
    fn charge(&mut self, bytes: usize) -> bool {
        let ok = bytes <= self.budget;
        self.budget = self.budget.saturating_sub(bytes);
        ok
    }

    /// Parses `json` as `T`. A field of the wrong shape costs only that field: the result
    /// comes with the paths of the fields repaired (read as their single element, converted
    /// from a string, or dropped). After eight repairs, or once the budget is
    /// spent, only `resourceType` and `id` are kept (path `*`).
    pub fn parse<T: DeserializeOwned + 'static>(&mut self, json: &str) -> Result<(T, Vec<String>), Unreadable> {
        self.parse_with(json, Jumps::NONE, |text, _| checked::from_str::<T>(text))
    }

    /// [`parse`](Self::parse) of a type declared with [`fhir_type!`](crate::fhir_type) (or
    /// with a [`FromChecked`] of its own): the same values and repairs, read by the type's
    /// own reading over the checked reader's steps, without serde's visitor layers (less
    /// work per value).
    pub fn read<T: FromChecked + 'static>(&mut self, json: &str) -> Result<(T, Vec<String>), Unreadable> {
        self.parse_with(json, Jumps::NONE, checked::read_jumping::<T>)
    }

    /// [`read`](Self::read) of a Bundle's resource: a value it does not read is passed
    /// over in one step where the Bundle's split noted its end ([`RawResource::jumps`]).
    pub fn read_resource<T: FromChecked + 'static>(
        &mut self,
        raw: &RawResource,
    ) -> Result<(T, Vec<String>), Unreadable> {
        self.parse_with(raw.raw(), raw.jumps(), checked::read_jumping::<T>)
    }

    /// [`parse`](Self::parse) with `typed` reading a text as `T`; `jumps` are the original
    /// text's (a repaired copy is read without them).
    fn parse_with<T: 'static>(
        &mut self,
        json: &str,
        jumps: Jumps<'_>,
        typed: for<'t> fn(&'t str, Jumps<'t>) -> Result<T, checked::Error>,
    ) -> Result<(T, Vec<String>), Unreadable> {
        // A thin shim: everything but the typed parse itself is compiled once for all types,
        // in `parse_typed`; `T` is only behind this closure.
        let mut out: Option<T> = None;
        let repaired = self.parse_typed(TypeId::of::<T>(), json, &mut |text| {
            let jumps = if std::ptr::eq(text, json) { jumps } else { Jumps::NONE };
            typed(text, jumps).map(|v| out = Some(v))
        })?;
        // `parse_typed` is `Ok` only once `typed` has kept a value: the error is never made.
        out.map(|v| (v, repaired)).ok_or(Unreadable::NotAnObject { line: 1, column: 0 })
    }

    /// [`parse`](Self::parse) for the type `ty`, whatever it is: `typed` parses a text as
    /// that type (keeping the result). `Ok` only once `typed` has succeeded, with the paths
    /// repaired.
    fn parse_typed(
        &mut self,
        ty: TypeId,
        json: &str,
        typed: &mut dyn FnMut(&str) -> Result<(), checked::Error>,
    ) -> Result<Vec<String>, Unreadable> {
        if self.too_deep(json) {
            return Err(Unreadable::TooDeep);
        }
        // The typed read trusts the syntax: a text not known to be read JSON is checked first.
        if !self.syntax_checked {
            if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(json) {
                return Err(Unreadable::NotAnObject { line: e.line(), column: e.column() });
            }
        }
        match typed(json) {
            Ok(()) => Ok(Vec::new()),
            Err(first) => self.repair_loop(ty, json, &first, typed),
        }
    }

    /// The repair loop of [`parse`](Self::parse) for a resource whose typed parse failed
    /// with `first`: `typed` parses a text as the resource's type (keeping the result).
    /// Returns the paths repaired once `typed` succeeded.
    fn repair_loop(
        &mut self,
        ty: TypeId,
        json: &str,
        first: &checked::Error,
        typed: &mut dyn FnMut(&str) -> Result<(), checked::Error>,
    ) -> Result<Vec<String>, Unreadable> {
        let (line, column) = first.line_column(json);
        let not_an_object = Unreadable::NotAnObject { line, column };
        let mut value: Node = match serde_json::from_str(json) {
            Ok(v @ Node::Object(_)) => v,
            _ => return Err(not_an_object),
        };
        let mut repaired: Vec<String> = Vec::new();
        let mut repairs = 0;
        for l in self.learned.get(&ty).into_iter().flatten() {
            replay(&mut value, l, &mut repaired, &mut repairs);
        }
        let mut tried: Vec<(Vec<Step>, u8)> = Vec::new();
        while repairs <= MAX_REPAIRS {
            if !self.charge(json.len()) {
                break;
            }
            // One line of JSON, so the error's column is its byte offset, and where it
            // points tells which field failed (see `locate`): no second, path-tracking
            // deserializer is compiled for each resource type.
            let text = serde_json::to_string(&value).unwrap_or_default();
            let error = match typed(&text) {
                Ok(()) => return Ok(repaired),
                Err(e) => e,
            };
            let Some(path) = locate::path_at(&text, error.offset()) else { break };
            let learnable = error.is_kind_error();
            if repairs == MAX_REPAIRS {
                break;
            }
            let attempt = match tried.iter_mut().find(|(p, _)| *p == path) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    tried.push((path.clone(), 0));
                    0
                }
            };
            let Some((fixed, kind, action)) = repair(&mut value, &path, attempt) else { break };
            repairs += 1;
            note(&mut repaired, fixed);
            let learned = self.learned.entry(ty).or_default();
            if learnable && learned.len() < MAX_LEARNED {
                let at = fixed.iter().map(Step::pattern).collect();
                if !learned.iter().any(|l| l.at == at && l.kind == kind) {
                    learned.push(Learned { at, kind, action });
                }
            }
        }
        // Identity only: the item stays, every field but its id is reported lost. Read from
        // text, as everything else, so that no other deserializer is compiled for the type.
        let identity: serde_json::Map<String, Value> = ["resourceType", "id"]
            .into_iter()
            .filter_map(|k| Some((k.to_owned(), Value::String(value.get(k)?.as_str()?.to_owned()))))
            .collect();
        let identity = serde_json::to_string(&identity).unwrap_or_default();
        match typed(&identity).or_else(|_| typed("{}")) {
            Ok(()) => Ok(vec!["*".to_owned()]),
            Err(_) => Err(not_an_object),
        }
    }
}

/// Applies a learned repair wherever its place holds a value of its kind (array elements
/// from the last, so a drop does not move the ones still to visit), counting each in
/// `repairs` and stopping past [`MAX_REPAIRS`].
fn replay(root: &mut Node, l: &Learned, repaired: &mut Vec<String>, repairs: &mut usize) {
    let mut found: Vec<Vec<Step>> = Vec::new();
    matching(root, &l.at, &mut Vec::new(), &mut found);
    for path in found.iter().rev() {
        if *repairs > MAX_REPAIRS {
            return;
        }
        let Some(slot) = at(root, path).filter(|v| Kind::of(v) == l.kind) else { continue };
        let done = match l.action {
            Action::Unwrap => match slot {
                Node::Array(a) if a.len() == 1 => {
                    *slot = a.pop().unwrap_or(Node::Null);
                    true
                }
                _ => false,
            },
            Action::Convert => match converted(slot) {
                Some(v) => {
                    *slot = v;
                    true
                }
                None => false,
            },
            Action::Drop => remove(root, path),
        };
        if done {
            *repairs += 1;
            note(repaired, path);
        }
    }
}

/// Every concrete path matching `pattern` (arrays expanded at `Each`).
fn matching(v: &Node, pattern: &[Pattern], path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    let Some((first, rest)) = pattern.split_first() else {
        out.push(path.clone());
        return;
    };
    match (first, v) {
        (Pattern::Key(k), Node::Object(_)) => {
            if let Some(next) = v.get(k) {
                path.push(Step::Key(k.clone()));
                matching(next, rest, path, out);
                path.pop();
            }
        }
        (Pattern::Each, Node::Array(a)) => {
            for (i, next) in a.iter().enumerate() {
                path.push(Step::Index(i));
                matching(next, rest, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Adds a repaired path to the list, once.
fn note(repaired: &mut Vec<String>, path: &[Step]) {
    let name = display(path);
    if !repaired.contains(&name) {
        repaired.push(name);
    }
}

impl Step {
    fn pattern(&self) -> Pattern {
        match self {
            Step::Key(k) => Pattern::Key(k.clone()),
            Step::Index(_) => Pattern::Each,
        }
    }
}

/// The path (`entry[0].resource.name`) of the value where `error` stopped a typed parse of
/// `body`, from the error's line and column alone (a multi-line body too); empty at the top
/// level or when the text before it is not well-formed JSON.
pub(crate) fn error_path(body: &[u8], error: &serde_json::Error) -> String {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or_default(),
    };
    // serde_json counts lines from 1 and columns as bytes after the line's newline.
    let line_start = match error.line() {
        0 | 1 => 0,
        n => memchr::memchr_iter(b'\n', text.as_bytes()).nth(n - 2).map_or(text.len(), |i| i + 1),
    };
    locate::path_at(text, line_start + error.column()).map(|p| display(&p)).unwrap_or_default()
}

fn display(path: &[Step]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// A value of another kind that may fit: an array's first element, the number or boolean
/// a string holds, a number or boolean as text.
fn converted(slot: &mut Node) -> Option<Node> {
    match slot {
        Node::Array(a) if !a.is_empty() => Some(a.swap_remove(0)),
        Node::String(s) => match s.trim() {
            "true" => Some(Node::Bool(true)),
            "false" => Some(Node::Bool(false)),
            t => t.parse::<serde_json::Number>().ok().map(Node::Number),
        },
        Node::Number(n) => Some(Node::String(n.to_string())),
        Node::Bool(b) => Some(Node::String(b.to_string())),
        _ => None,
    }
}

/// Removes the field or array element at `path`.
fn remove(root: &mut Node, path: &[Step]) -> bool {
    let Some((last, parent_path)) = path.split_last() else { return false };
    match (last, at(root, parent_path)) {
        (Step::Key(k), Some(Node::Object(members))) => match members.iter().position(|(m, _)| **m == **k) {
            Some(i) => {
                members.remove(i);
                true
            }
            None => false,
        },
        (Step::Index(i), Some(Node::Array(a))) if *i < a.len() => {
            a.remove(*i);
            true
        }
        _ => false,
    }
}

/// Repairs the value at `path` and returns the path of what it changed, the kind it had
/// and what was done. The first try (attempt 0) reads a one-element array as its element
/// (serde reads an array where an object belongs element by element, so the error points
/// inside it), else converts (see [`converted`]); any later try drops the field.
fn repair<'p>(root: &mut Node, path: &'p [Step], attempt: u8) -> Option<(&'p [Step], Kind, Action)> {
    if attempt == 0 {
        if let Some((Step::Index(_), outer)) = path.split_last() {
            if let Some(slot) = at(root, outer).filter(|v| matches!(v, Node::Array(a) if a.len() == 1)) {
                if let Node::Array(a) = slot {
                    *slot = a.pop().unwrap_or(Node::Null);
                }
                return Some((outer, Kind::Array, Action::Unwrap));
            }
        }
        let slot = at(root, path)?;
        let kind = Kind::of(slot);
        if let Some(v) = converted(slot) {
            *slot = v;
            return Some((path, kind, Action::Convert));
        }
    }
    let kind = Kind::of(at(root, path)?);
    remove(root, path).then_some((path, kind, Action::Drop))
}

/// The value at `path`.
fn at<'v>(root: &'v mut Node, path: &[Step]) -> Option<&'v mut Node> {
    path.iter().try_fold(root, |v, s| match (s, v) {
        (Step::Key(k), v @ Node::Object(_)) => v.get_mut(k),
        (Step::Index(i), Node::Array(a)) => a.get_mut(*i),
        _ => None,
    })
}
