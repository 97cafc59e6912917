use bytepool::Pooled;

/// Doc comments and attributes are not part of the span.
#[derive(Pooled)]
#[pooled(capacity = 8)]
enum Message {
    Text(String),
    Bytes(Vec<u8>),
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Message::take();
    let _ = Message::pool();
}
