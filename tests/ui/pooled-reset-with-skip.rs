use bytepool::Pooled;

#[derive(Pooled, Default)]
struct Entry {
    #[pooled(skip, reset = clear_tags)]
    tags: Vec<String>,
}

fn clear_tags(tags: &mut Vec<String>) {
    tags.clear();
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Entry::take();
    let _ = Entry::pool();
}
