use bytepool::Pooled;

#[derive(Pooled, Default)]
struct Entry {
    #[pooled(skip = true)]
    origin: &'static str,
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Entry::take();
    let _ = Entry::pool();
}
