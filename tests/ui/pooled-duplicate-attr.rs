use bytepool::Pooled;

#[derive(Pooled, Default)]
#[pooled(capacity = 8)]
#[pooled(thread_cache = 0, capacity = 16)]
struct Entry {
    message: Vec<u8>,
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Entry::take();
    let _ = Entry::pool();
}
