//! `define_tiers!`: parse a list of size-class definitions, validate the sizes, and expand each
//! definition into a unit struct implementing `bytepool::Tiers`.
//!
//! ```text
//! define_tiers! {
//!     /// Size classes for a UDP proxy.
//!     #[tiers(stats = false)]
//!     pub PacketTiers = [64, 256, 1500, 9000];
//!     pub(crate) Other = [1KiB, 4KiB, 64KiB, 1MiB];
//! }
//! ```
//!
//! Parsing accepts any expression as a size so that validation, not the parser, rejects `-1`,
//! `1.5` or `N` with a message naming the accepted form. Validation collects every error of a
//! definition in a [`Ctxt`]; a definition with errors expands to its bare struct (so later uses
//! of the name still resolve) next to the errors, and the other definitions expand normally.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, token, Attribute, Expr, Ident, Lit, LitInt, Path, Token, Visibility};

use crate::internals::attr::{self, Attr};
use crate::internals::ctxt::Ctxt;
use crate::internals::symbol::{CRATE, STATS, TIERS};
use crate::internals::ungroup;

/// The whole macro input: one or more [`TierDef`]s separated by `;`.
pub struct Input {
    defs: Vec<TierDef>,
}

/// `#[attrs] vis Name = [sizes,*]`, as written.
struct TierDef {
    attrs: Vec<Attribute>,
    vis: Visibility,
    ident: Ident,
    bracket: token::Bracket,
    /// Ungrouped: a literal from a `macro_rules!` fragment is still a literal.
    sizes: Vec<Expr>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "expected at least one tier definition, as in `pub Name = [64, 256];`",
            ));
        }
        let mut defs = Vec::new();
        while !input.is_empty() {
            defs.push(input.parse()?);
            // The `;` after the last definition is optional.
            if input.is_empty() {
                break;
            }
            input.parse::<Token![;]>()?;
        }
        Ok(Input { defs })
    }
}

impl Parse for TierDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let content;
        let bracket = bracketed!(content in input);
        let sizes = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?
            .into_iter()
            .map(ungroup)
            .collect();
        Ok(TierDef {
            attrs,
            vis,
            ident,
            bracket,
            sizes,
        })
    }
}

/// A definition that passed validation, ready for [`expand_tiers`].
struct Tiers<'a> {
    def: &'a TierDef,
    /// Every attribute except `#[tiers(...)]`, copied onto the struct.
    passthrough: Vec<&'a Attribute>,
    krate: Path,
    stats: bool,
    sizes: Vec<Size>,
}

/// One validated tier size: its value in bytes and the tokens that stand for it in the output.
struct Size {
    bytes: u64,
    /// Where the size was written, for the `isize::MAX` assertion.
    span: Span,
    /// An integer literal of type `usize` (explicitly or from its context) for `bytes`.
    literal: Literal,
}

impl Size {
    fn new(lit: &LitInt, bytes: u64) -> Self {
        let literal = if matches!(lit.suffix(), "" | "usize") {
            // The user's own token: on a target whose `usize` is narrower than the host's,
            // rustc's deny-by-default `overflowing_literals` points at it, and lints that read
            // the source (clippy's digit grouping) see the text the token really has.
            lit.token()
        } else {
            // `64KiB` has no token of its own to reuse. Point at the source, but with the
            // macro's hygiene: a user-spanned `65536usize` would make clippy re-read `64KiB` as
            // a `usize` literal. Overflow on narrow targets is caught by `isize_assertion`.
            let span = Span::call_site().located_at(lit.span());
            LitInt::new(&format!("{bytes}usize"), span).token()
        };
        Size {
            bytes,
            span: lit.span(),
            literal,
        }
    }
}

/// Expands every definition. A definition with errors expands to its struct alone plus the
/// errors, so one mistake yields one diagnostic rather than a cascade of unresolved names.
pub fn expand(input: Input) -> TokenStream {
    input
        .defs
        .iter()
        .map(|def| {
            let cx = Ctxt::new();
            let tiers = validate(&cx, def);
            match cx.check() {
                Ok(()) => expand_tiers(&tiers),
                Err(err) => {
                    let mut tokens = expand_struct(&tiers);
                    tokens.extend(err.to_compile_error());
                    tokens
                }
            }
        })
        .collect()
}

/// Reads the `#[tiers(...)]` options and the sizes of one definition, recording every problem
/// in `cx`. The result is only meaningful for expansion when `cx` ends up empty.
fn validate<'a>(cx: &Ctxt, def: &'a TierDef) -> Tiers<'a> {
    let mut krate = Attr::none(cx, TIERS, CRATE);
    let mut stats = Attr::none(cx, TIERS, STATS);
    let mut passthrough = Vec::new();
    for attr in &def.attrs {
        if attr.path() == TIERS {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path == STATS {
                    match attr::value(&meta)? {
                        Expr::Lit(syn::ExprLit {
                            lit: Lit::Bool(b), ..
                        }) => stats.set(&meta.path, b.value),
                        expr => {
                            cx.error_spanned_by(expr, "expected `stats = true` or `stats = false`")
                        }
                    }
                } else if meta.path == CRATE {
                    let lit: syn::LitStr = meta.value()?.parse()?;
                    match lit.parse::<Path>() {
                        Ok(path) => krate.set(&meta.path, path),
                        Err(_) => cx.error_spanned_by(
                            &lit,
                            format_args!(
                                "expected a path to the runtime crate, as in `crate = \"::bytepool\"`, found `{}`",
                                lit.value()
                            ),
                        ),
                    }
                } else {
                    return Err(attr::unknown(&meta, TIERS, ACCEPTED));
                }
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        } else {
            passthrough.push(attr);
        }
    }

    if def.sizes.is_empty() {
        cx.syn_error(syn::Error::new(
            def.bracket.span.join(),
            format_args!(
                "expected at least one tier size, as in `{} = [64, 256]`",
                def.ident
            ),
        ));
    }

    let mut sizes = Vec::with_capacity(def.sizes.len());
    // The last size whose value is known, valid or not, for the ascending check.
    let mut previous: Option<u128> = None;
    for expr in &def.sizes {
        let Some((lit, bytes)) = parse_size(cx, expr) else {
            continue;
        };
        let ok = check_size(cx, lit, bytes, previous);
        previous = Some(bytes);
        if ok {
            // `check_size` rejected everything above `i64::MAX`.
            let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
            sizes.push(Size::new(lit, bytes));
        }
    }

    Tiers {
        def,
        passthrough,
        krate: krate
            .get()
            .map_or_else(|| syn::parse_quote!(::bytepool), |k| k.value),
        stats: stats.get().is_none_or(|k| k.value),
        sizes,
    }
}

/// What the unknown-key message says `#[tiers(...)]` accepts.
const ACCEPTED: &str = "`stats = <bool>` or `crate = \"path\"`";

/// Reads an integer literal with an optional `KiB`/`MiB`/`GiB`/`usize` suffix. Returns the
/// literal and its value in bytes, or `None` after recording why it has no value.
fn parse_size<'a>(cx: &Ctxt, expr: &'a Expr) -> Option<(&'a LitInt, u128)> {
    let lit = match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(lit), ..
        }) => lit,
        other => {
            cx.error_spanned_by(other, NOT_INTEGER);
            return None;
        }
    };
    let unit: u128 = match lit.suffix() {
        // `2f32` lexes as an integer with a suffix, but rustc reads it as a float.
        "f32" | "f64" => {
            cx.error_spanned_by(lit, NOT_INTEGER);
            return None;
        }
        "" | "usize" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        suffix => {
            cx.syn_error(syn::Error::new(
                lit.span(),
                format_args!("unknown size suffix `{suffix}`; expected `KiB`, `MiB` or `GiB`"),
            ));
            return None;
        }
    };
    match lit
        .base10_parse::<u128>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
    {
        Some(bytes) => Some((lit, bytes)),
        None => {
            cx.syn_error(too_large(lit));
            None
        }
    }
}

const NOT_INTEGER: &str = "expected an integer literal tier size, such as `1500` or `64KiB`";

fn too_large(lit: &LitInt) -> syn::Error {
    syn::Error::new(lit.span(), "tier size does not fit in `usize`")
}

/// Checks one size against the rules that need its value; reports at most one error per
/// literal and returns whether the size is valid.
fn check_size(cx: &Ctxt, lit: &LitInt, bytes: u128, previous: Option<u128>) -> bool {
    let err = if bytes == 0 {
        syn::Error::new(lit.span(), "tier size must be nonzero")
    } else if bytes > u128::from(u64::MAX) {
        too_large(lit)
    } else if bytes > i64::MAX as u128 {
        syn::Error::new(
            lit.span(),
            "tier size exceeds `isize::MAX`, the largest allocation Rust allows",
        )
    } else if let Some(previous) = previous.filter(|&previous| bytes <= previous) {
        syn::Error::new(
            lit.span(),
            format_args!(
                "tier sizes must be strictly ascending: `{bytes}` does not exceed the previous `{previous}`"
            ),
        )
    } else {
        return true;
    };
    cx.syn_error(err);
    false
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
    let class_of = class_of_body(sizes);
    let isize_check = sizes.last().map(isize_assertion);
    let length = Ident::new(if *stats { "Counted" } else { "Inline" }, Span::call_site());
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

/// Straight-line `class_of`: the index of the first size `>= __len`, else `None`.
fn class_of_body(sizes: &[Size]) -> TokenStream {
    let some = |index: usize| {
        let index = LitInt::new(&format!("{index}usize"), Span::call_site());
        quote!(::core::option::Option::Some(#index))
    };
    let none = quote!(::core::option::Option::None);

    let bytes: Vec<u64> = sizes.iter().map(|size| size.bytes).collect();
    if let Some((first, _)) = power_of_two_run(&bytes) {
        // Sizes 2^a, 2^(a+1), ..., 2^b: past the first tier, the index is ceil(log2(len)) - a,
        // and `len >= 2` there, so `len - 1` cannot underflow.
        //
        // The first tier is a branch, not arithmetic. Predicted, it hands the pool its tier
        // before the length is known; `leading_zeros` (`bsr` on baseline x86-64) puts four
        // dependent instructions between the length and the magazine. A branch-free form (the
        // bits of `(len - 1) | (2^a - 1)`, minus a, and one range check) measured 5.4 against
        // 4.05 ns for a stats-off 128 B round trip whose length the loop cannot hoist, in each
        // of four code layouts, and 1.60 against 1.38-1.47 ns per lookup on random lengths.
        let smallest = &sizes[0].literal;
        let largest = &sizes[sizes.len() - 1].literal;
        let log2 = quote! {
            (<::core::primitive::usize>::BITS - (__len - 1).leading_zeros()) as ::core::primitive::usize
        };
        let index = if first == 0 {
            log2
        } else {
            let first = LitInt::new(&format!("{first}usize"), Span::call_site());
            quote!(#log2 - #first)
        };
        let first_tier = some(0);
        return quote! {
            if __len <= #smallest {
                #first_tier
            } else if __len <= #largest {
                ::core::option::Option::Some(#index)
            } else {
                #none
            }
        };
    }

    // Any other list: a binary search unrolled over constants. `__t` counts the sizes below
    // `__len`; each step compares with the pivot its prefix selects (a `match` over constants,
    // which the compiler lowers to conditional moves or a constant lookup) and adds its step.
    // No jump depends on the length, so random lengths cost no mispredictions, and there are
    // ceil(log2(n)) steps where a chain of `if`s takes up to n compares and branches.
    let (largest, below) = sizes.split_last().expect("tier lists are never empty");
    let largest = &largest.literal;
    let steps = search_steps(below.len()).map(|(step, pivots)| {
        let step_lit = LitInt::new(&format!("{step}usize"), Span::call_site());
        // The first step's only prefix is 0, which the compiler folds to its one pivot.
        let arms = pivots.iter().map(|(prefix, index)| {
            let prefix = LitInt::new(&format!("{prefix}usize"), Span::call_site());
            let size = &below[*index].literal;
            quote!(#prefix => #size,)
        });
        let pivot = quote!(match __t { #(#arms)* _ => ::core::primitive::usize::MAX });
        quote! {
            let __t = __t + if __len > #pivot { #step_lit } else { 0 };
        }
    });
    let zero = LitInt::new("0usize", Span::call_site());
    quote! {
        if __len <= #largest {
            let __t: ::core::primitive::usize = #zero;
            #(#steps)*
            ::core::option::Option::Some(__t)
        } else {
            #none
        }
    }
}

/// The steps of a branchless binary search counting how many of `m` sorted values lie below a
/// length: the values are padded with ones no length exceeds up to `p`, the smallest power of
/// two above `m` (so the count, at most `m`, fits in `log2(p)` bits). For each step `s` (p/2,
/// p/4, ..., 1): the prefixes `t` (multiples of 2s below p) whose pivot is a real value, with
/// that value's index `t + s - 1`.
fn search_steps(m: usize) -> impl Iterator<Item = (usize, Vec<(usize, usize)>)> {
    let p = (m + 1).next_power_of_two();
    std::iter::successors((p > 1).then_some(p / 2), |&s| (s > 1).then_some(s / 2)).map(move |s| {
        let pivots = (0..p)
            .step_by(2 * s)
            .map(|t| (t, t + s - 1))
            .filter(|&(_, index)| index < m)
            .collect();
        (s, pivots)
    })
}

/// `Some((a, b))` when `sizes` is exactly `2^a, 2^(a+1), ..., 2^b` with at least two tiers.
fn power_of_two_run(sizes: &[u64]) -> Option<(u32, u32)> {
    let (&first, rest) = sizes.split_first()?;
    if rest.is_empty() || !first.is_power_of_two() {
        return None;
    }
    let mut expected = first;
    for &size in rest {
        expected = expected.checked_mul(2)?;
        if size != expected {
            return None;
        }
    }
    Some((first.trailing_zeros(), expected.trailing_zeros()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn parse(tokens: TokenStream) -> Input {
        syn::parse2(tokens).expect("input parses")
    }

    /// Validates the single definition in `tokens`: its sizes in bytes, or every error message.
    fn check(tokens: TokenStream) -> Result<Vec<u64>, Vec<String>> {
        let input = parse(tokens);
        assert_eq!(input.defs.len(), 1);
        let cx = Ctxt::new();
        let tiers = validate(&cx, &input.defs[0]);
        match cx.check() {
            Ok(()) => Ok(tiers.sizes.iter().map(|size| size.bytes).collect()),
            Err(err) => Err(err.into_iter().map(|err| err.to_string()).collect()),
        }
    }

    fn errors(tokens: TokenStream) -> Vec<String> {
        check(tokens).expect_err("input is rejected")
    }

    fn expanded(tokens: TokenStream) -> String {
        expand(parse(tokens)).to_string()
    }

    /// `expanded` with whitespace removed, for substring checks independent of token spacing.
    fn compact(tokens: TokenStream) -> String {
        expanded(tokens).replace(' ', "")
    }

    #[test]
    fn parses_several_definitions() {
        let input = parse(quote! {
            /// Docs.
            #[tiers(stats = false)]
            pub PacketTiers = [64, 256, 1500, 9000];
            pub(crate) Other = [1KiB, 4KiB, 64KiB, 1MiB,]
        });
        let names: Vec<String> = input.defs.iter().map(|d| d.ident.to_string()).collect();
        assert_eq!(names, ["PacketTiers", "Other"]);
        assert_eq!(input.defs[0].attrs.len(), 2);
        assert_eq!(input.defs[1].sizes.len(), 4);
    }

    #[test]
    fn trailing_semicolon_is_optional() {
        assert_eq!(parse(quote!(A = [1]; B = [2];)).defs.len(), 2);
        assert_eq!(parse(quote!(A = [1]; B = [2])).defs.len(), 2);
    }

    #[test]
    fn missing_semicolon_between_definitions_is_a_parse_error() {
        let err = syn::parse2::<Input>(quote!(A = [1] B = [2])).err().unwrap();
        assert_eq!(err.to_string(), "expected `;`");
    }

    #[test]
    fn empty_input_is_a_parse_error() {
        let err = syn::parse2::<Input>(TokenStream::new()).err().unwrap();
        assert_eq!(
            err.to_string(),
            "expected at least one tier definition, as in `pub Name = [64, 256];`"
        );
    }

    #[test]
    fn suffixes_multiply() {
        assert_eq!(
            check(quote!(T = [1, 1KiB, 3MiB, 2GiB, 5_000usize, 0x1_0000_0000])),
            Err(vec![
                "tier sizes must be strictly ascending: `5000` does not exceed the previous `2147483648`"
                    .to_owned()
            ])
        );
        assert_eq!(
            check(quote!(T = [1, 1_000, 1KiB, 3MiB, 2GiB, 4_294_967_296usize])),
            Ok(vec![1, 1000, 1024, 3 << 20, 2 << 30, 1 << 32])
        );
        assert_eq!(
            check(quote!(T = [0x40, 0o100_0, 0b1KiB])),
            Ok(vec![64, 512, 1024])
        );
    }

    #[test]
    fn sizes_need_not_be_powers_of_two() {
        assert_eq!(
            check(quote!(T = [64, 256, 1500, 9000])),
            Ok(vec![64, 256, 1500, 9000])
        );
    }

    #[test]
    fn empty_list() {
        assert_eq!(
            errors(quote!(Empty = [])),
            ["expected at least one tier size, as in `Empty = [64, 256]`"]
        );
    }

    #[test]
    fn zero() {
        assert_eq!(
            errors(quote!(T = [0, 64, 0KiB])),
            ["tier size must be nonzero", "tier size must be nonzero"]
        );
    }

    #[test]
    fn not_ascending_and_duplicates() {
        assert_eq!(
            errors(quote!(T = [64, 256, 128, 1KiB, 1024])),
            [
                "tier sizes must be strictly ascending: `128` does not exceed the previous `256`",
                "tier sizes must be strictly ascending: `1024` does not exceed the previous `1024`",
            ]
        );
    }

    #[test]
    fn not_integer_literals() {
        let msg = "expected an integer literal tier size, such as `1500` or `64KiB`";
        assert_eq!(
            errors(quote!(T = [-1, 1.5, "64", N, 64 * 2, 2f32, (64), 128])),
            [msg; 7]
        );
    }

    #[test]
    fn unknown_suffix() {
        assert_eq!(
            errors(quote!(T = [1kb, 2u64, 4KB])),
            [
                "unknown size suffix `kb`; expected `KiB`, `MiB` or `GiB`",
                "unknown size suffix `u64`; expected `KiB`, `MiB` or `GiB`",
                "unknown size suffix `KB`; expected `KiB`, `MiB` or `GiB`",
            ]
        );
    }

    #[test]
    fn too_large() {
        let usize_msg = "tier size does not fit in `usize`";
        let isize_msg = "tier size exceeds `isize::MAX`, the largest allocation Rust allows";
        assert_eq!(
            errors(quote!(
                T = [
                    9_223_372_036_854_775_807,
                    9_223_372_036_854_775_808,
                    18_446_744_073_709_551_615,
                    18_446_744_073_709_551_616,
                    16_000_000_000GiB,
                    17_179_869_184GiB,
                    999_999_999_999_999_999_999_999_999_999_999_999_999_999,
                ]
            )),
            [isize_msg, isize_msg, usize_msg, isize_msg, usize_msg, usize_msg]
        );
        // 2^33 GiB = 2^63 bytes: one past `i64::MAX`.
        assert_eq!(errors(quote!(T = [8_589_934_592GiB])), [isize_msg]);
        assert_eq!(
            check(quote!(T = [8_589_934_591GiB])),
            Ok(vec![(1 << 63) - (1 << 30)])
        );
    }

    #[test]
    fn every_error_is_reported() {
        assert_eq!(
            errors(quote! {
                #[tiers(stats = false, stats = true, colour = "red")]
                T = [0, x, 64, 64, 1kb]
            }),
            [
                "duplicate tiers attribute `stats`",
                "unknown tiers attribute `colour`; expected `stats = <bool>` or `crate = \"path\"`",
                "tier size must be nonzero",
                "expected an integer literal tier size, such as `1500` or `64KiB`",
                "tier sizes must be strictly ascending: `64` does not exceed the previous `64`",
                "unknown size suffix `kb`; expected `KiB`, `MiB` or `GiB`",
            ]
        );
    }

    #[test]
    fn attribute_errors() {
        assert_eq!(
            errors(quote!(
                #[tiers(stats = 1)]
                T = [1]
            )),
            ["expected `stats = true` or `stats = false`"]
        );
        assert_eq!(
            errors(quote!(#[tiers(crate = "not a path")] T = [1])),
            ["expected a path to the runtime crate, as in `crate = \"::bytepool\"`, found `not a path`"]
        );
        assert_eq!(
            errors(quote!(
                #[tiers(crate = "a")]
                #[tiers(crate = "b")]
                T = [1]
            )),
            ["duplicate tiers attribute `crate`"]
        );
    }

    #[test]
    fn options() {
        let input = parse(quote! {
            /// Docs.
            #[tiers(stats = false, crate = "my::rt")]
            #[must_use]
            T = [1]
        });
        let cx = Ctxt::new();
        let tiers = validate(&cx, &input.defs[0]);
        cx.check().unwrap();
        assert!(!tiers.stats);
        assert_eq!(tiers.krate.to_token_stream().to_string(), "my :: rt");
        assert_eq!(tiers.passthrough.len(), 2);

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
    fn power_of_two_run_detection() {
        assert_eq!(power_of_two_run(&[1, 2]), Some((0, 1)));
        assert_eq!(power_of_two_run(&[128, 256, 512, 1024]), Some((7, 10)));
        assert_eq!(power_of_two_run(&[1 << 62, 1 << 63]), Some((62, 63)));
        // One tier: the general chain is just as short.
        assert_eq!(power_of_two_run(&[64]), None);
        assert_eq!(power_of_two_run(&[]), None);
        // A gap, a non-power, a non-power start doubling.
        assert_eq!(power_of_two_run(&[64, 256]), None);
        assert_eq!(power_of_two_run(&[64, 128, 256, 1500]), None);
        assert_eq!(power_of_two_run(&[3, 6, 12]), None);
        assert_eq!(power_of_two_run(&[64, 64]), None);
    }

    #[test]
    fn power_of_two_sizes_use_leading_zeros() {
        let out = compact(quote!(T = [128, 256, 512, 1KiB, 2KiB]));
        assert!(out.contains("leading_zeros"), "{out}");
        assert!(out.contains("if__len<=128{"), "{out}");
        assert!(out.contains("elseif__len<=2048usize"), "{out}");
        assert!(out.contains("-7usize"), "{out}");
        assert!(!out.contains("if__len<=256"), "{out}");
        assert!(
            out.contains(
                "constSIZES:&'static[::core::primitive::usize]=&[128,256,512,1024usize,2048usize];"
            ),
            "{out}"
        );

        // Starting at 1 = 2^0, nothing is subtracted.
        let out = compact(quote!(T = [1, 2, 4]));
        assert!(
            out.contains("leading_zeros())as::core::primitive::usize)"),
            "{out}"
        );
        assert!(!out.contains("-0usize"), "{out}");
    }

    #[test]
    fn other_sizes_use_a_branchless_search() {
        for tokens in [
            quote!(T = [64, 256, 1500, 9000]),
            quote!(T = [64]),
            quote!(T = [64, 256]),
            quote!(T = [128, 256, 384]),
        ] {
            let out = compact(tokens);
            assert!(!out.contains("leading_zeros"), "{out}");
            assert!(
                out.contains("let__t:::core::primitive::usize=0usize;"),
                "{out}"
            );
            assert!(out.contains("else{::core::option::Option::None}"), "{out}");
        }
        // [64, 256, 1500 | 9000]: three values below the largest, padded to four; the first
        // step compares with 256 (its only prefix is 0), the second picks 64 or 1500 by the
        // first's outcome.
        let out = compact(quote!(T = [64, 256, 1500, 9000]));
        assert!(out.contains("if__len<=9000{"), "{out}");
        assert!(
            out.contains("let__t=__t+if__len>match__t{0usize=>256,_=>::core::primitive::usize::MAX}{2usize}else{0};"),
            "{out}"
        );
        assert!(
            out.contains("let__t=__t+if__len>match__t{0usize=>64,2usize=>1500,_=>::core::primitive::usize::MAX}{1usize}else{0};"),
            "{out}"
        );
        // One tier: no step at all.
        let out = compact(quote!(T = [64]));
        assert!(!out.contains("let__t=__t"), "{out}");
    }

    #[test]
    fn search_steps_count_the_values_below_every_length() {
        for m in 0..40 {
            let steps: Vec<_> = search_steps(m).collect();
            // Enough steps to count up to m: 2^steps > m.
            assert!(1usize << steps.len() > m, "m = {m}: {steps:?}");
            // Simulate the generated code for every count 0..=m (lengths between values).
            for count in 0..=m {
                let mut t = 0;
                for (step, pivots) in &steps {
                    let pivot = pivots.iter().find(|(prefix, _)| *prefix == t).map(|p| p.1);
                    // Value `i` is below the length exactly when `i < count`.
                    if pivot.is_some_and(|index| index < count) {
                        t += step;
                    }
                }
                assert_eq!(t, count, "m = {m}");
            }
        }
    }

    #[test]
    fn no_loops_or_tables_in_class_of() {
        for tokens in [
            quote!(T = [64, 256, 1500, 9000]),
            quote!(T = [64, 128, 256]),
        ] {
            let out = expanded(tokens);
            let body = &out[out.find("fn class_of").unwrap()..out.find("tiers_items").unwrap()];
            for word in ["for ", "while ", "loop ", "binary_search", "SIZES", "["] {
                assert!(!body.contains(word), "{word:?} in {body}");
            }
        }
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
    fn a_bad_definition_keeps_its_struct_and_spares_the_others() {
        let out = expanded(quote! {
            pub Bad = [0];
            pub Good = [1];
        });
        assert!(out.contains("pub struct Bad ;"), "{out}");
        assert!(!out.contains("for Bad"), "{out}");
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("tier size must be nonzero"), "{out}");
        assert!(out.contains("impl :: bytepool :: Tiers for Good"), "{out}");
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
