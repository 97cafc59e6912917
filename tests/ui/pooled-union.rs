use bytepool::Pooled;

#[derive(Pooled)]
union Word {
    int: u64,
    float: f64,
}

fn main() {}
