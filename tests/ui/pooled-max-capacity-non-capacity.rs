use bytepool::Pooled;

#[derive(Pooled, Default)]
struct Entry {
    #[pooled(max_capacity = 16)]
    timestamp: i64,
}

fn main() {}
