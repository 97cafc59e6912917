use bytepool::Pooled;

#[derive(Pooled, Default)]
struct Entry {
    #[pooled(skip)]
    #[pooled(max_capacity = 4096)]
    message: Vec<u8>,
}

fn main() {}
