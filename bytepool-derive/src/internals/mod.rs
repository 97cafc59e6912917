//! What both macros share (serde_derive's `internals`): error collection, attribute names, and
//! the attribute toolkit.

pub mod attr;
pub mod ctxt;
pub mod symbol;

use syn::Expr;

/// `expr` without the invisible groups that a `macro_rules!` fragment (`$n:expr`) arrives in,
/// so a literal passed through a macro is still seen as a literal.
pub fn ungroup(mut expr: Expr) -> Expr {
    while let Expr::Group(group) = expr {
        expr = *group.expr;
    }
    expr
}
