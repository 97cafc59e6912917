//! Code generation for `define_tiers!`: each definition becomes a unit struct, its `Tiers` impl
//! and its `pool()` accessor. [`expand`] validates each definition first; the rest is pure
//! `quote!`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Ident, LitInt, Path};

use super::class_of;
use super::parse::{Input, Item, TierDef};
use super::valid::{self, Size, Tiers};
use crate::internals::ctxt::Ctxt;

/// Expands every definition. A definition with errors expands to the errors next to its struct,
/// a stub `Tiers` impl and its `pool()`, so one mistake yields one diagnostic: code that uses
/// the type (`Bad::pool().get(10)`, `BytePool::<Bad>::new()`) type-checks against the stubs
/// instead of adding "no function `pool`" or "`Tiers` is not implemented" errors.
pub fn expand(input: Input) -> TokenStream {
    input
        .items
        .into_iter()
        .map(|item| match item {
            Item::Def(def) => {
                let cx = Ctxt::new();
                let tiers = valid::validate(&cx, &def);
                match cx.check() {
                    Ok(()) => expand_tiers(&tiers),
                    Err(err) => fallback(&tiers, err),
                }
            }
            Item::Error(err) => err.into_compile_error(),
        })
        .collect()
}

/// `#(#attrs)* #[derive(...)] vis struct Name;`
fn expand_struct(tiers: &Tiers<'_>) -> TokenStream {
    let Tiers {
        def, passthrough, ..
    } = tiers;
    let TierDef { vis, ident, .. } = def;
    quote! {
        #(#passthrough)*
        #[derive(
            ::core::clone::Clone,
            ::core::marker::Copy,
            ::core::fmt::Debug,
            ::core::default::Default,
            ::core::cmp::PartialEq,
            ::core::cmp::Eq,
            ::core::hash::Hash,
        )]
        #vis struct #ident;
    }
}

/// `Name::pool()`: the process-wide pool, through the hidden `Tiers::__global`.
fn expand_pool_fn(ident: &Ident, krate: &Path) -> TokenStream {
    quote! {
        impl #ident {
            /// Returns the process-wide pool for these tiers, created on first use.
            ///
            /// Every call returns the same pool; keep the reference instead of calling this
            /// in a hot loop.
            #[inline]
            #[allow(dead_code)]
            pub fn pool() -> &'static #krate::BytePool<#ident> {
                <#ident as #krate::Tiers>::__global()
            }
        }
    }
}

/// The struct, its `Tiers` impl and its `pool()` accessor.
fn expand_tiers(tiers: &Tiers<'_>) -> TokenStream {
    let strukt = expand_struct(tiers);
    let Tiers {
        def,
        krate,
        stats,
        sizes,
        ..
    } = tiers;
    let ident = &def.ident;
    let literals = sizes.iter().map(|size| &size.literal);
    let count = LitInt::new(&format!("{}usize", sizes.len()), Span::call_site());
    let indices = (0..sizes.len()).map(|t| LitInt::new(&format!("{t}usize"), Span::call_site()));
    let class_of = class_of::body(sizes);
    let isize_check = sizes.last().map(isize_assertion);
    let length = Ident::new(if *stats { "Counted" } else { "Inline" }, Span::call_site());
    let pool_fn = expand_pool_fn(ident, krate);
    quote! {
        #strukt

        const _: () = {
            #isize_check

            #[automatically_derived]
            impl #krate::Tiers for #ident {
                const SIZES: &'static [::core::primitive::usize] = &[#(#literals),*];
                const STATS: ::core::primitive::bool = #stats;

                #[inline(always)]
                fn class_of(
                    __len: ::core::primitive::usize,
                ) -> ::core::option::Option<::core::primitive::usize> {
                    #class_of
                }

                #krate::__private::tiers_items!(#ident, #count, [#(#indices),*], #length);
            }

            #pool_fn
        };
    }
}

/// The errors, then the struct with the same items as [`expand_tiers`] gives it, whose bodies
/// never run: the crate does not compile. `krate` is the `crate = ...` option when it was read,
/// else `::bytepool`.
fn fallback(tiers: &Tiers<'_>, err: syn::Error) -> TokenStream {
    let error = err.into_compile_error();
    let strukt = expand_struct(tiers);
    let Tiers { def, krate, .. } = tiers;
    let ident = &def.ident;
    let pool_fn = expand_pool_fn(ident, krate);
    quote! {
        #error
        #strukt

        const _: () = {
            #[automatically_derived]
            impl #krate::Tiers for #ident {
                #krate::__private::tiers_fallback_items!(#ident);
            }

            #pool_fn
        };
    }
}

/// The host checked `i64::MAX`; a 32-bit target's `isize::MAX` is smaller. Sizes ascend, so
/// checking the largest suffices. This is a hard error, unlike `overflowing_literals`, which
/// rustc drops for tokens with the macro's hygiene, and it points at the source literal.
fn isize_assertion(largest: &Size) -> TokenStream {
    let span = Span::call_site().located_at(largest.span);
    let bytes = LitInt::new(&format!("{}u64", largest.bytes), span);
    quote_spanned! {span=>
        const _: () = ::core::assert!(
            #bytes <= ::core::primitive::isize::MAX as ::core::primitive::u64,
            "tier size exceeds `isize::MAX`, the largest allocation Rust allows",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(tokens: TokenStream) -> String {
        expand(syn::parse2(tokens).expect("input parses")).to_string()
    }

    /// `expanded` with whitespace removed, for substring checks independent of token spacing.
    fn compact(tokens: TokenStream) -> String {
        expanded(tokens).replace(' ', "")
    }

    #[test]
    fn crate_option_names_the_runtime() {
        let out = compact(quote!(
            #[tiers(crate = "my::rt")]
            T = [1]
        ));
        assert!(out.contains("implmy::rt::TiersforT"), "{out}");
        assert!(
            out.contains("constSTATS:::core::primitive::bool=true;"),
            "{out}"
        );
        assert!(!out.contains("bytepool"), "{out}");
    }

    #[test]
    fn default_crate_is_bytepool() {
        let out = compact(quote!(T = [1]));
        assert!(out.contains("impl::bytepool::TiersforT"), "{out}");
        assert!(out.contains("tiers_items!("), "{out}");
    }

    #[test]
    fn literals_reuse_the_source_token_unless_suffixed() {
        let out = compact(quote!(T = [1_500, 64KiB, 0x10_0000usize, 2_000_000usize]));
        assert!(
            out.contains("=&[1_500,65536usize,0x10_0000usize,2_000_000usize];"),
            "{out}"
        );
        assert!(out.contains("0usize=>1_500,"), "{out}");
        assert!(out.contains("if__len<=2_000_000usize{"), "{out}");
        let out = compact(quote!(T = [128, 256, 512, 1KiB, 2KiB]));
        assert!(
            out.contains(
                "constSIZES:&'static[::core::primitive::usize]=&[128,256,512,1024usize,2048usize];"
            ),
            "{out}"
        );
    }

    #[test]
    fn largest_size_is_checked_against_the_target_isize() {
        let out = compact(quote!(T = [64, 1GiB]; U = [4096]));
        let check = "const_:()=::core::assert!(1073741824u64<=::core::primitive::isize::MAXas::core::primitive::u64,";
        assert!(out.contains(check), "{out}");
        assert!(!out.contains("64u64"), "{out}");
        assert!(out.contains("4096u64<="), "{out}");
    }

    #[test]
    fn passthrough_attrs_and_visibility() {
        let out = expanded(quote! {
            /// Size classes.
            #[tiers(stats = false)]
            #[allow(missing_docs)]
            pub(crate) T = [1]
        });
        assert!(out.contains("# [doc = r\" Size classes.\"]"), "{out}");
        assert!(out.contains("# [allow (missing_docs)]"), "{out}");
        assert!(!out.contains("tiers ("), "{out}");
        assert!(out.contains("pub (crate) struct T ;"), "{out}");
        assert!(
            out.contains("const STATS : :: core :: primitive :: bool = false ;"),
            "{out}"
        );
    }

    #[test]
    fn a_bad_definition_gets_stubs_and_spares_the_others() {
        let out = expanded(quote! {
            pub Bad = [0];
            pub Good = [1];
        });
        assert!(out.contains("pub struct Bad ;"), "{out}");
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("tier size must be nonzero"), "{out}");
        let stub = quote! {
            impl ::bytepool::Tiers for Bad {
                ::bytepool::__private::tiers_fallback_items!(Bad);
            }
        };
        assert!(out.contains(&stub.to_string()), "{out}");
        assert!(
            out.contains("pub fn pool () -> & 'static :: bytepool :: BytePool < Bad >"),
            "{out}"
        );
        assert!(out.contains("impl :: bytepool :: Tiers for Good"), "{out}");
        assert!(!out.contains("tiers_items ! (Bad"), "{out}");
    }

    #[test]
    fn a_definition_that_does_not_parse_keeps_its_name() {
        let out = expanded(quote! {
            /// Docs.
            #[tiers(crate = "my::rt")]
            pub Broken = [64, 256 512];
            pub NoEquals [64];
            pub Good = [1]
        });
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
        assert!(out.contains("expected `,`"), "{out}");
        assert!(out.contains("expected `=`"), "{out}");
        assert!(out.contains("# [doc = r\" Docs.\"] # [derive"), "{out}");
        assert!(out.contains("pub struct Broken ;"), "{out}");
        assert!(
            out.contains("impl my :: rt :: Tiers for Broken"),
            "the crate option still applies: {out}"
        );
        assert!(out.contains("pub struct NoEquals ;"), "{out}");
        assert!(out.contains("tiers_fallback_items ! (NoEquals)"), "{out}");
        assert!(out.contains("tiers_items ! (Good"), "{out}");
    }

    #[test]
    fn expansion_avoids_the_prelude() {
        let out = expanded(quote!(T = [64, 256, 1500]; U = [64, 128]));
        for word in [
            " Option", " Some", " None", " usize", " bool", " Clone", " Default",
        ] {
            for (i, _) in out.match_indices(word) {
                assert!(out[..i].ends_with("::"), "bare {word:?} at {i} in {out}");
            }
        }
    }
}
