use bytepool::Pooled;

#[derive(Pooled, Default)]
struct Entry {
    #[pooled(max_capacity = 16)]
    timestamp: i64,
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Entry::take();
    let _ = Entry::pool();
}
