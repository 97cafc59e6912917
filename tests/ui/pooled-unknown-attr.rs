use bytepool::Pooled;

// Every unknown key is reported, each on its own name, whatever its value looks like.
#[derive(Pooled, Default)]
#[pooled(capacity = 8, foo = 1, bar(x, y))]
struct Entry {
    message: Vec<u8>,
}

fn main() {
    // The stub impls emitted on error keep this from adding a second diagnostic.
    let _ = Entry::take();
}
