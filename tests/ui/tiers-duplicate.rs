bytepool::define_tiers! {
    pub Twice = [64, 256, 256];
    // Equal once the suffix is applied: the message prints bytes.
    pub SameBytes = [512, 1KiB, 1024];
}

fn main() {}
