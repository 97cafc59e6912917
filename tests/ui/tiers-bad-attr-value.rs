bytepool::define_tiers! {
    #[tiers(stats = 0)]
    pub StatsNotBool = [64, 256];

    #[tiers(crate = "not a path")]
    pub CrateNotPath = [64, 256];
}

fn main() {}
