//! `#[tiers(...)]` on one definition: `stats = <bool>` and `crate = path`.
//!
//! As in `pooled::attr`, every problem is pushed into the [`Ctxt`] and parsing goes on.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, ExprLit, Lit, Path};

use crate::internals::attr::{self, Attr};
use crate::internals::ctxt::Ctxt;
use crate::internals::symbol::{CRATE, STATS, TIERS};

/// What the unknown-key message says `#[tiers(...)]` accepts.
const ACCEPTED: &str = "`stats = <bool>` or `crate = \"path\"`";

/// The options of one definition, with the defaults filled in.
pub struct Options {
    /// `crate = path` or `crate = "path"`: where the runtime is; `::bytepool` when not given.
    pub krate: Path,
    /// `stats = <bool>`: whether the pool keeps statistics; `true` when not given.
    pub stats: bool,
}

impl Options {
    /// Reads every `#[tiers(...)]` among `attrs`; other attributes are left to the caller.
    pub fn from_ast(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut krate = Attr::none(cx, TIERS, CRATE);
        let mut stats = Attr::none(cx, TIERS, STATS);

        for attr in attrs {
            if attr.path() != TIERS {
                continue;
            }
            attr::parse_keys(cx, attr, |meta| {
                if meta.path == STATS {
                    if let Some(value) = parse_stats(cx, meta)? {
                        stats.set(&meta.path, value);
                    }
                } else if meta.path == CRATE {
                    if let Some(path) = parse_crate(cx, meta)? {
                        krate.set(&meta.path, path);
                    }
                } else {
                    return Err(attr::unknown(meta, TIERS, ACCEPTED));
                }
                Ok(())
            });
        }

        Options {
            krate: krate
                .get()
                .map_or_else(|| syn::parse_quote!(::bytepool), |k| k.value),
            stats: stats.get().is_none_or(|k| k.value),
        }
    }
}

/// `stats = true` or `stats = false`.
///
/// A value of another form is reported on the value and parsing goes on (`Ok(None)`); no
/// value at all is an `Err`.
fn parse_stats(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<bool>> {
    const EXPECTED: &str = "expected `stats = true` or `stats = false`";
    match attr::value(meta, EXPECTED)? {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => Ok(Some(b.value)),
        expr => {
            cx.error_spanned_by(expr, EXPECTED);
            Ok(None)
        }
    }
}

/// `crate = path` or `crate = "path"`, as [`attr::crate_path`] reads it.
///
/// A value of another form is reported on the value and parsing goes on (`Ok(None)`); no
/// value at all is an `Err`.
fn parse_crate(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Path>> {
    const EXPECTED: &str = "expected a path to the runtime crate, as in `crate = \"::bytepool\"`";
    match attr::crate_path(attr::value(meta, EXPECTED)?) {
        Ok(path) => Ok(Some(path)),
        Err(value) => {
            let found = match &*value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                }) => lit.value(),
                value => attr::as_written(value),
            };
            cx.error_spanned_by(value, format_args!("{EXPECTED}, found `{found}`"));
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use syn::parse_quote;

    /// Reads `attrs` and returns the options plus the error messages.
    fn options(attrs: Vec<Attribute>) -> (Options, Vec<String>) {
        let cx = Ctxt::new();
        let options = Options::from_ast(&cx, &attrs);
        let errors = match cx.check() {
            Ok(()) => Vec::new(),
            Err(err) => err.into_iter().map(|err| err.to_string()).collect(),
        };
        (options, errors)
    }

    fn errors(attrs: Vec<Attribute>) -> Vec<String> {
        options(attrs).1
    }

    #[test]
    fn attribute_errors() {
        assert_eq!(
            errors(vec![parse_quote!(#[tiers(stats = 1)])]),
            ["expected `stats = true` or `stats = false`"]
        );
        assert_eq!(
            errors(vec![parse_quote!(#[tiers(crate = "not a path")])]),
            ["expected a path to the runtime crate, as in `crate = \"::bytepool\"`, found `not a path`"]
        );
        assert_eq!(
            errors(vec![
                parse_quote!(#[tiers(crate = 1)]),
                parse_quote!(#[tiers(crate = <T>::bytepool)]),
            ]),
            [
                "expected a path to the runtime crate, as in `crate = \"::bytepool\"`, found `1`",
                "expected a path to the runtime crate, as in `crate = \"::bytepool\"`, \
                 found `<T>::bytepool`",
            ]
        );
        assert_eq!(
            errors(vec![
                parse_quote!(#[tiers(crate = a)]),
                parse_quote!(#[tiers(crate = "b")]),
            ]),
            ["duplicate tiers attribute `crate`"]
        );
        assert_eq!(
            errors(vec![
                parse_quote!(#[tiers(crate = "a")]),
                parse_quote!(#[tiers(crate = "b")]),
            ]),
            ["duplicate tiers attribute `crate`"]
        );
    }

    #[test]
    fn every_unknown_key_is_reported() {
        let accepted = "expected `stats = <bool>` or `crate = \"path\"`";
        let (options, errors) = options(vec![parse_quote!(
            #[tiers(statistics = false, colour(red, green), stats = false, crate_path = "x")]
        )]);
        assert_eq!(
            errors,
            [
                format!("unknown tiers attribute `statistics`; {accepted}"),
                format!("unknown tiers attribute `colour`; {accepted}"),
                format!("unknown tiers attribute `crate_path`; {accepted}"),
            ]
        );
        assert!(!options.stats, "the known key between them was read");
    }

    #[test]
    fn options_and_defaults() {
        let (options, errors) = options(vec![
            parse_quote!(#[doc = " Docs."]),
            parse_quote!(#[tiers(stats = false, crate = "my::rt")]),
            parse_quote!(#[must_use]),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(!options.stats);
        assert_eq!(options.krate.to_token_stream().to_string(), "my :: rt");

        let (options, errors) = self::options(vec![parse_quote!(#[tiers(crate = ::my::rt)])]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(options.krate.to_token_stream().to_string(), ":: my :: rt");

        let (options, errors) = self::options(vec![parse_quote!(#[must_use])]);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(options.stats);
        assert_eq!(options.krate.to_token_stream().to_string(), ":: bytepool");
    }
}
