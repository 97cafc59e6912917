// The expansion names every std item by its full path, so it compiles without the prelude and
// next to user items that shadow prelude names, and its `class_of` parameter cannot be captured
// by a constant in scope.
#![no_implicit_prelude]
#![deny(warnings)]
#![allow(dead_code, non_upper_case_globals)]

type Option = ();
type Result = ();
type Box = ();
struct Some;
struct None;
trait Clone {}
trait Default {}
const len: ::core::primitive::usize = 7;

::bytepool::define_tiers! {
    /// Irregular: a comparison chain.
    pub Irregular = [64, 256, 1500, 9000];

    /// Powers of two: `leading_zeros`.
    pub Powers = [128, 256, 512, 1KiB];

    /// From 2^0.
    pub FromOne = [1, 2, 4];
}

fn main() {
    let _ = <Irregular as ::bytepool::Tiers>::class_of(1);
    let _ = <Powers as ::bytepool::Tiers>::class_of(1);
    let _ = <FromOne as ::bytepool::Tiers>::class_of(1);
}
