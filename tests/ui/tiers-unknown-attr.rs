// Every unknown key is reported, each on its own name, and the keys around them are still read.
bytepool::define_tiers! {
    #[tiers(statistics = false, stats = true, crate_path = "::bytepool")]
    pub Unknown = [64, 256];
}

fn main() {}
