//! Attribute names, compared against `syn::Path`s (serde_derive's `Symbol`).

use std::fmt::{self, Display};

use syn::Path;

#[derive(Copy, Clone)]
pub struct Symbol(&'static str);

pub const POOLED: Symbol = Symbol("pooled");
pub const TIERS: Symbol = Symbol("tiers");
pub const CRATE: Symbol = Symbol("crate");
pub const CAPACITY: Symbol = Symbol("capacity");
pub const NEW: Symbol = Symbol("new");
pub const THREAD_CACHE: Symbol = Symbol("thread_cache");
pub const SKIP: Symbol = Symbol("skip");
pub const RESET: Symbol = Symbol("reset");
pub const MAX_CAPACITY: Symbol = Symbol("max_capacity");
pub const STATS: Symbol = Symbol("stats");

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq<Symbol> for &Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl Display for Symbol {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.0)
    }
}
