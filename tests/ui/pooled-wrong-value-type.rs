use bytepool::Pooled;

#[derive(Pooled, Default)]
#[pooled(capacity = "x")]
struct Entry {
    message: Vec<u8>,
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Entry::take();
    let _ = Entry::pool();
}
