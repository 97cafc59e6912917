use bytepool::Pooled;

/// Doc comments and attributes are not part of the span.
#[derive(Pooled)]
#[pooled(capacity = 8)]
enum Message {
    Text(String),
    Bytes(Vec<u8>),
}

fn main() {}
