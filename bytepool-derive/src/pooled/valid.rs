//! Rules that relate two settings (thiserror's `valid.rs`). Each error is spanned on the key
//! that cannot be honoured and names the one it conflicts with.

use super::ast::Struct;
use crate::internals::attr::Keyed;
use crate::internals::ctxt::Ctxt;
use crate::internals::symbol::{Symbol, CAPACITY, MAX_CAPACITY, NEW, RESET, SKIP, THREAD_CACHE};

/// The slots of a thread's cache per pool: `bytepool::MAX_THREAD_CACHE`, which a test in the
/// runtime crate keeps equal to this.
pub const MAX_THREAD_CACHE: usize = 32;

pub fn check(cx: &Ctxt, input: &Struct<'_>) {
    if input.is_generic() {
        // These configure the process-wide pool, which a generic struct does not get.
        let attrs = &input.attrs;
        let keys = [
            (CAPACITY, attrs.capacity.as_ref().map(|k| &k.key)),
            (NEW, attrs.new.as_ref().map(|k| &k.key)),
            (THREAD_CACHE, attrs.thread_cache.as_ref().map(|k| &k.key)),
        ];
        for (name, key) in keys {
            if let Some(key) = key {
                cx.error_spanned_by(
                    key,
                    format_args!(
                        "`{name}` configures the process-wide pool, which a generic struct does \
                         not get; configure an instance pool `bytepool::Pool` instead",
                    ),
                );
            }
        }
    }

    if let Some(Keyed { value, .. }) = &input.attrs.thread_cache {
        if value.value > MAX_THREAD_CACHE {
            cx.error_spanned_by(
                syn::LitInt::new(&value.value.to_string(), value.span),
                format_args!(
                    "`thread_cache` is at most {MAX_THREAD_CACHE}: a thread's cache has that many \
                     slots per pool (`bytepool::MAX_THREAD_CACHE`)",
                ),
            );
        }
    }

    for field in &input.fields {
        let attrs = &field.attrs;
        if let (Some(_), Some(reset)) = (&attrs.skip, &attrs.reset) {
            conflict(cx, (RESET, reset), SKIP, "a skipped field is kept as is");
        }
        if let (Some(_), Some(max)) = (&attrs.skip, &attrs.max_capacity) {
            conflict(
                cx,
                (MAX_CAPACITY, max),
                SKIP,
                "a skipped field is kept as is",
            );
        }
        if let (Some(_), Some(max)) = (&attrs.reset, &attrs.max_capacity) {
            conflict(
                cx,
                (MAX_CAPACITY, max),
                RESET,
                "call `bytepool::reset_bounded` from the custom reset function instead",
            );
        }
    }
}

/// ``pooled attribute `a` cannot be combined with `b` on the same field; <why>``, on `a`.
fn conflict<T>(cx: &Ctxt, (name, culprit): (Symbol, &Keyed<T>), other: Symbol, why: &str) {
    cx.error_spanned_by(
        &culprit.key,
        format_args!(
            "pooled attribute `{name}` cannot be combined with `{other}` on the same field; {why}"
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::{parse_quote, DeriveInput};

    fn errors(node: DeriveInput) -> Vec<String> {
        let cx = Ctxt::new();
        if let Some(input) = Struct::from_syn(&cx, &node) {
            check(&cx, &input);
        }
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn compatible_settings_pass() {
        let node = parse_quote! {
            #[pooled(capacity = 8, new = S::empty, thread_cache = 0)]
            struct S {
                #[pooled(skip)]
                a: u8,
                #[pooled(reset = clear)]
                b: Vec<u8>,
                #[pooled(max_capacity = 64)]
                c: Vec<u8>,
                d: u8,
            }
        };
        assert_eq!(errors(node), Vec::<String>::new());
    }

    #[test]
    fn skip_with_reset_is_rejected() {
        let node = parse_quote! {
            struct S(#[pooled(skip, reset = clear)] Vec<u8>);
        };
        assert_eq!(
            errors(node),
            [
                "pooled attribute `reset` cannot be combined with `skip` on the same field; \
              a skipped field is kept as is"
            ]
        );
    }

    #[test]
    fn max_capacity_conflicts() {
        let node = parse_quote! {
            struct S {
                #[pooled(max_capacity = 1)]
                #[pooled(skip)]
                a: Vec<u8>,
                #[pooled(reset = clear, max_capacity = 1)]
                b: Vec<u8>,
            }
        };
        assert_eq!(
            errors(node),
            [
                "pooled attribute `max_capacity` cannot be combined with `skip` on the same \
                 field; a skipped field is kept as is",
                "pooled attribute `max_capacity` cannot be combined with `reset` on the same \
                 field; call `bytepool::reset_bounded` from the custom reset function instead",
            ]
        );
    }

    #[test]
    fn pool_settings_on_a_generic_struct_are_rejected() {
        let node = parse_quote! {
            #[pooled(capacity = 8, crate = "x")]
            struct G<T> { v: Vec<T> }
        };
        assert_eq!(
            errors(node),
            [
                "`capacity` configures the process-wide pool, which a generic struct does not \
              get; configure an instance pool `bytepool::Pool` instead"
            ]
        );
    }

    #[test]
    fn enums_and_unions_are_rejected() {
        let errs = errors(parse_quote!(
            enum E {
                A,
            }
        ));
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("#[derive(Pooled)] supports structs only"));
        let errs = errors(parse_quote!(union U { a: u8 }));
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("#[derive(Pooled)] supports structs only"));
    }
}
