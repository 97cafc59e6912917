use bytepool::Pooled;

// Neither `Default` nor `#[pooled(new = path)]`: the pool cannot make a fresh `Entry`.
#[derive(Pooled)]
struct Entry {
    message: Vec<u8>,
}

fn main() {}
