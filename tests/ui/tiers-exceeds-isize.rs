bytepool::define_tiers! {
    // isize::MAX + 1 on a 64-bit target
    pub PastIsize = [64, 9_223_372_036_854_775_808];
    // 2^33 GiB = 2^63 bytes
    pub PastIsizeSuffixed = [1GiB, 8_589_934_592GiB];
}

// The stub items emitted on error keep uses of the types from adding diagnostics.
fn main() {
    let _ = PastIsize::pool().get(10);
    let _ = PastIsizeSuffixed::pool().get(10);
}
