bytepool::define_tiers! {}

fn main() {}
