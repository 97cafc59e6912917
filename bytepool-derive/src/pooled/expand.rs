//! Code generation for `#[derive(Pooled)]` (thiserror's `expand.rs`): pure `quote!`, no error
//! discovery. Errors found by `attr`, `ast` and `valid` go through [`fallback`].
//!
//! For a struct `S` the output is
//!
//! ```text
//! const _: () = {
//!     impl Reset for S {
//!         fn reset(&mut self) { /* each field, in declaration order */ }
//!         fn __resets_in_line(&self) -> bool { true /* && each field reset with `Reset` */ }
//!     }
//!     // only when `S` has no generic parameter (a static cannot be generic):
//!     impl Pooled for S where for<'__a> S: Send {
//!         pooled_items!(S, capacity, thread_cache, new, { /* `Send` check of each field */ });
//!     }
//! };
//! impl S {
//!     fn take() -> PoolBox<S> { /* `Pooled::take` */ }
//!     fn pool() -> &'static Pool<S> { /* `Pooled::pool` */ }
//! }
//! ```
//!
//! with every runtime item named as `#krate::__private::…`. A generic struct gets `Reset` and
//! hidden `take()`/`pool()` whose calls fail to compile with a message naming the instance
//! `bytepool::Pool<G<T>>` it is pooled through.
//!
//! Type-system checks are spanned on the user's tokens with `quote_spanned!`, so rustc points
//! at the field type that does not implement `Reset` (or `Capacity`), is not `Send`, or does
//! not fit the custom reset function (whose path gets the secondary label), and at the struct
//! name when the type is not `Default`.
//!
//! A struct that is not `Send` gets one error per field that is not, and nothing else: the
//! `Pooled` impl's `for<'__a> S: Send` bound is not checked where it is written (rustc checks
//! only bounds without generics or binders there, issue #48214), the pool's `static` takes
//! its type from the field checks (see `__pooled_items!`), and the inherent methods pick a stub
//! when `S: Pooled` does not hold (`__private::Gate`), so that no use of `S::take()` repeats
//! the error.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{DeriveInput, GenericParam, Type};

use super::ast::{Field, Struct};
use super::attr;
use super::global::{impl_pooled, inherent_fns, pooled_impl};
use super::tokens::{respan, usize_literal, where_clause};
use super::valid;
use crate::internals::attr::Keyed;
use crate::internals::ctxt::Ctxt;

/// Entry point: parse and check `node`, then expand it, or emit the errors plus stub impls.
pub fn derive(node: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let input = Struct::from_syn(&cx, node);
    if let Some(input) = &input {
        valid::check(&cx, input);
    }
    let krate = krate(input.as_ref().map(|input| &input.attrs));
    match (cx.check(), input) {
        (Ok(()), Some(input)) => impl_struct(&input, &krate),
        (Err(err), _) => fallback(node, &krate, err),
        // `from_syn` returns `None` only after pushing an error.
        (Ok(()), None) => fallback(
            node,
            &krate,
            syn::Error::new(Span::call_site(), "internal error in #[derive(Pooled)]"),
        ),
    }
}

/// The runtime's path: `crate = "..."`, else `::bytepool`.
fn krate(attrs: Option<&attr::Container>) -> TokenStream {
    match attrs.and_then(|attrs| attrs.krate.as_ref()) {
        Some(krate) => krate.value.to_token_stream(),
        None => quote!(::bytepool),
    }
}

fn impl_struct(input: &Struct<'_>, krate: &TokenStream) -> TokenStream {
    let reset = impl_reset(input, krate);
    let pooled = if input.is_generic() {
        None
    } else {
        Some(impl_pooled(input, krate))
    };
    // Outside the `const _` block, so that rustc names the methods `S::take`, not
    // `_::<impl S>::take`.
    let inherent = inherent_fns(input.vis, input.ident, input.generics, krate);
    quote! {
        const _: () = {
            #reset
            #pooled
        };
        #inherent
    }
}

/// `impl Reset`: each field reset in declaration order, as its attributes say.
fn impl_reset(input: &Struct<'_>, krate: &TokenStream) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = reset_where_clause(input, krate);
    let fields = input.fields.iter().map(|field| reset_field(field, krate));
    let in_line = input
        .fields
        .iter()
        .filter_map(|field| resets_field_in_line(field, krate));
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::__private::Reset for #ident #ty_generics #where_clause {
            fn reset(&mut self) {
                #(#fields)*
            }

            #[inline]
            fn __resets_in_line(&self) -> bool {
                true #(&& #in_line)*
            }
        }
    }
}

/// The statement that resets one field.
///
/// Every token of a type-checked call takes the span of the user's tokens it stands for, so
/// rustc reports "`Reset` is not implemented" (or `Capacity`) on the field type, and a custom
/// function of the wrong type on its path and the field type.
fn reset_field(field: &Field<'_>, krate: &TokenStream) -> TokenStream {
    let attrs = &field.attrs;
    let ty_span = field.ty.span();
    let member = respan(field.member.to_token_stream(), ty_span);
    if attrs.skip.is_some() {
        TokenStream::new()
    } else if let Some(Keyed { value: path, .. }) = &attrs.reset {
        let args = quote_spanned!(ty_span=> (&mut self.#member));
        quote_spanned! {path.span()=>
            #path #args;
        }
    } else {
        let krate = respan(krate.clone(), ty_span);
        if let Some(Keyed { value: max, .. }) = &attrs.max_capacity {
            let max = usize_literal(max);
            quote_spanned! {ty_span=>
                #krate::__private::reset_bounded(&mut self.#member, #max);
            }
        } else {
            quote_spanned! {ty_span=>
                #krate::__private::Reset::reset(&mut self.#member);
            }
        }
    }
}

/// Whether one field's reset runs in line (`Reset::__resets_in_line`); `None` for a skipped
/// field or a custom reset function, which the derive cannot see into (counted as in line).
/// A `max_capacity` field asks its type only: a `Capacity` bound here would report twice.
fn resets_field_in_line(field: &Field<'_>, krate: &TokenStream) -> Option<TokenStream> {
    let attrs = &field.attrs;
    if attrs.skip.is_some() || attrs.reset.is_some() {
        return None;
    }
    let ty_span = field.ty.span();
    let member = respan(field.member.to_token_stream(), ty_span);
    let krate = respan(krate.clone(), ty_span);
    Some(quote_spanned! {ty_span=>
        #krate::__private::Reset::__resets_in_line(&self.#member)
    })
}

/// The struct's where clause, plus a bound for each field whose type is a bare type parameter
/// (`value: T` needs `T: Reset`). Other field types are left to the type checker, which then
/// reports a missing impl on the field type itself; bounding them (perfect derive) could make
/// recursive types overflow.
fn reset_where_clause(input: &Struct<'_>, krate: &TokenStream) -> TokenStream {
    let inferred = input.fields.iter().filter_map(|field| {
        let attrs = &field.attrs;
        if attrs.skip.is_some() || attrs.reset.is_some() || !is_type_param(input, field.ty) {
            return None;
        }
        let ty = field.ty;
        Some(if attrs.max_capacity.is_some() {
            quote! {
                #ty: #krate::__private::Reset
                    + #krate::__private::Capacity
                    + ::core::default::Default
            }
        } else {
            quote!(#ty: #krate::__private::Reset)
        })
    });
    where_clause(input.generics, inferred)
}

/// `ty` is exactly one of the struct's type parameters (`T`, not `Vec<T>`).
fn is_type_param(input: &Struct<'_>, ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    let Some(ident) = path.path.get_ident().filter(|_| path.qself.is_none()) else {
        return false;
    };
    input.generics.params.iter().any(|param| match param {
        GenericParam::Type(param) => param.ident == *ident,
        _ => false,
    })
}

/// The errors, plus the impls and methods a valid input gets, with stub bodies, so that uses
/// of the type elsewhere do not add a second diagnostic for the same mistake (thiserror's
/// `fallback.rs`).
fn fallback(node: &DeriveInput, krate: &TokenStream, err: syn::Error) -> TokenStream {
    let error = err.into_compile_error();
    let ident = &node.ident;
    let (impl_generics, ty_generics, where_clause) = node.generics.split_for_impl();
    let pooled = node.generics.params.is_empty().then(|| {
        let items = quote!(#krate::__private::pooled_fallback_items!(#ident););
        pooled_impl(ident, &node.generics, krate, items)
    });
    let inherent = inherent_fns(&node.vis, ident, &node.generics, krate);
    quote! {
        #error
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::__private::Reset for #ident #ty_generics #where_clause {
                fn reset(&mut self) {}
            }
            #pooled
        };
        #inherent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn expand(node: DeriveInput) -> String {
        derive(&node).to_string()
    }

    /// `needle` with the spacing `TokenStream::to_string` uses, for readable assertions.
    fn tokens(needle: TokenStream) -> String {
        needle.to_string()
    }

    #[test]
    fn smoke() {
        let out = expand(parse_quote! {
            #[pooled(capacity = 1024)]
            struct LogEntry {
                timestamp: i64,
                #[pooled(max_capacity = 65536)]
                fields: Vec<(String, String)>,
                #[pooled(skip)]
                origin: &'static str,
                #[pooled(reset = reset_tags)]
                tags: Tags,
            }
        });
        assert!(out.starts_with("const _ : () = {"), "{out}");
        let reset_body = tokens(quote! {
            fn reset(&mut self) {
                ::bytepool::__private::Reset::reset(&mut self.timestamp);
                ::bytepool::__private::reset_bounded(&mut self.fields, 65536usize);
                reset_tags(&mut self.tags);
            }
        });
        assert!(out.contains(&reset_body), "{out}");
        assert!(
            !out.contains("origin"),
            "a skipped field is not touched: {out}"
        );
        let items = tokens(quote! {
            ::bytepool::__private::pooled_items!(
                LogEntry,
                1024usize,
                ::bytepool::__private::DEFAULT_THREAD_CACHE,
                <LogEntry as ::core::default::Default>::default,
            );
        });
        let (before_checks, after_checks) = items.split_at(items.len() - ") ;".len());
        assert!(out.contains(before_checks), "{out}");
        assert!(out.contains(&format!("}}{after_checks}")), "{out}");
        assert_eq!(out.matches("# [automatically_derived]").count(), 2, "{out}");
        assert!(!out.contains("unsafe"), "{out}");
    }

    #[test]
    fn tuple_and_unit_structs() {
        let out = expand(parse_quote!(
            struct Pair(Vec<u8>, #[pooled(skip)] u32, String);
        ));
        assert!(out.contains("Reset :: reset (& mut self . 0)"), "{out}");
        assert!(!out.contains("self . 1"), "{out}");
        assert!(out.contains("Reset :: reset (& mut self . 2)"), "{out}");

        let out = expand(parse_quote!(
            struct Marker;
        ));
        assert!(out.contains("fn reset (& mut self) { }"), "{out}");
        assert!(out.contains("impl :: bytepool :: __private :: Pooled for Marker"));
    }

    #[test]
    fn settings_reach_the_pool() {
        let out = expand(parse_quote! {
            #[pooled(new = Conn::fresh, thread_cache = 0, crate = "reexport::bytepool")]
            struct Conn { id: u64 }
        });
        let items = tokens(quote! {
            reexport::bytepool::__private::pooled_items!(
                Conn,
                reexport::bytepool::__private::DEFAULT_CAPACITY,
                0usize,
                Conn::fresh,
            );
        });
        assert!(out.contains(&items[..items.len() - ") ;".len()]), "{out}");
        assert_eq!(
            out.matches(":: bytepool").count(),
            out.matches("reexport :: bytepool").count(),
            "only the crate path is used: {out}"
        );
        assert!(!out.contains("Default"), "{out}");
    }

    #[test]
    fn send_is_checked_field_by_field() {
        let out = expand(parse_quote!(
            struct S {
                v: Vec<u8>,
                #[pooled(skip)]
                next: Option<Box<Self>>,
            }
        ));
        let impl_header = tokens(quote! {
            impl ::bytepool::__private::Pooled for S where for<'__a> S: ::core::marker::Send
        });
        assert!(out.contains(&impl_header), "{out}");
        // Every field, skipped or not, with `Self` spelled out: the check runs inside the
        // pool's `static`, where `Self` is not in scope.
        // (`> >`: syn prints the parsed type's `>>` as two tokens.)
        for ty in [quote!(Vec<u8>), quote! {Option<Box<S> >}] {
            let check = tokens(quote! {
                ::bytepool::__private::AssertSend::<#ty>::assert_send(
                    ::bytepool::__private::SendProbe::<#ty, S>::NEW.probe()
                );
            });
            assert!(out.contains(&check), "{out}");
        }
        assert!(!out.contains("Self"), "{out}");
    }

    #[test]
    fn a_struct_gets_inherent_take_and_pool_as_visible_as_itself() {
        let out = expand(parse_quote!(
            pub(crate) struct S {
                v: Vec<u8>,
            }
        ));
        let take = tokens(quote! {
            pub(crate) fn take() -> ::bytepool::__private::PoolBox<S> {
                #[allow(unused_imports)]
                use ::bytepool::__private::NotPooled as _;
                ::bytepool::__private::Gate::<S>::NEW.take()
            }
        });
        assert!(out.contains(&take), "{out}");
        assert!(out.contains("pub (crate) fn pool ()"), "{out}");
        // Outside the `const _` block.
        assert!(out.ends_with("NEW . pool () } }"), "{out}");
        assert!(out.contains("} ; impl S {"), "{out}");
    }

    #[test]
    fn a_generic_struct_gets_take_and_pool_that_fail_to_compile() {
        let out = expand(parse_quote!(
            pub struct G<T: Clone> {
                v: Vec<T>,
            }
        ));
        let take = tokens(quote! {
            #[doc(hidden)]
            #[allow(dead_code)]
            pub fn take() -> ::bytepool::__private::PoolBox<Self>
            where
                Self: ::bytepool::__private::NoProcessWidePool,
            {
                ::core::unreachable!()
            }
        });
        assert!(
            out.contains(&format!("impl < T : Clone > G < T > {{ {take}")),
            "{out}"
        );
        assert!(out.contains("pub fn pool ()"), "{out}");
    }

    #[test]
    fn generic_struct_gets_reset_only() {
        let out = expand(parse_quote! {
            struct G<'a, T: Clone, U, const N: usize> where U: Copy {
                items: Vec<T>,
                inner: T,
                #[pooled(max_capacity = 8)]
                other: U,
                #[pooled(skip)]
                name: &'a str,
            }
        });
        assert!(!out.contains("Pooled"), "{out}");
        assert!(!out.contains("AssertSend"), "{out}");
        let header = tokens(quote! {
            impl<'a, T: Clone, U, const N: usize> ::bytepool::__private::Reset for G<'a, T, U, N>
            where
                U: Copy,
                T: ::bytepool::__private::Reset,
                U: ::bytepool::__private::Reset
                    + ::bytepool::__private::Capacity
                    + ::core::default::Default
        });
        assert!(out.contains(&header), "{out}");
    }

    #[test]
    fn errors_come_with_stub_impls() {
        let out = expand(parse_quote! {
            #[pooled(capcity = 1)]
            struct S { #[pooled(skip, reset = f)] v: Vec<u8> }
        });
        assert_eq!(out.matches("compile_error !").count(), 2, "{out}");
        assert!(out.contains("fn reset (& mut self) { }"), "{out}");
        assert!(out.contains("pooled_fallback_items ! (S)"), "{out}");
        assert!(!out.contains("pooled_items"), "{out}");
    }

    #[test]
    fn rejected_shapes_get_stubs_for_their_own_generics() {
        let out = expand(parse_quote!(
            enum E<T> {
                A(T),
            }
        ));
        assert_eq!(out.matches("compile_error !").count(), 1, "{out}");
        assert!(out.contains("Reset for E < T >"), "{out}");
        assert!(
            !out.contains("Pooled for"),
            "a generic item has no pool: {out}"
        );
    }
}
