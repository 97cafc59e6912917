//! Procedural macros for [`bytepool`](https://docs.rs/bytepool): `define_tiers!` and
//! `#[derive(Pooled)]`.
//!
//! Do not depend on this crate directly: `bytepool` re-exports both macros, and the code they
//! generate refers to the runtime through `bytepool::__private`, which is not part of semver.
//!
//! Layout (parse → validate → expand, as in serde_derive and thiserror):
//! - `pooled`: `#[derive(Pooled)]`,
//! - `tiers`: `define_tiers!`,
//! - `internals`: what both share: error collection (`ctxt`), attribute names (`symbol`) and
//!   the attribute toolkit (`attr`).
#![forbid(unsafe_code)]

extern crate proc_macro;

mod internals;
mod pooled;
mod tiers;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

// Documented where users see it, on the re-export `bytepool::define_tiers!` (rustdoc would
// append a doc comment written here to that page).
#[proc_macro]
pub fn define_tiers(input: TokenStream) -> TokenStream {
    tiers::expand(parse_macro_input!(input as tiers::Input)).into()
}

// Documented on the re-export `bytepool::Pooled` (the derive macro's page), for the same
// reason.
#[proc_macro_derive(Pooled, attributes(pooled))]
pub fn derive_pooled(input: TokenStream) -> TokenStream {
    pooled::derive(&parse_macro_input!(input as DeriveInput)).into()
}
