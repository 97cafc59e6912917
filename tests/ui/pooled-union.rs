use bytepool::Pooled;

#[derive(Pooled)]
union Word {
    int: u64,
    float: f64,
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Word::take();
    let _ = Word::pool();
}
