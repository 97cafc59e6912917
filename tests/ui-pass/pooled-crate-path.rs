// `crate = "..."` points the generated code at a re-export of the runtime.
mod reexport {
    pub use ::bytepool;
}

use reexport::bytepool::{Pooled, Reset};

#[derive(Pooled, Default)]
#[pooled(crate = "reexport::bytepool")]
struct Entry {
    message: Vec<u8>,
}

#[derive(Pooled, Default)]
#[pooled(crate = "crate::reexport::bytepool")]
struct Generic<T> {
    items: Vec<T>,
}

fn main() {
    let mut entry = Entry::take();
    entry.message.push(1);
    entry.reset();
    assert!(entry.message.is_empty());

    let mut generic = Generic { items: vec![1u8] };
    generic.reset();
    assert!(generic.items.is_empty());
}
