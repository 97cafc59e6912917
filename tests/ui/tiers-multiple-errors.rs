// Every mistake is reported in one run, each at its own token, and a valid definition next to
// broken ones still expands.
bytepool::define_tiers! {
    #[tiers(stats = false, colour = "red")]
    pub Broken = [0, 64, 64, 1.5, 1kb, 9_223_372_036_854_775_808];

    pub AlsoBroken = [];

    pub Fine = [64, 128];
}

fn main() {
    let _ = <Fine as bytepool::Tiers>::class_of(1);
    // The broken definitions' stub items keep these from adding diagnostics.
    let _ = <Broken as bytepool::Tiers>::class_of(1);
    let _ = bytepool::BytePool::<Broken>::builder().build().get(10);
    let _ = AlsoBroken::pool().with_capacity(10).freeze();
}
