//! The body of the generated `Tiers::class_of`: the index of the first size `>= __len`, else
//! `None`, in straight-line code with no loop and no table.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::LitInt;

use super::valid::Size;

/// Straight-line `class_of`: the index of the first size `>= __len`, else `None`.
pub fn body(sizes: &[Size]) -> TokenStream {
    let some = |index: usize| {
        let index = LitInt::new(&format!("{index}usize"), Span::call_site());
        quote!(::core::option::Option::Some(#index))
    };
    let none = quote!(::core::option::Option::None);

    let bytes: Vec<u64> = sizes.iter().map(|size| size.bytes).collect();
    if let Some((first, _)) = power_of_two_run(&bytes) {
        // Sizes 2^a, 2^(a+1), ..., 2^b: past the first tier, the index is ceil(log2(len)) - a,
        // and `len >= 2` there, so `len - 1` cannot underflow.
        // The first tier is a branch, not arithmetic: predicted, it yields the tier without
        // waiting for `leading_zeros` (`bsr` on baseline x86-64) and the instructions after it.
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

    // Any other list: a binary search unrolled over constants, `__t` counting the sizes below
    // `__len`. Each pivot is a `match` over constants, lowered to conditional moves or a lookup,
    // so random lengths cost no mispredictions, in ceil(log2(n)) steps where `if`s take n.
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
    use crate::internals::ctxt::Ctxt;
    use crate::tiers::parse::TierDef;
    use crate::tiers::valid;

    /// The `class_of` body for the definition in `tokens`, which must be valid.
    fn body_of(tokens: TokenStream) -> String {
        let def: TierDef = syn::parse2(tokens).expect("definition parses");
        let cx = Ctxt::new();
        let tiers = valid::validate(&cx, &def);
        cx.check().expect("definition is valid");
        body(&tiers.sizes).to_string()
    }

    /// `body_of` with whitespace removed, for substring checks independent of token spacing.
    fn compact(tokens: TokenStream) -> String {
        body_of(tokens).replace(' ', "")
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
            let body = body_of(tokens);
            for word in ["for ", "while ", "loop ", "binary_search", "SIZES", "["] {
                assert!(!body.contains(word), "{word:?} in {body}");
            }
        }
    }
}
