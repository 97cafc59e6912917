use bytepool::Pooled;

#[derive(Default)]
struct Tags {
    names: Vec<String>,
}

#[derive(Pooled, Default)]
struct Entry {
    message: Vec<u8>,
    tags: Tags,
}

fn main() {}
