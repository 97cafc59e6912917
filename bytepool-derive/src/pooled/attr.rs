//! `#[pooled(...)]` attributes, parsed into typed [`Container`] and [`Field`] settings.
//!
//! Only checks that need a single attribute live here (the key is known, the value has the
//! accepted form, the key is not repeated); rules that relate two settings are in `valid.rs`.
//! Every problem is pushed into the [`Ctxt`] and parsing goes on, so one run reports them all.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::{Expr, ExprLit, ExprPath, Lit, Path, Token};

use crate::internals::attr::{self, Attr, Keyed};
use crate::internals::ctxt::Ctxt;
use crate::internals::symbol::{
    Symbol, CAPACITY, CRATE, MAX_CAPACITY, NEW, POOLED, RESET, SKIP, THREAD_CACHE,
};

/// What the unknown-key message says the struct accepts.
const CONTAINER_KEYS: &str = "one of `capacity`, `new`, `thread_cache`, `crate`";
/// What the unknown-key message says a field accepts.
const FIELD_KEYS: &str = "one of `skip`, `reset`, `max_capacity`";

/// An integer setting: the value, and the span of the literal that spelled it.
pub struct Int {
    pub span: Span,
    pub value: usize,
}

/// Settings on the struct: `#[pooled(capacity = N, new = path, thread_cache = N, crate = path)]`.
pub struct Container {
    /// `crate = path` or `crate = "path"`: where the runtime is; `None` means `::bytepool`.
    pub krate: Option<Keyed<Path>>,
    /// `capacity = N`: idle objects the process-wide pool keeps.
    pub capacity: Option<Keyed<Int>>,
    /// `new = path`: constructor `fn() -> Self`, used instead of `Default::default`.
    pub new: Option<Keyed<ExprPath>>,
    /// `thread_cache = N`: objects cached per thread (0 disables the cache).
    pub thread_cache: Option<Keyed<Int>>,
}

impl Container {
    pub fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut krate = Attr::none(cx, POOLED, CRATE);
        let mut capacity = Attr::none(cx, POOLED, CAPACITY);
        let mut new = Attr::none(cx, POOLED, NEW);
        let mut thread_cache = Attr::none(cx, POOLED, THREAD_CACHE);

        for attr in attrs {
            if attr.path() != POOLED {
                continue;
            }
            attr::parse_keys(cx, attr, |meta| {
                if meta.path == CRATE {
                    if let Some(path) = parse_crate_path(cx, meta)? {
                        krate.set(&meta.path, path);
                    }
                } else if meta.path == CAPACITY {
                    if let Some(int) = parse_int(cx, meta, CAPACITY)? {
                        capacity.set(&meta.path, int);
                    }
                } else if meta.path == NEW {
                    if let Some(path) = parse_fn_path(cx, meta, NEW)? {
                        new.set(&meta.path, path);
                    }
                } else if meta.path == THREAD_CACHE {
                    if let Some(int) = parse_int(cx, meta, THREAD_CACHE)? {
                        thread_cache.set(&meta.path, int);
                    }
                } else {
                    return Err(attr::unknown(meta, POOLED, CONTAINER_KEYS));
                }
                Ok(())
            });
        }

        Container {
            krate: krate.get(),
            capacity: capacity.get(),
            new: new.get(),
            thread_cache: thread_cache.get(),
        }
    }
}

/// Settings on one field: `#[pooled(skip)]`, `#[pooled(reset = path)]`, `#[pooled(max_capacity = N)]`.
pub struct Field {
    /// `skip`: the field keeps its value across reuse.
    pub skip: Option<Keyed<()>>,
    /// `reset = path`: a `fn(&mut FieldType)` called instead of `Reset::reset`.
    pub reset: Option<Keyed<ExprPath>>,
    /// `max_capacity = N`: reset, then replaced by `Default` when its capacity grew beyond `N`.
    pub max_capacity: Option<Keyed<Int>>,
}

impl Field {
    pub fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut skip = Attr::none(cx, POOLED, SKIP);
        let mut reset = Attr::none(cx, POOLED, RESET);
        let mut max_capacity = Attr::none(cx, POOLED, MAX_CAPACITY);

        for attr in attrs {
            if attr.path() != POOLED {
                continue;
            }
            attr::parse_keys(cx, attr, |meta| {
                if meta.path == SKIP {
                    if parse_flag(cx, meta, SKIP)? {
                        skip.set(&meta.path, ());
                    }
                } else if meta.path == RESET {
                    if let Some(path) = parse_fn_path(cx, meta, RESET)? {
                        reset.set(&meta.path, path);
                    }
                } else if meta.path == MAX_CAPACITY {
                    if let Some(int) = parse_int(cx, meta, MAX_CAPACITY)? {
                        max_capacity.set(&meta.path, int);
                    }
                } else {
                    return Err(attr::unknown(meta, POOLED, FIELD_KEYS));
                }
                Ok(())
            });
        }

        Field {
            skip: skip.get(),
            reset: reset.get(),
            max_capacity: max_capacity.get(),
        }
    }
}

/// `key = <integer>`: an unsuffixed (or `usize`) integer literal that fits in a `usize`.
///
/// A value of another form is reported on the value and parsing goes on (`Ok(None)`); a key
/// without `= value` is an `Err`, reported on the key.
fn parse_int(cx: &Ctxt, meta: &ParseNestedMeta<'_>, key: Symbol) -> syn::Result<Option<Int>> {
    let expected = format!("expected `#[pooled({key} = <integer>)]`");
    let expr = attr::value(meta, &expected)?;
    if let Expr::Lit(ExprLit {
        lit: Lit::Int(lit), ..
    }) = &expr
    {
        if matches!(lit.suffix(), "" | "usize") {
            if let Ok(value) = lit.base10_parse::<usize>() {
                let span = lit.span();
                return Ok(Some(Int { span, value }));
            }
        }
    }
    cx.error_spanned_by(expr, expected);
    Ok(None)
}

/// `key = path` or `key = "path"`: a function path (a qualified path like `<T>::clear` is fine).
///
/// A value of another form is reported on the value and parsing goes on (`Ok(None)`); a key
/// without `= value` is an `Err`, reported on the key.
fn parse_fn_path(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    key: Symbol,
) -> syn::Result<Option<ExprPath>> {
    let expected = format!("expected `#[pooled({key} = path::to::function)]`");
    let expr = match attr::value(meta, &expected)? {
        Expr::Path(path) if path.attrs.is_empty() => return Ok(Some(path)),
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => match lit.parse::<ExprPath>() {
            Ok(path) => return Ok(Some(path)),
            Err(_) => lit.into_token_stream(),
        },
        expr => expr.into_token_stream(),
    };
    cx.error_spanned_by(expr, expected);
    Ok(None)
}

/// `crate = path` or `crate = "path"`, as [`attr::crate_path`] reads it.
///
/// A value of another form is reported on the value and parsing goes on (`Ok(None)`); a key
/// without `= value` is an `Err`, reported on the key.
fn parse_crate_path(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Path>> {
    const EXPECTED: &str = "expected `#[pooled(crate = \"path::to::bytepool\")]`";
    match attr::crate_path(attr::value(meta, EXPECTED)?) {
        Ok(path) => Ok(Some(path)),
        Err(value) => {
            cx.error_spanned_by(value, EXPECTED);
            Ok(None)
        }
    }
}

/// A bare `key`. Given a value (`key = ...`), the value is reported and parsing goes on
/// (`Ok(false)`); given an argument list (`key(...)`), the `Err` is reported on the key.
fn parse_flag(cx: &Ctxt, meta: &ParseNestedMeta<'_>, key: Symbol) -> syn::Result<bool> {
    let expected = || format!("expected `#[pooled({key})]`, which takes no value");
    if meta.input.peek(Token![=]) {
        let eq: Token![=] = meta.input.parse()?;
        let value: Expr = meta.input.parse()?;
        let mut tokens = TokenStream::new();
        eq.to_tokens(&mut tokens);
        value.to_tokens(&mut tokens);
        cx.error_spanned_by(tokens, expected());
        return Ok(false);
    }
    if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
        return Err(meta.error(expected()));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    /// Parses the attributes on `struct S;` and returns the settings plus the error messages.
    fn container(attrs: Vec<syn::Attribute>) -> (Container, Vec<String>) {
        let cx = Ctxt::new();
        let parsed = Container::from_ast(&cx, &attrs);
        (parsed, messages(cx))
    }

    fn field(attrs: Vec<syn::Attribute>) -> (Field, Vec<String>) {
        let cx = Ctxt::new();
        let parsed = Field::from_ast(&cx, &attrs);
        (parsed, messages(cx))
    }

    fn messages(cx: Ctxt) -> Vec<String> {
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn container_smoke() {
        let (c, errors) = container(vec![
            parse_quote!(#[pooled(capacity = 1024, thread_cache = 0usize)]),
            parse_quote!(#[pooled(new = LogEntry::empty, crate = "reexport::bytepool")]),
            parse_quote!(#[doc = "not ours"]),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(c.capacity.unwrap().value.value, 1024);
        assert_eq!(c.thread_cache.unwrap().value.value, 0);
        let new = c.new.unwrap().value;
        assert_eq!(new.to_token_stream().to_string(), "LogEntry :: empty");
        let krate = c.krate.unwrap().value;
        assert_eq!(krate.to_token_stream().to_string(), "reexport :: bytepool");
    }

    #[test]
    fn empty_and_absent() {
        let (c, errors) = container(vec![parse_quote!(#[pooled()])]);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(c.krate.is_none() && c.capacity.is_none());
        assert!(c.new.is_none() && c.thread_cache.is_none());
    }

    #[test]
    fn duplicate_in_one_attribute() {
        let (c, errors) = container(vec![parse_quote!(#[pooled(capacity = 1, capacity = 2)])]);
        assert_eq!(errors, ["duplicate pooled attribute `capacity`"]);
        assert_eq!(c.capacity.unwrap().value.value, 1, "the first one wins");
    }

    #[test]
    fn duplicate_across_attributes() {
        let (_, errors) = field(vec![
            parse_quote!(#[pooled(reset = a)]),
            parse_quote!(#[pooled(skip)]),
            parse_quote!(#[pooled(reset = "b")]),
            parse_quote!(#[pooled(skip)]),
        ]);
        assert_eq!(
            errors,
            [
                "duplicate pooled attribute `reset`",
                "duplicate pooled attribute `skip`",
            ]
        );
    }

    #[test]
    fn unknown_key_lists_accepted_keys() {
        let (_, errors) = container(vec![parse_quote!(#[pooled(foo::bar = 1)])]);
        assert_eq!(
            errors,
            ["unknown pooled attribute `foo::bar`; expected one of \
              `capacity`, `new`, `thread_cache`, `crate`"]
        );
        let (_, errors) = field(vec![parse_quote!(#[pooled(capacity = 1)])]);
        assert_eq!(
            errors,
            ["unknown pooled attribute `capacity`; expected one of \
              `skip`, `reset`, `max_capacity`"]
        );
    }

    #[test]
    fn every_unknown_or_malformed_key_is_reported() {
        let (c, errors) = container(vec![parse_quote!(#[pooled(
            foo = 1,
            bar(x, y),
            capacity(2),
            baz = Vec::<(u8, u16)>::new,
            thread_cache = 4,
            qux
        )])]);
        let unknown = |key: &str| {
            format!(
                "unknown pooled attribute `{key}`; expected one of \
                 `capacity`, `new`, `thread_cache`, `crate`"
            )
        };
        assert_eq!(
            errors,
            [
                unknown("foo"),
                unknown("bar"),
                "expected `#[pooled(capacity = <integer>)]`".to_owned(),
                unknown("baz"),
                unknown("qux"),
            ]
        );
        assert_eq!(c.thread_cache.unwrap().value.value, 4, "read past them");

        let (f, errors) = field(vec![
            parse_quote!(#[pooled(skip(now), clear, max_capacity = 8)]),
        ]);
        assert_eq!(
            errors,
            [
                "expected `#[pooled(skip)]`, which takes no value",
                "unknown pooled attribute `clear`; expected one of `skip`, `reset`, `max_capacity`",
            ]
        );
        assert_eq!(f.max_capacity.unwrap().value.value, 8);
    }

    #[test]
    fn a_value_that_does_not_parse_skips_to_the_next_key() {
        let (c, errors) = container(vec![
            parse_quote!(#[pooled(capacity = , new = ; x, thread_cache = 2)]),
        ]);
        assert_eq!(
            errors,
            [
                "expected `#[pooled(capacity = <integer>)]`",
                "expected `#[pooled(new = path::to::function)]`",
            ],
        );
        assert_eq!(c.thread_cache.unwrap().value.value, 2);
    }

    #[test]
    fn errors_are_collected_across_attributes() {
        let (c, errors) = container(vec![
            parse_quote!(#[pooled(foo)]),
            parse_quote!(#[pooled(capacity = "x", thread_cache = 8)]),
        ]);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[1], "expected `#[pooled(capacity = <integer>)]`");
        assert_eq!(
            c.thread_cache.unwrap().value.value,
            8,
            "kept going after the bad value"
        );
    }

    #[test]
    fn integer_forms() {
        for bad in [
            quote::quote!("x"),
            quote::quote!(-1),
            quote::quote!(1.5),
            quote::quote!(8u32),
            quote::quote!(N),
            quote::quote!(99999999999999999999999999),
        ] {
            let attr: syn::Attribute = parse_quote!(#[pooled(max_capacity = #bad)]);
            let (f, errors) = field(vec![attr]);
            assert_eq!(
                errors,
                ["expected `#[pooled(max_capacity = <integer>)]`"],
                "{bad}"
            );
            assert!(f.max_capacity.is_none());
        }
        let (_, errors) = field(vec![parse_quote!(#[pooled(max_capacity)])]);
        assert_eq!(errors, ["expected `#[pooled(max_capacity = <integer>)]`"]);
    }

    #[test]
    fn path_forms() {
        let (f, errors) = field(vec![parse_quote!(#[pooled(reset = "tags::reset")])]);
        assert!(errors.is_empty(), "{errors:?}");
        let reset = f.reset.unwrap().value;
        assert_eq!(reset.to_token_stream().to_string(), "tags :: reset");

        let (f, errors) = field(vec![parse_quote!(#[pooled(reset = <Vec<u8>>::clear)])]);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(f.reset.unwrap().value.qself.is_some());

        for bad in [
            quote::quote!(f()),
            quote::quote!("not a path"),
            quote::quote!(1),
        ] {
            let attr: syn::Attribute = parse_quote!(#[pooled(reset = #bad)]);
            let (_, errors) = field(vec![attr]);
            assert_eq!(
                errors,
                ["expected `#[pooled(reset = path::to::function)]`"],
                "{bad}"
            );
        }
        let (c, errors) = container(vec![parse_quote!(#[pooled(crate = ::reexport::bytepool)])]);
        assert!(errors.is_empty(), "{errors:?}");
        let krate = c.krate.unwrap().value;
        assert_eq!(
            krate.to_token_stream().to_string(),
            ":: reexport :: bytepool"
        );

        let (_, errors) = container(vec![parse_quote!(#[pooled(crate = <T>::x)])]);
        assert_eq!(
            errors,
            ["expected `#[pooled(crate = \"path::to::bytepool\")]`"]
        );
    }

    #[test]
    fn flag_takes_no_value() {
        let (f, errors) = field(vec![parse_quote!(#[pooled(skip = true, max_capacity = 4)])]);
        assert_eq!(errors, ["expected `#[pooled(skip)]`, which takes no value"]);
        assert!(f.skip.is_none());
        assert_eq!(f.max_capacity.unwrap().value.value, 4, "kept going");
        let (_, errors) = field(vec![parse_quote!(#[pooled(skip(x))])]);
        assert_eq!(errors, ["expected `#[pooled(skip)]`, which takes no value"]);
    }

    #[test]
    fn macro_rules_fragments_are_unwrapped() {
        // `$n:expr` reaches the derive wrapped in an invisible group.
        let lit: syn::LitInt = parse_quote!(16);
        let group = proc_macro2::Group::new(proc_macro2::Delimiter::None, lit.to_token_stream());
        let attr: syn::Attribute = parse_quote!(#[pooled(capacity = #group)]);
        let (c, errors) = container(vec![attr]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(c.capacity.unwrap().value.value, 16);
    }
}
