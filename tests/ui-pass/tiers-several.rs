// Several definitions in one invocation: docs, visibilities, `#[tiers(stats = false)]`,
// suffixes, `_` separators, a trailing comma, and no `;` after the last definition.
#![deny(warnings)]

mod sizes {
    bytepool::define_tiers! {
        /// Size classes for a UDP proxy.
        #[tiers(stats = false)]
        pub PacketTiers = [64, 256, 1_500, 9_000];

        /// Stream buffers.
        #[allow(dead_code)]
        pub(crate) StreamTiers = [1KiB, 4KiB, 64KiB, 1MiB,];

        /// Powers of two, for the bit-arithmetic lookup.
        pub(super) PowerTiers = [4KiB, 8KiB, 16KiB, 32KiB, 64KiB]
    }
}

use sizes::{PacketTiers, PowerTiers, StreamTiers};

fn main() {
    let _ = <PacketTiers as ::bytepool::Tiers>::class_of(1);
    let _ = <StreamTiers as ::bytepool::Tiers>::class_of(1);
    let _ = <PowerTiers as ::bytepool::Tiers>::class_of(1);
    let _: &'static ::bytepool::BytePool<PacketTiers> = PacketTiers::pool();
}
