bytepool::define_tiers! {
    #[tiers(stats = 0)]
    pub StatsNotBool = [64, 256];

    #[tiers(crate = "not a path")]
    pub CrateNotPath = [64, 256];
}

// The stub items emitted on error keep uses of the types from adding diagnostics.
fn main() {
    let _ = StatsNotBool::pool().get(10);
    let _ = CrateNotPath::pool().get(10);
}
