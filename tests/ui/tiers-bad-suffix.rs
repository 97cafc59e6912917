bytepool::define_tiers! {
    pub Decimal = [64kb, 1MB];
    pub Typed = [64u32, 128];
}

// The stub items emitted on error keep uses of the types from adding diagnostics.
fn main() {
    let _ = Decimal::pool().get(10);
    let _ = Typed::pool().get(10);
}
