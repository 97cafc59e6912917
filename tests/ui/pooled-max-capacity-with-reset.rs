use bytepool::Pooled;

#[derive(Pooled, Default)]
struct Entry {
    #[pooled(reset = Vec::clear, max_capacity = 4096)]
    message: Vec<u8>,
}

fn main() {}
