use bytepool::Pooled;

#[derive(Pooled, Default)]
struct Entry {
    #[pooled(skip = true)]
    origin: &'static str,
}

fn main() {}
