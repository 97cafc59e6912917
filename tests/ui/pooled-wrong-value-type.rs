use bytepool::Pooled;

#[derive(Pooled, Default)]
#[pooled(capacity = "x")]
struct Entry {
    message: Vec<u8>,
}

fn main() {}
