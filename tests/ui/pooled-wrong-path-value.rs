use bytepool::Pooled;

// Every bad value is reported, not only the first.
#[derive(Pooled)]
#[pooled(new = Entry::empty(), crate = 1)]
struct Entry {
    #[pooled(reset = "not a path")]
    message: Vec<u8>,
}

impl Entry {
    fn empty() -> Self {
        Entry {
            message: Vec::new(),
        }
    }
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Entry::take();
    let _ = Entry::pool();
}
