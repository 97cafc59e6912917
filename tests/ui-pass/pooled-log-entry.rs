// The `LogEntry` example from the `Pooled` docs: every field kind, reset through the derived impl.
// The runtime traits are in scope and lints are strict: the generated paths must not warn.
#![deny(warnings, unused_qualifications, rust_2018_idioms)]
use bytepool::{Pooled, Reset};

#[derive(Default, Debug, PartialEq)]
struct Tags {
    names: Vec<String>,
    resets: u32,
}

fn reset_tags(tags: &mut Tags) {
    tags.names.clear();
    tags.resets += 1;
}

#[derive(Pooled, Default)]
#[pooled(capacity = 1024)]
struct LogEntry {
    timestamp: i64,
    message: Vec<u8>,
    #[pooled(max_capacity = 4)]
    fields: Vec<(String, String)>,
    #[pooled(skip)]
    origin: &'static str,
    #[pooled(reset = reset_tags)]
    tags: Tags,
}

fn main() {
    let mut entry = LogEntry {
        timestamp: 42,
        message: b"hello".to_vec(),
        fields: vec![("k".to_owned(), "v".to_owned())],
        origin: "main",
        tags: Tags {
            names: vec!["a".to_owned()],
            resets: 0,
        },
    };
    let message_capacity = entry.message.capacity();
    entry.reset();
    assert_eq!(entry.timestamp, 0);
    assert!(entry.message.is_empty());
    assert_eq!(entry.message.capacity(), message_capacity, "capacity kept");
    assert!(entry.fields.is_empty());
    assert!(entry.fields.capacity() <= 4, "within max_capacity, kept");
    assert_eq!(entry.origin, "main", "skipped");
    assert_eq!(
        entry.tags,
        Tags {
            names: Vec::new(),
            resets: 1
        },
        "custom reset ran once"
    );

    // Grown beyond max_capacity: replaced by `Default`.
    entry.fields = Vec::with_capacity(64);
    entry.fields.push(("k".to_owned(), "v".to_owned()));
    entry.reset();
    assert_eq!(entry.fields.capacity(), 0);

    // The process-wide pool.
    let mut pooled = LogEntry::take();
    pooled.message.extend_from_slice(b"x");
    drop(pooled);
    let pooled = LogEntry::take();
    assert!(pooled.message.is_empty());
}
