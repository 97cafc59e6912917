use bytepool::Pooled;

#[derive(Pooled, Default)]
struct Entry {
    #[pooled(skip, reset = clear_tags)]
    tags: Vec<String>,
}

fn clear_tags(tags: &mut Vec<String>) {
    tags.clear();
}

fn main() {}
