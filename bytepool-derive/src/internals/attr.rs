//! The attribute toolkit both macros parse with (serde_derive's `internals/attr.rs`): one
//! [`Attr`] per setting, one way to write a key in a message, one reader for values.
//!
//! What each macro accepts, and how it words a bad value, stays with that macro
//! (`pooled::attr`, `tiers::attr`).

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::{Expr, Path};

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

/// ``unknown <owner> attribute `key`; expected <accepted>``, spanned on the key.
///
/// Returned as an `Err` because the rest of this attribute cannot be parsed reliably: an
/// unknown key may be followed by anything.
pub fn unknown(meta: &ParseNestedMeta<'_>, owner: Symbol, accepted: &str) -> syn::Error {
    let key = as_written(&meta.path);
    meta.error(format_args!(
        "unknown {owner} attribute `{key}`; expected {accepted}"
    ))
}

/// The value after `key =`, read as any expression so that a value of the wrong form gets a
/// message naming the right one, rather than syn's.
pub fn value(meta: &ParseNestedMeta<'_>) -> syn::Result<Expr> {
    Ok(ungroup(meta.value()?.parse()?))
}
