//! One pass over a Bundle's JSON text that checks its syntax and finds what
//! [`Bundle::from_text`](super::Bundle::from_text) needs: the Bundle's own fields, each
//! entry's fields and its resource, with the resource's nesting depth, `resourceType` and
//! `id`. Resources are then never scanned again, neither to be captured nor for the depth
//! check.
//!
//! The syntax check is at least as strict as serde_json's (RFC 8259: strings without raw
//! control characters and with valid escapes, numbers by the grammar, no trailing commas,
//! only whitespace after the value). Anything out of the ordinary (a key written with
//! escapes, a repeated field, entries that are not an array of objects, nesting near
//! serde_json's own limit, or any syntax error) gives `None`, and the caller reads the body
//! the general way, which keeps every answer, and every error, as it was.
//!
//! It also notes where each array and object inside a resource ends (but the smallest):
//! the checked reader then passes over one it does not read in one step (a [`Jump`]).

use crate::fhir::checked::Jump;
use crate::fhir::scan;

/// Nesting beyond this (counted from the body's top) is left to the general reader:
/// serde_json itself stops at 128.
const MAX_NESTING: usize = 120;

/// Arrays and objects shorter than this (in bytes, brackets included) get no [`Jump`]:
/// the reader passes over them about as fast as it would look one up (a few lines of
/// pretty-printed JSON), and fewer jumps take less memory.
const SHORTEST_JUMP: usize = 128;

/// Room for the jump index of every open array and object (a power of two above
/// [`MAX_NESTING`], so that a level is kept in range by a mask).
const OPEN_LEVELS: usize = 128;

/// What [`split`] found: the wanted fields of the Bundle and of its entries, as their
/// names and raw value texts (in body order), each entry's resource, and the [`Jump`]s
/// over the arrays and objects inside the resources (in body order).
pub(super) struct Skeleton<'t> {
    pub(super) fields: Vec<(&'t str, &'t str)>,
    pub(super) entries: Vec<Entry<'t>>,
    pub(super) jumps: Vec<Jump>,
}

/// One entry: its wanted fields, and its `resource` unless absent or `null`.
pub(super) struct Entry<'t> {
    pub(super) fields: Vec<(&'t str, &'t str)>,
    pub(super) resource: Option<Resource<'t>>,
}

/// A resource's text, where it starts in the body, how deep it nests (a flat object is
/// 1), what a look at its top-level `resourceType` and `id` gave, and which of the
/// skeleton's jumps lie inside it.
pub(super) struct Resource<'t> {
    pub(super) text: &'t str,
    pub(super) start: usize,
    pub(super) depth: usize,
    pub(super) peeked: Peeked<'t>,
    pub(super) jumps: std::ops::Range<usize>,
}

/// The `resourceType` and `id` of a resource, as `bundle::peek` reads them.
pub(super) enum Peeked<'t> {
    /// Read here: the `resourceType` (empty if none) and the `id`.
    Known(&'t str, Option<&'t str>),
    /// Escapes in a key or value, or not an object: for `peek` to read.
    Unknown,
}

/// Splits `text`, a Bundle, keeping the Bundle fields named in `fields` (besides `entry`)
/// and the entry fields named in `entry_fields` (besides `resource`); `None` when the text
/// is not plain enough (see the module documentation).
pub(super) fn split<'t>(text: &'t str, fields: &[&str], entry_fields: &[&str]) -> Option<Skeleton<'t>> {
    // Jumps hold 32-bit places: a longer body is read the general way.
    u32::try_from(text.len()).ok()?;
    // About one jump per shortest jump's length of text: rarely grown.
    let jumps = Vec::with_capacity(text.len() / SHORTEST_JUMP);
    let mut s = Scanner { text, b: text.as_bytes(), i: 0, jumps, open: [0; OPEN_LEVELS] };
    let mut skeleton = Skeleton { fields: Vec::new(), entries: Vec::new(), jumps: Vec::new() };
    let mut seen_entry = false;
    s.open(b'{')?;
    if !s.close(b'}') {
        loop {
            let key = s.key()?;
            if key == "entry" {
                if std::mem::replace(&mut seen_entry, true) {
                    return None;
                }
                s.entries(entry_fields, &mut skeleton.entries)?;
            } else {
                s.field(key, fields, 1, &mut skeleton.fields)?;
            }
            if !s.next_member(b'}')? {
                break;
            }
        }
    }
    s.ws();
    skeleton.jumps = s.jumps;
    (s.i == s.b.len()).then_some(skeleton)
}

struct Scanner<'t> {
    text: &'t str,
    b: &'t [u8],
    i: usize,
    /// Jumps over the arrays and objects passed so far (one being passed has `end` 0).
    jumps: Vec<Jump>,
    /// For each array or object being passed, by its nesting, the index of its jump.
    open: [u32; OPEN_LEVELS],
}

/// The byte at `i`; a zero byte past the end (never valid JSON there, so every check fails).
#[inline(always)]
fn byte(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// Where the whitespace at `i` ends.
#[inline(always)]
fn ws(b: &[u8], i: usize) -> usize {
    scan::short_whitespace_end(b, i).unwrap_or_else(|| scan::whitespace_end(b, i))
}

/// Where the string whose text starts at `i` (after its opening quote) ends, past its
/// closing quote, and whether it has escapes; `None` for an invalid string.
#[inline(always)]
fn string_end(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let p = scan::next_special(b, i);
    if byte(b, p) == b'"' {
        return Some((p + 1, false));
    }
    escaped_string_end(b, p).map(|end| (end, true))
}

/// [`string_end`] from the string's first backslash (or control character, or the end of
/// the text, which are errors).
#[inline(never)]
fn escaped_string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        match byte(b, i) {
            b'"' => return Some(i + 1),
            b'\\' => match byte(b, i + 1) {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    let hex = b.get(i + 2..i + 6)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    i += 6;
                }
                _ => return None,
            },
            // A raw control character, or the end of the text.
            _ => return None,
        }
        i = scan::next_special(b, i);
    }
}

/// Where the number at `i` ends, by RFC 8259's grammar.
#[inline(never)]
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        let from = i;
        while byte(b, i).is_ascii_digit() {
            i += 1;
        }
        (i > from).then_some(i)
    };
    if byte(b, i) == b'-' {
        i += 1;
    }
    i = match byte(b, i) {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i)?,
        _ => return None,
    };
    if byte(b, i) == b'.' {
        i = digits(i + 1)?;
    }
    if let b'e' | b'E' = byte(b, i) {
        i += 1;
        if let b'+' | b'-' = byte(b, i) {
            i += 1;
        }
        i = digits(i)?;
    }
    Some(i)
}

/// Where the literal `word` at `i` ends.
#[inline(never)]
fn literal_end(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (b.get(i..i + word.len()) == Some(word)).then_some(i + word.len())
}

/// After a member or element at `i`: whitespace, then past a comma (`true`) or `close`
/// (`false`); `None` for anything else.
#[inline(always)]
fn after_item(b: &[u8], i: usize, close: u8) -> Option<(usize, bool)> {
    let i = ws(b, i);
    match byte(b, i) {
        b',' => Some((i + 1, true)),
        c if c == close => Some((i + 1, false)),
        _ => None,
    }
}

/// From `i` (after whitespace), in an object, a member's key and colon; then (in either)
/// up to the member's or element's value.
#[inline(always)]
fn member_start(b: &[u8], i: usize, object: bool) -> Option<usize> {
    if !object {
        return Some(i);
    }
    if byte(b, i) != b'"' {
        return None;
    }
    let i = ws(b, string_end(b, i + 1)?.0);
    if byte(b, i) != b':' {
        return None;
    }
    Some(ws(b, i + 1))
}

impl<'t> Scanner<'t> {
    /// Whitespace.
    #[inline(always)]
    fn ws(&mut self) {
        self.i = ws(self.b, self.i);
    }

    /// Whitespace, then `c`.
    #[inline(always)]
    fn open(&mut self, c: u8) -> Option<()> {
        self.ws();
        (byte(self.b, self.i) == c).then(|| self.i += 1)
    }

    /// Whitespace, then `c` if it comes next (an empty object or array).
    #[inline(always)]
    fn close(&mut self, c: u8) -> bool {
        self.open(c).is_some()
    }

    /// After a member or element: `true` at a comma, `false` at `close`.
    #[inline(always)]
    fn next_member(&mut self, close: u8) -> Option<bool> {
        let (i, more) = after_item(self.b, self.i, close)?;
        self.i = i;
        Some(more)
    }

    /// A member's key and its colon; `None` for a key written with escapes.
    fn key(&mut self) -> Option<&'t str> {
        let (key, escaped) = self.key_escaped()?;
        (!escaped).then_some(key)
    }

    /// A member's key (as written, between its quotes), whether it has escapes, and its colon.
    #[inline(always)]
    fn key_escaped(&mut self) -> Option<(&'t str, bool)> {
        self.open(b'"')?;
        let start = self.i;
        let (end, escaped) = string_end(self.b, start)?;
        self.i = end;
        let key = &self.text[start..end - 1];
        self.open(b':')?;
        Some((key, escaped))
    }

    /// One JSON value, checked, inside `outer` levels of nesting: its text and how deep
    /// it nests (0 for a scalar, 1 for a flat object or array). Iterative: a stack of
    /// open containers, one bit each (set for an object).
    fn value(&mut self, outer: usize) -> Option<(&'t str, usize)> {
        self.ws();
        let start = self.i;
        let depth = self.value_depth(outer)?;
        Some((&self.text[start..self.i], depth))
    }

    /// [`value`](Self::value) at the current place (after whitespace), without its text.
    fn value_depth(&mut self, outer: usize) -> Option<usize> {
        let b = self.b;
        let mut i = self.i;
        let (mut depth, mut deepest, mut objects) = (0usize, 0usize, 0u128);
        'value: loop {
            match byte(b, i) {
                b'"' => i = string_end(b, i + 1)?.0,
                open @ (b'{' | b'[') => {
                    depth += 1;
                    if outer + depth > MAX_NESTING {
                        return None;
                    }
                    deepest = deepest.max(depth);
                    let object = open == b'{';
                    objects = objects << 1 | u128::from(object);
                    let start = i;
                    i = ws(b, i + 1);
                    // `}` and `]` each come two after their opening bracket.
                    if byte(b, i) != open + 2 {
                        // `outer + depth` is at most `MAX_NESTING` (checked above).
                        self.open[(outer + depth) % OPEN_LEVELS] = self.jumps.len() as u32;
                        // Places fit in 32 bits: `split` takes no longer text.
                        self.jumps.push(Jump { start: start as u32, end: 0 });
                        i = member_start(b, i, object)?;
                        continue 'value;
                    }
                    i += 1;
                    depth -= 1;
                    objects >>= 1;
                }
                b't' => i = literal_end(b, i, b"true")?,
                b'f' => i = literal_end(b, i, b"false")?,
                b'n' => i = literal_end(b, i, b"null")?,
                _ => i = number_end(b, i)?,
            }
            // After a value: close what it ends, or go on to the next member or element.
            while depth > 0 {
                let object = objects & 1 == 1;
                let (next, more) = after_item(b, i, if object { b'}' } else { b']' })?;
                i = next;
                if more {
                    i = member_start(b, ws(b, i), object)?;
                    continue 'value;
                }
                self.close_jump(outer + depth, i);
                depth -= 1;
                objects >>= 1;
            }
            self.i = i;
            return Some(deepest);
        }
    }

    /// The array or object at nesting `level` has ended at `end` (past its closing
    /// bracket): its jump gets that end, or goes when it is short (then nothing inside it
    /// has one).
    #[inline(always)]
    fn close_jump(&mut self, level: usize, end: usize) {
        let k = self.open[level % OPEN_LEVELS] as usize;
        match self.jumps.get_mut(k) {
            Some(jump) if end - jump.start as usize >= SHORTEST_JUMP => jump.end = end as u32,
            _ => self.jumps.truncate(k),
        }
    }

    /// The value of member `key`, inside `outer` levels: kept in `out` when `wanted` names
    /// it (`None` the second time: serde refuses a repeated field), else checked and skipped.
    fn field(&mut self, key: &'t str, wanted: &[&str], outer: usize, out: &mut Vec<(&'t str, &'t str)>) -> Option<()> {
        let value = self.value(outer)?.0;
        if wanted.contains(&key) {
            if out.iter().any(|(k, _)| *k == key) {
                return None;
            }
            out.push((key, value));
        }
        Some(())
    }

    /// The `entry` array: every element an object.
    fn entries(&mut self, wanted: &[&str], out: &mut Vec<Entry<'t>>) -> Option<()> {
        self.open(b'[')?;
        if self.close(b']') {
            return Some(());
        }
        loop {
            out.push(self.entry(wanted)?);
            if !self.next_member(b']')? {
                return Some(());
            }
        }
    }

    /// One entry object (nesting level 3: the Bundle, `entry`, the entry).
    fn entry(&mut self, wanted: &[&str]) -> Option<Entry<'t>> {
        let mut entry = Entry { fields: Vec::new(), resource: None };
        let mut seen_resource = false;
        self.open(b'{')?;
        if self.close(b'}') {
            return Some(entry);
        }
        loop {
            let key = self.key()?;
            if key == "resource" {
                if std::mem::replace(&mut seen_resource, true) {
                    return None;
                }
                self.ws();
                let start = self.i;
                entry.resource = match self.b.get(self.i)? {
                    b'{' => Some(self.resource(start)?),
                    _ => {
                        let (text, depth) = self.value(3)?;
                        let jumps = self.jumps.len()..self.jumps.len();
                        (text != "null").then_some(Resource { text, start, depth, peeked: Peeked::Unknown, jumps })
                    }
                };
            } else {
                self.field(key, wanted, 3, &mut entry.fields)?;
            }
            if !self.next_member(b'}')? {
                return Some(entry);
            }
        }
    }

    /// A resource object starting at `start`: its members checked one by one, reading
    /// `resourceType` and `id` as `bundle::peek` does (stopping once both are read; a
    /// repeated one, or one that is neither a string nor null, gives the empty answer).
    fn resource(&mut self, start: usize) -> Option<Resource<'t>> {
        let first_jump = self.jumps.len();
        self.i += 1;
        let (mut resource_type, mut id) = (None::<Option<&str>>, None::<Option<&str>>);
        let mut peeked = None;
        let mut deepest = 0;
        if !self.close(b'}') {
            loop {
                let (key, escaped) = self.key_escaped()?;
                self.ws();
                let at = self.i;
                // Most members are strings: read here, not by the general scan.
                let depth = if byte(self.b, at) == b'"' {
                    self.i = string_end(self.b, at + 1)?.0;
                    0
                } else {
                    self.value_depth(4)?
                };
                deepest = deepest.max(depth);
                if peeked.is_none() {
                    let value = &self.text[at..self.i];
                    let slot = match key {
                        _ if escaped => {
                            peeked = Some(Peeked::Unknown);
                            None
                        }
                        "resourceType" => Some(&mut resource_type),
                        "id" => Some(&mut id),
                        _ => None,
                    };
                    if let Some(slot) = slot {
                        peeked = match (slot.is_some(), value.as_bytes()) {
                            (true, _) => Some(Peeked::Known("", None)),
                            (false, b"null") => {
                                *slot = Some(None);
                                None
                            }
                            (false, [b'"', inner @ .., b'"']) if !inner.contains(&b'\\') => {
                                *slot = Some(Some(&value[1..value.len() - 1]));
                                None
                            }
                            (false, [b'"', ..]) => Some(Peeked::Unknown),
                            (false, _) => Some(Peeked::Known("", None)),
                        };
                        if let (None, Some(t), Some(i)) = (&peeked, resource_type, id) {
                            peeked = Some(Peeked::Known(t.unwrap_or_default(), i));
                        }
                    }
                }
                if !self.next_member(b'}')? {
                    break;
                }
            }
        }
        let peeked = peeked.unwrap_or_else(|| Peeked::Known(resource_type.flatten().unwrap_or_default(), id.flatten()));
        let jumps = first_jump..self.jumps.len();
        Some(Resource { text: &self.text[start..self.i], start, depth: deepest + 1, peeked, jumps })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax_ok(text: &str) -> bool {
        let wrapped = format!(r#"{{"x": {text}}}"#);
        split(&wrapped, &[], &[]).is_some()
    }

    #[test]
    fn checks_syntax_as_strictly_as_serde_json() {
        let cases = [
            "1",
            "-0",
            "0.5",
            "1e5",
            "1E+5",
            "-1.5e-3",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "0x1",
            "\"a\"",
            "\"\\u00e9\\n\\\"\"",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\ud800\"",
            "\"a\tb\"",
            "\"a\u{1}b\"",
            "true",
            "tru",
            "null",
            "nul",
            "[]",
            "[1,]",
            "[,1]",
            "[1 2]",
            "{}",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1:1}",
            "{\"a\":}",
            "[[[]]]",
            "[{\"a\":[{}]}]",
            "\"é\"",
            "[1]]",
            "{\"a\\u0062\":1}",
        ];
        for case in cases {
            let serde = serde_json::from_str::<serde::de::IgnoredAny>(case).is_ok();
            assert_eq!(syntax_ok(case), serde, "{case}");
        }
        for n in 0..20 {
            let spaces = format!("\n{}\t{}\r\n", " ".repeat(n), " ".repeat(n % 9));
            let text = format!("{{{spaces}\"a\"{spaces}:{spaces}[{spaces}1{spaces},{spaces}{{}}{spaces}]{spaces}}}");
            assert!(split(&text, &[], &[]).is_some(), "{text:?}");
            assert!(split(&format!("{text}{spaces}x"), &[], &[]).is_none());
        }
        assert!(split("{} x", &[], &[]).is_none());
        assert!(split(" {} \n", &[], &[]).is_some());
    }

    #[test]
    fn strings_and_scalars_at_every_offset() {
        for pad in 0..20 {
            let filler = "x".repeat(pad);
            let ok = format!(r#"{{"a": "{filler}\"\\", "b": [12345678901234567890, -1.5e3, true], "c": "é{filler}"}}"#);
            assert!(split(&ok, &[], &[]).is_some(), "{ok}");
            for bad in [
                format!(r#"{{"a": "{filler}\x"}}"#),
                format!("{{\"a\": \"{filler}\u{1}\"}}"),
                format!(r#"{{"a": "{filler}"#),
                format!(r#"{{"a": {filler}1 2}}"#),
                format!(r#"{{"a": "{filler}" 1}}"#),
                format!(r#"{{"a": tru{filler}}}"#),
                format!("{{\"a\": 1{filler}\u{1}}}"),
            ] {
                assert!(split(&bad, &[], &[]).is_none(), "{bad}");
            }
        }
    }

    #[test]
    fn every_cut_of_a_bundle_is_refused() {
        let text = "{\n  \"entry\": [\n    {\n      \"resource\": {\"resourceType\": \"List\", \"id\": \"l\", \"n\": -1.5e3, \
            \"t\": [true, false, null], \"s\": \"a\\\"b\\u00e9\", \"o\": {\"deeper\": [0]}}\n    }\n  ],\n  \"total\": 10\n}";
        assert!(split(text, &["total"], &[]).is_some());
        for cut in 0..text.len() {
            assert!(split(&text[..cut], &["total"], &[]).is_none(), "{:?}", &text[..cut]);
        }
    }

    #[test]
    fn notes_where_each_long_array_and_object_of_a_resource_ends() {
        let inner = r#"{"coding": [{"system": "http://snomed.info/sct", "code": "1", "display": "A \"quoted\" name, long enough for its coding to be longer than the shortest jump"}]}"#;
        let resource = format!(
            r#"{{"resourceType": "Observation", "code": {inner}, "short": [1, {{}}], "deep": [[[{inner}]]], "e": []}}"#
        );
        let text = format!(r#"{{"entry": [{{"resource": {resource}}}, {{"resource": {{"id": "x", "a": {inner}}}}}]}}"#);
        let s = split(&text, &[], &[]).unwrap();
        let mut noted = Vec::new();
        for (n, entry) in s.entries.iter().enumerate() {
            let r = entry.resource.as_ref().unwrap();
            for jump in &s.jumps[r.jumps.clone()] {
                let (start, end) = (jump.start as usize, jump.end as usize);
                assert!(start > r.start && end < r.start + r.text.len(), "inside resource {n}");
                let value: &serde_json::value::RawValue = serde_json::from_str(&text[start..end]).unwrap();
                assert!(value.get().starts_with(['[', '{']));
                assert!(end - start >= SHORTEST_JUMP);
                noted.push(&text[start..end]);
            }
        }
        // In body order, each concept with its coding array and coding: the code (3), the
        // deep arrays (3) and their concept (3), the second resource's concept (3). Nothing
        // short: not `short`, `{}`, `e`.
        assert_eq!(noted.len(), 12, "{noted:?}");
        assert!(noted.windows(2).all(|w| w[0].as_ptr() < w[1].as_ptr()));
        assert_eq!(s.jumps.len(), 12);
    }

    #[test]
    fn measures_depth_and_peeks() {
        let text = r#"{"entry": [{"resource": {"resourceType": "List", "a": [[1]], "id": "l1"}},
            {"resource": {"id": "x", "id": "y"}}, {"resource": {"resourceType": "Pat\u0069ent"}},
            {"resource": null}, {"resource": "text"}, {"fullUrl": "u", "other": [1]}]}"#;
        let s = split(text, &[], &["fullUrl"]).unwrap();
        let r = |n: usize| s.entries[n].resource.as_ref();
        let first = r(0).unwrap();
        assert_eq!((first.depth, &text[first.start..first.start + first.text.len()]), (3, first.text));
        assert!(matches!(first.peeked, Peeked::Known("List", Some("l1"))));
        assert!(matches!(r(1).unwrap().peeked, Peeked::Known("", None)));
        assert!(matches!(r(2).unwrap().peeked, Peeked::Unknown));
        assert!(r(3).is_none());
        assert!(matches!(r(4).unwrap().peeked, Peeked::Unknown));
        assert_eq!(s.entries[5].fields, [("fullUrl", "\"u\"")]);
        for plain_enough_not in [
            r#"{"entry": {}}"#,
            r#"{"entry": [1]}"#,
            r#"{"entry": [], "entry": []}"#,
            r#"{"entry": [{"resource": {}, "resource": {}}]}"#,
            r#"{"\u0065ntry": []}"#,
            r#"[]"#,
        ] {
            assert!(split(plain_enough_not, &[], &[]).is_none(), "{plain_enough_not}");
        }
        let deep = format!(r#"{{"entry": [{{"resource": {}1{}}}]}}"#, "[".repeat(130), "]".repeat(130));
        assert!(split(&deep, &[], &[]).is_none());
    }
}
