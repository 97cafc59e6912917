use bytepool::Pooled;

#[derive(Pooled, Default)]
#[pooled(capacity = 8, foo = 1)]
struct Entry {
    message: Vec<u8>,
}

fn main() {
    // The stub impls emitted on error keep this from adding a second diagnostic.
    let _ = Entry::take();
}
