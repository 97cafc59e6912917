//! The `define_tiers!` input as written: definitions separated by `;`, each
//! `#[attrs] vis Name = [sizes]`.
//!
//! Any expression parses as a size, so that validation, not the parser, rejects `-1`, `1.5` or
//! `N` with a message naming the accepted form.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, token, Attribute, Expr, Ident, Token, Visibility};

use crate::internals::ungroup;

/// The whole macro input: one or more [`TierDef`]s separated by `;`.
pub struct Input {
    pub defs: Vec<TierDef>,
}

/// `#[attrs] vis Name = [sizes,*]`, as written.
pub struct TierDef {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    pub bracket: token::Bracket,
    /// Ungrouped: a literal from a `macro_rules!` fragment is still a literal.
    pub sizes: Vec<Expr>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn parse(tokens: TokenStream) -> Input {
        syn::parse2(tokens).expect("input parses")
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
}
