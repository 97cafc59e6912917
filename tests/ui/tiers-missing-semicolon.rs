// A `;` left out between two definitions is reported once, and both definitions expand.
bytepool::define_tiers! {
    pub First = [64, 256]
    pub Second = [1KiB, 4KiB];
}

fn main() {
    let _ = First::pool().get(10);
    let _ = Second::pool().get(10);
}
