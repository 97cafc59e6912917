bytepool::define_tiers! {
    pub Backwards = [64, 1500, 256, 9000];
}

// The stub items emitted on error keep uses of the types from adding diagnostics.
fn main() {
    let _ = Backwards::pool().get(10);
}
