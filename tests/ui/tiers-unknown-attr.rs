bytepool::define_tiers! {
    #[tiers(statistics = false)]
    pub Unknown = [64, 256];
}

fn main() {}
