//! No module import circle in any crate of the workspace (issue 19).
//!
//! Granularity: **sibling modules within one directory**. For every module `P` of a crate
//! (the crate root, `fhir`, `view`, `provider`, ...), its child modules form a graph: an
//! edge `a -> b` means some file of `P::a` (or of a module below it) names `P::b` or
//! something inside it, through `use crate::...`, `use super::...`, `use self::...`, a
//! relative `use b::...` from `P`'s own file, or an inline path (`crate::b::f()`,
//! `super::b::T`, `$crate::b::...`). A name re-exported by `P` (`pub use b::Thing;` in
//! `lib.rs` or `mod.rs`) counts as naming `b`, so `crate::Error` is an edge to `error`. A
//! child naming its parent, or the parent naming its children, is not an edge: only
//! siblings can form a circle. Any strongly connected set of two or more siblings fails
//! the test, printed with one example line for each edge.
//!
//! Test modules (a module named `tests`, inline or a file) are left out: they are not part
//! of the layering. Glob imports (`use super::*`) are not followed.
//!
//! [`KNOWN`] lists the back edges of circles that are known and owned by work under way;
//! they are left out of the graph, and an entry that no longer matches an edge fails the
//! test (delete it), so the list only shrinks.
//!
//! It reads the source text (comments and string literals removed); it does not expand
//! macros or follow `#[path]`. Run it alone with:
//!
//! ```text
//! cargo test --test module_cycles
//! MODULE_GRAPH=1 cargo test --test module_cycles -- --nocapture   # every edge, per directory
//! ```
//!
//! It also checks the layout of the test files ([`every_test_file_is_part_of_a_test_binary`]):
//! with one test binary per folder, a file its folder's `main.rs` does not declare would
//! never be built nor run.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Back edges of known circles: (crate folder, directory module (`""` for the crate
/// root), from, to, why it is still there). Each is removed from the graph; each must
/// still exist.
const KNOWN: &[(&str, &str, &str, &str, &str)] = &[];

/// One source file: its module path in its crate and its text.
struct Source {
    file: String,
    module: Vec<String>,
    text: String,
}

/// A token of Rust source, as little as the check needs.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Open,
    Close,
    Semi,
    Comma,
    Star,
    Other,
}

/// Tokens with their line numbers; comments, string and char literals dropped.
fn tokenize(text: &str) -> Vec<(Tok, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if b[i] == b'\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            b'"' => i = skip_string(b, i + 1, &mut line, 0),
            b'r' if b.get(i + 1) == Some(&b'"') || (b.get(i + 1) == Some(&b'#') && is_raw_start(b, i + 1)) => {
                let mut hashes = 0;
                let mut j = i + 1;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                i = skip_string(b, j + 1, &mut line, hashes);
            }
            b'b' if b.get(i + 1) == Some(&b'"') => i = skip_string(b, i + 2, &mut line, 0),
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
                if b.get(i + 1) == Some(&b'\\') {
                    let mut j = i + 2;
                    while j < b.len() && b[j] != b'\'' {
                        j += 1;
                    }
                    i = j + 1;
                } else if let Some(len) =
                    std::str::from_utf8(&b[i + 1..]).ok().and_then(|s| s.chars().next()).map(char::len_utf8)
                {
                    if b.get(i + 1 + len) == Some(&b'\'') {
                        i += len + 2;
                    } else {
                        i += 1;
                    }
                } else {
                    i += 1;
                }
            }
            b'$' if text[i + 1..].starts_with("crate") => {
                out.push((Tok::Ident("crate".into()), line));
                i += 6;
            }
            _ if c == b'_' || c.is_ascii_alphabetic() => {
                let start = i;
                while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                let word = &text[start..i];
                let word = word.strip_prefix("r#").unwrap_or(word);
                out.push((Tok::Ident(word.to_string()), line));
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                out.push((Tok::PathSep, line));
                i += 2;
            }
            b'{' => {
                out.push((Tok::Open, line));
                i += 1;
            }
            b'}' => {
                out.push((Tok::Close, line));
                i += 1;
            }
            b';' => {
                out.push((Tok::Semi, line));
                i += 1;
            }
            b',' => {
                out.push((Tok::Comma, line));
                i += 1;
            }
            b'*' => {
                out.push((Tok::Star, line));
                i += 1;
            }
            _ if c.is_ascii_whitespace() => i += 1,
            _ => {
                out.push((Tok::Other, line));
                i += 1;
            }
        }
    }
    out
}

fn is_raw_start(b: &[u8], mut j: usize) -> bool {
    while b.get(j) == Some(&b'#') {
        j += 1;
    }
    b.get(j) == Some(&b'"')
}

/// Skips a string literal starting after its opening quote; returns the index after it.
fn skip_string(b: &[u8], mut i: usize, line: &mut usize, hashes: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' if hashes == 0 => i += 2,
            b'"' if b[i + 1..].iter().take(hashes).filter(|&&h| h == b'#').count() == hashes => return i + 1 + hashes,
            c => {
                if c == b'\n' {
                    *line += 1;
                }
                i += 1;
            }
        }
    }
    i
}

/// A path named in the source: its segments as written and its line.
struct Named {
    segments: Vec<String>,
    line: usize,
    /// The inline module it was written in, below the file's module.
    inline: Vec<String>,
    /// Written in a `use` (relative first segments resolve against the module).
    in_use: bool,
}

/// Every path a file names: expanded `use` trees and inline `a::b::c` paths.
fn named_paths(tokens: &[(Tok, usize)]) -> Vec<Named> {
    let mut out = Vec::new();
    let mut inline: Vec<(String, usize)> = Vec::new(); // (name, brace depth at its `{`)
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let (tok, line) = &tokens[i];
        match tok {
            Tok::Open => {
                if i >= 2 {
                    if let (Tok::Ident(m), Tok::Ident(name)) = (&tokens[i - 2].0, &tokens[i - 1].0) {
                        if m == "mod" {
                            inline.push((name.clone(), depth));
                        }
                    }
                }
                depth += 1;
                i += 1;
            }
            Tok::Close => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                i += 1;
            }
            Tok::Ident(word) if word == "use" => {
                let end = tokens[i..].iter().position(|(t, _)| *t == Tok::Semi).map_or(tokens.len(), |p| i + p);
                let mut paths = Vec::new();
                expand_use(&tokens[i + 1..end], &[], &mut paths);
                let here: Vec<String> = inline.iter().map(|(n, _)| n.clone()).collect();
                for segments in paths {
                    out.push(Named { segments, line: *line, inline: here.clone(), in_use: true });
                }
                i = end + 1;
            }
            Tok::Ident(first) if tokens.get(i + 1).map(|t| &t.0) == Some(&Tok::PathSep) => {
                let preceded_by_sep = i > 0 && tokens[i - 1].0 == Tok::PathSep;
                let mut segments = vec![first.clone()];
                let mut j = i + 1;
                while tokens.get(j).map(|t| &t.0) == Some(&Tok::PathSep) {
                    match tokens.get(j + 1).map(|t| &t.0) {
                        Some(Tok::Ident(s)) => {
                            segments.push(s.clone());
                            j += 2;
                        }
                        _ => break,
                    }
                }
                if !preceded_by_sep {
                    let here = inline.iter().map(|(n, _)| n.clone()).collect();
                    out.push(Named { segments, line: *line, inline: here, in_use: false });
                }
                i = j.max(i + 1);
            }
            _ => i += 1,
        }
    }
    out
}

/// Expands a use tree (`a::{b, c::d as e, f::*}`) into its paths (the `as` dropped).
fn expand_use(tokens: &[(Tok, usize)], prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut i = 0;
    let mut current = prefix.to_vec();
    let mut pushed_any = false;
    while i < tokens.len() {
        match &tokens[i].0 {
            Tok::Ident(s) if s == "as" => i += 2,
            Tok::Ident(s) => {
                current.push(s.clone());
                pushed_any = true;
                i += 1;
            }
            Tok::PathSep => i += 1,
            Tok::Star => {
                current.push("*".into());
                pushed_any = true;
                i += 1;
            }
            Tok::Open => {
                let mut depth = 0;
                let mut j = i;
                while j < tokens.len() {
                    match tokens[j].0 {
                        Tok::Open => depth += 1,
                        Tok::Close => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                // Split the inside at top-level commas.
                let inside = &tokens[i + 1..j.min(tokens.len())];
                let mut start = 0;
                let mut d = 0;
                for (k, (t, _)) in inside.iter().enumerate() {
                    match t {
                        Tok::Open => d += 1,
                        Tok::Close => d -= 1,
                        Tok::Comma if d == 0 => {
                            expand_use(&inside[start..k], &current, out);
                            start = k + 1;
                        }
                        _ => {}
                    }
                }
                expand_use(&inside[start..], &current, out);
                pushed_any = false;
                current = prefix.to_vec();
                i = j + 1;
            }
            Tok::Comma => {
                if pushed_any {
                    out.push(std::mem::replace(&mut current, prefix.to_vec()));
                }
                pushed_any = false;
                i += 1;
            }
            _ => i += 1,
        }
    }
    if pushed_any {
        out.push(current);
    }
}

/// The crate's module tree: which modules exist, and what each module re-exports from
/// which child (`pub use child::Name` makes `module::Name` point into `child`).
struct Tree {
    modules: BTreeSet<Vec<String>>,
    reexports: BTreeMap<(Vec<String>, String), String>,
}

impl Tree {
    fn is_module(&self, path: &[String]) -> bool {
        self.modules.contains(path)
    }

    /// The child of `parent` that `name` (named as `parent::name`) lives in, if any.
    fn child_for(&self, parent: &[String], name: &str) -> Option<String> {
        let mut path = parent.to_vec();
        path.push(name.to_string());
        if self.is_module(&path) {
            return Some(name.to_string());
        }
        self.reexports.get(&(parent.to_vec(), name.to_string())).cloned()
    }
}

/// Resolves a named path to an absolute module path, or `None` for another crate's path.
fn resolve(tree: &Tree, module: &[String], named: &Named) -> Option<Vec<String>> {
    let mut here = module.to_vec();
    here.extend(named.inline.iter().cloned());
    let segs = &named.segments;
    let first = segs.first()?;
    let mut abs = match first.as_str() {
        "crate" => Vec::new(),
        "self" => here.clone(),
        "super" => {
            let mut base = here.clone();
            let mut k = 0;
            while segs.get(k).map(String::as_str) == Some("super") {
                base.pop();
                k += 1;
            }
            base.extend(segs[k..].iter().cloned());
            return Some(base);
        }
        _ => {
            // A relative path: only when its first segment is a child module of here.
            let mut child = here.clone();
            child.push(first.clone());
            if tree.is_module(&child) {
                here.clone()
            } else {
                return None;
            }
        }
    };
    let skip = usize::from(matches!(first.as_str(), "crate" | "self"));
    abs.extend(segs[skip..].iter().cloned());
    Some(abs)
}

/// The sibling edge `(parent, from_child, to_child)` a reference makes, if it makes one.
fn edge(tree: &Tree, from: &[String], to: &[String]) -> Option<(Vec<String>, String, String)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    let from_child = from.get(common)?;
    let name = to.get(common)?;
    if name == "*" {
        return None;
    }
    let parent = &from[..common];
    let to_child = tree.child_for(parent, name)?;
    (to_child != *from_child).then(|| (parent.to_vec(), from_child.clone(), to_child))
}

/// The module path of a file under `src/`.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "lib" | "main" | "mod") || !parts.is_empty() && stem != "mod" {
        parts.push(stem.to_string());
    }
    parts
}

/// Every circle among sibling modules, one line each with an example of every edge.
fn circles(sources: &[Source], known: &[(&str, &str, &str)], stale: &mut Vec<String>) -> Vec<String> {
    let mut tree = Tree { modules: BTreeSet::new(), reexports: BTreeMap::new() };
    let mut parsed = Vec::new();
    let is_test = |m: &[String]| m.iter().any(|s| s == "tests");
    for source in sources.iter().filter(|s| !is_test(&s.module)) {
        tree.modules.insert(source.module.clone());
        let tokens = tokenize(&source.text);
        let named = named_paths(&tokens);
        // Inline modules (`mod tests { .. }`) are modules too.
        for n in &named {
            for k in 1..=n.inline.len() {
                let mut m = source.module.clone();
                m.extend(n.inline[..k].iter().cloned());
                tree.modules.insert(m);
            }
        }
        for w in tokens.windows(3) {
            if let (Tok::Ident(m), Tok::Ident(name), Tok::Semi) = (&w[0].0, &w[1].0, &w[2].0) {
                if m == "mod" {
                    let mut path = source.module.clone();
                    path.push(name.clone());
                    tree.modules.insert(path);
                }
            }
        }
        parsed.push((source, named));
    }
    // Re-exports: a `use child::...::Name` in a module's own file (not an inline module).
    for (source, named) in &parsed {
        for n in named.iter().filter(|n| n.in_use && n.inline.is_empty()) {
            let Some(abs) = resolve(&tree, &source.module, n) else { continue };
            let m = &source.module;
            if abs.len() > m.len() + 1 && abs.starts_with(m) {
                let child = abs[m.len()].clone();
                let name = abs.last().cloned().unwrap_or_default();
                if name != "*" && name != "self" {
                    tree.reexports.entry((m.clone(), name)).or_insert(child);
                }
            }
        }
    }
    // Edges, each with its first example.
    let mut edges: BTreeMap<Vec<String>, BTreeMap<(String, String), String>> = BTreeMap::new();
    for (source, named) in &parsed {
        for n in named {
            let Some(abs) = resolve(&tree, &source.module, n) else { continue };
            let mut from = source.module.clone();
            from.extend(n.inline.iter().cloned());
            if is_test(&from) {
                continue;
            }
            if let Some((parent, a, b)) = edge(&tree, &from, &abs) {
                let example = format!("{}:{} names {}", source.file, n.line, n.segments.join("::"));
                edges.entry(parent).or_default().entry((a, b)).or_insert(example);
            }
        }
    }
    for &(scope, a, b) in known {
        let parent: Vec<String> = scope.split("::").filter(|s| !s.is_empty()).map(String::from).collect();
        let removed = edges.get_mut(&parent).and_then(|g| g.remove(&(a.to_string(), b.to_string())));
        if removed.is_none() {
            stale.push(format!("{scope}: {a} -> {b}"));
        }
    }
    if std::env::var_os("MODULE_GRAPH").is_some() {
        for (parent, graph) in &edges {
            let scope = if parent.is_empty() { "crate root".to_string() } else { parent.join("::") };
            let mut by_from: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for (a, b) in graph.keys() {
                by_from.entry(a).or_default().push(b);
            }
            for (a, bs) in by_from {
                println!("{}: {scope}: {a} -> {}", sources[0].file.split('/').next().unwrap_or(""), bs.join(", "));
            }
        }
    }
    let mut found = Vec::new();
    for (parent, graph) in &edges {
        for scc in strongly_connected(graph) {
            let scope = if parent.is_empty() { "crate root".to_string() } else { parent.join("::") };
            let mut lines = vec![format!("circle in {scope}: {}", scc.iter().cloned().collect::<Vec<_>>().join(", "))];
            for ((a, b), example) in graph {
                if scc.contains(a) && scc.contains(b) {
                    lines.push(format!("    {a} -> {b}  ({example})"));
                }
            }
            found.push(lines.join("\n"));
        }
    }
    found
}

/// Strongly connected sets of two or more nodes (Tarjan).
fn strongly_connected(graph: &BTreeMap<(String, String), String>) -> Vec<BTreeSet<String>> {
    let mut nodes = BTreeSet::new();
    let mut adjacent: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in graph.keys() {
        nodes.insert(a.as_str());
        nodes.insert(b.as_str());
        adjacent.entry(a).or_default().push(b);
    }
    struct State<'a> {
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(v: &'a str, adjacent: &BTreeMap<&'a str, Vec<&'a str>>, s: &mut State<'a>) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for &w in adjacent.get(v).map(Vec::as_slice).unwrap_or_default() {
            if !s.index.contains_key(w) {
                visit(w, adjacent, s);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut set = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                set.insert(w.to_string());
                if w == v {
                    break;
                }
            }
            if set.len() > 1 {
                s.out.push(set);
            }
        }
    }
    let mut state = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in nodes {
        if !state.index.contains_key(v) {
            visit(v, &adjacent, &mut state);
        }
    }
    state.out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The sources of one crate (`<dir>/src/**/*.rs`, `src/bin` left out).
fn crate_sources(root: &Path, dir: &Path) -> Vec<Source> {
    let src = dir.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|f| !f.strip_prefix(&src).is_ok_and(|r| r.starts_with("bin")))
        .map(|f| Source {
            module: module_of(f.strip_prefix(&src).unwrap_or(&f)),
            file: f.strip_prefix(root).unwrap_or(&f).display().to_string(),
            text: fs::read_to_string(&f).unwrap_or_default(),
        })
        .collect()
}

/// The root crate's folder, then every member crate's folder.
fn workspace_crates(root: &Path) -> Vec<PathBuf> {
    let mut crates = vec![root.to_path_buf()];
    let mut dirs: Vec<PathBuf> = fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file() && p.join("src").is_dir())
        .collect();
    dirs.sort();
    crates.extend(dirs);
    assert!(crates.len() > 5, "the workspace's crates were not found: {crates:?}");
    crates
}

#[test]
fn no_crate_has_a_module_import_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crates = workspace_crates(root);
    let mut report = Vec::new();
    let mut stale = Vec::new();
    for dir in &crates {
        let sources = crate_sources(root, dir);
        assert!(!sources.is_empty(), "no sources in {}", dir.display());
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let name = if dir == root { String::new() } else { name };
        let known: Vec<_> = KNOWN.iter().filter(|k| k.0 == name).map(|k| (k.1, k.2, k.3)).collect();
        let mut gone = Vec::new();
        report.extend(circles(&sources, &known, &mut gone).into_iter().map(|c| format!("{name}: {c}")));
        stale.extend(gone.into_iter().map(|g| format!("{name}: {g}")));
    }
    assert!(report.is_empty(), "module import circles:\n{}", report.join("\n"));
    assert!(stale.is_empty(), "entries of KNOWN that no longer match an edge (delete them):\n{}", stale.join("\n"));
}

fn source(file: &str, text: &str) -> Source {
    Source { file: file.into(), module: module_of(Path::new(file)), text: text.into() }
}

/// The check itself finds circles, through every way of naming a module.
#[test]
fn the_check_finds_circles() {
    let direct = [
        source("lib.rs", "mod a; mod b; pub use b::Thing;"),
        source("a.rs", "use crate::Thing; // crate::b::nothing\n"),
        source("b.rs", "fn f() { let s = \"crate::a\"; super::a::g(); }"),
    ];
    let found = circles(&direct, &[], &mut Vec::new());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("circle in crate root: a, b"), "{}", found[0]);
    assert!(found[0].contains("a -> b  (a.rs:1 names crate::Thing)"), "{}", found[0]);
    assert!(found[0].contains("b -> a  (b.rs:1 names super::a::g)"), "{}", found[0]);

    let nested = [
        source("lib.rs", "mod view;"),
        source("view/mod.rs", "mod build; mod x;"),
        source("view/build.rs", "use super::{x::{self, Y as Z}, other};"),
        source("view/x/mod.rs", "mod inner;"),
        source("view/x/inner.rs", "use crate::view::build::memo;"),
    ];
    let found = circles(&nested, &[], &mut Vec::new());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("circle in view: build, x"), "{}", found[0]);

    let clean = [
        source("lib.rs", "mod a; mod b; pub use a::A;"),
        source("a.rs", "pub struct A; #[cfg(test)] mod tests { use super::*; use crate::A; }"),
        source("b.rs", "use crate::A; fn f() -> char { '\"' }"),
    ];
    assert!(circles(&clean, &[], &mut Vec::new()).is_empty(), "{:?}", circles(&clean, &[], &mut Vec::new()));

    // A known back edge is left out; one that is not there is reported stale.
    let mut stale = Vec::new();
    assert!(circles(&direct, &[("", "b", "a")], &mut stale).is_empty());
    assert!(stale.is_empty(), "{stale:?}");
    circles(&clean, &[("", "a", "b")], &mut stale);
    assert_eq!(stale, [": a -> b"]);
}

/// Every `.rs` file under a crate's `tests/` is built into a test binary: a file of
/// `tests/` itself (cargo finds it), a file named by `path = "tests/..."` in the crate's
/// `Cargo.toml`, a folder's `main.rs`, a module that `main.rs` declares (`mod name;`, for
/// `name.rs` or `name/mod.rs`), or a shared helper some test file includes through
/// `#[path = ".../support/name.rs"]`.
#[test]
fn every_test_file_is_part_of_a_test_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut orphans = Vec::new();
    let mut checked = 0;
    for dir in workspace_crates(root) {
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(!manifest.contains("autotests = false"), "{}: cargo finds tests/*.rs", dir.display());
        let tests = dir.join("tests");
        let mut files = Vec::new();
        rust_files(&tests, &mut files);
        let texts: Vec<String> = files.iter().map(|f| fs::read_to_string(f).unwrap_or_default()).collect();
        for file in &files {
            checked += 1;
            let relative = file.strip_prefix(&tests).unwrap();
            let parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            let slashed = parts.join("/");
            let declared_in_main = |name: &str| {
                let main = fs::read_to_string(tests.join(&parts[0]).join("main.rs")).unwrap_or_default();
                main.lines().any(|l| l.trim() == format!("mod {name};") || l.trim() == format!("pub mod {name};"))
            };
            let built = match parts.as_slice() {
                [_] => true,
                [_, main] if main == "main.rs" => true,
                [_, module] => declared_in_main(module.trim_end_matches(".rs")),
                [_, module, file] if file == "mod.rs" => declared_in_main(module),
                _ => false,
            } || manifest.contains(&format!("path = \"tests/{slashed}\""))
                || texts.iter().any(|t| t.contains(&format!("{slashed}\"]")));
            if !built {
                orphans.push(file.strip_prefix(root).unwrap_or(file).display().to_string());
            }
        }
    }
    assert!(checked > 50, "the test files were not found: {checked}");
    assert!(
        orphans.is_empty(),
        "test files no test binary builds (declare each as a `mod` of its folder's main.rs): {orphans:?}"
    );
}
