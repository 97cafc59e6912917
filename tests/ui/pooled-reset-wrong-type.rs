use bytepool::Pooled;

#[derive(Pooled, Default)]
struct Entry {
    #[pooled(reset = clear_bytes)]
    message: String,
}

fn clear_bytes(bytes: &mut Vec<u8>) {
    bytes.clear();
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Entry::take();
    let _ = Entry::pool();
}
