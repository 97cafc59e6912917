bytepool::define_tiers! {
    pub Empty = [];
}

fn main() {}
