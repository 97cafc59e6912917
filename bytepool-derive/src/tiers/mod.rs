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
//! Each definition is checked on its own, with its errors collected in one `Ctxt`; one that
//! does not parse keeps its name and its parse error, and the parser goes on with the next. A
//! definition with errors expands to the errors next to its struct with stub items (so later
//! uses of the name type-check and add no error of their own), and the other definitions
//! expand normally.
//!
//! - `parse`: the input as written,
//! - `attr`: the `#[tiers(...)]` options,
//! - `valid`: one definition's sizes checked and converted,
//! - `expand`: the struct, its `Tiers` impl and `pool()`,
//! - `class_of`: the body of `Tiers::class_of`.

mod attr;
mod class_of;
mod expand;
mod parse;
mod valid;

pub use expand::expand;
pub use parse::Input;
