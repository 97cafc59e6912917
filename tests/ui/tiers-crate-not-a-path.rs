// `crate =` takes a path, or a string holding one; any other value is reported on the value.
bytepool::define_tiers! {
    #[tiers(crate = 1)]
    pub Number = [64, 256];

    #[tiers(crate = <bytepool::Stats>::bytepool)]
    pub Qualified = [64, 256];
}

// The stub items emitted on error keep uses of the types from adding diagnostics.
fn main() {
    let _ = Number::pool().get(10);
    let _ = Qualified::pool().get(10);
}
