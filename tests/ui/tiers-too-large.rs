bytepool::define_tiers! {
    // u64::MAX + 1
    pub PastU64 = [64, 18_446_744_073_709_551_616];
    // 2^34 GiB = 2^64 bytes
    pub PastU64Suffixed = [1GiB, 17_179_869_184GiB];
    // past u128 as well
    pub PastU128 = [1, 999_999_999_999_999_999_999_999_999_999_999_999_999_999];
}

// The stub items emitted on error keep uses of the types from adding diagnostics.
fn main() {
    let _ = PastU64::pool().get(10);
    let _ = PastU64Suffixed::pool().get(10);
    let _ = PastU128::pool().get(10);
}
