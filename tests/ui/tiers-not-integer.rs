const N: usize = 64;

bytepool::define_tiers! {
    pub Negative = [-1, 64];
    pub Float = [1.5, 64];
    pub Text = ["64", 128];
    pub Constant = [N, 128];
    pub Arithmetic = [64 * 2, 512];
}

// The stub items emitted on error keep uses of the types from adding diagnostics.
fn main() {
    let _ = Negative::pool().get(10);
    let _ = Float::pool().get(10);
    let _ = Text::pool().get(10);
    let _ = Constant::pool().get(10);
    let _ = Arithmetic::pool().get(10);
}
