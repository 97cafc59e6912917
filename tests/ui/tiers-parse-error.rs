// A definition that does not parse is reported once; its name is still declared, so code using
// it adds no diagnostic, and the definitions after it expand as usual.
bytepool::define_tiers! {
    /// A comma is missing.
    pub Unparsed = [64, 256 1024];
    pub NoEquals [64, 256];
    pub Good = [64, 256];
}

fn main() {
    let _ = Unparsed::pool().get(10);
    let _ = NoEquals::pool().get(10);
    let _ = <NoEquals as bytepool::Tiers>::SIZES;
    let _ = Good::pool().get(10);
}
