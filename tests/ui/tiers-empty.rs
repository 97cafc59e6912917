bytepool::define_tiers! {
    pub Empty = [];
}

// The stub items emitted on error keep uses of the types from adding diagnostics.
fn main() {
    let _ = Empty::pool().get(10);
}
