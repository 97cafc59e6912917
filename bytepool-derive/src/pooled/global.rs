//! The process-wide pool of a non-generic `#[derive(Pooled)]` struct: its `Pooled` impl with the
//! `Send` check of each field, and the inherent `take()`/`pool()` every struct gets (hidden, and
//! an error naming the instance pool, on a generic one). See the module docs of `expand` for
//! the whole output.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::{Generics, Ident, Visibility};

use super::ast::{Field, Struct};
use super::tokens::{first_and_last_span, replace_self, respan, usize_literal, where_clause};
use crate::internals::attr::Keyed;

/// `impl Pooled` (non-generic structs only): the process-wide pool, configured by the
/// struct's attributes, with the `Send` check of each field.
pub(super) fn impl_pooled(input: &Struct<'_>, krate: &TokenStream) -> TokenStream {
    let ident = input.ident;
    let attrs = &input.attrs;
    let capacity = match &attrs.capacity {
        Some(Keyed { value, .. }) => usize_literal(value).into_token_stream(),
        None => quote!(#krate::__private::DEFAULT_CAPACITY),
    };
    let thread_cache = match &attrs.thread_cache {
        Some(Keyed { value, .. }) => usize_literal(value).into_token_stream(),
        None => quote!(#krate::__private::DEFAULT_THREAD_CACHE),
    };
    let new = match &attrs.new {
        Some(Keyed { value, .. }) => value.to_token_stream(),
        None => quote_spanned! {ident.span()=>
            <#ident as ::core::default::Default>::default
        },
    };
    let checks = input
        .fields
        .iter()
        .map(|field| send_check(input, field, krate));
    let items = quote! {
        #krate::__private::pooled_items!(
            #ident, #capacity, #thread_cache, #new, { #(#checks)* }
        );
    };
    pooled_impl(input.ident, input.generics, krate, items)
}

/// `AssertSend::<F>::assert_send(SendProbe::<F, S>::NEW.probe());` for a field of type `F`:
/// nothing when `F` is `Send`, else the requirement that the struct is, which rustc reports on
/// the field (see `__private::AssertSend`).
///
/// The statement goes inside the pool's `static`, where `Self` is not in scope: a `Self` in the
/// field type is written as the struct's name.
fn send_check(input: &Struct<'_>, field: &Field<'_>, krate: &TokenStream) -> TokenStream {
    let ty = replace_self(field.ty.to_token_stream(), input.ident);
    // The error is on the probe expression: it starts at the type's first token and ends at
    // its last, so rustc underlines the whole type (a `Span::join` of our own is nightly-only).
    let (first, last) = first_and_last_span(&ty);
    let ident = respan(input.ident.to_token_stream(), first);
    let krate = respan(krate.clone(), first);
    let call = quote_spanned!(last=> ());
    quote_spanned! {first=>
        #krate::__private::AssertSend::<#ty>::assert_send(
            #krate::__private::SendProbe::<#ty, #ident>::NEW.probe #call
        );
    }
}

/// `impl Pooled for #ident { #items }`.
///
/// The impl requires `for<'__a> #ident: Send` (`Send` being `Pooled`'s supertrait): a bound
/// with a binder is not checked where it is written, so a type that is not `Send` gets its
/// field checks' errors only, and `#ident: Pooled` then simply does not hold.
pub(super) fn pooled_impl(
    ident: &Ident,
    generics: &Generics,
    krate: &TokenStream,
    items: TokenStream,
) -> TokenStream {
    let where_clause = where_clause(generics, [quote!(for<'__a> #ident: ::core::marker::Send)]);
    quote! {
        #[automatically_derived]
        impl #krate::__private::Pooled for #ident #where_clause {
            #items
        }
    }
}

/// The inherent `take()` and `pool()`, as visible as the struct.
///
/// For a non-generic struct, they are `Pooled::take` and `Pooled::pool` without the trait in
/// scope (inherent methods are found first, so `S::take()` never meets `Iterator::take` or is
/// ambiguous, with or without `use bytepool::Pooled`). For a generic struct they are hidden,
/// and a call is an error naming the instance pool to use instead.
pub(super) fn inherent_fns(
    vis: &Visibility,
    ident: &Ident,
    generics: &Generics,
    krate: &TokenStream,
) -> TokenStream {
    if !generics.params.is_empty() {
        let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
        let no_pool = quote!(#krate::__private::NoProcessWidePool);
        return quote! {
            impl #impl_generics #ident #ty_generics #where_clause {
                #[doc(hidden)]
                #[allow(dead_code)]
                #vis fn take() -> #krate::__private::PoolBox<Self>
                where
                    Self: #no_pool,
                {
                    ::core::unreachable!()
                }

                #[doc(hidden)]
                #[allow(dead_code)]
                #vis fn pool() -> &'static #krate::__private::Pool<Self>
                where
                    Self: #no_pool,
                {
                    ::core::unreachable!()
                }
            }
        };
    }
    quote! {
        impl #ident {
            /// An object from this type's process-wide pool, reset when it comes back: the
            /// same as `bytepool::Pooled::take`, without the trait in scope.
            #[inline]
            #[allow(dead_code)]
            #vis fn take() -> #krate::__private::PoolBox<#ident> {
                #[allow(unused_imports)]
                use #krate::__private::NotPooled as _;
                #krate::__private::Gate::<#ident>::NEW.take()
            }

            /// This type's process-wide pool, created on first use: the same as
            /// `bytepool::Pooled::pool`, without the trait in scope.
            #[inline]
            #[allow(dead_code)]
            #vis fn pool() -> &'static #krate::__private::Pool<#ident> {
                #[allow(unused_imports)]
                use #krate::__private::NotPooled as _;
                #krate::__private::Gate::<#ident>::NEW.pool()
            }
        }
    }
}
