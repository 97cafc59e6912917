// `#[tiers(crate = "...")]` for a runtime that is reachable under another name.
#![deny(warnings)]

extern crate bytepool as runtime;

runtime::define_tiers! {
    #[tiers(crate = "::runtime")]
    pub Renamed = [64, 128];

    #[tiers(crate = "runtime", stats = false)]
    pub Relative = [100, 200]
}

fn main() {
    let _ = <Renamed as runtime::Tiers>::class_of(1);
    let _ = <Relative as runtime::Tiers>::class_of(1);
}
