//! The attribute toolkit both macros parse with (serde_derive's `internals/attr.rs`): one
//! [`Attr`] per setting, one way to write a key in a message, one reader for values, and one
//! `crate = ...` syntax.
//!
//! What each macro accepts, and how it words a bad value, stays with that macro
//! (`pooled::attr`, `tiers::attr`).

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::discouraged::Speculative;
use syn::parse::ParseStream;
use syn::{Attribute, Expr, ExprLit, Lit, Path, Token};

use super::ctxt::Ctxt;
use super::symbol::Symbol;
use super::ungroup;

/// A setting together with the key it was written under, so later checks can point at it.
///
/// (The key is kept as tokens: the workspace builds syn without `clone-impls`.)
pub struct Keyed<T> {
    pub key: TokenStream,
    pub value: T,
}

/// One setting being collected: keeps the first occurrence and reports any later one, in the
/// same attribute or another on the same item.
pub struct Attr<'c, T> {
    cx: &'c Ctxt,
    /// The attribute the key belongs to (`pooled`, `tiers`), for the message.
    owner: Symbol,
    name: Symbol,
    value: Option<Keyed<T>>,
}

impl<'c, T> Attr<'c, T> {
    /// The `name` key of `#[owner(...)]`, not given yet.
    pub fn none(cx: &'c Ctxt, owner: Symbol, name: Symbol) -> Self {
        Attr {
            cx,
            owner,
            name,
            value: None,
        }
    }

    /// Records `value`, or reports ``duplicate <owner> attribute `name` `` on `key` when the
    /// setting was already given.
    pub fn set(&mut self, key: &Path, value: T) {
        if self.value.is_some() {
            let msg = format!("duplicate {} attribute `{}`", self.owner, self.name);
            self.cx.error_spanned_by(key, msg);
        } else {
            self.value = Some(Keyed {
                key: key.to_token_stream(),
                value,
            });
        }
    }

    pub fn get(self) -> Option<Keyed<T>> {
        self.value
    }
}

/// `tokens` as the user wrote them, for messages: `foo::bar` rather than `foo :: bar`.
pub fn as_written<T: ToTokens>(tokens: &T) -> String {
    tokens.to_token_stream().to_string().replace(' ', "")
}

/// Reads the keys of one `#[owner(...)]` attribute with `read_key`, recording every error in
/// `cx` and going on: an error `read_key` returns is recorded and the rest of that key (its
/// `= value` or `(...)`) skipped, so the keys after it are still read and one run reports every
/// unknown or malformed key. Only input that is not a list of keys at all (`#[pooled(1)]`)
/// ends the attribute early, with one error.
pub fn parse_keys(
    cx: &Ctxt,
    attr: &Attribute,
    mut read_key: impl FnMut(&ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    let result = attr.parse_nested_meta(|meta| {
        if let Err(err) = read_key(&meta) {
            cx.syn_error(err);
            skip_rest_of_key(meta.input);
        }
        Ok(())
    });
    if let Err(err) = result {
        cx.syn_error(err);
    }
}

/// Skips what is left of a key after an error: `= <expression>` when it parses as one (commas
/// inside it, as in `= f::<A, B>`, do not end it), else every token up to the next `,`.
fn skip_rest_of_key(input: ParseStream<'_>) {
    let fork = input.fork();
    let value = fork.parse::<Token![=]>().and_then(|_| fork.parse::<Expr>());
    if value.is_ok() && (fork.is_empty() || fork.peek(Token![,])) {
        input.advance_to(&fork);
        return;
    }
    // Cannot fail: the closure only moves the cursor.
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((token, next)) = rest.token_tree() {
            if matches!(&token, TokenTree::Punct(punct) if punct.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    });
}

/// ``unknown <owner> attribute `key`; expected <accepted>``, spanned on the key. Returned for
/// [`parse_keys`] to record, which then skips the key's value, whatever it is.
pub fn unknown(meta: &ParseNestedMeta<'_>, owner: Symbol, accepted: &str) -> syn::Error {
    let key = as_written(&meta.path);
    meta.error(format_args!(
        "unknown {owner} attribute `{key}`; expected {accepted}"
    ))
}

/// The value after `key =`, read as any expression so that a value of the wrong form gets a
/// message naming the right one, rather than syn's. Without `=` (a bare `key` or `key(...)`),
/// or when what follows `=` is not an expression, the error is `expected`, on the key or on the
/// token that is not an expression.
pub fn value(meta: &ParseNestedMeta<'_>, expected: &str) -> syn::Result<Expr> {
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(expected));
    }
    let value = meta.value()?;
    let expr = value
        .parse()
        .map_err(|err| syn::Error::new(err.span(), expected))?;
    Ok(ungroup(expr))
}

/// `crate = path` or `crate = "path"`: where the generated code finds the runtime, in the same
/// two forms for both macros. Only a plain path will do (no `<T>::` prefix): the output appends
/// `::…` to it. Any other value is handed back for the caller to report in its own words.
pub fn crate_path(value: Expr) -> Result<Path, Box<Expr>> {
    match value {
        Expr::Path(path) if path.attrs.is_empty() && path.qself.is_none() => Ok(path.path),
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => lit.parse::<Path>().map_err(|_| {
            Box::new(Expr::Lit(ExprLit {
                attrs: Vec::new(),
                lit: Lit::Str(lit),
            }))
        }),
        value => Err(Box::new(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    /// The path read from `value`, or the value handed back, as strings.
    fn crate_path_of(value: Expr) -> Result<String, String> {
        crate_path(value)
            .map(|path| as_written(&path))
            .map_err(|value| value.to_token_stream().to_string())
    }

    #[test]
    fn crate_path_takes_a_path_or_a_string() {
        for (value, path) in [
            (parse_quote!(::my::bytepool), "::my::bytepool"),
            (parse_quote!("::my::bytepool"), "::my::bytepool"),
            (
                parse_quote!(crate::reexport::bytepool),
                "crate::reexport::bytepool",
            ),
            (
                parse_quote!("crate::reexport::bytepool"),
                "crate::reexport::bytepool",
            ),
            (parse_quote!(runtime), "runtime"),
        ] {
            assert_eq!(crate_path_of(value), Ok(path.to_owned()));
        }
    }

    #[test]
    fn crate_path_hands_back_anything_else() {
        for (value, back) in [
            (parse_quote!(1), "1"),
            (parse_quote!(<T>::x), "< T > :: x"),
            (parse_quote!(rt::new()), "rt :: new ()"),
            (parse_quote!("not a path"), "\"not a path\""),
            (parse_quote!("<T>::x"), "\"<T>::x\""),
        ] {
            assert_eq!(crate_path_of(value), Err(back.to_owned()));
        }
    }
}
