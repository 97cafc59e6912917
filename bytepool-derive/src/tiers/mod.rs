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
//! Each definition is checked on its own, with its errors collected in one `Ctxt`. A
//! definition with errors expands to its bare struct (so later uses of the name still resolve)
//! next to the errors, and the other definitions expand normally.
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
