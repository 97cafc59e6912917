use bytepool::Pooled;

// Neither `Default` nor `#[pooled(new = path)]`: the pool cannot make a fresh `Entry`.
#[derive(Pooled)]
struct Entry {
    message: Vec<u8>,
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Entry::take();
    let _ = Entry::pool();
}
