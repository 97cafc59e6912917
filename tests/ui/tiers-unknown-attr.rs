// Every unknown key is reported, each on its own name, and the keys around them are still read.
bytepool::define_tiers! {
    #[tiers(statistics = false, stats = true, crate_path = "::bytepool")]
    pub Unknown = [64, 256];
}

// The stub items emitted on error keep uses of the types from adding diagnostics.
fn main() {
    let _ = Unknown::pool().get(10);
}
