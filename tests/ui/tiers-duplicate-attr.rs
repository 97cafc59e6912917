bytepool::define_tiers! {
    #[tiers(stats = false, stats = true)]
    pub SameAttribute = [64, 256];

    #[tiers(crate = "::bytepool")]
    #[tiers(crate = "::bytepool")]
    pub TwoAttributes = [64, 256];
}

// The stub items emitted on error keep uses of the types from adding diagnostics.
fn main() {
    let _ = SameAttribute::pool().get(10);
    let _ = TwoAttributes::pool().get(10);
}
