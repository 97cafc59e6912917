bytepool::define_tiers! {
    #[tiers(stats = false, stats = true)]
    pub SameAttribute = [64, 256];

    #[tiers(crate = "::bytepool")]
    #[tiers(crate = "::bytepool")]
    pub TwoAttributes = [64, 256];
}

fn main() {}
