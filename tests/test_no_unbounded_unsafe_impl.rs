//! Source checks for the unsafe code of `bytepool/src` and `bytepool-derive/src`:
//! - every `unsafe impl ... Send for` / `Sync for` bounds each of its type parameters by `Send`
//!   or `Sync` (the syncpool RUSTSEC-2020-0142 family: `unsafe impl<T> Send for Pool<T>` makes
//!   `Rc` or `Cell` contents cross threads);
//! - every `unsafe` block and every `unsafe impl` has a `// SAFETY:` comment in the comment
//!   block directly above it (or on its own line). Clippy's `undocumented_unsafe_blocks`
//!   checks blocks too; this also covers `unsafe impl`, generated code in `quote!`, and
//!   `cfg`-gated code clippy never sees (`cfg(loom)`, optional features).
//!
//! Each file is parsed with `syn` and every item is visited, whatever its `cfg`: the bounds come
//! from the generics and the where-clause, and the unsafe sites from the syntax tree. Macro
//! bodies (`quote!`, `macro_rules!`) are token streams, so they are scanned for the `unsafe`
//! keyword. Comments are not in the tree: the SAFETY check reads the source lines above each
//! site's line, as `syn`'s spans give it. The self-tests at the bottom show what the checker
//! accepts and rejects.

use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::visit::{self, Visit};

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

/// An `unsafe impl` found in a file.
#[derive(Debug)]
struct UnsafeImpl {
    line: usize,
    /// The header, whitespace collapsed: from `unsafe impl` to the `{`.
    header: String,
    /// For a `Send`/`Sync` impl, the type parameters not bounded by `Send` or `Sync`; `None`
    /// when the impl is of another trait.
    unbounded: Option<Vec<String>>,
}

/// Everything the checks need from one file.
#[derive(Debug, Default)]
struct Scan {
    impls: Vec<UnsafeImpl>,
    /// The lines (1-based) where an `unsafe` keyword opens a block or an impl.
    sites: Vec<usize>,
}

/// Parses `src` as a file and collects its unsafe impls and unsafe sites.
fn scan(src: &str) -> syn::Result<Scan> {
    let file = syn::parse_file(src)?;
    let mut visitor = Visitor {
        src,
        scan: Scan::default(),
    };
    visitor.visit_file(&file);
    Ok(visitor.scan)
}

/// [`scan`], panicking with the parse error's position.
fn scan_or_panic(src: &str, name: &str) -> Scan {
    scan(src).unwrap_or_else(|e| {
        let at = e.span().start();
        panic!("{name}:{}:{}: does not parse: {e}", at.line, at.column + 1)
    })
}

struct Visitor<'a> {
    src: &'a str,
    scan: Scan,
}

impl<'ast> Visit<'ast> for Visitor<'_> {
    fn visit_item_impl(&mut self, imp: &'ast syn::ItemImpl) {
        if let Some(unsafe_token) = &imp.unsafety {
            self.push_impl(unsafe_token.span, imp);
        }
        visit::visit_item_impl(self, imp);
    }

    fn visit_expr_unsafe(&mut self, block: &'ast syn::ExprUnsafe) {
        self.push_site(block.unsafe_token.span);
        visit::visit_expr_unsafe(self, block);
    }

    /// Macro bodies are not parsed: every `unsafe` followed by a `{ ... }` group or by `impl`
    /// counts, and an impl whose tokens parse on their own (no `#var` or `$var`) has its bounds
    /// checked too.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.scan_tokens(mac.tokens.clone());
        visit::visit_macro(self, mac);
    }
}

impl Visitor<'_> {
    fn push_site(&mut self, unsafe_span: Span) {
        self.scan.sites.push(unsafe_span.start().line);
    }

    fn push_impl(&mut self, unsafe_span: Span, imp: &syn::ItemImpl) {
        self.push_site(unsafe_span);
        let header = self
            .src
            .get(unsafe_span.byte_range().start..imp.brace_token.span.open().byte_range().start)
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        self.scan.impls.push(UnsafeImpl {
            line: unsafe_span.start().line,
            header,
            unbounded: unbounded_params(imp),
        });
    }

    fn scan_tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Group(group) => self.scan_tokens(group.stream()),
                TokenTree::Ident(ident) if ident == "unsafe" => match tokens.get(i + 1) {
                    Some(next) if is_brace_group(next) => self.push_site(ident.span()),
                    Some(TokenTree::Ident(next)) if next == "impl" => {
                        // The impl runs to its body, the first brace group after `impl`.
                        let end = tokens[i + 2..]
                            .iter()
                            .position(is_brace_group)
                            .map_or(tokens.len(), |p| i + 2 + p + 1);
                        let item: TokenStream = tokens[i..end].iter().cloned().collect();
                        match syn::parse2::<syn::ItemImpl>(item) {
                            Ok(imp) => self.push_impl(ident.span(), &imp),
                            Err(_) => self.push_site(ident.span()),
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
}

fn is_brace_group(token: &TokenTree) -> bool {
    matches!(token, TokenTree::Group(g) if g.delimiter() == Delimiter::Brace)
}

/// For a `Send`/`Sync` impl, the type parameters not bounded by `Send` or `Sync` (inline or in
/// the where-clause); `None` when the impl is of another trait or of none.
fn unbounded_params(imp: &syn::ItemImpl) -> Option<Vec<String>> {
    let (_, trait_path, _) = imp.trait_.as_ref()?;
    if !is_send_or_sync(trait_path) {
        return None;
    }
    let where_bounded = |name: &syn::Ident| {
        imp.generics.where_clause.iter().any(|w| {
            w.predicates.iter().any(|pred| match pred {
                syn::WherePredicate::Type(p) => {
                    let is_param = matches!(&p.bounded_ty, syn::Type::Path(t)
                        if t.qself.is_none() && t.path.is_ident(name));
                    is_param && bounds_send_or_sync(&p.bounds)
                }
                _ => false,
            })
        })
    };
    // Lifetimes and const generics carry no data of their own.
    let unbounded = imp
        .generics
        .type_params()
        .filter(|p| !bounds_send_or_sync(&p.bounds) && !where_bounded(&p.ident))
        .map(|p| p.ident.to_string())
        .collect();
    Some(unbounded)
}

/// Whether a path names `Send` or `Sync` (`Send`, `core::marker::Send`, ...).
fn is_send_or_sync(path: &syn::Path) -> bool {
    path.segments
        .last()
        .is_some_and(|s| s.ident == "Send" || s.ident == "Sync")
}

fn bounds_send_or_sync<'a>(bounds: impl IntoIterator<Item = &'a syn::TypeParamBound>) -> bool {
    bounds.into_iter().any(|b| match b {
        syn::TypeParamBound::Trait(t) => {
            matches!(t.modifier, syn::TraitBoundModifier::None) && is_send_or_sync(&t.path)
        }
        _ => false,
    })
}

/// Lines (1-based) of `unsafe` blocks and `unsafe impl`s without a `// SAFETY:` comment in
/// the comment block directly above (attributes may sit in between) or on the same line.
fn undocumented_unsafe(src: &str, scan: &Scan) -> Vec<(usize, String)> {
    let lines: Vec<&str> = src.lines().collect();
    let mut missing: Vec<(usize, String)> = Vec::new();
    for &line in &scan.sites {
        let i = line - 1;
        let raw = lines.get(i).copied().unwrap_or("");
        if raw.contains("// SAFETY:") || missing.iter().any(|(l, _)| *l == line) {
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
            missing.push((line, raw.trim().to_owned()));
        }
    }
    missing.sort();
    missing
}

#[test]
#[cfg_attr(miri, ignore)] // reads source files, which Miri's isolation forbids
fn smoke() {
    let files = sources();
    assert!(files.iter().any(|(p, _)| p.ends_with("raw/mod.rs")));
    let impls: Vec<_> = files
        .iter()
        .flat_map(|(p, s)| scan_or_panic(s, &p.display().to_string()).impls)
        .collect();
    assert!(
        impls.iter().any(|i| i.header.contains("Send for RawArc")),
        "the checker no longer finds RawArc's impls: {impls:?}"
    );
}

#[test]
#[cfg_attr(miri, ignore)] // reads source files, which Miri's isolation forbids
fn every_unsafe_send_sync_impl_bounds_its_type_parameters() {
    let mut failures = Vec::new();
    for (path, src) in sources() {
        for imp in scan_or_panic(&src, &path.display().to_string()).impls {
            match imp.unbounded {
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
        let scan = scan_or_panic(&src, &path.display().to_string());
        for (line, text) in undocumented_unsafe(&src, &scan) {
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

// The checker's own tests: what it flags and what it accepts.

/// The unbounded parameters of each unsafe impl in `src`.
fn unbounded(src: &str) -> Vec<Option<Vec<String>>> {
    scan_or_panic(src, "fixture")
        .impls
        .into_iter()
        .map(|i| i.unbounded)
        .collect()
}

/// Lines of undocumented unsafe sites in `body`, statements checked as a function body (the
/// wrapper's first line is taken off, so the lines are `body`'s own).
fn undocumented_statements(body: &str) -> Vec<usize> {
    let src = format!("fn fixture() {{\n{body}\n}}\n");
    let scan = scan_or_panic(&src, "fixture");
    undocumented_unsafe(&src, &scan)
        .into_iter()
        .map(|(l, _)| l - 1)
        .collect()
}

#[test]
fn checker_flags_unbounded_impls() {
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
        // `syn` sees items behind any `cfg`, and impls in macro bodies that parse alone.
        (
            "#[cfg(loom)] mod m { unsafe impl<T> Send for X<T> {} }",
            vec!["T"],
        ),
        (
            "macro_rules! m { () => { unsafe impl<T> Sync for X<T> {} }; }",
            vec!["T"],
        ),
    ];
    for (src, expected) in flagged {
        assert_eq!(
            unbounded(src),
            [Some(expected.iter().map(|s| s.to_string()).collect())],
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
        assert_eq!(unbounded(src), [Some(vec![])], "{src}");
    }
    // Other traits are not this check's business; comments and strings are not code.
    assert_eq!(unbounded("unsafe impl<T> BufMut for Buf<T> {}"), [None]);
    assert!(unbounded(
        "// unsafe impl<T> Send for X<T> {}\n/* unsafe impl<T> Send for Y<T> {} */\n\
         const S: &str = \"unsafe impl<T> Send for Z<T> {}\";"
    )
    .is_empty());
    // The header is the impl's text up to its body, for the failure message.
    let scan = scan_or_panic(
        "unsafe impl<T>\n    Send for X<T>\nwhere\n    T: Clone,\n{}",
        "fixture",
    );
    assert_eq!(
        scan.impls[0].header,
        "unsafe impl<T> Send for X<T> where T: Clone,"
    );
}

#[test]
fn checker_requires_safety_comments_directly_above() {
    // The fixtures are data files, so the project's own scan of `.rs` sources does not read
    // their deliberately undocumented blocks as ours.
    let documented = include_str!("data/unsafe-documented.txt");
    assert_eq!(undocumented_statements(documented), Vec::<usize>::new());
    let undocumented = include_str!("data/unsafe-undocumented.txt");
    assert_eq!(undocumented_statements(undocumented), [3, 6]);
}

#[test]
fn checker_reads_unsafe_in_macro_bodies_and_split_lines() {
    // A fixture file, like the ones above, so that source scans do not read its blocks as ours.
    let body = include_str!("data/unsafe-in-macros.txt");
    assert_eq!(undocumented_statements(body), [5, 8, 11]);
}
