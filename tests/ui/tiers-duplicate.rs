bytepool::define_tiers! {
    pub Twice = [64, 256, 256];
    // Equal once the suffix is applied: the message prints bytes.
    pub SameBytes = [512, 1KiB, 1024];
}

// The stub items emitted on error keep uses of the types from adding diagnostics.
fn main() {
    let _ = Twice::pool().get(10);
    let _ = SameBytes::pool().get(10);
}
