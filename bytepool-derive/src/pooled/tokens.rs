//! Token-level helpers of the derive's code generation: spans, `Self`, where clauses and
//! literals.

use proc_macro2::{Group, Literal, Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::{Generics, Ident};

use super::attr;

/// The spans of the first and last tokens of `tokens` (of a group's closing delimiter when it
/// ends with one); the call site when it is empty.
pub(super) fn first_and_last_span(tokens: &TokenStream) -> (Span, Span) {
    let mut tokens = tokens.clone().into_iter();
    let first = tokens.next();
    let span_of = |token: &TokenTree, end: bool| match token {
        TokenTree::Group(group) if end => group.span_close(),
        TokenTree::Group(group) => group.span_open(),
        token => token.span(),
    };
    let first_span = first
        .as_ref()
        .map_or_else(Span::call_site, |t| span_of(t, false));
    let last_span = tokens
        .last()
        .or(first)
        .map_or_else(Span::call_site, |t| span_of(&t, true));
    (first_span, last_span)
}

/// `tokens` with every `Self` (inside groups too) replaced by `ident`, keeping its span.
pub(super) fn replace_self(tokens: TokenStream, ident: &Ident) -> TokenStream {
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut replaced =
                    Group::new(group.delimiter(), replace_self(group.stream(), ident));
                replaced.set_span(group.span());
                TokenTree::Group(replaced)
            }
            TokenTree::Ident(word) if word == "Self" => {
                let mut name = ident.clone();
                name.set_span(word.span());
                TokenTree::Ident(name)
            }
            token => token,
        })
        .collect()
}

/// The struct's where clause with `extra` predicates appended; empty when there are none.
pub(super) fn where_clause(
    generics: &Generics,
    extra: impl IntoIterator<Item = TokenStream>,
) -> TokenStream {
    let predicates: Vec<TokenStream> = generics
        .where_clause
        .iter()
        .flat_map(|where_clause| where_clause.predicates.iter())
        .map(ToTokens::to_token_stream)
        .chain(extra)
        .collect();
    if predicates.is_empty() {
        TokenStream::new()
    } else {
        quote!(where #(#predicates),*)
    }
}

/// `tokens` with every span, inside groups too, replaced by `span`: runtime paths emitted for a
/// type check take the span of the user's tokens, so the diagnostic points there and not at the
/// derive.
pub(super) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                TokenTree::Group(respanned)
            }
            mut token => {
                token.set_span(span);
                token
            }
        })
        .collect()
}

/// The user's integer as a `usize`-suffixed literal, keeping the literal's span.
pub(super) fn usize_literal(int: &attr::Int) -> Literal {
    let mut lit = Literal::usize_suffixed(int.value);
    lit.set_span(int.span);
    lit
}
