const N: usize = 64;

bytepool::define_tiers! {
    pub Negative = [-1, 64];
    pub Float = [1.5, 64];
    pub Text = ["64", 128];
    pub Constant = [N, 128];
    pub Arithmetic = [64 * 2, 512];
}

fn main() {}
