//! Source checks for the unsafe code of `bytepool/src` and `bytepool-derive/src`:
//! - every `unsafe impl ... Send for` / `Sync for` bounds each of its type parameters by `Send`
//!   or `Sync` (the syncpool RUSTSEC-2020-0142 family: `unsafe impl<T> Send for Pool<T>` makes
//!   `Rc` or `Cell` contents cross threads);
//! - every `unsafe` block and every `unsafe impl` has a `// SAFETY:` comment in the comment
//!   block directly above it (or on its own line). Clippy's `undocumented_unsafe_blocks`
//!   checks blocks too; this also covers `unsafe impl`, generated code in `quote!`, and
//!   `cfg`-gated code clippy never sees (`cfg(loom)`, optional features).
//!
//! The scanner works on text (comments stripped for the impl check), which suffices for this
//! code base; the self-tests at the bottom show what it accepts and rejects.

use std::fs;
use std::path::{Path, PathBuf};

const ROOTS: [&str; 2] = ["bytepool/src", "bytepool-derive/src"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ROOTS {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() >= 10, "found only {files:?}");
    files
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, text)
        })
        .collect()
}

/// Replaces comments, string literals and character literals with spaces (keeping line
/// breaks), so that only code is left to scan.
fn strip_comments(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let blank = |out: &mut String, bytes: &[u8]| {
        out.extend(bytes.iter().map(|&c| if c == b'\n' { '\n' } else { ' ' }));
    };
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        let prev_ident = i > 0 && is_ident(b[i - 1]);
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            let mut j = 0;
            while j < rest.len() {
                if rest[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &rest[..j]);
            i += j;
        } else if !prev_ident && (rest.starts_with(b"r\"") || rest.starts_with(b"r#")) {
            // A raw string: r"...", r#"..."#, ...
            let hashes = rest[1..].iter().take_while(|&&c| c == b'#').count();
            if rest.get(1 + hashes) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            let body = 2 + hashes;
            let end = rest[body..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(rest.len(), |p| body + p + close.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == b'"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == b'\'' && (rest.get(2) == Some(&b'\'') || rest.get(1) == Some(&b'\\')) {
            // A character literal ('x' or an escape); lifetimes have no closing quote.
            let end = rest[2..]
                .iter()
                .position(|&c| c == b'\'')
                .map_or(rest.len(), |p| p + 3);
            blank(&mut out, &rest[..end]);
            i += end;
        } else {
            // Non-ASCII bytes only occur in comments and strings here; blank any other.
            out.push(if rest[0].is_ascii() {
                rest[0] as char
            } else {
                ' '
            });
            i += 1;
        }
    }
    out
}

/// An `unsafe impl` found in a file.
#[derive(Debug)]
struct UnsafeImpl {
    line: usize,
    /// The header, whitespace collapsed: from `unsafe impl` to the `{` or `;`.
    header: String,
}

fn unsafe_impls(src: &str) -> Vec<UnsafeImpl> {
    let code = strip_comments(src);
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("unsafe impl") {
        let start = from + at;
        from = start + "unsafe impl".len();
        let before_ok = start == 0 || !is_ident(code.as_bytes()[start - 1]);
        let after_ok = code[from..].starts_with(|c: char| c == '<' || c.is_whitespace());
        if !(before_ok && after_ok) {
            continue;
        }
        let end = code[start..]
            .find(['{', ';'])
            .map_or(code.len(), |e| start + e);
        found.push(UnsafeImpl {
            line: code[..start].matches('\n').count() + 1,
            header: code[start..end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        });
    }
    found
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Splits `s` at top-level commas (outside `<>`, `()`, `[]`).
fn split_top(s: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().expect("one part").push(c);
    }
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Whether a bound list mentions `Send` or `Sync` as a trait (a path ending in either).
fn mentions_send_or_sync(bounds: &str) -> bool {
    bounds
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| word == "Send" || word == "Sync")
}

/// For a `Send`/`Sync` impl, the type parameters not bounded by `Send` or `Sync`; `None` when
/// the impl is of another trait.
fn unbounded_params(header: &str) -> Option<Vec<String>> {
    let rest = header.strip_prefix("unsafe impl")?.trim_start();
    let (generics, rest) = match rest.strip_prefix('<') {
        Some(inner) => {
            let mut depth = 1;
            let end = inner
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '<' => depth += 1,
                        '>' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map(|(i, _)| i)?;
            (&inner[..end], &inner[end + 1..])
        }
        None => ("", rest),
    };
    let (trait_path, rest) = rest.split_once(" for ")?;
    let trait_name = trait_path.trim().rsplit("::").next()?.trim();
    if trait_name != "Send" && trait_name != "Sync" {
        return None;
    }
    let where_clause = rest.split_once(" where ").map_or("", |(_, w)| w);
    let where_preds = split_top(where_clause);
    let mut unbounded = Vec::new();
    for param in split_top(generics) {
        if param.starts_with('\'') || param.starts_with("const ") {
            continue; // lifetimes and const generics carry no data of their own
        }
        let (name, inline) = param.split_once(':').unwrap_or((&param, ""));
        let name = name.trim();
        let bounded = mentions_send_or_sync(inline)
            || where_preds.iter().any(|pred| {
                pred.split_once(':')
                    .is_some_and(|(ty, b)| ty.trim() == name && mentions_send_or_sync(b))
            });
        if !bounded {
            unbounded.push(name.to_owned());
        }
    }
    Some(unbounded)
}

/// Lines (1-based) of `unsafe` blocks and `unsafe impl`s without a `// SAFETY:` comment in
/// the comment block directly above (attributes may sit in between) or on the same line.
fn undocumented_unsafe(src: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = src.lines().collect();
    let code_lines: Vec<String> = strip_comments(src).lines().map(str::to_owned).collect();
    let mut missing = Vec::new();
    for (i, code) in code_lines.iter().enumerate() {
        let is_block = code.match_indices("unsafe").any(|(at, _)| {
            let before_ok = at == 0 || !is_ident(code.as_bytes()[at - 1]);
            before_ok && code[at + 6..].trim_start().starts_with('{')
        });
        let is_impl = code.trim_start().starts_with("unsafe impl");
        if !(is_block || is_impl) {
            continue;
        }
        let raw = lines.get(i).copied().unwrap_or("");
        if raw.contains("// SAFETY:") {
            continue;
        }
        let mut documented = false;
        let mut j = i;
        while j > 0 {
            j -= 1;
            let above = lines[j].trim_start();
            if above.starts_with("// SAFETY:") {
                documented = true;
                break;
            }
            // Keep climbing through the rest of the comment block and any attributes; stop at
            // code, blank lines and doc comments (which document an item, not a proof).
            let comment = above.starts_with("//") && !above.starts_with("///");
            let attribute = above.starts_with("#[");
            if !(comment || attribute) {
                break;
            }
        }
        if !documented {
            missing.push((i + 1, raw.trim().to_owned()));
        }
    }
    missing
}

#[test]
#[cfg_attr(miri, ignore)] // reads source files, which Miri's isolation forbids
fn smoke() {
    let files = sources();
    assert!(files.iter().any(|(p, _)| p.ends_with("raw.rs")));
    let impls: Vec<_> = files.iter().flat_map(|(_, s)| unsafe_impls(s)).collect();
    assert!(
        impls.iter().any(|i| i.header.contains("Send for RawArc")),
        "the scanner no longer finds RawArc's impls: {impls:?}"
    );
}

#[test]
#[cfg_attr(miri, ignore)] // reads source files, which Miri's isolation forbids
fn every_unsafe_send_sync_impl_bounds_its_type_parameters() {
    let mut failures = Vec::new();
    for (path, src) in sources() {
        for imp in unsafe_impls(&src) {
            match unbounded_params(&imp.header) {
                Some(params) if !params.is_empty() => failures.push(format!(
                    "{}:{}: `{}` does not bound {:?} by `Send`/`Sync`",
                    path.display(),
                    imp.line,
                    imp.header,
                    params
                )),
                _ => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "unbounded unsafe impls:\n{}",
        failures.join("\n")
    );
}

#[test]
#[cfg_attr(miri, ignore)] // reads source files, which Miri's isolation forbids
fn every_unsafe_block_and_impl_has_a_safety_comment() {
    let mut failures = Vec::new();
    for (path, src) in sources() {
        for (line, text) in undocumented_unsafe(&src) {
            failures.push(format!("{}:{line}: {text}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "`unsafe` without `// SAFETY:` above:\n{}",
        failures.join("\n")
    );
}

#[test]
#[cfg_attr(miri, ignore)] // reads source files, which Miri's isolation forbids
fn unsafe_code_is_denied_crate_wide() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let runtime = fs::read_to_string(root.join("bytepool/src/lib.rs")).expect("lib.rs");
    assert!(
        runtime.contains("#![deny(unsafe_code)]") || runtime.contains("#![forbid(unsafe_code)]")
    );
    let derive = fs::read_to_string(root.join("bytepool-derive/src/lib.rs")).expect("lib.rs");
    assert!(derive.contains("#![forbid(unsafe_code)]"));
}

// The scanner's own tests: what it flags and what it accepts.

#[test]
fn scanner_flags_unbounded_impls() {
    let flagged = [
        ("unsafe impl<T> Send for Pool<T> {}", vec!["T"]),
        ("unsafe impl<T: Clone> Sync for Pool<T> {}", vec!["T"]),
        ("unsafe impl<T: ?Sized> Send for Pool<T> {}", vec!["T"]),
        (
            "unsafe impl<'a, T, U: Send> Send for Pair<'a, T, U> {}",
            vec!["T"],
        ),
        (
            "unsafe impl<T> core::marker::Sync for Pool<T> where T: Clone {}",
            vec!["T"],
        ),
    ];
    for (src, expected) in flagged {
        let imps = unsafe_impls(src);
        assert_eq!(imps.len(), 1, "{src}");
        assert_eq!(
            unbounded_params(&imps[0].header),
            Some(expected.iter().map(|s| s.to_string()).collect()),
            "{src}"
        );
    }
    let accepted = [
        "unsafe impl<P: Payload + Send + Sync> Send for RawArc<P> {}",
        "unsafe impl<T> Sync for Pool<T> where T: Send + Sync {}",
        "unsafe impl Send for Concrete {}",
        "unsafe impl<T: std::marker::Send> Send for Pool<T> {}",
        "unsafe impl<'a, const N: usize> Sync for Ring<'a, N> {}",
    ];
    for src in accepted {
        let imps = unsafe_impls(src);
        assert_eq!(unbounded_params(&imps[0].header), Some(vec![]), "{src}");
    }
    // Other traits are not this check's business; comments and strings are not code.
    assert_eq!(unbounded_params("unsafe impl<T> BufMut for Buf<T>"), None);
    assert!(unsafe_impls(
        "// unsafe impl<T> Send for X<T> {}\n/* unsafe impl<T> Send for Y<T> {} */"
    )
    .is_empty());
}

#[test]
fn scanner_requires_safety_comments_directly_above() {
    // The fixtures are data files, so the project's own scan of `.rs` sources does not read
    // their deliberately undocumented blocks as ours.
    let documented = include_str!("data/unsafe-documented.txt");
    assert_eq!(
        undocumented_unsafe(documented),
        Vec::<(usize, String)>::new()
    );
    let undocumented = include_str!("data/unsafe-undocumented.txt");
    let missing: Vec<usize> = undocumented_unsafe(undocumented)
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    assert_eq!(missing, [3, 6]);
}
