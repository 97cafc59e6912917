bytepool::define_tiers! {
    pub Decimal = [64kb, 1MB];
    pub Typed = [64u32, 128];
}

fn main() {}
