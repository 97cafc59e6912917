//! One definition checked and made ready for expansion: its options read, its sizes parsed
//! (`KiB`, `MiB` and `GiB` applied) and checked: nonzero, strictly ascending, at most
//! `isize::MAX`. Each error is pushed into the [`Ctxt`], spanned on its own literal; so is the
//! parse error of a definition that did not parse.

use proc_macro2::{Literal, Span};
use syn::{Attribute, Expr, Lit, LitInt, Path};

use super::attr::Options;
use super::parse::TierDef;
use crate::internals::ctxt::Ctxt;
use crate::internals::symbol::TIERS;

/// A definition that passed validation, ready for expansion.
pub struct Tiers<'a> {
    pub def: &'a TierDef,
    /// Every attribute except `#[tiers(...)]`, copied onto the struct.
    pub passthrough: Vec<&'a Attribute>,
    pub krate: Path,
    pub stats: bool,
    pub sizes: Vec<Size>,
}

/// One validated tier size: its value in bytes and the tokens that stand for it in the output.
pub struct Size {
    pub bytes: u64,
    /// Where the size was written, for the `isize::MAX` assertion.
    pub span: Span,
    /// An integer literal of type `usize` (explicitly or from its context) for `bytes`.
    pub literal: Literal,
}

impl Size {
    fn new(lit: &LitInt, bytes: u64) -> Self {
        let literal = if matches!(lit.suffix(), "" | "usize") {
            // The user's own token, so that `overflowing_literals` on a narrow target points
            // at it and clippy's digit-grouping lints read the text it really has.
            lit.token()
        } else {
            // `64KiB` has no token to reuse, and a user-spanned `65536usize` would make clippy
            // re-read `64KiB` as one; so the macro's hygiene, and `isize_assertion` for overflow.
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

/// Reads the `#[tiers(...)]` options and the sizes of one definition, recording every problem
/// in `cx`. The result is only meaningful for expansion when `cx` ends up empty.
pub fn validate<'a>(cx: &Ctxt, def: &'a TierDef) -> Tiers<'a> {
    let Options { krate, stats } = Options::from_ast(cx, &def.attrs);
    let passthrough = def
        .attrs
        .iter()
        .filter(|attr| attr.path() != TIERS)
        .collect();

    let list: &[Expr] = match &def.sizes {
        Ok(sizes) => {
            if sizes.list.is_empty() {
                cx.syn_error(syn::Error::new(
                    sizes.bracket.span.join(),
                    format_args!(
                        "expected at least one tier size, as in `{} = [64, 256]`",
                        def.ident
                    ),
                ));
            }
            &sizes.list
        }
        // The definition did not parse: its error is the one to report.
        Err(err) => {
            cx.syn_error(err.clone());
            &[]
        }
    };

    let mut sizes = Vec::with_capacity(list.len());
    // The last size whose value is known, valid or not, for the ascending check.
    let mut previous: Option<u128> = None;
    for expr in list {
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
        krate,
        stats,
        sizes,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn parse(tokens: TokenStream) -> TierDef {
        syn::parse2(tokens).expect("definition parses")
    }

    /// Validates the definition in `tokens`: its sizes in bytes, or every error message.
    fn check(tokens: TokenStream) -> Result<Vec<u64>, Vec<String>> {
        let def = parse(tokens);
        let cx = Ctxt::new();
        let tiers = validate(&cx, &def);
        match cx.check() {
            Ok(()) => Ok(tiers.sizes.iter().map(|size| size.bytes).collect()),
            Err(err) => Err(err.into_iter().map(|err| err.to_string()).collect()),
        }
    }

    fn errors(tokens: TokenStream) -> Vec<String> {
        check(tokens).expect_err("input is rejected")
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
    fn options_and_passthrough() {
        let def = parse(quote! {
            /// Docs.
            #[tiers(stats = false, crate = "my::rt")]
            #[must_use]
            T = [1]
        });
        let cx = Ctxt::new();
        let tiers = validate(&cx, &def);
        cx.check().unwrap();
        assert!(!tiers.stats);
        assert_eq!(
            quote::ToTokens::to_token_stream(&tiers.krate).to_string(),
            "my :: rt"
        );
        assert_eq!(tiers.passthrough.len(), 2);
    }
}
