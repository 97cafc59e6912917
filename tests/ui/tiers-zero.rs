bytepool::define_tiers! {
    pub Zero = [0, 64, 256];
    pub ZeroKiB = [0KiB, 1KiB];
}

// The stub items emitted on error keep uses of the types from adding diagnostics.
fn main() {
    let _ = Zero::pool().get(10);
    let _ = ZeroKiB::pool().get(10);
}
