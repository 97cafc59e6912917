use bytepool::Pooled;

#[derive(Default)]
struct Tags {
    names: Vec<String>,
}

#[derive(Pooled, Default)]
struct Entry {
    message: Vec<u8>,
    tags: Tags,
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Entry::take();
    let _ = Entry::pool();
}
