use bytepool::Pooled;

#[derive(Pooled, Default)]
struct Entry {
    #[pooled(skip)]
    #[pooled(max_capacity = 4096)]
    message: Vec<u8>,
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Entry::take();
    let _ = Entry::pool();
}
