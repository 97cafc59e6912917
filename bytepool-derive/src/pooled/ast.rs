//! Borrowed views of the derive input with their `#[pooled(...)]` settings parsed
//! (thiserror's `ast.rs`). Unsupported shapes (enums, unions) are rejected here.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Data, DeriveInput, Fields, Generics, Ident, Index, Member, Type, Visibility};

use super::attr;
use crate::internals::ctxt::Ctxt;

/// A named, tuple or unit struct.
pub struct Struct<'a> {
    pub vis: &'a Visibility,
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: attr::Container,
    /// In declaration order; empty for a unit struct.
    pub fields: Vec<Field<'a>>,
}

/// One struct field.
pub struct Field<'a> {
    pub attrs: attr::Field,
    /// `self.#member`: the field name, or its index in a tuple struct.
    pub member: Member,
    pub ty: &'a Type,
}

impl<'a> Struct<'a> {
    /// Parses every `#[pooled(...)]` attribute of `node`, pushing any error into `cx`.
    ///
    /// Returns `None` only when the item is not a struct (an error was pushed); a struct with
    /// bad attributes is still returned, so callers can keep checking it.
    pub fn from_syn(cx: &Ctxt, node: &'a DeriveInput) -> Option<Self> {
        let attrs = attr::Container::from_ast(cx, &node.attrs);
        match &node.data {
            Data::Struct(data) => Some(Struct {
                vis: &node.vis,
                ident: &node.ident,
                generics: &node.generics,
                attrs,
                fields: fields_from_syn(cx, &data.fields),
            }),
            Data::Enum(_) => {
                cx.error_spanned_by(
                    item_without_attrs(node),
                    "#[derive(Pooled)] supports structs only; for an enum, implement \
                     `bytepool::Reset` by hand and use an instance pool `bytepool::Pool`",
                );
                None
            }
            Data::Union(_) => {
                cx.error_spanned_by(
                    item_without_attrs(node),
                    "#[derive(Pooled)] supports structs only; a union cannot be reset field \
                     by field: implement `bytepool::Reset` by hand and use an instance pool \
                     `bytepool::Pool`",
                );
                None
            }
        }
    }
}

impl Struct<'_> {
    /// `true` when the struct has a type, lifetime or const parameter: such a type gets no
    /// process-wide pool (a static cannot be generic), only `Reset`.
    pub fn is_generic(&self) -> bool {
        !self.generics.params.is_empty()
    }
}

fn fields_from_syn<'a>(cx: &Ctxt, fields: &'a Fields) -> Vec<Field<'a>> {
    fields
        .iter()
        .enumerate()
        .map(|(i, field)| Field {
            attrs: attr::Field::from_ast(cx, &field.attrs),
            member: match &field.ident {
                Some(ident) => Member::Named(ident.clone()),
                None => Member::Unnamed(Index::from(i)),
            },
            ty: &field.ty,
        })
        .collect()
}

/// The item from its visibility to its closing brace, without the doc comments and attributes
/// above it: the span of an "unsupported item" error. (Only the first and last token matter to
/// `syn::Error::new_spanned`; the body is left out.)
fn item_without_attrs(node: &DeriveInput) -> TokenStream {
    let mut tokens = node.vis.to_token_stream();
    match &node.data {
        Data::Enum(data) => {
            data.enum_token.to_tokens(&mut tokens);
            node.ident.to_tokens(&mut tokens);
            data.brace_token.surround(&mut tokens, |_| {});
        }
        Data::Union(data) => {
            data.union_token.to_tokens(&mut tokens);
            node.ident.to_tokens(&mut tokens);
            data.fields.brace_token.surround(&mut tokens, |_| {});
        }
        Data::Struct(data) => {
            data.struct_token.to_tokens(&mut tokens);
            node.ident.to_tokens(&mut tokens);
        }
    }
    tokens
}
