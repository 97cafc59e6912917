bytepool::define_tiers! {
    pub Zero = [0, 64, 256];
    pub ZeroKiB = [0KiB, 1KiB];
}

fn main() {}
