bytepool::define_tiers! {
    pub Backwards = [64, 1500, 256, 9000];
}

fn main() {}
