//! The `define_tiers!` input as written: definitions separated by `;`, each
//! `#[attrs] vis Name = [sizes]`.
//!
//! Any expression parses as a size, so that validation, not the parser, rejects `-1`, `1.5` or
//! `N` with a message naming the accepted form.
//!
//! A definition that does not parse is recorded with its error and the parser goes on after the
//! next `;`, so one run reports every definition's mistake. A definition whose name was read
//! keeps it: expansion still declares that type (with stub items), and code using the name adds
//! no error of its own.

use proc_macro2::{Span, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, token, Attribute, Expr, Ident, Token, Visibility};

use crate::internals::ungroup;

/// The whole macro input: one or more [`TierDef`]s separated by `;`, in the order written.
pub struct Input {
    pub items: Vec<Item>,
}

/// One definition, or an error that belongs to no definition: one that broke off before its
/// name, or a missing `;` between two definitions.
pub enum Item {
    Def(TierDef),
    Error(syn::Error),
}

/// `#[attrs] vis Name = [sizes,*]`, as written.
pub struct TierDef {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    /// The list, or the error that stopped the parse after the name.
    pub sizes: Result<Sizes, syn::Error>,
}

/// `[sizes,*]`.
pub struct Sizes {
    pub bracket: token::Bracket,
    /// Ungrouped: a literal from a `macro_rules!` fragment is still a literal.
    pub list: Vec<Expr>,
}

/// How far one definition parsed.
enum Parsed {
    /// Up to the end of its list (whose contents may still have failed to parse), the `]` of
    /// which is at the span given.
    Complete(TierDef, Span),
    /// It has a name but broke off before its list ended; the rest of it is still in the input.
    Broken(TierDef),
    /// It broke off before its name.
    Nameless(syn::Error),
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "expected at least one tier definition, as in `pub Name = [64, 256];`",
            ));
        }
        let mut items = Vec::new();
        while !input.is_empty() {
            match parse_def(input) {
                Parsed::Complete(def, end) => {
                    items.push(Item::Def(def));
                    // The `;` after the last definition is optional.
                    if input.is_empty() || input.parse::<Option<Token![;]>>()?.is_some() {
                        continue;
                    }
                    items.push(Item::Error(syn::Error::new(
                        end,
                        "expected `;` after this tier definition",
                    )));
                    // Go on with what follows when it is a definition (the `;` was just left
                    // out); otherwise it is part of this mistake: skip it.
                    if !matches!(parse_def(&input.fork()), Parsed::Complete(..)) {
                        skip_past_semicolon(input);
                    }
                }
                Parsed::Broken(def) => {
                    items.push(Item::Def(def));
                    skip_past_semicolon(input);
                }
                Parsed::Nameless(err) => {
                    items.push(Item::Error(err));
                    skip_past_semicolon(input);
                }
            }
        }
        Ok(Input { items })
    }
}

/// Parses one definition, reporting how far it got.
fn parse_def(input: ParseStream<'_>) -> Parsed {
    let head = (|| -> syn::Result<_> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let ident: Ident = input.parse()?;
        Ok((attrs, vis, ident))
    })();
    let (attrs, vis, ident) = match head {
        Ok(head) => head,
        Err(err) => return Parsed::Nameless(err),
    };
    let list = (|| -> syn::Result<_> {
        input.parse::<Token![=]>()?;
        let content;
        let bracket = bracketed!(content in input);
        Ok((bracket, content))
    })();
    let (bracket, content) = match list {
        Ok(list) => list,
        Err(err) => {
            return Parsed::Broken(TierDef {
                attrs,
                vis,
                ident,
                sizes: Err(err),
            })
        }
    };
    let end = bracket.span.close();
    let sizes = match Punctuated::<Expr, Token![,]>::parse_terminated(&content) {
        Ok(list) => Ok(Sizes {
            bracket,
            list: list.into_iter().map(ungroup).collect(),
        }),
        Err(err) => {
            // What is left in the brackets belongs to this mistake.
            skip_while(&content, |_| true);
            Err(err)
        }
    };
    Parsed::Complete(
        TierDef {
            attrs,
            vis,
            ident,
            sizes,
        },
        end,
    )
}

/// One definition on its own, as the unit tests of later phases write it.
#[cfg(test)]
impl Parse for TierDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        match parse_def(input) {
            Parsed::Complete(def, _) => Ok(def),
            Parsed::Broken(TierDef { sizes, .. }) => Err(sizes.err().expect("broken")),
            Parsed::Nameless(err) => Err(err),
        }
    }
}

/// Skips every token up to and including the next `;` outside brackets.
fn skip_past_semicolon(input: ParseStream<'_>) {
    let is_semicolon =
        |token: &TokenTree| matches!(token, TokenTree::Punct(punct) if punct.as_char() == ';');
    skip_while(input, |token| !is_semicolon(token));
    let _ = input.parse::<Option<Token![;]>>();
}

/// Skips tokens (a bracketed group counts as one) while `skip` holds.
fn skip_while(input: ParseStream<'_>, mut skip: impl FnMut(&TokenTree) -> bool) {
    // Cannot fail: the closure only moves the cursor.
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((token, next)) = rest.token_tree() {
            if !skip(&token) {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn parse(tokens: TokenStream) -> Input {
        syn::parse2(tokens).expect("input parses")
    }

    fn defs(input: &Input) -> Vec<&TierDef> {
        input
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Def(def) => Some(def),
                Item::Error(_) => None,
            })
            .collect()
    }

    #[test]
    fn parses_several_definitions() {
        let input = parse(quote! {
            /// Docs.
            #[tiers(stats = false)]
            pub PacketTiers = [64, 256, 1500, 9000];
            pub(crate) Other = [1KiB, 4KiB, 64KiB, 1MiB,]
        });
        let defs = defs(&input);
        assert_eq!(defs.len(), input.items.len(), "no error");
        let names: Vec<String> = defs.iter().map(|d| d.ident.to_string()).collect();
        assert_eq!(names, ["PacketTiers", "Other"]);
        assert_eq!(defs[0].attrs.len(), 2);
        assert_eq!(defs[1].sizes.as_ref().unwrap().list.len(), 4);
    }

    #[test]
    fn trailing_semicolon_is_optional() {
        assert_eq!(parse(quote!(A = [1]; B = [2];)).items.len(), 2);
        assert_eq!(parse(quote!(A = [1]; B = [2])).items.len(), 2);
    }

    /// Each item in order: a definition's name with its parse error if any, or an error of no
    /// definition (with no name).
    fn outline(tokens: TokenStream) -> Vec<(Option<String>, Option<String>)> {
        parse(tokens)
            .items
            .iter()
            .map(|item| match item {
                Item::Def(def) => (
                    Some(def.ident.to_string()),
                    def.sizes.as_ref().err().map(ToString::to_string),
                ),
                Item::Error(err) => (None, Some(err.to_string())),
            })
            .collect()
    }

    fn named(name: &str, err: Option<&str>) -> (Option<String>, Option<String>) {
        (Some(name.to_owned()), err.map(str::to_owned))
    }

    fn nameless(err: &str) -> (Option<String>, Option<String>) {
        (None, Some(err.to_owned()))
    }

    #[test]
    fn a_missing_semicolon_is_reported_and_both_definitions_kept() {
        let missing = nameless("expected `;` after this tier definition");
        assert_eq!(
            outline(quote!(A = [1] B = [2])),
            [named("A", None), missing.clone(), named("B", None)]
        );
        // What follows is not a definition: skipped up to the next `;`.
        assert_eq!(
            outline(quote!(A = [1] junk junk; B = [2])),
            [named("A", None), missing, named("B", None)]
        );
    }

    #[test]
    fn a_definition_that_does_not_parse_keeps_its_name_and_the_rest_goes_on() {
        assert_eq!(
            outline(quote! {
                A = [64, 256 512];
                B [64];
                C = 64;
                pub 7 = [1];
                D = [1];
            }),
            [
                named("A", Some("expected `,`")),
                named("B", Some("expected `=`")),
                named("C", Some("expected square brackets")),
                nameless("expected identifier"),
                named("D", None),
            ]
        );
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
